"""Thin Celery entry points for procurement."""

from __future__ import annotations

from django.utils import timezone

from members.task_scope import consortium_task
from procurement import emails  # noqa: F401  (registers the email kinds in the worker)
from procurement.services import contracts_expire, renewal_reminders_send
from procurement.task_names import TASK_RENEWAL_REMINDERS


@consortium_task(TASK_RENEWAL_REMINDERS)
def renewal_reminders() -> int:
    today = timezone.localdate()
    contracts_expire(today=today)
    return renewal_reminders_send(today=today)
