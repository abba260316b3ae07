"""The Celery app. Tasks are autodiscovered from each app's tasks.py; the beat schedule is declared
here in code (django-celery-beat is not used: it caps Django below 6.1)."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings")

app = Celery("consortium")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every entry is safe to run twice: two beat processes started by mistake cost a little work,
# never a duplicate side effect (see the idempotency notes on each task).
BEAT_SCHEDULE: dict[str, dict] = {
    # The outbox relay is the safety net behind the after-commit relay: it sends whatever a broker
    # outage or a crash left behind.
    "outbox-relay": {"task": "outbox.relay", "schedule": 10.0},
    # Housekeeping: drop processed-message markers older than the redelivery window.
    "outbox-prune": {"task": "outbox.prune", "schedule": crontab(minute=17, hour=3)},
}
app.conf.beat_schedule = BEAT_SCHEDULE
