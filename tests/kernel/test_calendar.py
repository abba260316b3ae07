"""The portal's calendar: UK working days for SLA clocks, and financial-year quarters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kernel.calendar import (
    LONDON,
    Quarter,
    add_working_days,
    due_at,
    is_working_day,
    working_days_between,
)


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"),
    [
        (date(2026, 4, 2), 1, date(2026, 4, 7), "Good Friday and Easter Monday 2026"),
        (date(2026, 4, 2), 2, date(2026, 4, 8), "Easter 2026, two days"),
        (date(2026, 12, 24), 1, date(2026, 12, 29), "Christmas (Fri) and Boxing Day substitute"),
        (date(2026, 12, 23), 3, date(2026, 12, 30), "over Christmas 2026"),
        (date(2027, 12, 24), 1, date(2027, 12, 29), "Christmas 2027: two substitute days"),
        (date(2026, 12, 31), 1, date(2027, 1, 4), "New Year's Day 2027 is a Friday"),
        (date(2026, 5, 1), 1, date(2026, 5, 5), "early May bank holiday"),
        (date(2026, 11, 20), 2, date(2026, 11, 24), "Friday plus two is Tuesday"),
        (date(2026, 11, 21), 1, date(2026, 11, 23), "Saturday start counts from Monday"),
        (date(2026, 11, 23), 0, date(2026, 11, 23), "zero days is the same day"),
    ],
)
def test_add_working_days(start: date, days: int, expected: date, why: str) -> None:
    assert add_working_days(start, days) == expected, why


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 4, 3), False),
        (date(2026, 4, 6), False),
        (date(2026, 12, 25), False),
        (date(2026, 12, 28), False),  # Boxing Day (Saturday) observed on Monday
        (date(2026, 12, 29), True),
        (date(2026, 11, 22), False),  # a Sunday
        (date(2026, 11, 24), True),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_working_days_between_skips_easter() -> None:
    assert working_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1
    assert working_days_between(date(2026, 4, 7), date(2026, 4, 2)) == 0


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 5), -1)


def test_friday_afternoon_is_not_overdue_on_monday_morning() -> None:
    sent = datetime(2026, 11, 20, 16, 0, tzinfo=LONDON)  # Friday
    due = due_at(sent, 2)
    assert due == datetime(2026, 11, 24, 17, 30, tzinfo=LONDON)
    assert datetime(2026, 11, 23, 9, 0, tzinfo=LONDON) < due


def test_due_time_follows_british_summer_time() -> None:
    # Sent 23:30 UTC on Sunday 29 March 2026 = 00:30 BST on Monday: Monday is day zero.
    sent = datetime(2026, 3, 29, 23, 30, tzinfo=UTC)
    due = due_at(sent, 1)
    assert due.date() == date(2026, 3, 31)
    assert due.astimezone(UTC).hour == 16  # 17:30 BST


# --- the sweeps ----------------------------------------------------------------------------------


# --- Financial-year quarters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "key", "label", "start", "end"),
    [
        (date(2026, 4, 1), "2026Q1", "2026-27 Q1", date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 9, 30), "2026Q2", "2026-27 Q2", date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 12, 3), "2026Q3", "2026-27 Q3", date(2026, 10, 1), date(2026, 12, 31)),
        (date(2027, 3, 31), "2026Q4", "2026-27 Q4", date(2027, 1, 1), date(2027, 3, 31)),
        (date(2000, 1, 1), "1999Q4", "1999-00 Q4", date(2000, 1, 1), date(2000, 3, 31)),
    ],
)
def test_a_day_falls_in_its_financial_year_quarter(
    day: date, key: str, label: str, start: date, end: date
) -> None:
    quarter = Quarter.containing(day)
    assert (quarter.key, quarter.label, quarter.start, quarter.end) == (key, label, start, end)
    assert Quarter.from_key(key) == quarter == Quarter.from_key(label)


def test_quarter_bounds_are_london_midnights_half_open() -> None:
    start, end = Quarter(2026, 1).bounds()
    assert start == datetime(2026, 4, 1, 0, 0, tzinfo=LONDON)
    assert end == datetime(2026, 7, 1, 0, 0, tzinfo=LONDON)
    assert start.utcoffset() == timedelta(hours=1)  # British Summer Time


@pytest.mark.parametrize("bad", ["2026Q5", "2026-28 Q1", "Q1", ""])
def test_a_malformed_quarter_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="Not a quarter"):
        Quarter.from_key(bad)


def test_the_last_quarters_run_oldest_first_across_a_year_end() -> None:
    assert [q.key for q in Quarter(2026, 2).last(3)] == ["2025Q4", "2026Q1", "2026Q2"]
