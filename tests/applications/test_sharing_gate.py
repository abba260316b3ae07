"""The resident's data-sharing page and the data sharing agreement: a member that has not signed
the version in force is not offered, not even the resident's own landlord, whose resident's
application is still taken (the landlord keeps its record) but never sent to it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from members.scoping import member_scope
from referrals.models import Application, Referral, RoutingDecision
from services.selectors import service_candidate_members
from tests.applications.conftest import idempotency_key, walk
from tests.dataprotection.conftest import day, publish, sign
from tests.factories import staff_create
from tests.referrals.conftest import fresh, route

pytestmark = pytest.mark.django_db


def sharing_page(client: Client, service: Any, landlord: Any, **sharing: Any) -> str:
    """Walk every step (the sharing step with `sharing` when given), then show the sharing page
    again, as "Change" on the check page would."""
    walk(client, service, landlord, **({"sharing": sharing} if sharing else {}))
    page = client.get(f"/apply/{service.slug}/sharing/")
    assert page.status_code == 200
    return page.content.decode()


@pytest.fixture
def only_a_signed(coordinator: Any, dpo: Any) -> Any:
    agreement = publish(coordinator, "v1", day(-10))
    sign(dpo, agreement, day(-10))
    return agreement


def test_a_gated_member_is_not_offered(
    client: Client, service: Any, offers: Any, member_a: Any, member_b: Any, only_a_signed: Any
) -> None:
    page = sharing_page(client, service, member_a)
    assert member_a.name in page
    assert f'value="{member_b.pk}"' not in page and member_b.name not in page
    # Even when the resident's language is one only the gated member speaks (B: Somali), the
    # others in the area are offered, not nobody.
    offered = service_candidate_members(
        service=service, district="E1", language="so", landlord=None
    )
    assert offered == [member_a]


def test_a_forged_choice_of_a_gated_member_is_refused(
    client: Client, service: Any, offers: Any, member_a: Any, member_b: Any, only_a_signed: Any
) -> None:
    walk(client, service, member_a)
    response = client.post(
        f"/apply/{service.slug}/sharing/", {"members": [str(member_b.pk)], "consent": "on"}
    )
    assert response.status_code == 400
    assert "Select housing associations from the list" in response.content.decode()


def test_with_nothing_in_force_every_member_is_offered(
    client: Client, service: Any, offers: Any, member_a: Any, member_b: Any, coordinator: Any
) -> None:
    publish(coordinator, "v1", day(5))  # published, not yet in force
    page = sharing_page(client, service, member_a)
    assert member_a.name in page and member_b.name in page


def test_a_gated_landlord_keeps_its_residents_application_but_is_never_sent_it(
    client: Client, service: Any, offers: Any, member_a: Any, member_b: Any, coordinator: Any
) -> None:
    """Landlord A has not signed; B has. A is not offered; the application is stored in A's
    records as always (a resident's application is committed before anything else) and routed
    to B, with A's reason in the decision."""
    agreement = publish(coordinator, "v1", day(-1))
    sign(staff_create(member_b, "dpo@b.example", ["dpo"]), agreement, day(-1))
    page = sharing_page(client, service, member_a, members=[str(member_b.pk)], consent="on")
    assert f'value="{member_a.pk}"' not in page and f'value="{member_b.pk}"' in page
    key = idempotency_key(client, service)
    response = client.post(f"/apply/{service.slug}/check/", {"idempotency_key": key})
    assert response.status_code == 302 and response["Location"] == "/apply/done/"
    with member_scope(member_a.pk):
        application = Application.objects.get()
        referral = Referral.objects.get(application=application)
    assert application.member_id == member_a.pk  # the landlord keeps the record
    route(referral)
    assert fresh(referral).provider_id == member_b.pk
    with member_scope(member_a.pk):
        [decision] = RoutingDecision.objects.filter(referral=referral)
    texts = [r["text"] for r in decision.reasons if r["member_id"] == member_a.pk]
    assert texts == ["Aldgate: not offered: has not signed data sharing agreement v1."]


def test_with_nobody_to_offer_the_resident_can_still_send_it(
    client: Client, service: Any, offers: Any, member_a: Any, coordinator: Any
) -> None:
    """Nobody has signed: no member is offered. The resident may still send the application,
    which waits in the coordinator's queue with the reason."""
    publish(coordinator, "v1", day(-1))
    page = sharing_page(client, service, member_a, consent="on")
    assert "your landlord keeps it" in page
    assert 'name="members"' not in page
    key = idempotency_key(client, service)
    response = client.post(f"/apply/{service.slug}/check/", {"idempotency_key": key})
    assert response.status_code == 302
    with member_scope(member_a.pk):
        application = Application.objects.get()
        referral = Referral.objects.get(application=application)
    assert application.shared_with_member_ids == [member_a.pk]
    route(referral)
    routed = fresh(referral)
    assert routed.provider_id is None and routed.unrouted_since is not None
