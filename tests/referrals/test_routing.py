"""The routing engine: each rule, table-driven, and the decision the service stores."""

from __future__ import annotations

from typing import Any

import pytest

from members.scoping import member_scope
from referrals.models import ReferralStatus, RoutingDecision
from referrals.routing import (
    RULES,
    Candidate,
    RoutingContext,
    route,
    rules_for,
)
from services.models import Offer
from tests.factories import MemberFactory, OfferFactory
from tests.referrals.conftest import fresh, make_referral
from tests.referrals.conftest import route as route_referral

pytestmark = pytest.mark.django_db

LANDLORD = 1


def offer(**kwargs: Any) -> Offer:
    defaults: dict[str, Any] = {
        "capacity_per_month": 10,
        "areas": ["E1"],
        "languages": ["en"],
        "is_active": True,
    }
    return Offer(**{**defaults, **kwargs})


def cand(member_id: int, routed: int = 0, **offer_kwargs: Any) -> Candidate:
    return Candidate(
        member_id=member_id,
        name=f"M{member_id}",
        offer=None if offer_kwargs.get("none") else offer(**offer_kwargs),
        routed_this_month=routed,
    )


def ctx(**kwargs: Any) -> RoutingContext:
    defaults: dict[str, Any] = {
        "referral_id": 1,
        "service_id": 1,
        "landlord_id": LANDLORD,
        "district": "E1",
        "language": "en",
        "consented_member_ids": frozenset({1, 2, 3, 4}),
        "declined_member_ids": frozenset(),
    }
    return RoutingContext(**{**defaults, **kwargs})


ALL_RULES = rules_for(["consent", "capacity", "area", "language", "own_landlord"])

# (case, context overrides, candidates, expected provider, member excluded -> rule that did it)
CASES = [
    ("own landlord preferred", {}, [cand(1), cand(2)], 1, {2: "own_landlord"}),
    (
        "never outside consent, even when it is the only offer",
        {"consented_member_ids": frozenset({1})},
        [cand(2), cand(3)],
        None,
        {2: "consent", 3: "consent"},
    ),
    (
        "landlord without capacity: fair share among the rest",
        {},
        [cand(1, routed=10), cand(2, routed=5), cand(3, routed=2)],
        3,
        {1: "capacity", 2: "fair_share"},
    ),
    (
        "fair share is relative to capacity",
        {"landlord_id": 9},
        [cand(2, routed=4, capacity_per_month=40), cand(3, routed=2, capacity_per_month=4)],
        2,
        {3: "fair_share"},
    ),
    (
        "fair share ties go to the lowest member id",
        {"landlord_id": 9},
        [cand(4, routed=1), cand(2, routed=1), cand(3, routed=1)],
        2,
        {3: "fair_share", 4: "fair_share"},
    ),
    (
        "area served",
        {"district": "B10", "landlord_id": 9},
        [cand(2, areas=["E1"]), cand(3, areas=["B10", "B11"])],
        3,
        {2: "area"},
    ),
    (
        "empty area list means anywhere",
        {"district": "LS7", "landlord_id": 9},
        [cand(2, areas=[]), cand(3, areas=["E1"])],
        2,
        {3: "area"},
    ),
    (
        "language staff work in",
        {"language": "so"},
        [cand(1, languages=["en"]), cand(2, languages=["en", "so"])],
        2,
        {1: "language"},
    ),
    (
        "a member that declined is never chosen again",
        {"declined_member_ids": frozenset({1})},
        [cand(1), cand(2)],
        2,
        {1: "not_declined"},
    ),
    (
        "inactive offer or no offer",
        {},
        [cand(1, is_active=False), cand(2, none=True), cand(3)],
        3,
        {1: "offers_service", 2: "offers_service"},
    ),
    ("nobody fits", {"language": "pl"}, [cand(1), cand(2)], None, {1: "language", 2: "language"}),
]


@pytest.mark.parametrize(
    ("context", "candidates", "expected", "excluded"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_routing_rules(
    context: dict[str, Any], candidates: list[Candidate], expected: int | None, excluded: dict
) -> None:
    result = route(ctx(**context), candidates, ALL_RULES)
    assert result.provider_id == expected
    dropped = {
        r.member_id: r.rule for r in result.reasons if r.verdict in ("excluded", "set aside")
    }
    assert dropped == excluded
    # Every member considered has a human-readable line; the winner says why it won.
    for reason in result.reasons:
        assert reason.text
    if expected is None:
        assert result.reasons[-1].verdict == "none"
    else:
        assert result.reasons[-1].verdict == "chosen"
        assert result.reasons[-1].member_id == expected


def test_rules_configuration_always_keeps_the_promises() -> None:
    assert rules_for(["area"]) == [
        "sharing_agreement",
        "consent",
        "offers_service",
        "not_declined",
        "area",
        "fair_share",
    ]
    # No configuration: the default rules.
    assert rules_for([])[:4] == ["sharing_agreement", "consent", "offers_service", "not_declined"]
    assert "own_landlord" in rules_for([])


def test_a_misspelt_rule_is_an_error_not_a_wider_route() -> None:
    with pytest.raises(ValueError, match="capacitee"):
        rules_for(["capacitee"])


def test_rule_order_matters_without_own_landlord() -> None:
    # Without own_landlord the landlord competes on fair share like everyone else.
    names = rules_for(["consent", "capacity"])
    result = route(ctx(), [cand(1, routed=3), cand(2, routed=1)], names)
    assert result.provider_id == 2
    assert set(RULES) >= set(names)


def test_route_stores_the_decision_with_every_reason(
    member_a: Any, member_b: Any, service: Any, offers: Any
) -> None:
    other = MemberFactory(slug="camden", short_name="Camden")
    OfferFactory(member=other, service=service, areas=["E1"], languages=["en", "ur"])
    referral = make_referral(member_a, service, [member_a, member_b], language="ur")
    route_referral(referral)
    routed = fresh(referral)
    assert routed.provider_id == member_b.pk
    assert routed.status == ReferralStatus.ROUTED
    assert routed.routed_at is not None and routed.sla_accept_due is not None
    with member_scope(member_a.pk):
        decision = RoutingDecision.objects.get(referral=referral)
    texts = " ".join(r["text"] for r in decision.reasons)
    assert "Aldgate: staff do not work in 'ur'" in texts
    assert "Camden: not named in the resident's consent" in texts
    assert "Brixton chosen" in texts
    assert decision.provider_id == member_b.pk


def test_capacity_counts_referrals_routed_this_month_at_other_members(
    member_a: Any, member_b: Any, service: Any
) -> None:
    OfferFactory(member=member_b, service=service, capacity_per_month=1, languages=["en"])
    first = make_referral(member_a, service, [member_a, member_b])
    second = make_referral(member_a, service, [member_a, member_b])
    route_referral(first)
    route_referral(second)
    assert fresh(first).provider_id == member_b.pk
    # B's one place this month is taken (a row A's scope cannot see): the second waits.
    assert fresh(second).provider_id is None
    assert fresh(second).unrouted_since is not None


def test_routing_an_already_routed_referral_does_nothing(referral_to_b: Any, member_a: Any) -> None:
    before = fresh(referral_to_b)
    route_referral(referral_to_b)
    after = fresh(referral_to_b)
    assert after.provider_id == before.provider_id
    assert after.routed_at == before.routed_at
    with member_scope(member_a.pk):
        assert RoutingDecision.objects.filter(referral=referral_to_b).count() == 1
