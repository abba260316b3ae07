"""From the resident's application (helper D's application_submit) to the provider's inbox."""

from __future__ import annotations

from typing import Any

import pytest

from applications.services import ApplicationInput, application_submit
from members.scoping import member_scope
from outbox.models import OutboxMessage
from referrals import tasks
from referrals.models import Referral, ReferralContact, ReferralStatus, RoutingDecision
from referrals.task_names import TASK_ROUTE
from tests.referrals.conftest import fresh

pytestmark = pytest.mark.django_db


def test_a_submitted_application_is_routed_by_the_outbox_message(
    member_a: Any, member_b: Any, service: Any, offers: Any
) -> None:
    application = application_submit(
        data=ApplicationInput(
            service=service,
            landlord_id=member_a.pk,
            full_name="Amina Begum",
            email="amina@example.org",
            postcode="E1 6AN",
            phone="07700 900 123",
            contact_method="phone",
            preferred_language="ur",
            idempotency_key="e2e-1",
            shared_with_member_ids=[member_a.pk, member_b.pk],
            consent=True,
            accessibility_needs="Large print",
        )
    )
    message = OutboxMessage.objects.get(task_name=TASK_ROUTE)
    # What the relay does with the message: the task, in the landlord's scope.
    tasks.route.apply(
        kwargs={
            **message.kwargs,
            "member_id": message.scope_member_id,
            "outbox_message_id": str(message.id),
        }
    )
    with member_scope(member_a.pk):
        referral = Referral.objects.get(application_id=application.pk)
        decision = RoutingDecision.objects.get(referral=referral)
        contact = ReferralContact.objects.get(referral=referral)
    routed = fresh(referral)
    # Only Brixton works in Urdu: it gets the referral, with the reasons.
    assert routed.status == ReferralStatus.ROUTED and routed.provider_id == member_b.pk
    assert routed.accessibility_needs == "Large print"
    assert any("staff do not work in 'ur'" in r["text"] for r in decision.reasons)
    assert contact.full_name == "Amina Begum"
