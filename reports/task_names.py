"""The reports' task names, declared once: tasks.py registers them, the views and the daily
runs queue them through the outbox, schedule.py runs them on beat. Nothing is imported here (see
referrals/task_names.py for why)."""

TASK_GENERATE_QUARTERLY = "reports.generate_quarterly"
TASK_QUARTER_END = "reports.quarter_end"
TASK_CATCH_UP = "reports.catch_up"
TASK_GENERATE_ON_DEMAND = "reports.generate_on_demand"
TASK_CORRECT_PUBLISHED = "reports.correct_published"
