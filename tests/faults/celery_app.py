"""The Celery app for fault tests only: the portal's own app, with two test-only knobs read
from the environment of the worker the test starts (never set in the portal's own processes):

* FAULT_VISIBILITY_TIMEOUT: a short Redis visibility timeout, so a message left unacknowledged
  by a killed worker is handed out again within seconds instead of the production hour;
* FAULT_ROUTE_SLEEP + FAULT_ROUTE_STARTED_FILE: the first routing sleeps inside the task's
  transaction (the referral row locked, the RoutingDecision written but not committed), having
  written the marker file with its process id, so a test can kill the worker while routing is
  half done;
* FAULT_FAST_BEAT: a beat schedule of the tests' own (see `fast_schedule`).

The hook wraps `referrals.routing.route` in the worker process only (the portal's code is not
changed); see tests/reports/celery_kill_app.py for the same idea applied to reports.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from celery.signals import task_prerun

from consortium.celery import app

if os.environ.get("FAULT_VISIBILITY_TIMEOUT"):
    app.conf.broker_transport_options = {
        **(app.conf.broker_transport_options or {}),
        "visibility_timeout": int(os.environ["FAULT_VISIBILITY_TIMEOUT"]),
        # kombu sweeps for expired unacknowledged messages every interval x throttle seconds
        # (10 x 10 by default): sweep every second so the redelivery is seen within seconds.
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }

if os.environ.get("FAULT_FAST_BEAT"):
    # A JSON list of [name, task, seconds, kwargs]; replaces the portal's schedule entirely.
    app.conf.beat_schedule = {
        name: {"task": task, "schedule": float(seconds), "kwargs": kwargs}
        for name, task, seconds, kwargs in json.loads(os.environ["FAULT_FAST_BEAT"])
    }


def _install_slow_routing(**_: Any) -> None:
    sleep = float(os.environ.get("FAULT_ROUTE_SLEEP", "0"))
    marker = os.environ.get("FAULT_ROUTE_STARTED_FILE")
    if not marker:
        return
    import referrals.services

    manager = referrals.services.RoutingDecision.objects
    if getattr(manager, "_fault_slow", False):
        return
    manager._fault_slow = True
    original = referrals.services.RoutingDecision.objects.create

    def slow_create(*args: Any, **kwargs: Any) -> Any:
        # Inside referral_route's transaction: the referral row is locked, the ProcessedMessage
        # claim is uncommitted, and the decision is being written. Only the first routing sleeps
        # (the marker file records it, with this process's id for the test to kill), so the
        # redelivered task runs at full speed.
        decision = original(*args, **kwargs)
        if marker and not Path(marker).exists():
            Path(marker).write_text(str(os.getpid()))
            time.sleep(sleep)
        return decision

    manager.create = slow_create


# Installed lazily in the process that runs the task (the solo worker, or a prefork child),
# once Django is set up.
task_prerun.connect(_install_slow_routing, weak=False)

__all__ = ["app"]
