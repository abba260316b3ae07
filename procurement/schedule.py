from celery.schedules import crontab

from procurement.task_names import TASK_RENEWAL_REMINDERS

BEAT_SCHEDULE = {
    # Daily; safe to run twice (one RenewalReminder row per contract, threshold and end date).
    "procurement-renewal-reminders": {
        "task": TASK_RENEWAL_REMINDERS,
        "schedule": crontab(minute=40, hour=6),
    },
}
