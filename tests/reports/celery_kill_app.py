"""The Celery app for the worker-kill test only: the project's app with a short visibility
timeout (so the killed worker's unacknowledged message is handed out again within seconds, not
the production hour) and a hook that makes report generation slow until a marker file exists."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from celery.signals import task_prerun

from consortium.celery import app

app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "visibility_timeout": int(os.environ.get("KILL_TEST_VISIBILITY_TIMEOUT", "3")),
}


@task_prerun.connect
def _install_slow_hook(**kwargs: Any) -> None:
    import reports.services

    started = Path(os.environ["KILL_TEST_STARTED_FILE"])
    sleep = float(os.environ.get("KILL_TEST_SLEEP", "0"))

    def slow(report: Any) -> None:
        started.write_text(str(report.pk))
        time.sleep(sleep)

    reports.services.after_snapshot_hook = slow


__all__ = ["app"]
