"""The one rule that picks a resident's channel (referrals/channels.py), and the status-check
code going by it: by text to the number the record holds, by email otherwise."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from applications.services import status_code_issue, status_code_verify
from members.scoping import member_scope
from referrals.channels import application_reach, channels_for, status_code_reach
from referrals.models import Application, ContactMethod
from tests.notifications.conftest import (
    LANDLINE,
    MOBILE,
    resident_of,
    resident_referral,
    texts_in,
)
from tests.notifications.fake_notify import FakeNotify

EMAIL, TEXT = "email", "text"


@pytest.mark.parametrize(
    ("method", "email", "phone", "fails", "expected"),
    [
        ("text", "a@example.org", MOBILE, False, (TEXT,)),
        ("text", "a@example.org", MOBILE, True, (EMAIL,)),
        ("text", "a@example.org", "", False, (EMAIL,)),
        ("text", "", MOBILE, True, ()),
        ("email", "a@example.org", MOBILE, False, (EMAIL,)),
        ("email", "", MOBILE, False, (TEXT,)),
        ("phone", "a@example.org", MOBILE, False, (EMAIL,)),
        ("phone", "", MOBILE, False, (TEXT,)),
        ("phone", "", LANDLINE, False, ()),  # a landline takes no text: the caseworker calls
        ("phone", "", "", False, ()),
        ("post", "a@example.org", MOBILE, False, (EMAIL,)),
        ("post", "", MOBILE, False, ()),  # letters only: the printable reference, no text
    ],
)
def test_the_contact_method_chooses_the_channel(
    method: str, email: str, phone: str, fails: bool, expected: tuple[str, ...]
) -> None:
    got = channels_for(contact_method=method, email=email, phone=phone, texts_fail=fails)
    assert got == expected


def test_every_contact_method_is_covered() -> None:
    for method in ContactMethod.values:
        assert channels_for(
            contact_method=method, email="a@example.org", phone=MOBILE, texts_fail=False
        )


@pytest.mark.django_db
def test_an_application_is_reached_as_it_was_submitted(member_a: Any) -> None:
    """Someone applying with an address already on a record keeps their own number and method
    for their application's notices (the record takes them only once proven)."""
    referral = resident_referral(member_a, contact_method="email", phone="")
    with member_scope(member_a.pk):
        application = Application.objects.select_related("resident").get(pk=referral.application_id)
        application.contact_method, application.contact_phone = "text", MOBILE
        application.save()
        reach = application_reach(application)
        assert reach.channels == (TEXT,) and reach.phone == MOBILE
        # The code proves the record's own channel only: this number is not on the record.
        code_reach = status_code_reach(application)
        assert code_reach.channels == (EMAIL,) and code_reach.phone == ""


def code_in(text: str) -> str:
    match = re.search(r"\b(\d{6})\b", text)
    assert match
    return match.group(1)


@pytest.mark.django_db
def test_the_status_code_goes_by_text_when_the_resident_chose_texts(
    member_a: Any, sms_dir: Path
) -> None:
    referral = resident_referral(member_a, contact_method="text")
    assert status_code_issue(reference=referral.reference)
    assert mail.outbox == []
    [text] = texts_in(sms_dir)
    assert f"To: {MOBILE}" in text and referral.reference in text
    grant = status_code_verify(reference=referral.reference, code=code_in(text.split("\n\n")[-1]))
    assert grant is not None and grant.application_id == referral.application_id


@pytest.mark.django_db
def test_the_status_code_goes_by_email_for_email_residents(member_a: Any, sms_dir: Path) -> None:
    referral = resident_referral(member_a, contact_method="email")
    assert status_code_issue(reference=referral.reference)
    assert texts_in(sms_dir) == []
    assert mail.outbox[-1].to == ["amina@example.org"]


@pytest.mark.django_db
def test_a_refused_number_sends_the_status_code_by_email_and_is_recorded(
    member_a: Any, notify: FakeNotify
) -> None:
    referral = resident_referral(member_a, contact_method="text", phone=LANDLINE)
    assert status_code_issue(reference=referral.reference)
    assert len(notify.received) == 1
    assert mail.outbox[-1].to == ["amina@example.org"]
    code = code_in(mail.outbox[-1].body)
    assert resident_of(referral).sms_failure_reason == "not_a_mobile"
    assert status_code_verify(reference=referral.reference, code=code) is not None


@pytest.mark.django_db
def test_notify_down_sends_the_status_code_by_email(member_a: Any, notify: FakeNotify) -> None:
    referral = resident_referral(member_a, contact_method="text")
    notify.fail_next(500)
    assert status_code_issue(reference=referral.reference)
    assert mail.outbox[-1].to == ["amina@example.org"]
    assert resident_of(referral).sms_failed_at is None  # an outage is not the number's fault


@pytest.mark.django_db
def test_no_channel_means_no_code(member_a: Any, notify: FakeNotify) -> None:
    referral = resident_referral(member_a, contact_method="phone", phone=LANDLINE, email="")
    assert status_code_issue(reference=referral.reference) is False
    assert notify.received == [] and mail.outbox == []
