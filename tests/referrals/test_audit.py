"""Every change and every showing of a resident's personal data is in the audit log."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from members.scoping import consortium_scope, member_scope
from referrals import services
from referrals.models import ReferralContact
from tests.referrals.conftest import actor_of, as_member

pytestmark = pytest.mark.django_db


def events(member_id: int, referral_id: int) -> list[tuple[str, str, int | None]]:
    with member_scope(member_id):
        return [
            (e.action, e.reason, e.actor_id)
            for e in AuditEvent.objects.filter(object_id=str(referral_id)).order_by("at", "pk")
        ]


def test_each_change_is_audited_with_actor_and_reason(
    referral_to_b: Any, charlie: Any, member_a: Any, member_b: Any
) -> None:
    actor = actor_of(charlie)
    with as_member(charlie):
        services.referral_accept(referral_id=referral_to_b.pk, actor=actor)
        services.referral_record_contact(referral_id=referral_to_b.pk, actor=actor)
        services.referral_start(referral_id=referral_to_b.pk, actor=actor)
        services.referral_record_outcome(
            referral_id=referral_to_b.pk,
            actor=actor,
            type="training_completed",
            achieved_on=date.today(),  # noqa: DTZ011 - a calendar date
        )
        services.referral_close(referral_id=referral_to_b.pk, actor=actor)
    provider_log = events(member_b.pk, referral_to_b.pk)
    assert [reason for _, reason, _ in provider_log] == [
        "accepted",
        "contact recorded",
        "work started",
        "outcome recorded: training_completed",
        "closed",
    ]
    assert {who for _, _, who in provider_log} == {charlie.pk}
    assert {action for action, _, _ in provider_log} == {AuditAction.CHANGE}
    # The engine's routing is in the landlord's log, with no actor.
    landlord_log = events(member_a.pk, referral_to_b.pk)
    assert (
        AuditAction.CHANGE,
        f"routed to member {member_b.pk} by the engine",
        None,
    ) in landlord_log


def test_audit_reasons_hold_no_personal_data(accepted_by_b: Any, client: Any, charlie: Any) -> None:
    client.force_login(charlie)
    client.get(reverse("referrals:detail", args=[accepted_by_b.pk]))
    client.get(reverse("referrals:inbox"))
    with member_scope(accepted_by_b.member_id):
        contact = ReferralContact.objects.get(referral=accepted_by_b)
    with consortium_scope(reason="test: read the whole log"):
        text = " ".join(AuditEvent.objects.values_list("reason", flat=True))
    assert "referral page: resident's contact details shown" in text
    assert "inbox: residents' names listed" in text
    for value in (contact.full_name, contact.email, contact.phone):
        if value:
            assert value not in text


def test_coordinator_reroute_is_audited_in_the_landlords_log(
    referral_to_b: Any, coordinator: Any, member_a: Any
) -> None:
    with consortium_scope(reason="coordinator: test", user_id=coordinator.pk):
        services.referral_reroute(
            referral_id=referral_to_b.pk,
            provider_id=member_a.pk,
            actor=actor_of(coordinator),
            reason="resident asked",
        )
    assert (
        AuditAction.CHANGE,
        f"routed by hand to member {member_a.pk}",
        coordinator.pk,
    ) in events(member_a.pk, referral_to_b.pk)
