from __future__ import annotations

import random
from datetime import date

import pytest

from devdata.seeds.learning import seed_learning_demo
from devdata.seeds.procurement import seed_procurement_demo
from kernel.calendar import Quarter
from learning.models import Booking, BookingStatus, CourseSession
from members.scoping import consortium_scope
from procurement.models import Contract
from procurement.selectors import procurement_savings_by_member
from tests.factories import MemberFactory, staff_create

pytestmark = [pytest.mark.django_db]


def test_demo_seeds_contracts_with_savings_and_a_term_of_courses_once():
    members = [
        MemberFactory(slug=f"demo-{i}", short_name=f"D{i}", name=f"Demo {i}") for i in range(12)
    ]
    for member in members:
        for n in range(2):
            staff_create(member, f"s{n}.{member.slug}@demo.example", ["caseworker"], mfa=False)
    today = date(2026, 11, 20)
    assert seed_procurement_demo(random.Random(1), today=today) == 7
    assert seed_procurement_demo(random.Random(1), today=today) == 0
    created = seed_learning_demo(random.Random(1), today=today)
    assert created == 24
    assert seed_learning_demo(random.Random(1), today=today) == 0
    quarter = Quarter.containing(today)
    with consortium_scope(reason="test"):
        rows = list(
            procurement_savings_by_member(period_start=quarter.start, period_end=quarter.end)
        )
        booking_members = set(
            Booking.objects.filter(status=BookingStatus.CONFIRMED).values_list("member", flat=True)
        )
    assert len(rows) >= 8 and all(r["saving"] > 0 for r in rows)
    assert Contract.objects.filter(is_synthetic=True).count() == 7
    assert len(booking_members) >= 8
    for session in CourseSession.objects.all():
        assert session.places_taken <= session.capacity
