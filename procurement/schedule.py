from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Daily; safe to run twice (one RenewalReminder row per contract, threshold and end date).
    "procurement-renewal-reminders": {
        "task": "procurement.renewal_reminders",
        "schedule": crontab(minute=40, hour=6),
    },
}
