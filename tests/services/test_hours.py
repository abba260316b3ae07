"""The opening hours a service lead types: what is saved is what the form shows again, and no
text makes the parser fail other than with a message."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from services.hours import Session, hours_format, hours_parse, weekday_parse


def test_runs_of_days_and_several_sessions_a_day_are_read() -> None:
    sessions = hours_parse("Mon-Wed 9:00-17:00\n\n  saturday: 10.00 to 12.30 , 13:30–16:00 ")
    assert [(s.weekday, s.opens_at, s.closes_at) for s in sessions] == [
        (0, time(9), time(17)),
        (1, time(9), time(17)),
        (2, time(9), time(17)),
        (5, time(10), time(12, 30)),
        (5, time(13, 30), time(16)),
    ]


def test_the_feed_and_the_form_name_days_alike() -> None:
    assert [weekday_parse(v) for v in ("MO", "tu", "Wednesday", "thurs", "Fri", "SA", "su")] == [
        0, 1, 2, 3, 4, 5, 6,
    ]  # fmt: skip
    assert weekday_parse("Funday") is None and weekday_parse("") is None


@st.composite
def weeks(draw: st.DrawFn) -> list[Session]:
    """Up to two non-overlapping sessions on each of some days, on whole quarter hours."""
    sessions = []
    for day in draw(st.sets(st.integers(0, 6), max_size=7)):
        quarters = sorted(draw(st.sets(st.integers(0, 95), min_size=2, max_size=4)))
        if len(quarters) % 2:
            quarters = quarters[:-1]
        for opens, closes in zip(quarters[::2], quarters[1::2], strict=True):
            sessions.append(
                Session(day, time(opens // 4, opens % 4 * 15), time(closes // 4, closes % 4 * 15))
            )
    return sorted(sessions)


@given(weeks())
def test_what_is_saved_is_what_the_form_shows_again(sessions: list[Session]) -> None:
    assert hours_parse(hours_format(sessions)) == sessions


@given(st.text(max_size=300))
def test_any_text_is_read_or_refused_with_a_message(text: str) -> None:
    try:
        hours_parse(text)
    except ValidationError as error:
        assert error.messages


def test_a_session_through_midnight_is_refused() -> None:
    with pytest.raises(ValidationError, match="close after it opens"):
        hours_parse("Friday 22:00-02:00")
