from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Offers from the waiting list expire after OFFER_VALID_DAYS; hourly is precise enough.
    "learning-expire-offers": {"task": "learning.expire_offers", "schedule": crontab(minute=25)},
}
