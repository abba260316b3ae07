"""What each party sees of a referral (referrals/selectors.py), and that PostgreSQL agrees."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from audit.models import AuditAction, AuditEvent
from members.scoping import member_scope, user_scope
from referrals import selectors, services
from referrals.models import CaseNote, ReferralContact
from tests.factories import MemberFactory, staff_create
from tests.referrals.conftest import actor_of, as_member, route

pytestmark = pytest.mark.django_db


def test_provider_sees_only_the_envelope_before_accepting(referral_to_b: Any, charlie: Any) -> None:
    with as_member(charlie):
        access = selectors.access_referral_by_id(actor_of(charlie), referral_to_b.pk)
        assert access.is_provider and not access.sees_contact
        assert selectors.referral_contact_for(access, actor_of(charlie)) is None
        # Row-level security agrees: the contact row is not there for the provider yet.
        assert not ReferralContact.objects.unscoped().filter(referral=referral_to_b).exists()
        assert access.referral.need_summary is not None and access.referral.area == "E1"


def test_provider_sees_contact_after_accepting_and_it_is_audited(
    accepted_by_b: Any, charlie: Any, member_b: Any
) -> None:
    with as_member(charlie):
        access = selectors.access_referral_by_id(actor_of(charlie), accepted_by_b.pk)
        contact = selectors.referral_contact_for(access, actor_of(charlie))
    assert contact is not None and contact.full_name
    with member_scope(member_b.pk):
        event = AuditEvent.objects.filter(
            object_type="referral_contact", object_id=str(accepted_by_b.pk)
        ).get()
    assert event.action == AuditAction.VIEW and event.actor_id == charlie.pk
    assert contact.full_name not in event.reason  # no personal data in the log


def test_landlord_sees_status_and_outcome_only(referral_to_b: Any, alice: Any) -> None:
    with as_member(alice):
        access = selectors.access_referral_by_id(actor_of(alice), referral_to_b.pk)
        assert access.outgoing_only
        assert not access.sees_contact and not access.sees_timeline and not access.can_work
        assert all(e.kind != "routing" for e in selectors.referral_timeline(access))


def test_another_member_gets_the_same_404_as_a_missing_referral(
    referral_to_b: Any, service: Any
) -> None:
    camden = MemberFactory(slug="camden")
    eve = staff_create(camden, "eve@c.example", ["caseworker"], "Eve")
    with as_member(eve):
        with pytest.raises(Http404) as not_party:
            selectors.access_referral_by_id(actor_of(eve), referral_to_b.pk)
        with pytest.raises(Http404) as missing:
            selectors.access_referral_by_id(actor_of(eve), 999_999)
        with pytest.raises(Http404):
            selectors.access_referral_by_id(actor_of(eve), "1 OR 1=1")
    assert str(not_party.value) == str(missing.value)


def test_a_provider_that_declined_no_longer_sees_it(
    referral_to_b: Any, charlie: Any, member_a: Any
) -> None:
    with as_member(charlie):
        services.referral_decline(
            referral_id=referral_to_b.pk, actor=actor_of(charlie), reason="no_capacity"
        )
    route(referral_to_b)  # nobody else: unrouted
    with as_member(charlie), pytest.raises(Http404):
        selectors.access_referral_by_id(actor_of(charlie), referral_to_b.pk)


def test_case_notes_are_private_to_the_member_that_wrote_them(
    accepted_by_b: Any, charlie: Any, alice: Any
) -> None:
    with as_member(charlie):
        services.referral_note_add(
            referral_id=accepted_by_b.pk, actor=actor_of(charlie), body="B's private note"
        )
    with as_member(alice):
        services.referral_note_add(
            referral_id=accepted_by_b.pk, actor=actor_of(alice), body="A's private note"
        )
        assert [n.body for n in CaseNote.objects.filter(referral=accepted_by_b)] == [
            "A's private note"
        ]
        # Not even the unscoped hatch gets past row-level security.
        assert CaseNote.objects.unscoped().count() == 1
    with as_member(charlie):
        assert [n.body for n in CaseNote.objects.filter(referral=accepted_by_b)] == [
            "B's private note"
        ]


def test_resident_user_sees_nothing_of_other_referrals_even_unscoped(
    referral_to_b: Any, resident_user: Any
) -> None:
    from referrals.models import Referral

    with user_scope(resident_user.pk):
        assert not Referral.objects.unscoped().exists()
