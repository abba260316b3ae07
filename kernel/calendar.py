"""The portal's calendar: Europe/London time, financial-year quarters and UK working days.

Quarters run April to March: Q1 is April-June, Q2 July-September, Q3 October-December, Q4
January-March, and a financial year is named by the calendar year it starts in ("2026-27 Q1"
starts on 1 April 2026). Every report and budget period is one.

Working days are Monday to Friday, less England and Wales bank holidays, which SLA clocks count:
a referral sent on a Friday afternoon with a two-day target is due at the end of Tuesday, not on
Sunday. Deadlines fall at the end of the working day (17:30, Europe/London).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
END_OF_DAY = time(17, 30)

# --- Financial-year quarters --------------------------------------------------------------------
_LABEL = re.compile(r"^(\d{4})-(\d{2})\s*Q([1-4])$")
_KEY = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A financial-year quarter. `year` is the year the financial year starts in."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if self.number not in (1, 2, 3, 4):
            raise ValueError("A quarter number is 1 to 4.")

    @classmethod
    def containing(cls, day: date) -> Quarter:
        if day.month >= 4:
            return cls(day.year, (day.month - 4) // 3 + 1)
        return cls(day.year - 1, 4)

    @classmethod
    def from_key(cls, key: str) -> Quarter:
        """Parse "2026Q1" (the form used in URLs and task arguments) or "2026-27 Q1"."""
        key = key.strip()
        match = _KEY.match(key)
        if match:
            return cls(int(match.group(1)), int(match.group(2)))
        match = _LABEL.match(key)
        if match and (int(match.group(1)) + 1) % 100 == int(match.group(2)):
            return cls(int(match.group(1)), int(match.group(3)))
        raise ValueError(f"Not a quarter: {key!r} (expected e.g. 2026Q1).")

    @property
    def key(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return f"{self.year}-{(self.year + 1) % 100:02d} Q{self.number}"

    @property
    def start(self) -> date:
        month = 4 + (self.number - 1) * 3
        if month > 12:
            return date(self.year + 1, month - 12, 1)
        return date(self.year, month, 1)

    @property
    def end(self) -> date:
        """The last day of the quarter (inclusive)."""
        return self.next().start - timedelta(days=1)

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    def last(self, count: int) -> list[Quarter]:
        """This quarter and the `count - 1` before it, oldest first (for trends)."""
        quarters = [self]
        while len(quarters) < count:
            quarters.append(quarters[-1].previous())
        return list(reversed(quarters))

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes at midnight, Europe/London: filter with
        `__gte=start, __lt=end` so an event at 23:59 on the last day counts once."""
        return period_bounds(self.start, self.end)

    def __str__(self) -> str:
        return self.label


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start, end + 1 day) as aware London datetimes for an inclusive date period."""
    return (
        datetime.combine(start, time.min, tzinfo=LONDON),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=LONDON),
    )


def current_quarter(today: date | None = None) -> Quarter:
    return Quarter.containing(today or datetime.now(LONDON).date())


def last_completed_quarter(today: date | None = None) -> Quarter:
    return current_quarter(today).previous()


# --- Working days -------------------------------------------------------------------------------


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
