"""The outbox consumers: routing and the emails, each in the scope its message names."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from members.scoping import consortium_scope, member_scope
from notifications.services import email_send
from referrals import tasks
from referrals.models import ReferralStatus, RoutingDecision
from tests.factories import ResidentFactory
from tests.referrals.conftest import fresh, make_referral

pytestmark = pytest.mark.django_db
FIRST = "00000000-0000-4000-8000-000000000001"
SECOND = "00000000-0000-4000-8000-000000000002"


def test_route_task_routes_once_per_message_and_leaves_a_routed_referral_alone(
    member_a: Any, member_b: Any, service: Any, offers: Any
) -> None:
    referral = make_referral(member_a, service, [member_a, member_b])
    kwargs = {"member_id": member_a.pk, "referral_id": referral.pk}
    tasks.route.apply(kwargs={**kwargs, "outbox_message_id": FIRST})
    routed = fresh(referral)
    assert routed.status == ReferralStatus.ROUTED and routed.provider_id == member_a.pk
    # The same message again, and a different one: nothing changes, no second decision.
    tasks.route.apply(kwargs={**kwargs, "outbox_message_id": FIRST})
    tasks.route.apply(kwargs={**kwargs, "outbox_message_id": SECOND})
    assert fresh(referral).routed_at == routed.routed_at
    with member_scope(member_a.pk):
        assert RoutingDecision.objects.filter(referral=referral).count() == 1


def test_route_task_refuses_to_run_without_a_member(referral_to_b: Any) -> None:
    result = tasks.route.apply(kwargs={"referral_id": referral_to_b.pk})
    assert result.failed()


def test_new_referral_email_goes_to_the_providers_team_without_personal_data(
    referral_to_b: Any, charlie: Any, member_b: Any
) -> None:
    with member_scope(member_b.pk):
        sent = email_send(kind="referral_new", ids={"referral_id": referral_to_b.pk})
    assert sent == 1
    message = mail.outbox[0]
    assert message.to == [charlie.email]
    assert referral_to_b.reference in message.subject
    with member_scope(referral_to_b.member_id):
        from referrals.models import ReferralContact

        name = ReferralContact.objects.get(referral=referral_to_b).full_name
    assert name not in message.body


def test_status_email_goes_to_the_resident_in_their_language(
    member_a: Any, service: Any, offers: Any
) -> None:
    from referrals import services
    from tests.factories import staff_create
    from tests.referrals.conftest import actor_of, as_member, route

    resident = ResidentFactory(member=member_a, preferred_language="pl", email="ola@example.org")
    referral = route(
        make_referral(member_a, service, [member_a], application={"resident": resident})
    )
    worker = staff_create(member_a, "worker@a.example", ["caseworker"], "Wanda Worker")
    with as_member(worker):
        services.referral_accept(referral_id=referral.pk, actor=actor_of(worker))
    from notifications.registry import builder_for

    with member_scope(member_a.pk):
        content = builder_for("referral_status")(referral_id=referral.pk, status="accepted")
        email_send(kind="referral_status", ids={"referral_id": referral.pk, "status": "accepted"})
    assert content.recipients[0].email == "ola@example.org"
    assert content.recipients[0].language == "pl"
    assert mail.outbox[-1].to == ["ola@example.org"]
    assert referral.reference in mail.outbox[-1].subject


def test_escalation_and_unrouted_emails_go_to_coordinators(
    referral_to_b: Any, coordinator: Any
) -> None:
    with consortium_scope(reason="test"):
        email_send(
            kind="referral_sla_escalation", ids={"referral_id": referral_to_b.pk, "clock": "accept"}
        )
    assert mail.outbox[-1].to == [coordinator.email]
    assert "Brixton" in mail.outbox[-1].subject


def test_sla_overdue_email_goes_to_service_leads_only(
    referral_to_b: Any, charlie: Any, member_b: Any
) -> None:
    from tests.factories import staff_create

    staff_create(member_b, "cw@b.example", ["caseworker"], "Only Caseworker")
    with member_scope(member_b.pk):
        email_send(
            kind="referral_sla_overdue", ids={"referral_id": referral_to_b.pk, "clock": "accept"}
        )
    assert [m.to for m in mail.outbox] == [[charlie.email]]


def test_demo_snapshots_contacts_once(referral_to_b: Any, member_a: Any) -> None:
    from devdata.seeds.referrals import seed_referrals_demo
    from referrals.models import ReferralContact

    with member_scope(member_a.pk):
        ReferralContact.objects.filter(referral=referral_to_b).delete()
    assert seed_referrals_demo() == 1
    assert seed_referrals_demo() == 0
