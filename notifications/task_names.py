"""The email tasks' names, declared once: tasks.py registers them, email_enqueue queues them
through the outbox. Nothing is imported here (see referrals/task_names.py for why)."""

TASK_SEND_EMAIL = "notifications.send_email"
TASK_SEND_EMAIL_CONSORTIUM = "notifications.send_email_consortium"
