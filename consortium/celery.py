"""The Celery app. Tasks are autodiscovered from each app's tasks.py; the beat schedule is declared
in code, in each app's schedule.py, and merged here (django-celery-beat is not used: it caps
Django below 6.1)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings")

app = Celery("consortium")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every entry is safe to run twice: two beat processes started by mistake cost a little work,
# never a duplicate side effect (see the idempotency notes on each task).
SCHEDULED_APPS = ("outbox", "referrals", "procurement", "learning", "reports", "applications")


def _merge_app_schedules() -> dict[str, dict]:
    """Each app declares its periodic tasks in `<app>/schedule.py` as BEAT_SCHEDULE."""
    import importlib

    merged: dict[str, dict] = {}
    for app_name in SCHEDULED_APPS:
        try:
            module = importlib.import_module(f"{app_name}.schedule")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app_name}.schedule":
                raise
            continue
        for key, entry in module.BEAT_SCHEDULE.items():
            if key in merged:
                raise ValueError(f"beat schedule entry {key!r} is declared twice")
            merged[key] = entry
    return merged


app.conf.beat_schedule = _merge_app_schedules()
