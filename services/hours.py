"""Opening hours as a service lead writes them, and as the feed names days.

A service lead types one line per day or run of days on the offer's form:

    Monday to Friday 09:00-17:00
    Saturday 10:00-12:30, 13:30-16:00

`hours_parse` turns that into sessions (weekday, opens, closes), refusing anything it cannot read
with the line it is on; `hours_format` writes sessions back the same way, so the form shows what
was saved. Times are 24-hour UK local time; a session ends on the day it starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from services.models import Weekday

MAX_SESSIONS = 50

# Each day by its iCalendar code (what HSDS `byday` uses), English name and three-letter short name.
_DAY_NAMES: dict[str, int] = {}
for _day in Weekday:
    for _name in (_day.code, _day.name, _day.name[:3]):
        _DAY_NAMES[_name.lower()] = _day.value
_DAY_NAMES.update({"tues": 1, "thur": 3, "thurs": 3})

_TIME = r"(?:[01]?\d|2[0-3])[:.][0-5]\d"
_DASH = r"\s*(?:-|–|—|to)\s*"
_LINE = re.compile(
    rf"^(?P<first>[a-z]+)(?:{_DASH}(?P<last>[a-z]+))?\s*:?\s+"
    rf"(?P<sessions>{_TIME}{_DASH}{_TIME}(?:\s*,\s*{_TIME}{_DASH}{_TIME})*)$"
)
_SESSION = re.compile(rf"(?P<opens>{_TIME}){_DASH}(?P<closes>{_TIME})")


@dataclass(frozen=True, order=True)
class Session:
    weekday: int
    opens_at: time
    closes_at: time


def weekday_parse(value: str) -> int | None:
    """'MO', 'mon', 'Monday' -> 0; anything else -> None."""
    return _DAY_NAMES.get(value.strip().lower())


def _time(value: str) -> time:
    hours, minutes = re.split(r"[:.]", value)
    return time(int(hours), int(minutes))


def hours_parse(text: str) -> list[Session]:
    """Sessions from the service lead's lines, sorted; a ValidationError names the bad line."""
    sessions: set[Session] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = " ".join(raw.split()).lower()
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValidationError(
                _(
                    "Line %(line)s: write a day and its hours in 24-hour time, "
                    "like Monday 09:00-17:00"
                )
                % {"line": number}
            )
        first = weekday_parse(match["first"])
        last = weekday_parse(match["last"] or match["first"])
        if first is None or last is None:
            word = match["first"] if first is None else match["last"]
            raise ValidationError(
                _("Line %(line)s: %(word)s is not a day of the week: write days like Monday")
                % {"line": number, "word": word[:12]}
            )
        if last < first:
            raise ValidationError(
                _("Line %(line)s: write runs of days from Monday to Sunday, like Monday to Friday")
                % {"line": number}
            )
        for found in _SESSION.finditer(match["sessions"]):
            opens, closes = _time(found["opens"]), _time(found["closes"])
            if closes <= opens:
                raise ValidationError(
                    _("Line %(line)s: a session must close after it opens, on the same day")
                    % {"line": number}
                )
            sessions.update(Session(day, opens, closes) for day in range(first, last + 1))
    ordered = sorted(sessions)
    if len(ordered) > MAX_SESSIONS:
        raise ValidationError(_("Enter %(max)s sessions a week or fewer") % {"max": MAX_SESSIONS})
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.weekday == after.weekday and after.opens_at < before.closes_at:
            raise ValidationError(
                _("%(day)s: %(a)s overlaps %(b)s")
                % {
                    "day": Weekday(before.weekday).label,
                    "a": f"{before.opens_at:%H:%M}-{before.closes_at:%H:%M}",
                    "b": f"{after.opens_at:%H:%M}-{after.closes_at:%H:%M}",
                }
            )
    return ordered


def hours_format(sessions: list[Session]) -> str:
    """The lines `hours_parse` reads back to the same sessions: runs of days with the same hours
    on one line."""
    by_day: dict[int, list[str]] = {}
    for session in sorted(sessions):
        by_day.setdefault(session.weekday, []).append(
            f"{session.opens_at:%H:%M}-{session.closes_at:%H:%M}"
        )
    lines: list[str] = []
    days = sorted(by_day)
    start = 0
    while start < len(days):
        end = start
        while (
            end + 1 < len(days)
            and days[end + 1] == days[end] + 1
            and by_day[days[end + 1]] == by_day[days[start]]
        ):
            end += 1
        first, last = Weekday(days[start]), Weekday(days[end])
        label = first.name.title()
        if first != last:
            label += f" to {last.name.title()}"
        lines.append(f"{label} {', '.join(by_day[days[start]])}")
        start = end + 1
    return "\n".join(lines)
