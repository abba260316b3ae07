"""A real Celery worker killed with SIGKILL in the middle of a report; a new worker finishes it
and exactly one published report (one snapshot, one set of files) results."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from consortium.db import connection_url
from members.scoping import consortium_scope
from reports.models import Report, ReportFile, ReportStatus
from tests.reports.conftest import Q1

ROOT = Path(__file__).resolve().parents[2]


def _worker(started_file: Path, sleep: float, log: Path) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        # The test database, as the application role (row-level security applies).
        "DATABASE_URL": connection_url(db, user=str(settings.DATABASE_APP_ROLE)),
        "KILL_TEST_STARTED_FILE": str(started_file),
        "KILL_TEST_SLEEP": str(sleep),
    }
    env.pop("DATABASE_OWNER_URL", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.reports.celery_kill_app",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _wait(predicate, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _published() -> list[Report]:
    with consortium_scope(reason="test"):
        return list(Report.objects.filter(member__isnull=True, period_start=Q1.start))


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_report_is_retried_and_one_report_results(member_a, tmp_path) -> None:
    if not settings.REDIS_URL:
        pytest.fail("This test needs REDIS_URL (a real broker) to run a real worker.")
    from consortium.celery import app
    from reports.tasks import generate_quarterly

    app.control.purge()
    started = tmp_path / "started"
    first = _worker(started, sleep=600, log=tmp_path / "worker1.log")
    try:
        generate_quarterly.apply_async(kwargs={"quarter": Q1.key, "member_id": None})
        _wait(started.exists, 180, "the first worker to start the report")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    assert _published() == [], "a killed worker must leave no half-written report"

    started.unlink()
    second = _worker(started, sleep=0, log=tmp_path / "worker2.log")
    try:
        _wait(
            lambda: any(r.status == ReportStatus.PUBLISHED for r in _published()),
            240,
            "the redelivered task to finish",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
    reports = _published()
    assert len(reports) == 1
    with consortium_scope(reason="test"):
        assert ReportFile.objects.filter(report=reports[0]).count() == 3
