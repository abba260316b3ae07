"""Thin Celery entry points for procurement."""

from __future__ import annotations

from django.utils import timezone

from members.task_scope import consortium_task
from procurement import emails  # noqa: F401  (registers the email kinds in the worker)
from procurement.services import contracts_expire, renewal_reminders_send


@consortium_task("procurement.renewal_reminders")
def renewal_reminders() -> int:
    today = timezone.localdate()
    contracts_expire(today=today)
    return renewal_reminders_send(today=today)
