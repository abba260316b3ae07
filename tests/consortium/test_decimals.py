"""Issue 14, finding 3b: a decimal read from outside is bounded by its model field, and any
text gives a number that fits the field or a ValueError with a reason (never InvalidOperation)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consortium.decimals import decimal_digits, decimal_parse
from procurement.imports import parse_amount

NUMBERS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.from_regex(r"-?[0-9]{0,40}(\.[0-9]{0,40})?([eE][+-]?[0-9]{1,6})?", fullmatch=True),
    st.text(max_size=60),
)


@settings(max_examples=400, deadline=None)
@given(text=NUMBERS)
def test_any_text_is_a_bounded_number_or_a_clear_refusal(text: str) -> None:
    try:
        number = decimal_parse(text, max_digits=14, decimal_places=2, what="amount")
    except ValueError as exc:
        assert str(exc).startswith("the amount")
        return
    assert number.is_finite()
    # An independent oracle: PostgreSQL's numeric(14, 2) holds |x| < 10**12 with pence.
    assert abs(number) < Decimal(10) ** 12
    assert number == number.quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1E+30", "too large"),
        ("9" * 13, "too large"),
        ("9" * 40, "too large"),
        ("1e-30", "more than 2 decimal places"),
        ("12.345", "more than 2 decimal places"),
        ("NaN", "not a number"),
        ("-Infinity", "not a number"),
        ("abc", "not a number"),
        ("1" * 5000, "not a number"),
    ],
)
def test_the_spend_import_refuses_huge_and_odd_amounts_clearly(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_amount(text)


def test_the_largest_amount_the_field_holds_is_accepted() -> None:
    assert parse_amount("999999999999.99") == Decimal("999999999999.99")
    assert parse_amount("£1,250.50") == Decimal("1250.50")
    assert parse_amount("0.10000") == Decimal("0.1")
    assert parse_amount("1.5E+3") == Decimal("1500")


@pytest.mark.parametrize(
    ("text", "digits"),
    [("0", (0, 0)), ("0.00", (0, 0)), ("12.50", (2, 1)), ("1E+30", (31, 0)), ("0.001", (0, 3))],
)
def test_digits_are_counted_like_postgres_numeric(text: str, digits: tuple[int, int]) -> None:
    assert decimal_digits(Decimal(text)) == digits
