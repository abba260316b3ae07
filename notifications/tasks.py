from __future__ import annotations

from typing import Any

from members.task_scope import consortium_task, member_task
from notifications.services import email_send
from notifications.task_names import TASK_SEND_EMAIL, TASK_SEND_EMAIL_CONSORTIUM


@member_task(TASK_SEND_EMAIL, autoretry_for=(OSError,), retry_backoff=True)
def send_email(*, member_id: int, kind: str, ids: dict[str, Any]) -> int:
    return email_send(kind=kind, ids=ids)


@consortium_task(TASK_SEND_EMAIL_CONSORTIUM, autoretry_for=(OSError,), retry_backoff=True)
def send_email_consortium(*, kind: str, ids: dict[str, Any]) -> int:
    return email_send(kind=kind, ids=ids)
