from celery.schedules import crontab

from learning.task_names import TASK_EXPIRE_OFFERS

BEAT_SCHEDULE = {
    # Offers from the waiting list expire after OFFER_VALID_DAYS; hourly is precise enough.
    "learning-expire-offers": {"task": TASK_EXPIRE_OFFERS, "schedule": crontab(minute=25)},
}
