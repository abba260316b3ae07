"""Procurement's task names, declared once: tasks.py registers them, schedule.py runs them on
beat. Nothing is imported here (see referrals/task_names.py for why)."""

TASK_RENEWAL_REMINDERS = "procurement.renewal_reminders"
