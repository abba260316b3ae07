"""SLA clocks in UK working days: Monday to Friday, less England and Wales bank holidays.

A referral sent on a Friday afternoon with a two-day target is due at the end of Tuesday, not
on Sunday. Deadlines fall at the end of the working day (17:30, Europe/London).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
END_OF_DAY = time(17, 30)


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # England and Wales share their bank holidays ("ENG" includes both here).
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def due_at(sent_at: datetime, working_days: int) -> datetime:
    """When a clock started at `sent_at` runs out: the end of the Nth working day after it."""
    local = sent_at.astimezone(LONDON)
    due_day = add_working_days(local.date(), working_days)
    return datetime.combine(due_day, END_OF_DAY, tzinfo=LONDON)
