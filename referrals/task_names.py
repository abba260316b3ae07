"""The referral tasks' names, declared once: tasks.py registers them, the services (and the
resident's journey) queue TASK_ROUTE through the outbox, schedule.py runs the sweeps on beat.

Nothing is imported here, so the beat schedule (read while the Celery app is built, before Django
is set up) and the services that tasks.py imports can all name a task without a cycle."""

TASK_ROUTE = "referrals.route"
TASK_ROUTING_SWEEP = "referrals.routing_sweep"
TASK_SLA_SWEEP = "referrals.sla_sweep"
TASK_SUSTAINMENT_SWEEP = "referrals.sustainment_sweep"
