"""Notices to residents through the outbox: by text or by email as the contact method chooses,
a refused number recorded and not retried (the email goes instead), Notify's 5xx retried, and an
outage that delays a text and never loses it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from members.scoping import member_scope
from notifications import tasks
from notifications.services import resident_notify
from outbox.models import OutboxMessage, ProcessedMessage
from outbox.services import outbox_relay
from tests.notifications.conftest import (
    LANDLINE,
    MOBILE,
    resident_of,
    resident_referral,
    texts_in,
)
from tests.notifications.fake_notify import FakeNotify

pytestmark = pytest.mark.django_db
MESSAGE = "00000000-0000-4000-8000-00000000000a"


def received(referral: Any, message_id: str = MESSAGE) -> Any:
    """What the outbox hands the consumer for the application's "received" notice."""
    return tasks.send_resident_notice.apply(
        kwargs={
            "member_id": referral.member_id,
            "kind": "application_received",
            "ids": {"application_id": referral.application_id},
            "outbox_message_id": message_id,
        }
    )


def test_a_resident_who_chose_texts_gets_a_text_and_no_email(member_a: Any, sms_dir: Path) -> None:
    referral = resident_referral(member_a, contact_method="text")
    assert received(referral).get() == "text"
    [text] = texts_in(sms_dir)
    assert f"To: {MOBILE}" in text and referral.reference in text
    assert "/apply/status/" in text
    assert mail.outbox == []
    # Ids only in the outbox, and the text holds the reference, never the resident's name.
    assert resident_of(referral).full_name not in text


def test_a_resident_who_chose_email_gets_the_email_and_no_text(
    member_a: Any, sms_dir: Path
) -> None:
    referral = resident_referral(member_a, contact_method="email")
    assert received(referral).get() == "email"
    assert texts_in(sms_dir) == []
    assert mail.outbox[0].to == ["amina@example.org"]


def test_the_same_message_twice_sends_one_text(member_a: Any, sms_dir: Path) -> None:
    referral = resident_referral(member_a)
    received(referral)
    assert received(referral).get() is None  # claimed already: nothing done
    assert len(texts_in(sms_dir)) == 1


def test_a_text_goes_through_notify_in_the_residents_language(
    member_a: Any, notify: FakeNotify
) -> None:
    referral = resident_referral(member_a, language="so")
    assert received(referral).get() == "text"
    [request] = notify.received
    assert request["phone_number"] == MOBILE
    assert request["reference"] == f"application_received:{MESSAGE}"
    body = request["personalisation"]["body"]
    assert body.startswith(f"Codsiga {referral.reference} waa la helay.")
    assert notify.token_errors == []


def test_a_refused_number_is_recorded_not_retried_and_the_email_goes_instead(
    member_a: Any, notify: FakeNotify
) -> None:
    referral = resident_referral(member_a, phone=LANDLINE)
    assert received(referral).get() == "email"
    assert len(notify.received) == 1  # not retried
    assert mail.outbox[0].to == ["amina@example.org"]
    assert referral.reference in mail.outbox[0].subject
    resident = resident_of(referral)
    assert resident.sms_failed_at is not None
    assert resident.sms_failure_reason == "not_a_mobile"
    assert resident.sms_failed_phone == LANDLINE
    # The message is done: the relay will not send it again.
    assert ProcessedMessage.objects.filter(message_id=MESSAGE).exists()


def test_a_refused_number_with_no_address_is_recorded_and_the_caseworker_calls(
    member_a: Any, notify: FakeNotify
) -> None:
    referral = resident_referral(member_a, phone=LANDLINE, email="")
    assert received(referral).get() == ""
    assert mail.outbox == []
    assert resident_of(referral).sms_failed_at is not None


def test_once_a_number_is_refused_notices_go_by_email_until_it_changes(
    member_a: Any, notify: FakeNotify
) -> None:
    referral = resident_referral(member_a, phone=LANDLINE)
    received(referral)
    assert received(referral, "00000000-0000-4000-8000-00000000000b").get() == "email"
    assert len(notify.received) == 1  # the known-bad number was not tried again


def test_notify_5xx_is_retried_and_the_text_goes_once(member_a: Any, notify: FakeNotify) -> None:
    referral = resident_referral(member_a)
    notify.fail_next(500, 503)
    result = received(referral)
    assert result.get() == "text"
    assert len(notify.received) == 3  # two failures, then Notify took it
    assert mail.outbox == []
    assert resident_of(referral).sms_failed_at is None


def test_a_later_text_that_goes_through_clears_the_failure(
    member_a: Any, notify: FakeNotify
) -> None:
    referral = resident_referral(member_a, phone=LANDLINE)
    received(referral)
    with member_scope(member_a.pk):
        resident = resident_of(referral)
        # Say a caseworker found the landline works after all: Notify accepts it this time.
        from notifications.registry import SmsRecipient
        from referrals.services import resident_sms_result_record

        resident_sms_result_record(
            recipient=SmsRecipient(phone=LANDLINE, resident_id=resident.pk, member_id=member_a.pk),
            failure=None,
        )
    resident = resident_of(referral)
    assert resident.sms_failed_at is None and resident.sms_failure_reason == ""


@pytest.fixture
def in_process_celery() -> Any:
    """Celery as in the demo's embedded mode: the relay runs the consumer right there."""
    from consortium.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


def test_a_notify_outage_delays_the_text_and_the_outbox_sends_it_when_notify_returns(
    member_a: Any, notify: FakeNotify, in_process_celery: None
) -> None:
    referral = resident_referral(member_a)
    with transaction.atomic():
        message = resident_notify(
            kind="application_received",
            member_id=member_a.pk,
            ids={"application_id": referral.application_id},
            dedupe_key=f"application_received:{referral.application_id}",
        )
    notify.fail_next(*[500] * 6)  # longer than the task's own five retries
    assert outbox_relay(message_ids=[message.pk]).failed == 1
    message.refresh_from_db()
    assert message.consumed_at is None and message.attempts == 1  # kept, not lost
    assert not ProcessedMessage.objects.filter(message_id=message.pk).exists()
    assert len(notify.received) == 6
    # Notify is back; the relay's next try (its wait is over) sends it, once.
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
    assert outbox_relay(message_ids=[message.pk]).sent == 1
    message.refresh_from_db()
    assert message.consumed_at is not None
    assert len(notify.received) == 7
    assert notify.received[-1]["personalisation"]["body"].startswith(
        f"Application {referral.reference} received."
    )
    # A late duplicate of the message does nothing.
    OutboxMessage.objects.filter(pk=message.pk).update(
        consumed_at=None, available_at=timezone.now() - timedelta(seconds=1)
    )
    outbox_relay(message_ids=[message.pk])
    assert len(notify.received) == 7


def test_a_status_change_made_by_the_provider_is_texted_from_the_landlords_scope(
    member_a: Any, sms_dir: Path
) -> None:
    referral = resident_referral(member_a, language="ar")
    # What _notify_resident queues; the consumer runs it in the landlord's scope.
    result = tasks.send_resident_notice.apply(
        kwargs={
            "member_id": member_a.pk,
            "kind": "referral_status",
            "ids": {"referral_id": referral.pk, "status": "closed"},
            "outbox_message_id": MESSAGE,
        }
    )
    assert result.get() == "text"
    [text] = texts_in(sms_dir)
    assert f"اكتمل طلبك {referral.reference}" in text
