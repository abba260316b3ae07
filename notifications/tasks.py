from __future__ import annotations

from typing import Any

from members.task_scope import consortium_task, member_task
from notifications.services import email_send, resident_notice_send
from notifications.sms import SmsTemporaryFailure
from notifications.task_names import (
    TASK_SEND_EMAIL,
    TASK_SEND_EMAIL_CONSORTIUM,
    TASK_SEND_RESIDENT_NOTICE,
)


@member_task(TASK_SEND_EMAIL, autoretry_for=(OSError,), retry_backoff=True)
def send_email(*, member_id: int, kind: str, ids: dict[str, Any]) -> int:
    return email_send(kind=kind, ids=ids)


@consortium_task(TASK_SEND_EMAIL_CONSORTIUM, autoretry_for=(OSError,), retry_backoff=True)
def send_email_consortium(*, kind: str, ids: dict[str, Any]) -> int:
    return email_send(kind=kind, ids=ids)


# Retried only when trying again can help (the network, Notify's 5xx and 429, a mail server):
# five times, 2 s doubling to 10 minutes apart. A refused number is not retried (the notice goes
# by email instead). Notify refusing the portal's own set-up fails the task, and the outbox
# sends the message again, each time waiting twice as long, until the set-up is fixed: delayed,
# never lost.
@member_task(
    TASK_SEND_RESIDENT_NOTICE,
    autoretry_for=(SmsTemporaryFailure, OSError),
    retry_backoff=2,
    retry_backoff_max=600,
    max_retries=5,
)
def send_resident_notice(
    *, member_id: int, kind: str, ids: dict[str, Any], outbox_message_id: str | None = None
) -> str:
    return resident_notice_send(kind=kind, ids=ids, message_id=outbox_message_id)
