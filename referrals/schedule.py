"""Periodic referral work, merged into the beat schedule by consortium/celery.py. Both tasks are
idempotent (flags on the rows, dedupe keys on the emails), so a second beat costs nothing."""

from __future__ import annotations

from celery.schedules import crontab

from referrals.task_names import TASK_ROUTING_SWEEP, TASK_SLA_SWEEP, TASK_SUSTAINMENT_SWEEP

BEAT_SCHEDULE: dict[str, dict] = {
    # Every two minutes: a referral whose routing message was lost is routed within
    # ROUTING_SWEEP_AFTER_SECONDS plus two minutes (referral_routing_sweep).
    "referrals-routing-sweep": {"task": TASK_ROUTING_SWEEP, "schedule": 120.0},
    # Every 15 minutes: an overdue referral is flagged within a quarter of an hour of its deadline.
    "referrals-sla-sweep": {"task": TASK_SLA_SWEEP, "schedule": crontab(minute="*/15")},
    # Once a day, early: the 13- and 26-week job checks that fall due.
    "referrals-sustainment-sweep": {
        "task": TASK_SUSTAINMENT_SWEEP,
        "schedule": crontab(minute=40, hour=6),
    },
}
