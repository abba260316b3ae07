"""Savings arithmetic: baseline vs contracted, pro-rated by day over financial years."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kernel.calendar import Quarter
from members.scoping import consortium_scope, member_scope
from procurement.selectors import (
    financial_years_between,
    participations_with_savings,
    procurement_savings_by_contract,
    procurement_savings_by_member,
    procurement_savings_total,
)
from tests.procurement.conftest import contract_make, participation_make

pytestmark = [pytest.mark.django_db]

CENT = Decimal("0.01")


def by_member(start: date, end: date) -> dict[int, dict]:
    with consortium_scope(reason="test"):
        return {
            row["member"]: row
            for row in procurement_savings_by_member(period_start=start, period_end=end)
        }


def test_full_financial_year_saves_exactly_the_annual_difference(member_a, contract):
    participation_make(member_a, contract, "100000", "80000", start=date(2026, 4, 1))
    row = by_member(date(2026, 4, 1), date(2027, 3, 31))[member_a.pk]
    assert row["saving"].quantize(CENT) == Decimal("20000.00")
    assert row["baseline_cost"].quantize(CENT) == Decimal("100000.00")
    assert row["contracted_cost"].quantize(CENT) == Decimal("80000.00")


def test_leap_financial_year_also_saves_exactly_the_annual_difference(member_a, contract):
    # 2027-28 contains 29 February 2028: 366 days.
    participation_make(member_a, contract, "36600", "0", start=date(2026, 4, 1))
    row = by_member(date(2027, 4, 1), date(2028, 3, 31))[member_a.pk]
    assert row["saving"].quantize(CENT) == Decimal("36600.00")
    q4 = by_member(date(2028, 1, 1), date(2028, 3, 31))[member_a.pk]
    assert q4["saving"].quantize(CENT) == Decimal("9100.00")  # 91 days of 366


def test_quarters_add_up_to_the_year(member_a, contract):
    participation_make(member_a, contract, "123456.78", "98765.43", start=date(2025, 4, 1))
    quarters = [Quarter(2026, n) for n in (1, 2, 3, 4)]
    total = sum((by_member(q.start, q.end)[member_a.pk]["saving"] for q in quarters), Decimal("0"))
    assert total.quantize(CENT) == (Decimal("123456.78") - Decimal("98765.43")).quantize(CENT)
    # Q1 2026-27 has 91 days of 365.
    q1 = by_member(Quarter(2026, 1).start, Quarter(2026, 1).end)[member_a.pk]["saving"]
    assert q1.quantize(CENT) == (Decimal("24691.35") * 91 / 365).quantize(CENT)


def test_part_year_participation_is_pro_rated_by_days(member_a, contract):
    # Joins on 15 May 2026 and leaves on 14 August 2026: 17 + 30 days in Q1, 31 + 14 in Q2.
    participation_make(
        member_a, contract, "36500", "0", start=date(2026, 5, 15), end=date(2026, 8, 14)
    )
    q1 = by_member(Quarter(2026, 1).start, Quarter(2026, 1).end)[member_a.pk]
    q2 = by_member(Quarter(2026, 2).start, Quarter(2026, 2).end)[member_a.pk]
    assert q1["saving"].quantize(CENT) == Decimal("4700.00")  # 47 days x £100
    assert q2["saving"].quantize(CENT) == Decimal("4500.00")  # 45 days x £100
    assert Quarter(2026, 3).start not in by_member(Quarter(2026, 3).start, Quarter(2026, 3).end)


def test_quarter_boundaries_count_each_day_once(member_a, contract):
    # Starts on the last day of Q1 and ends on the first day of Q2.
    participation_make(
        member_a, contract, "36500", "0", start=date(2026, 6, 30), end=date(2026, 7, 1)
    )
    q1 = by_member(Quarter(2026, 1).start, Quarter(2026, 1).end)[member_a.pk]
    q2 = by_member(Quarter(2026, 2).start, Quarter(2026, 2).end)[member_a.pk]
    assert q1["saving"].quantize(CENT) == Decimal("100.00")
    assert q2["saving"].quantize(CENT) == Decimal("100.00")


def test_cumulative_spans_financial_years_with_their_own_lengths(member_a, contract):
    # 1 Jan 2027 to 30 Jun 2028: Q4 of 2026-27 (90/365), all of 2027-28, Q1 of 2028-29 (91/365).
    participation_make(member_a, contract, "36500", "0", start=date(2027, 1, 1))
    row = by_member(date(2027, 1, 1), date(2028, 6, 30))[member_a.pk]
    expected = Decimal("36500") * 90 / 365 + Decimal("36500") + Decimal("36500") * 91 / 365
    assert row["saving"].quantize(CENT) == expected.quantize(CENT)


def test_a_dearer_contract_shows_a_negative_saving(member_a, contract):
    participation_make(member_a, contract, "1000", "1365", start=date(2026, 4, 1))
    row = by_member(date(2026, 4, 1), date(2027, 3, 31))[member_a.pk]
    assert row["saving"].quantize(CENT) == Decimal("-365.00")


def test_savings_per_member_and_in_total(member_a, member_b):
    one = contract_make(member_a, "JP-1")
    two = contract_make(member_b, "JP-2", category="energy")
    participation_make(member_a, one, "36500", "0")
    participation_make(member_b, one, "73000", "0")
    participation_make(member_b, two, "3650", "0")
    q = Quarter(2026, 2)  # 92 days
    rows = by_member(q.start, q.end)
    assert rows[member_a.pk]["saving"].quantize(CENT) == Decimal("9200.00")
    assert rows[member_b.pk]["saving"].quantize(CENT) == Decimal("19320.00")
    assert rows[member_b.pk]["contracts"] == 2
    with consortium_scope(reason="test"):
        total = procurement_savings_total(period_start=q.start, period_end=q.end)
        per_contract = {
            r["contract__reference"]: r
            for r in procurement_savings_by_contract(period_start=q.start, period_end=q.end)
        }
    assert total["saving"].quantize(CENT) == Decimal("28520.00")
    assert total["members"] == 2 and total["contracts"] == 2
    assert per_contract["JP-1"]["members"] == 2


def test_a_member_scope_sees_only_its_own_savings(member_a, member_b, contract):
    participation_make(member_a, contract, "36500", "0")
    participation_make(member_b, contract, "73000", "0")
    q = Quarter(2026, 1)
    with member_scope(member_b.pk):
        rows = list(procurement_savings_by_member(period_start=q.start, period_end=q.end))
        annotated = list(participations_with_savings(period_start=q.start, period_end=q.end))
    assert [r["member"] for r in rows] == [member_b.pk]
    assert [p.member_id for p in annotated] == [member_b.pk]
    assert annotated[0].days == 91


def test_financial_years_between_splits_on_first_april():
    years = financial_years_between(date(2027, 3, 31), date(2027, 4, 1))
    assert [(y.start, y.end, y.days) for y in years] == [
        (date(2026, 4, 1), date(2027, 3, 31), 365),
        (date(2027, 4, 1), date(2028, 3, 31), 366),
    ]
    with pytest.raises(ValueError):
        financial_years_between(date(2027, 4, 2), date(2027, 4, 1))
