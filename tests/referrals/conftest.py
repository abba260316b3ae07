"""Referral fixtures: a service offered by members A and B, and referrals in each state.

Everything is created through the real services (referral_route, referral_accept, ...) so the
tests exercise the same code the workspace does.
"""

from __future__ import annotations

from typing import Any

import pytest

from members.actor import Actor
from members.scoping import member_scope, user_scope
from members.selectors import actor_for_user
from referrals import services
from referrals.models import Referral
from services.models import Service
from tests.factories import OfferFactory, ReferralFactory, ServiceFactory


def actor_of(user: Any) -> Actor:
    """The actor as the middleware loads it (in the user scope, for row-level security)."""
    with user_scope(user.pk):
        return actor_for_user(user)


def as_member(user: Any) -> Any:
    """The scope a request by this user would run in."""
    actor = actor_of(user)
    assert actor.member_id is not None
    return member_scope(actor.member_id, user_id=actor.user_id)


@pytest.fixture
def service(db: None) -> Service:
    return ServiceFactory(
        slug="job-search",
        name="Job search support",
        sla_accept_days=2,
        sla_first_contact_days=5,
        routing_rules=["consent", "capacity", "area", "language", "own_landlord"],
    )


@pytest.fixture
def offers(member_a: Any, member_b: Any, service: Service) -> dict[str, Any]:
    return {
        "a": OfferFactory(member=member_a, service=service, areas=["E1"], languages=["en"]),
        "b": OfferFactory(member=member_b, service=service, areas=["E1"], languages=["en", "ur"]),
    }


def make_referral(landlord: Any, service: Service, consent: list[Any], **kwargs: Any) -> Referral:
    """A submitted referral, as application_submit leaves it (provider empty)."""
    app_kwargs = {f"application__{k}": v for k, v in kwargs.pop("application", {}).items()}
    return ReferralFactory(
        member=landlord,
        application__service=service,
        application__shared_with_member_ids=[m.pk for m in consent],
        **app_kwargs,
        **kwargs,
    )


def route(referral: Referral) -> Referral:
    with member_scope(referral.member_id):
        return services.referral_route(referral_id=referral.pk)


def fresh(referral: Referral) -> Referral:
    with member_scope(referral.member_id):
        return Referral.objects.select_related("provider").get(pk=referral.pk)


@pytest.fixture
def referral_to_b(member_a: Any, member_b: Any, service: Service, offers: Any) -> Referral:
    """A's resident, consenting to A and B, in a language only B works in: routed to B."""
    referral = make_referral(member_a, service, [member_a, member_b], language="ur")
    return route(referral)


@pytest.fixture
def accepted_by_b(referral_to_b: Referral, charlie: Any) -> Referral:
    with as_member(charlie):
        return services.referral_accept(referral_id=referral_to_b.pk, actor=actor_of(charlie))
