"""Learning's task names, declared once: tasks.py registers them, the services queue them
through the outbox, schedule.py runs them on beat. Nothing is imported here (see
referrals/task_names.py for why)."""

TASK_PROMOTE_WAITING_LIST = "learning.promote_waiting_list"
TASK_EXPIRE_OFFERS = "learning.expire_offers"
