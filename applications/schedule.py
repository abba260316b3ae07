"""Periodic work of the resident journey, merged into the beat schedule by consortium/celery.py."""

from __future__ import annotations

from celery.schedules import crontab

from applications.task_names import TASK_PURGE_STATUS_CODES

BEAT_SCHEDULE: dict[str, dict] = {
    # Once a night: expired status-check codes are useless and need not be kept.
    "applications-purge-status-codes": {
        "task": TASK_PURGE_STATUS_CODES,
        "schedule": crontab(minute=20, hour=3),
    },
}
