"""How fast `load_scale` adds referrals, against a plain COPY of the same rows.

The figure: referrals (and all rows) per second through `devdata.scale.load_scale`, which
must get past row-level security (staging tables, INSERT ... SELECT under a consortium scope),
keep the foreign keys and indexes valid, and generate the data. The baseline: the very rows it
loaded, COPYed into UNLOGGED tables with no index, constraint or policy: the fastest PostgreSQL
can take those bytes on this machine. The ratio says what the safety costs.

Default 100,000 referrals; `--scale 1000000` for the issue's figure (target: under 120 s, that
is at least 8,333 referrals per second). Each run ADDS its referrals to the benchmark database.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.core import BenchContext, Result

TITLE = "Scale data loader (load_scale) vs plain COPY into unlogged tables"
DEFAULT_SCALE = 100_000
TARGET_REFERRALS_PER_SECOND = 1_000_000 / 120


def _max_ids(tables: list[str]) -> dict[str, int]:
    from django.db import connection

    from members.scoping import consortium_scope

    with consortium_scope(reason="benchmark: scale load"), connection.cursor() as cursor:
        found = {}
        for table in tables:
            cursor.execute(f'SELECT COALESCE(max(id), 0) FROM "{table}"')  # noqa: S608 - model table names
            found[table] = cursor.fetchone()[0]
    return found


def _copy_baseline(tables: list[str], after: dict[str, int]) -> tuple[float, int]:
    """COPY the rows with id > after[table] out to files, then time COPYing them into unlogged
    copies of the tables (LIKE: columns only, no index, no constraint, no policy)."""
    with ExitStack() as stack:
        return _copy_through_files(stack, tables, after)


def _copy_through_files(
    stack: ExitStack, tables: list[str], after: dict[str, int]
) -> tuple[float, int]:
    from django.db import connection, transaction

    from members.scoping import consortium_scope

    files = {}
    with consortium_scope(reason="benchmark: scale load baseline"), connection.cursor() as cursor:
        raw = cursor.cursor
        for table in tables:
            handle = stack.enter_context(tempfile.TemporaryFile(mode="w+b"))  # noqa: SIM115
            raw.copy_expert(
                f'COPY (SELECT * FROM "{table}" WHERE id > {int(after[table])}) TO STDOUT',  # noqa: S608 - model table names, int ids
                handle,
            )
            handle.seek(0)
            files[table] = handle
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        for table in tables:
            cursor.execute(f'DROP TABLE IF EXISTS "bench_copy_{table}"')
            cursor.execute(f'CREATE UNLOGGED TABLE "bench_copy_{table}" (LIKE "{table}")')
        started = time.perf_counter()
        for table in tables:
            raw.copy_expert(f'COPY "bench_copy_{table}" FROM STDIN', files[table])
            rows += raw.rowcount
        seconds = time.perf_counter() - started
        for table in tables:
            cursor.execute(f'DROP TABLE "bench_copy_{table}"')
    return seconds, rows


def _backend_cpu_seconds() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (a local server only):
    with other work on the machine, wall time says little, CPU time still does."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(ctx: BenchContext) -> list[Result]:
    from bench.database import as_owner
    from devdata.scale import TARGETS

    # As `manage.py load_scale` does: the owner may rebuild the indexes for a big load.
    with as_owner():
        return _run(ctx, TARGETS)


def _run(ctx: BenchContext, targets: dict[str, Any]) -> list[Result]:
    from devdata.scale import load_scale

    count = ctx.scale_or(DEFAULT_SCALE)
    tables = [model._meta.db_table for model in targets.values()]
    before = _max_ids(tables)
    ctx.log(f"  loading {count:,} referrals ...")
    load_before = os.getloadavg()[0]
    backend_before = _backend_cpu_seconds()
    python_before = resource.getrusage(resource.RUSAGE_SELF)
    result = load_scale(count, analyze=True)
    python_after = resource.getrusage(resource.RUSAGE_SELF)
    backend_after = _backend_cpu_seconds()
    python_cpu = (python_after.ru_utime + python_after.ru_stime) - (
        python_before.ru_utime + python_before.ru_stime
    )
    backend_cpu = (
        backend_after - backend_before
        if backend_before is not None and backend_after is not None
        else None
    )
    ctx.log(
        "  rows: "
        + ", ".join(f"{name} {rows:,}" for name, rows in result.counts.items())
        + f"; indexes rebuilt: {'yes' if result.rebuilt_indexes else 'no'}"
        + (f" ({result.rebuild_seconds:.1f} s)" if result.rebuilt_indexes else "")
    )
    ctx.log(
        f"  CPU: loader process {python_cpu:.1f} s, PostgreSQL backend "
        + (f"{backend_cpu:.1f} s" if backend_cpu is not None else "unknown (not local)")
        + f", load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    copy_seconds, copy_rows = _copy_baseline(tables, before)
    load_rows_per_second = result.rows / result.seconds
    copy_rows_per_second = copy_rows / copy_seconds
    return [
        Result(
            name=f"load_scale {count:,} referrals: wall time",
            value=result.seconds,
            unit="s",
            higher_is_better=False,
            target_value=120 * count / 1_000_000,
            note="target scaled from 1,000,000 referrals in 120 s; index and foreign-key "
            f"rebuild {result.rebuild_seconds:.1f} s; load average {load_before:.1f} before, "
            f"{os.getloadavg()[0]:.1f} after (2 cores)",
        ),
        Result(
            name=f"load_scale {count:,} referrals: CPU time (loader + PostgreSQL backend)",
            value=python_cpu + (backend_cpu or 0.0),
            unit="s",
            higher_is_better=False,
            target_value=120 * count / 1_000_000,
            note="roughly the wall time on an idle 2-core machine: generation overlaps the "
            "database work, parallel index build workers are not counted",
        ),
        Result(
            name="load_scale referrals per second",
            value=count / result.seconds,
            unit="referrals/s",
            target_value=TARGET_REFERRALS_PER_SECOND,
        ),
        Result(
            name="load_scale rows per second (all loaded tables)",
            value=load_rows_per_second,
            unit="rows/s",
            baseline=copy_rows_per_second,
            baseline_label=f"plain COPY of the same {copy_rows:,} rows into unlogged tables "
            f"without indexes, {copy_seconds:.1f} s",
        ),
    ]
