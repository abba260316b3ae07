"""Two beat processes started by mistake, both sending the quarter-end task every second to a
worker with two pool processes (so two copies can run at the same time), and both sending
the consortium report's generation directly as well: still exactly one published report per
scope and quarter, with one set of files each.

What holds it: the outbox dedupe key (one generation message per scope, quarter and day), the
advisory lock and unique constraint in reports/services.py, and the published report being
returned as it is on a second run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from kernel.calendar import Quarter
from members.scoping import consortium_scope
from outbox.models import OutboxMessage
from outbox.task_names import TASK_RELAY
from reports.models import Report, ReportFile, ReportKind, ReportStatus
from reports.task_names import TASK_GENERATE_QUARTERLY, TASK_QUARTER_END
from reports.tasks import first_working_day_after
from tests.faults.conftest import log_tail, start_beat, start_worker, stop, wait_until
from tests.fixtures_services import private_redis

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

QUARTER = Quarter(2026, 1)
BEATS_RUN_FOR = 8  # seconds: eight rounds from each beat, with the two running together


def _reports() -> list[tuple[int | None, str, int]]:
    with consortium_scope(reason="fault test"):
        return [
            (report.member_id, report.status, ReportFile.objects.filter(report=report).count())
            for report in Report.objects.filter(
                kind=ReportKind.QUARTERLY, period_start=QUARTER.start, period_end=QUARTER.end
            ).order_by("member_id")
        ]


def test_two_beat_processes_still_make_one_report_per_scope_and_quarter(
    members: list[Any], needs_redis_server: None, tmp_path: Path
) -> None:
    today = first_working_day_after(QUARTER).isoformat()
    schedule = json.dumps(
        [
            ["quarter-end", TASK_QUARTER_END, 1, {"today": today}],
            ["relay", TASK_RELAY, 1, {}],
            ["consortium-report", TASK_GENERATE_QUARTERLY, 1, {"quarter": QUARTER.key}],
        ]
    )
    logs = [tmp_path / "worker.log", tmp_path / "beat1.log", tmp_path / "beat2.log"]
    scopes = {None, *(m.pk for m in members)}
    with private_redis() as broker:
        worker = start_worker(broker.url, logs[0], pool="prefork", concurrency=2)
        beats = [
            start_beat(broker.url, log, tmp_path / f"{log.stem}-schedule", FAULT_FAST_BEAT=schedule)
            for log in logs[1:]
        ]
        try:
            # Let both beats run together for a while (all processes staying up), then stop
            # them and let the work finish.
            for log in logs[1:]:
                wait_until(
                    lambda log=log: "Sending due task" in log.read_text(errors="replace"),
                    timeout=60,
                    what=f"{log.stem} to start sending",
                )
            deadline = time.monotonic() + BEATS_RUN_FOR
            while time.monotonic() < deadline:
                for process in [worker, *beats]:
                    assert process.poll() is None, log_tail(*logs)
                time.sleep(0.5)
            for beat in beats:
                stop(beat)
            wait_until(
                lambda: (
                    {m for m, status, files in _reports() if (status, files) == ("published", 3)}
                    == scopes
                ),
                timeout=90,
                what="every scope's report to be published",
            )
            redis_client = broker.client()
            wait_until(
                lambda: redis_client.llen("celery") == 0 and redis_client.hlen("unacked") == 0,
                timeout=60,
                what="the worker to drain the queue",
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log_tail(*logs)}") from None
        finally:
            for process in [*beats, worker]:
                stop(process)

    for log in logs[1:]:
        sends = log.read_text(errors="replace").count("Sending due task quarter-end")
        assert sends >= BEATS_RUN_FOR // 2, f"{log.stem} must really have been sending"
    worker_log = logs[0].read_text(errors="replace")
    # The duplicates really ran (and succeeded, doing nothing): not just one of them.
    assert worker_log.count("reports.quarter_end[") >= BEATS_RUN_FOR, log_tail(logs[0])
    assert worker_log.count("reports.generate_quarterly[") >= BEATS_RUN_FOR, log_tail(logs[0])
    assert "raised unexpected" not in worker_log, log_tail(logs[0], lines=80)
    reports = _reports()
    assert len(reports) == len(scopes), reports
    assert {m: (status, files) for m, status, files in reports} == dict.fromkeys(
        scopes, (ReportStatus.PUBLISHED, 3)
    )
    with consortium_scope(reason="fault test"):
        generation_messages = OutboxMessage.objects.filter(
            task_name=TASK_GENERATE_QUARTERLY
        ).count()
    assert generation_messages == len(scopes)
