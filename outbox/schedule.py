"""The outbox's beat entries, merged into the beat schedule by consortium/celery.py."""

from __future__ import annotations

from celery.schedules import crontab

from outbox.task_names import TASK_PRUNE, TASK_RELAY

BEAT_SCHEDULE: dict[str, dict] = {
    # The outbox relay is the safety net behind the after-commit relay: it sends whatever a broker
    # outage or a crash left behind.
    "outbox-relay": {"task": TASK_RELAY, "schedule": 10.0},
    # Housekeeping: drop processed-message markers older than the redelivery window.
    "outbox-prune": {"task": TASK_PRUNE, "schedule": crontab(minute=17, hour=3)},
}
