from __future__ import annotations

import contextlib
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from notifications.registry import builder_for
from notifications.task_names import TASK_SEND_EMAIL, TASK_SEND_EMAIL_CONSORTIUM
from outbox.models import OutboxMessage
from outbox.services import outbox_enqueue

logger = logging.getLogger(__name__)


def email_enqueue(
    *,
    kind: str,
    member_id: int | None,
    ids: dict[str, int | str],
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """Queue an email in the current transaction. `ids` are what the builder needs (ids only:
    the outbox never holds personal data). With `member_id` the email is built inside that
    member's scope; without it, inside an audited consortium scope."""
    builder_for(kind)  # fail now, in the request, if the kind does not exist
    return outbox_enqueue(
        task_name=TASK_SEND_EMAIL if member_id else TASK_SEND_EMAIL_CONSORTIUM,
        kwargs={"kind": kind, "ids": ids},
        member_id=member_id,
        dedupe_key=dedupe_key,
    )


def email_send(*, kind: str, ids: dict[str, Any]) -> int:
    """Build, render in each recipient's language and send. Returns the number of messages."""
    content = builder_for(kind)(**ids)
    sent = 0
    for recipient in content.recipients:
        if not recipient.email:
            continue
        language = recipient.language or settings.LANGUAGE_CODE
        with translation.override(language):
            context = {**content.context, "recipient": recipient, "SITE_URL": settings.SITE_URL}
            subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
            body = render_to_string(f"emails/{kind}.txt", context)
            message = EmailMultiAlternatives(
                subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
                body=body,
                to=[recipient.email],
            )
            # The HTML part is optional: plain text is what every mail client shows well.
            with contextlib.suppress(TemplateDoesNotExist):
                message.attach_alternative(
                    render_to_string(f"emails/{kind}.html", context), "text/html"
                )
            message.send()
            sent += 1
    logger.info("sent %s email(s) of kind %s", sent, kind)
    return sent
