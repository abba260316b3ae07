"""A number GOV.UK Notify refused is shown to the caseworker next to the resident's phone:
"Texts to this number fail: call instead." A text that goes through, or another number, and it
is gone."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from members.scoping import member_scope
from notifications.registry import SmsRecipient
from referrals import services
from referrals.models import Application, ReferralContact, Resident
from tests.api.conftest import client_for
from tests.referrals.conftest import actor_of, as_member, make_referral, route

pytestmark = pytest.mark.django_db
WARNING = b"Texts to this number fail: call instead."
LANDLINE = "02079460000"


def refused(referral: Any, phone: str, failure: str | None = "not_a_mobile") -> None:
    """What the consumer reports when Notify refuses (or takes) a text to `phone`."""
    with member_scope(referral.member_id):
        resident_id = Application.objects.get(pk=referral.application_id).resident_id
    services.resident_sms_result_record(
        recipient=SmsRecipient(phone=phone, resident_id=resident_id, member_id=referral.member_id),
        failure=failure,
    )


def page(client: Any, user: Any, referral: Any) -> bytes:
    client.force_login(user)
    response = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert response.status_code == 200
    return bytes(response.content)


def texting_referral(member_a: Any, member_b: Any, service: Any) -> Any:
    """A's resident who asked for texts at a landline, routed to B (Urdu: only B offers it)."""
    return make_referral(
        member_a,
        service,
        [member_a, member_b],
        language="ur",
        application={
            "contact_full_name": "Amina Begum",
            "contact_email": "amina@example.org",
            "contact_phone": LANDLINE,
            "contact_method": "text",
        },
    )


def test_the_caseworker_sees_that_texts_fail_and_a_text_that_works_clears_it(
    client: Any, member_a: Any, member_b: Any, service: Any, offers: Any, charlie: Any
) -> None:
    referral = route(texting_referral(member_a, member_b, service))
    with as_member(charlie):
        services.referral_accept(referral_id=referral.pk, actor=actor_of(charlie))
    assert WARNING not in page(client, charlie, referral)

    refused(referral, "+44 20 7946 0000")  # the same number, as Notify was given it
    body = page(client, charlie, referral)
    assert WARNING in body
    assert body.index(WARNING) > body.index(b"02079460000")  # next to the number
    with member_scope(member_a.pk):
        resident = Resident.objects.get(applications__referral=referral)
    assert resident.sms_failure_reason == "not_a_mobile"

    refused(referral, LANDLINE, failure=None)  # Notify took a text to it after all
    assert WARNING not in page(client, charlie, referral)
    with member_scope(member_a.pk):
        assert Resident.objects.get(pk=resident.pk).sms_failed_at is None


def test_a_failure_before_routing_reaches_the_snapshot_the_provider_sees(
    client: Any, member_a: Any, member_b: Any, service: Any, offers: Any, charlie: Any
) -> None:
    """The confirmation text is refused before the referral is routed: the contact snapshot
    made at routing carries it, so the provider's caseworker still sees it."""
    referral = texting_referral(member_a, member_b, service)
    refused(referral, LANDLINE)
    route(referral)
    with as_member(charlie):
        services.referral_accept(referral_id=referral.pk, actor=actor_of(charlie))
    assert WARNING in page(client, charlie, referral)
    with member_scope(member_a.pk):
        assert ReferralContact.objects.get(referral=referral).sms_failed_at is not None
    detail = client_for(charlie).get(f"/api/v1/referrals/{referral.pk}/").json()
    assert detail["contact"]["sms_failed_at"] is not None


def test_another_number_failing_does_not_mark_this_one(
    client: Any, member_a: Any, member_b: Any, service: Any, offers: Any, charlie: Any
) -> None:
    referral = route(texting_referral(member_a, member_b, service))
    with as_member(charlie):
        services.referral_accept(referral_id=referral.pk, actor=actor_of(charlie))
    refused(referral, "07700900999")
    assert WARNING not in page(client, charlie, referral)
