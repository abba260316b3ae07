"""Routing and the data sharing agreement: a member that has not signed the version in force
gets no referral, the stored decision says why, and the coordinator cannot route there by hand
either. A member in its grace period still receives."""

from __future__ import annotations

from typing import Any

import pytest

from members.scoping import consortium_scope, member_scope
from referrals import selectors, services
from referrals.models import Referral, ReferralStatus, RoutingDecision
from tests.dataprotection.conftest import day, publish, sign
from tests.factories import MemberFactory, OfferFactory
from tests.referrals.conftest import actor_of, fresh, make_referral, route

pytestmark = pytest.mark.django_db


def reasons(referral: Referral) -> list[dict[str, Any]]:
    with member_scope(referral.member_id):
        decision = RoutingDecision.objects.filter(referral=referral).latest("decided_at")
    return list(decision.reasons)


@pytest.fixture
def camden(service: Any) -> Any:
    """A third member offering the service in E1, whose DPO signs everything."""
    member = MemberFactory(slug="camden", name="Camden Homes", short_name="Camden")
    OfferFactory(member=member, service=service, areas=["E1"], languages=["en"])
    return member


@pytest.fixture
def v1(coordinator: Any, camden: Any, dpo: Any) -> Any:
    """Version 1, in force since 30 days ago with no grace: A and Camden signed, B did not."""
    from tests.factories import staff_create

    agreement = publish(coordinator, "v1", day(-30))
    sign(dpo, agreement, day(-29))
    sign(staff_create(camden, "dpo@camden.example", ["dpo"]), agreement, day(-29))
    return agreement


def test_a_gated_member_gets_no_referral_and_the_decision_says_why(
    member_a: Any, member_b: Any, service: Any, offers: Any, camden: Any, v1: Any
) -> None:
    # A landlord that does not offer the service: on fair share B (the lower id) would win.
    hackney = MemberFactory(slug="hackney", short_name="Hackney")
    referral = make_referral(hackney, service, [hackney, member_b, camden])
    route(referral)
    routed = fresh(referral)
    assert routed.provider_id == camden.pk
    assert routed.status == ReferralStatus.ROUTED
    b_lines = [r for r in reasons(referral) if r["member_id"] == member_b.pk]
    assert b_lines == [
        {
            "member_id": member_b.pk,
            "member": "Brixton",
            "rule": "sharing_agreement",
            "verdict": "excluded",
            "text": "Brixton: not offered: has not signed data sharing agreement v1.",
        }
    ]


def test_when_only_gated_members_could_take_it_it_waits_for_the_coordinator(
    member_a: Any, member_b: Any, service: Any, offers: Any, coordinator: Any
) -> None:
    publish(coordinator, "v1", day(-1))  # nobody signed
    referral = make_referral(member_a, service, [member_a, member_b])
    route(referral)
    unrouted = fresh(referral)
    assert unrouted.provider_id is None and unrouted.unrouted_since is not None
    texts = {r["member_id"]: r["text"] for r in reasons(referral)}
    assert texts[member_a.pk] == "Aldgate: not offered: has not signed data sharing agreement v1."
    assert texts[member_b.pk] == "Brixton: not offered: has not signed data sharing agreement v1."
    # The coordinator is offered neither, and routing by hand to one is refused.
    with consortium_scope(reason="test: coordinator"):
        loaded = Referral.objects.select_related("application").get(pk=referral.pk)
        assert selectors.route_choices(loaded) == []
        with pytest.raises(services.InvalidInput, match="has not signed version v1"):
            services.referral_reroute(
                referral_id=referral.pk,
                provider_id=member_b.pk,
                actor=actor_of(coordinator),
                reason="by hand",
            )
    assert fresh(referral).provider_id is None


def test_a_member_in_its_grace_period_still_receives_then_not_after_it(
    member_a: Any, member_b: Any, service: Any, offers: Any, coordinator: Any, dpo: Any
) -> None:
    """B signed v1; v2 took effect 5 days ago with 10 days' grace. B is still routed to now;
    A (the landlord) signed v2 and is preferred whenever it can take the referral."""
    from tests.factories import staff_create

    dpo_b = staff_create(member_b, "dpo@b.example", ["dpo"])
    v1 = publish(coordinator, "v1", day(-60))
    sign(dpo_b, v1, day(-59))
    v2 = publish(coordinator, "v2", day(-5), grace_days=10, today=day(-6))
    sign(dpo, v2, day(-5))
    referral = make_referral(member_a, service, [member_a, member_b], language="ur")
    route(referral)
    assert fresh(referral).provider_id == member_b.pk  # in grace: routed as before
    assert not [r for r in reasons(referral) if r["rule"] == "sharing_agreement"]
    # Past the grace period (time travel: the gate of day +6), B would not be offered.
    from dataprotection.selectors import sharing_gate

    assert sharing_gate(on=day(6)).blocked == {
        member_b.pk: "has not signed data sharing agreement v2"
    }
