"""Issue 14, finding 1: an application keeps the contact details it was submitted with, and
changes the stored resident only once the right to change them is proven (the emailed status
code, signing in with the address, or a caseworker of the owning member confirming them)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from applications.services import (
    ApplicationError,
    ApplicationInput,
    application_submit,
    resident_contact_confirm,
    status_code_issue,
    status_code_verify,
)
from members.scoping import member_scope
from outbox.models import OutboxMessage
from referrals import services as referral_services
from referrals import tasks
from referrals.models import Application, Referral, ReferralContact, ReferralStatus, Resident
from referrals.task_names import TASK_ROUTE
from tests.referrals.conftest import actor_of, as_member

pytestmark = pytest.mark.django_db

FIRST = {"full_name": "Amina Begum", "phone": "07700 900 111", "postcode": "E1 6AN"}
SECOND = {"full_name": "Mallory Intruder", "phone": "07700 900 999", "postcode": "E1 7AA"}


def submit(service: Any, member_a: Any, member_b: Any, key: str, **details: Any) -> Application:
    """An anonymous application (no user) with the same email every time, in Somali so that
    routing sends it to member B (only B works in Somali)."""
    return application_submit(
        data=ApplicationInput(
            service=service,
            landlord_id=member_a.pk,
            email="shared@example.org",
            contact_method="phone",
            preferred_language="so",
            idempotency_key=key,
            shared_with_member_ids=[member_a.pk, member_b.pk],
            consent=True,
            age=34,
            **details,
        )
    )


def route_all() -> None:
    """What the outbox relay does: every routing message, in its landlord's scope."""
    for message in OutboxMessage.objects.filter(task_name=TASK_ROUTE).order_by("pk"):
        tasks.route.apply(
            kwargs={
                **message.kwargs,
                "member_id": message.scope_member_id,
                "outbox_message_id": str(message.id),
            }
        )


def resident_of(application: Application, member_id: int) -> Resident:
    with member_scope(member_id):
        return Resident.objects.get(pk=application.resident_id)


def referral_of(application: Application) -> Referral:
    with member_scope(application.member_id):
        return Referral.objects.get(application_id=application.pk)


def test_a_second_anonymous_application_does_not_change_the_firsts_details(
    service: Any, offers: Any, member_a: Any, member_b: Any, charlie: Any
) -> None:
    first = submit(service, member_a, member_b, "first-key-1", **FIRST)
    # Before the first is routed (the relay may be minutes behind), someone else applies with
    # the same email address and their own name and phone.
    second = submit(service, member_a, member_b, "second-key-2", **SECOND)
    assert first.resident_id == second.resident_id  # one resident per landlord and email

    stored = resident_of(first, member_a.pk)
    assert (stored.full_name, stored.phone, stored.postcode) == tuple(FIRST.values())

    route_all()
    referral = referral_of(first)
    assert referral.provider_id == member_b.pk and referral.status == ReferralStatus.ROUTED
    with as_member(charlie):
        referral_services.referral_accept(referral_id=referral.pk, actor=actor_of(charlie))

    # What the provider sees after accepting, on the page: the first application's details.
    client = Client()
    client.force_login(charlie)
    page = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert page.status_code == 200
    assert b"Amina Begum" in page.content and b"07700 900 111" in page.content
    assert b"Mallory" not in page.content and b"07700 900 999" not in page.content

    # And the second referral carries the second application's own details.
    with member_scope(member_a.pk):
        second_contact = ReferralContact.objects.get(referral=referral_of(second))
    assert (second_contact.full_name, second_contact.phone) == (
        SECOND["full_name"],
        SECOND["phone"],
    )


def test_each_application_keeps_the_details_it_was_submitted_with(
    service: Any, offers: Any, member_a: Any, member_b: Any
) -> None:
    first = submit(service, member_a, member_b, "first-key-1", **FIRST)
    second = submit(service, member_a, member_b, "second-key-2", **SECOND)
    with member_scope(member_a.pk):
        first, second = (Application.objects.get(pk=a.pk) for a in (first, second))
    assert (first.contact_full_name, first.contact_phone) == ("Amina Begum", "07700 900 111")
    assert (second.contact_full_name, second.contact_phone) == ("Mallory Intruder", "07700 900 999")
    assert first.contact_adopted_at is not None  # it created the record
    assert second.contact_adopted_at is None  # only typed the address


