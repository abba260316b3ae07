"""The notification tasks' names, declared once: tasks.py registers them, email_enqueue and
resident_notify queue them through the outbox. Nothing is imported here (see
referrals/task_names.py for why)."""

TASK_SEND_EMAIL = "notifications.send_email"
TASK_SEND_EMAIL_CONSORTIUM = "notifications.send_email_consortium"
TASK_SEND_RESIDENT_NOTICE = "notifications.send_resident_notice"
