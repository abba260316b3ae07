"""Fixtures for the API tests: tokens for the cast, and a small world of records at member A."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from api.services import api_token_issue
from learning.models import Audience, Booking, BookingStatus, Course, CourseSession
from members.models import Member
from members.scoping import member_scope, user_scope
from members.selectors import actor_for_user
from procurement.models import Contract, ContractStatus, Participation, SpendRecord
from referrals.models import Outcome, Referral, ReferralStatus
from tests.factories import OfferFactory, ReferralFactory, ServiceFactory


def token_for(user: User, *, days: int = 30, name: str = "test") -> str:
    with user_scope(user.pk):
        actor = actor_for_user(user)
    if actor.member_id is not None:
        with member_scope(actor.member_id, user_id=user.pk):
            return api_token_issue(owner=actor, name=name, days=days).plaintext
    from members.scoping import consortium_scope

    with consortium_scope(reason="test token", user_id=user.pk):
        return api_token_issue(owner=actor, name=name, days=days).plaintext


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


@pytest.fixture
def api() -> Any:
    """`api(user)` -> an APIClient authenticated with a fresh bearer token for that user."""
    return client_for


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


def referral_make(member: Member, provider: Member | None, **kwargs: Any) -> Referral:
    now = timezone.now()
    defaults: dict[str, Any] = {
        "status": ReferralStatus.ROUTED,
        "routed_at": now,
        "submitted_at": now - timedelta(hours=1),
        "updated_at": now,
        "need_summary": "Job search support; language en; contact by email",
    }
    defaults.update(kwargs)
    referral = ReferralFactory(member=member, provider=provider, **defaults)
    if provider is not None:
        with member_scope(member.pk):
            # The factory's application consents to the landlord; add the provider too.
            app = referral.application
            app.shared_with_member_ids = sorted({member.pk, provider.pk})
            app.save(update_fields=["shared_with_member_ids"])
    return referral  # type: ignore[no-any-return]


@dataclass
class World:
    member_a: Member
    member_b: Member
    referral: Referral  # at A, delivered by A: alice's inbox
    outgoing: Referral  # A's resident, delivered by B
    outcome: Outcome
    contract: Contract
    participation: Participation
    spend: SpendRecord
    course: Course
    session: CourseSession
    booking: Booking


@pytest.fixture
def world(cast: Any) -> World:
    a, b = cast.member_a, cast.member_b
    service = ServiceFactory(slug="job-search", name="Job search support")
    OfferFactory(member=a, service=service)
    OfferFactory(member=b, service=service)
    referral = referral_make(a, a, service=service)
    outgoing = referral_make(a, b, service=service)
    done = referral_make(
        a,
        a,
        service=service,
        status=ReferralStatus.OUTCOME_RECORDED,
        accepted_at=timezone.now() - timedelta(days=10),
        accepted_by=cast.alice,
    )
    with member_scope(a.pk):
        outcome = Outcome.objects.create(
            member=a,
            provider=a,
            referral=done,
            service=service,
            type="training_started",
            achieved_on=timezone.localdate() - timedelta(days=2),
            recorded_by=cast.alice,
        )
    contract = Contract.objects.create(
        reference="JP-2026-001",
        title="Repairs materials framework",
        category="repairs_materials",
        lead_member=a,
        status=ContractStatus.LIVE,
        start_date=date(2025, 4, 1),
        end_date=date(2029, 3, 31),
    )
    with member_scope(a.pk):
        participation = Participation.objects.create(
            member=a,
            contract=contract,
            baseline_annual_cost=Decimal("100000"),
            contracted_annual_cost=Decimal("80000"),
            start_date=date(2025, 4, 1),
        )
        spend = SpendRecord.objects.create(
            member=a, contract=contract, quarter_start=date(2025, 4, 1), amount=Decimal("20000")
        )
    course = Course.objects.create(
        provider=a, title="Safeguarding basics", description="Half a day.", audience=Audience.STAFF
    )
    start = timezone.now() + timedelta(days=14)
    session = CourseSession.objects.create(
        course=course,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        capacity=10,
        places_taken=1,
    )
    with member_scope(a.pk):
        booking = Booking.objects.create(
            member=a,
            provider=a,
            session=session,
            attendee_user=cast.alice,
            booked_by=cast.alice,
            status=BookingStatus.CONFIRMED,
            price=Decimal("0"),
            confirmed_at=timezone.now(),
        )
    return World(
        a, b, referral, outgoing, outcome, contract, participation, spend, course, session, booking
    )


def read_as(scope_member: Member, model: Any, **lookup: Any) -> Any:
    """Read a row for an assertion, inside its member's scope (row-level security binds tests)."""
    with member_scope(scope_member.pk):
        return model.objects.for_member(scope_member.pk).get(**lookup)


def rows_as(scope_member: Member, model: Any, **lookup: Any) -> list[Any]:
    with member_scope(scope_member.pk):
        return list(model.objects.for_member(scope_member.pk).filter(**lookup))
