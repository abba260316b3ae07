"""Financial-year quarters (April to March), the periods every report and budget uses.

Q1 is April-June, Q2 July-September, Q3 October-December, Q4 January-March. The financial year
is named by the calendar year it starts in: "2026-27 Q1" starts on 1 April 2026.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
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
