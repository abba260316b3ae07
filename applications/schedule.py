"""Periodic work of the resident journey, merged into the beat schedule by consortium/celery.py."""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    # Once a night: expired status-check codes are useless and need not be kept.
    "applications-purge-status-codes": {
        "task": "applications.purge_status_codes",
        "schedule": crontab(minute=20, hour=3),
    },
}