def test_the_emailed_status_code_proves_the_address_and_updates_the_record(
    service: Any, offers: Any, member_a: Any, member_b: Any
) -> None:
    first = submit(service, member_a, member_b, "first-key-1", **FIRST)
    moved = {"full_name": "Amina Begum", "phone": "07700 900 222", "postcode": "E1 8BB"}
    second = submit(service, member_a, member_b, "second-key-2", **moved)
    assert resident_of(first, member_a.pk).phone == FIRST["phone"]

    assert status_code_issue(reference=second.reference)
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body)
    assert code is not None
    assert status_code_verify(reference=second.reference, code=code.group(1)) is not None

    stored = resident_of(first, member_a.pk)
    assert (stored.phone, stored.postcode) == ("07700 900 222", "E1 8BB")


def test_checking_an_older_application_does_not_bring_back_old_details(
    service: Any, offers: Any, member_a: Any, member_b: Any
) -> None:
    first = submit(service, member_a, member_b, "first-key-1", **FIRST)
    second = submit(service, member_a, member_b, "second-key-2", **SECOND)
    with member_scope(member_a.pk):
        Application.objects.filter(pk=first.pk).update(contact_adopted_at=None)
    for application in (second, first):
        status_code_issue(reference=application.reference)
        code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body)
        assert code is not None
        assert status_code_verify(reference=application.reference, code=code.group(1))
    assert resident_of(first, member_a.pk).phone == SECOND["phone"]


def test_a_wrong_status_code_changes_nothing(
    service: Any, offers: Any, member_a: Any, member_b: Any
) -> None:
    first = submit(service, member_a, member_b, "first-key-1", **FIRST)
    second = submit(service, member_a, member_b, "second-key-2", **SECOND)
    status_code_issue(reference=second.reference)
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body)
    assert code is not None
    wrong = f"{(int(code.group(1)) + 1) % 1_000_000:06d}"
    assert status_code_verify(reference=second.reference, code=wrong) is None
    assert resident_of(first, member_a.pk).full_name == FIRST["full_name"]


def test_a_signed_in_resident_updates_their_own_record(
    service: Any, offers: Any, member_a: Any, member_b: Any
) -> None:
    from tests.factories import UserFactory

    user = UserFactory(email="shared@example.org")
    first = submit(service, member_a, member_b, "first-key-1", **FIRST)
    application_submit(
        data=ApplicationInput(
            service=service,
            landlord_id=member_a.pk,
            email="shared@example.org",
            contact_method="text",
            preferred_language="so",
            idempotency_key="signed-in-3",
            shared_with_member_ids=[member_a.pk, member_b.pk],
            consent=True,
            age=34,
            user_id=user.pk,
            **{**FIRST, "phone": "07700 900 333"},
        )
    )
    stored = resident_of(first, member_a.pk)
    assert (stored.phone, stored.contact_method, stored.user_id) == (
        "07700 900 333",
        "text",
        user.pk,
    )


def test_someone_signed_in_with_another_address_changes_nothing(
    service: Any, offers: Any, member_a: Any, member_b: Any
) -> None:
    from tests.factories import UserFactory

    other = UserFactory(email="someone-else@example.org")
    first = submit(service, member_a, member_b, "first-key-1", **FIRST)
    application_submit(
        data=ApplicationInput(
            service=service,
            landlord_id=member_a.pk,
            email="shared@example.org",
            contact_method="phone",
            preferred_language="so",
            idempotency_key="other-user-4",
            shared_with_member_ids=[member_a.pk, member_b.pk],
            consent=True,
            age=34,
            user_id=other.pk,
            **SECOND,
        )
    )
    stored = resident_of(first, member_a.pk)
    assert (stored.full_name, stored.user_id) == (FIRST["full_name"], None)


def test_a_caseworker_of_the_landlord_confirms_the_details(
    service: Any, offers: Any, member_a: Any, member_b: Any, alice: Any, charlie: Any
) -> None:
    first = submit(service, member_a, member_b, "first-key-1", **FIRST)
    second = submit(service, member_a, member_b, "second-key-2", **SECOND)
    # The provider's caseworker cannot: only the owning member's.
    with pytest.raises(ApplicationError):
        resident_contact_confirm(application=second, actor=actor_of(charlie))
    assert resident_of(first, member_a.pk).full_name == FIRST["full_name"]
    resident_contact_confirm(application=second, actor=actor_of(alice))
    assert resident_of(first, member_a.pk).full_name == SECOND["full_name"]
