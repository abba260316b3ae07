from __future__ import annotations

import contextlib
import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from notifications.registry import (
    Channel,
    Reach,
    SmsRecipient,
    builder_for,
    sms_builder_for,
    sms_result_tell,
)
from notifications.sms import (
    SmsError,
    SmsPermanentFailure,
    sms_backend,
    text_length,
)
from notifications.task_names import (
    TASK_SEND_EMAIL,
    TASK_SEND_EMAIL_CONSORTIUM,
    TASK_SEND_RESIDENT_NOTICE,
)
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
        context = {**content.context, "recipient": recipient}
        _email_message(kind=kind, context=context, to=recipient.email, language=language).send()
        sent += 1
    logger.info("sent %s email(s) of kind %s", sent, kind)
    return sent


def _email_message(
    *, kind: str, context: dict[str, Any], to: str, language: str
) -> EmailMultiAlternatives:
    """templates/emails/<kind>_subject.txt, <kind>.txt (and <kind>.html) in `language`."""
    with translation.override(language):
        context = {**context, "SITE_URL": settings.SITE_URL}
        subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
        body = render_to_string(f"emails/{kind}.txt", context)
        message = EmailMultiAlternatives(
            subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body=body, to=[to]
        )
        # The HTML part is optional: plain text is what every mail client shows well.
        with contextlib.suppress(TemplateDoesNotExist):
            message.attach_alternative(
                render_to_string(f"emails/{kind}.html", context), "text/html"
            )
    return message


# --- notices to residents: by email or by text -------------------------------------------------


def resident_notify(
    *,
    kind: str,
    member_id: int,
    ids: dict[str, int | str],
    dedupe_key: str,
) -> OutboxMessage:
    """Queue a notice to a resident in the current transaction: an email or a text, whichever
    the resident's contact method chooses (referrals/channels.py). Ids only, like
    email_enqueue; `member_id` is the resident's landlord, who holds their record.

    One message, and the channel is chosen when it is sent, in the landlord's scope: a status
    change is often made by the provider, whose scope cannot read the resident's record, and
    one message (not an email and a text each deciding for itself) is what lets a refused text
    turn into exactly one email. `kind` has a text builder (@sms_kind, templates/sms/) and an
    email builder (@email_kind, templates/emails/). The dedupe key is the one the email had
    before texts existed, so a notice queued then is not sent twice."""
    sms_builder_for(kind)  # fail now, in the request, if the kind does not exist
    builder_for(kind)
    return outbox_enqueue(
        task_name=TASK_SEND_RESIDENT_NOTICE,
        kwargs={"kind": kind, "ids": ids},
        member_id=member_id,
        dedupe_key=dedupe_key,
    )


def sms_render(*, kind: str, context: dict[str, Any], language: str) -> str:
    """templates/sms/<kind>.txt in `language`, on one line (a line break costs a character and
    reads no better on a phone)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        body = render_to_string(f"sms/{kind}.txt", {**context, "SITE_URL": settings.SITE_URL})
    return " ".join(body.split())


def _sms_deliver(*, recipient: SmsRecipient, body: str, reference: str) -> None:
    """Send one text and tell the resident's record how it went. A refused number is recorded
    (then SmsPermanentFailure is raised); any other failure is raised as it is."""
    try:
        provider_id = sms_backend().send(phone=recipient.phone, body=body, reference=reference)
    except SmsPermanentFailure as exc:
        logger.warning(
            "text %s refused for resident %s: %s", reference, recipient.resident_id, exc.reason
        )
        sms_result_tell(recipient=recipient, failure=exc.reason)
        raise
    length = text_length(body)
    logger.info(
        "text %s sent (%s, %s fragment(s), provider id %s)",
        reference,
        length.encoding,
        length.fragments,
        provider_id,
    )
    sms_result_tell(recipient=recipient, failure=None)


def _recipient(reach: Reach) -> SmsRecipient:
    return SmsRecipient(
        phone=reach.phone,
        language=reach.language,
        resident_id=reach.resident_id,
        member_id=reach.member_id,
    )


def resident_notice_send(*, kind: str, ids: dict[str, Any], message_id: str | None = None) -> str:
    """The consumer of resident_notify: send the notice by the channel chosen now. Returns
    "text", "email" or "" (nobody to tell: the resident has neither, or chose a phone call and
    has no address nor mobile).

    A temporary failure of the text is raised: the task retries it, and the outbox sends the
    message again when the retries run out, so an outage delays a text and never loses it. A
    refused number is not retried: it is recorded on the resident (the caseworker is told to
    call) and the notice goes by email instead when there is an address. The text's reference
    at Notify is the outbox message's id: nothing personal, the same on every resend."""
    content = sms_builder_for(kind)(**ids)
    reach = content.reach
    if reach is None or not reach.channels:
        logger.info("%s: no channel for this resident", kind)
        return ""
    if Channel.TEXT in reach.channels and reach.phone:
        body = sms_render(kind=kind, context=content.context, language=reach.language)
        try:
            _sms_deliver(
                recipient=_recipient(reach),
                body=body,
                reference=f"{kind}:{message_id or uuid.uuid4()}",
            )
        except SmsPermanentFailure:
            if not reach.email:
                return ""
        else:
            return "text"
    if not reach.email:
        return ""
    return "email" if email_send(kind=kind, ids=ids) else ""


def resident_notice_send_now(*, kind: str, reach: Reach, context: dict[str, Any]) -> bool:
    """Send a notice at once, not through the outbox (the status-check code: the outbox would
    have to store the code, and it is worthless after 15 minutes): by text when `reach` says
    so, and by email when it says so or when the text fails and there is an address. Returns
    whether one went; never raises for a failed send (the caller must not reveal anything)."""
    if Channel.TEXT in reach.channels and reach.phone:
        body = sms_render(kind=kind, context=context, language=reach.language)
        try:
            _sms_deliver(recipient=_recipient(reach), body=body, reference=f"{kind}:{uuid.uuid4()}")
        except SmsError as exc:
            logger.warning("%s text failed (%s); trying email", kind, exc.reason)
        else:
            return True
    # Here the channel is email, or the text failed: either way the address is the way left.
    if not reach.email or not reach.channels:
        return False
    message = _email_message(kind=kind, context=context, to=reach.email, language=reach.language)
    try:
        message.send()
    except OSError as exc:
        logger.warning("%s email failed: %s", kind, type(exc).__name__)
        return False
    return True
