"""Quarterly reports at scale: figures through the ORM against hand-written SQL, worker peak
memory, and the whole board-pack PDF render.

1. The referral figures of a consortium quarter with its five-quarter trend (funnel, time to
   accept with percentile_cont, SLA compliance, outcomes by type, balance between members),
   computed by reports.figures, against the same aggregates written by hand in SQL and run on
   the same connection in the same consortium scope (target: no more than 1.5 times).
2. Peak memory (VmHWM) of a worker process that generates a whole consortium report (figures,
   snapshot, PDF, CSV, XLSX, stored in one transaction): a fresh `python` subprocess, so the
   figure is the task's, not this process's (target: under 250 MB; the figures are aggregates,
   so it does not grow with the number of referrals: measured at 100,000 referrals first, then
   at the full size, target within a tenth).
3. The whole PDF render from a stored snapshot (target: under 5 s).

Default size 1,000,000 referrals (`--scale N`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.core import BenchContext, Result, median_seconds

TITLE = "Quarterly reports: figures vs hand-written SQL, worker memory, PDF render time"
ROOT = Path(__file__).resolve().parents[1]

HAND_SQL = """
WITH q(b, s, e) AS (SELECT * FROM unnest(%(b)s::int[], %(s)s::timestamptz[], %(e)s::timestamptz[]))
SELECT 'funnel', q.b, count(*),
       count(*) FILTER (WHERE r.routed_at IS NOT NULL),
       count(*) FILTER (WHERE r.accepted_at IS NOT NULL),
       count(*) FILTER (WHERE r.decline_count > 0),
       count(*) FILTER (WHERE r.decline_count > 0 AND r.routed_at > r.declined_at),
       count(*) FILTER (WHERE r.unrouted_since IS NOT NULL OR EXISTS (
           SELECT 1 FROM referrals_routingdecision d
           WHERE d.referral_id = r.id AND d.provider_id IS NULL)),
       count(*) FILTER (WHERE r.withdrawn_at IS NOT NULL)
  FROM referrals_referral r JOIN q ON r.submitted_at >= q.s AND r.submitted_at < q.e
 GROUP BY q.b;
"""
HAND_SQL_ACCEPT = """
WITH q(b, s, e) AS (SELECT * FROM unnest(%(b)s::int[], %(s)s::timestamptz[], %(e)s::timestamptz[]))
SELECT q.b, count(*),
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM r.accepted_at - r.routed_at) / 3600),
       percentile_cont(0.9) WITHIN GROUP (
           ORDER BY extract(epoch FROM r.accepted_at - r.routed_at) / 3600)
  FROM referrals_referral r JOIN q ON r.accepted_at >= q.s AND r.accepted_at < q.e
 WHERE r.routed_at IS NOT NULL GROUP BY q.b;
"""
HAND_SQL_SLA = """
WITH q(b, s, e) AS (SELECT * FROM unnest(%(b)s::int[], %(s)s::timestamptz[], %(e)s::timestamptz[]))
SELECT q.b, count(*), count(*) FILTER (WHERE r.accepted_at <= r.sla_accept_due)
  FROM referrals_referral r JOIN q ON r.sla_accept_due >= q.s AND r.sla_accept_due < q.e
 GROUP BY q.b;
"""
HAND_SQL_OUTCOMES = """
WITH q(b, s, e) AS (SELECT * FROM unnest(%(b)s::int[], %(ds)s::date[], %(de)s::date[]))
SELECT q.b, o.type,
       count(*) FILTER (WHERE o.hours_per_week >= 30),
       count(*) FILTER (WHERE o.qualification_level = 2), count(*)
  FROM referrals_outcome o JOIN q ON o.achieved_on >= q.s AND o.achieved_on <= q.e
 GROUP BY q.b, o.type;
"""
HAND_SQL_BALANCE = """
SELECT provider_id, member_id, count(*) FROM referrals_referral
 WHERE provider_id IS NOT NULL AND accepted_at >= %(cs)s AND accepted_at < %(ce)s
 GROUP BY provider_id, member_id;
"""

WORKER_SCRIPT = """
import json, os, resource, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings")
django.setup()
import logging; logging.disable(logging.INFO)
from kernel.calendar import Quarter
from members.scoping import consortium_scope
from reports.services import report_generate
%(peak)s
started = time.perf_counter()
with consortium_scope(reason="bench: report worker memory"):
    report = report_generate(scope_member_id=None, period=Quarter.from_key(%(q)r), kind="on_demand")
