"""Reading a decimal from text that arrived from outside (an import row, a form, an API body),
bounded by the model field it is stored in.

`Decimal("1E+30")` is a valid number, but quantizing it to pence overflows the default context
(InvalidOperation, a 500 before this module) and PostgreSQL would refuse it for a
`numeric(14, 2)` column anyway. The bounds are read from the field, so they are stated once:
the model's `max_digits` and `decimal_places`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import models

# Far beyond any field's max_digits: a longer text is not a number anyone typed.
MAX_TEXT = 100


def decimal_digits(number: Decimal) -> tuple[int, int]:
    """(digits before the point, digits after it) of a finite decimal, trailing zeros after the
    point ignored (0.10 has one decimal place). Never raises, whatever the exponent."""
    _sign, digit_tuple, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # noqa: S101 (callers pass finite numbers only)
    digits = list(digit_tuple)
    while exponent < 0 and len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exponent += 1
    if digits == [0]:
        return 0, 0
    if exponent >= 0:
        return len(digits) + exponent, 0
    return max(len(digits) + exponent, 0), -exponent


def decimal_parse(text: str, *, max_digits: int, decimal_places: int, what: str) -> Decimal:
    """The number in `text` (a pound sign, commas and a per cent sign allowed), or ValueError
    with a reason fit for a person: not a number, too many decimal places, too large."""
    cleaned = str(text).replace("£", "").replace(",", "").replace("%", "").strip()
    if len(cleaned) > MAX_TEXT:
        raise ValueError(f"the {what} is not a number")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"the {what} {text!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"the {what} {text!r} is not a number")
    whole, places = decimal_digits(number)
    if places > decimal_places:
        raise ValueError(f"the {what} has more than {decimal_places} decimal places")
    if whole > max_digits - decimal_places:
        raise ValueError(
            f"the {what} is too large (at most {max_digits - decimal_places} digits before "
            "the decimal point)"
        )
    return number


def decimal_parse_for(model: type[models.Model], field_name: str, text: str, what: str) -> Decimal:
    """decimal_parse bounded by `model.field_name`'s max_digits and decimal_places."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, models.DecimalField):
        raise TypeError(f"{model.__name__}.{field_name} is not a DecimalField")
    return decimal_parse(
        text, max_digits=field.max_digits, decimal_places=field.decimal_places, what=what
    )
