"""Beat entries for reports (merged by consortium/celery.py)."""

from celery.schedules import crontab

from reports.task_names import TASK_CATCH_UP, TASK_QUARTER_END

BEAT_SCHEDULE = {
    # Daily at 06:10 London: does nothing except on the first working day after a quarter ends,
    # when it queues the consortium report and one per member.
    "reports-quarter-end": {"task": TASK_QUARTER_END, "schedule": crontab(minute=10, hour=6)},
    # Daily at 06:40: anything still missing for recent quarters is queued again.
    "reports-catch-up": {"task": TASK_CATCH_UP, "schedule": crontab(minute=40, hour=6)},
}
