"""Cleaning of what residents type: names, phone numbers, UK postcodes and free text.

Input is stored as text and escaped on display (Django templates autoescape); these functions only
make it tidy and reject what cannot be right, each with a message that says how to fix it.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Control and format characters (Cc, Cf) other than newline and tab, plus unassigned and
# private-use code points and lone surrogates: invisible, they hide text or break a PDF.
_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_ALLOWED_CONTROLS = {"\n", "\t"}


def clean_text(value: str, *, multiline: bool = False) -> str:
    """NFC-normalise, drop invisible control characters, tidy whitespace."""
    value = unicodedata.normalize("NFC", value or "")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for char in value:
        if char in _ALLOWED_CONTROLS and multiline:
            kept.append(char)
        elif char in _ALLOWED_CONTROLS:
            kept.append(" ")
        elif unicodedata.category(char) in _BAD_CATEGORIES:
            # Zero-width joiner/non-joiner are needed to write Urdu, Bengali and Arabic properly.
            if char in "\u200c\u200d":
                kept.append(char)
            continue
        else:
            kept.append(char)
    text = "".join(kept)
    if multiline:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
        return text.strip()
    return " ".join(text.split())


def validate_full_name(value: str) -> str:
    name = clean_text(value)
    if not name:
        raise ValidationError(_("Enter your full name"), code="required")
    if len(name) > 150:
        raise ValidationError(_("Full name must be 150 characters or fewer"), code="max_length")
    if not any(unicodedata.category(c).startswith("L") for c in name):
        raise ValidationError(
            _("Enter your full name using letters, like Amina Begum"), code="invalid"
        )
    return name


_PHONE_ALLOWED = re.compile(r"^[0-9+()\-. ]+$")


def normalise_uk_phone(value: str) -> str:
    """'+44 (0)7700 900 123' -> '07700900123'; ValidationError if it cannot be a UK number."""
    raw = clean_text(value)
    if not raw:
        return ""
    if (
        not _PHONE_ALLOWED.match(raw)
        or raw.count("+") > 1
        or ("+" in raw and not raw.startswith("+"))
    ):
        raise ValidationError(
            _("Enter a UK phone number using only numbers, like 07700 900 123"), code="invalid"
        )
    digits = re.sub(r"\D", "", raw.replace("(0)", ""))
    if raw.startswith("+"):
        if not digits.startswith("44"):
            raise ValidationError(
                _("Enter a UK phone number, like 07700 900 123 or +44 7700 900 123"),
                code="invalid",
            )
        digits = "0" + digits[2:]
    elif digits.startswith("44") and len(digits) in (12, 13):
        digits = "0" + digits[2:]
    if not digits.startswith("0") or len(digits) not in (10, 11):
        raise ValidationError(
            _("Enter a UK phone number with 10 or 11 digits, like 07700 900 123"), code="invalid"
        )
    return digits


# The UK postcode shapes (outward code + inward code), including the special "GIR 0AA".
_POSTCODE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?)"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def normalise_uk_postcode(value: str) -> str:
    """'e16an' -> 'E1 6AN'."""
    compact = re.sub(r"\s+", "", clean_text(value)).upper()
    if not compact:
        raise ValidationError(_("Enter your postcode"), code="required")
    if len(compact) > 8 or not _POSTCODE.match(compact):
        raise ValidationError(_("Enter a full UK postcode, like E1 6AN"), code="invalid")
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_district(postcode: str) -> str:
    """The outward code: 'E1 6AN' -> 'E1'."""
    return postcode.split(" ")[0] if postcode else ""


def validate_free_text(value: str, *, max_length: int, required: bool, message: str) -> str:
    text = clean_text(value, multiline=True)
    if required and not text:
        raise ValidationError(message, code="required")
    if len(text) > max_length:
        raise ValidationError(
            _("Answer must be %(max)s characters or fewer") % {"max": max_length},
            code="max_length",
        )
    return text


def contact_problems(*, method: str, email: str, phone: str, address: str) -> dict[str, str]:
    """What is missing for the chosen way of contacting the resident, by field. Email is
    optional wherever a phone number or a postal address will do."""
    needs = {
        "email": ("email", _("Enter an email address, or choose another way to contact you")),
        "phone": ("phone", _("Enter a phone number, or choose to be contacted by email")),
        "text": ("phone", _("Enter a phone number, or choose to be contacted by email")),
        "post": ("address", _("Enter a postal address, or choose another way to contact you")),
    }
    given = {"email": email, "phone": phone, "address": address}
    if method in needs:
        name, message = needs[method]
        if not given[name].strip():
            return {name: str(message)}
    return {}