print(json.dumps({"id": report.pk, "seconds": time.perf_counter() - started,
                  "max_rss_mb": peak_rss_mb()}))
"""

# The worker's own peak. Not getrusage's ru_maxrss: Linux carries the parent's high-water mark
# into a child across fork and exec, so a benchmark process that has just loaded 100,000
# referrals made its fresh worker "peak" at 263 to 332 MB it never used. VmHWM belongs to the
# worker's own address space (measured: a 13 MB child of a 413 MB parent reads 413 MB via
# ru_maxrss and 13 MB via VmHWM).
PEAK_RSS = """
def peak_rss_mb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""


SMALL = 100_000


def _worker(ctx: BenchContext, quarter_key: str, size: int) -> dict[str, float]:
    """Generate a whole consortium report in a fresh worker process; its peak memory and time."""
    ctx.log(f"  generating a whole report in a fresh worker process ({size:,} referrals)")
    out = subprocess.run(
        [sys.executable, "-c", WORKER_SCRIPT % {"q": quarter_key, "peak": PEAK_RSS}],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(ctx: BenchContext) -> list[Result]:
    from django.db import connection

    from kernel.calendar import last_completed_quarter
    from members.scoping import consortium_scope
    from reports import figures
    from reports.models import Report
    from reports.registry import FigureContext, Period
    from reports.render import render_pdf

    large = ctx.scale_or(1_000_000)
    quarter = last_completed_quarter()
    # Memory first at 100,000 referrals, then at the full size, so "about the same at 100,000
    # and 1,000,000" is shown in one run (the database only grows: on a database that already
    # holds more, both measurements are at its size, and the output says so).
    small_size = ctx.ensure_referrals(min(SMALL, large))
    worker_small = _worker(ctx, quarter.key, small_size)
    size = ctx.ensure_referrals(large)
    periods = [Period.of(q) for q in quarter.last(5)]
    fctx = FigureContext(member_id=None, periods=periods)
    ctx.log(f"  {size:,} referrals; quarter {quarter.label}")
    bounds = [p.bounds for p in periods]
    params = {
        "b": list(range(len(periods))),
        "s": [b[0] for b in bounds],
        "e": [b[1] for b in bounds],
        "ds": [p.start for p in periods],
        "de": [p.end for p in periods],
        "cs": bounds[-1][0],
        "ce": bounds[-1][1],
    }

    def orm() -> None:
        for fn in (
            figures.referral_funnel,
            figures.time_to_accept,
            figures.sla_compliance,
            figures.outcomes,
            figures.balance,
        ):
            fn(fctx)

    def hand() -> None:
        with connection.cursor() as cursor:
            for sql in (
                HAND_SQL,
                HAND_SQL_ACCEPT,
                HAND_SQL_SLA,
                HAND_SQL_OUTCOMES,
                HAND_SQL_BALANCE,
            ):
                cursor.execute(sql, params)
                cursor.fetchall()

    with consortium_scope(reason="bench: report figures"):
        orm_s = median_seconds(orm, repeat=3)
        hand_s = median_seconds(hand, repeat=3)

    worker = _worker(ctx, quarter.key, size)

    with consortium_scope(reason="bench: pdf render"):
        report = Report.objects.get(pk=worker["id"])
        pdf_s = median_seconds(lambda: render_pdf(report), repeat=3)

    return [
        Result(
            name=f"consortium quarter figures with trend, {size:,} referrals",
            value=orm_s,
            unit="s",
            baseline=hand_s,
            baseline_label="hand-written SQL of the same aggregates",
            higher_is_better=False,
            target_ratio=1.5,
        ),
        Result(
            name=f"worker peak memory, whole consortium report, {size:,} referrals",
            value=worker["max_rss_mb"],
            unit="MB",
            higher_is_better=False,
            target_value=250,
            note=f"whole generation took {worker['seconds']:.1f} s",
        ),
        Result(
            name=f"worker peak memory at {size:,} against at {small_size:,} referrals",
            value=worker["max_rss_mb"],
            unit="MB",
            baseline=worker_small["max_rss_mb"],
            baseline_label=f"the same report generated at {small_size:,} referrals",
            higher_is_better=False,
            # "About the same": within a tenth.
            target_ratio=1.1,
            note=f"generation took {worker_small['seconds']:.1f} s at {small_size:,}",
        ),
        Result(
            name="board-pack PDF render",
            value=pdf_s,
            unit="s",
            higher_is_better=False,
            target_value=5,
        ),
    ]
