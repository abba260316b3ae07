"""Every text in every shipped language: translated, within one SMS where the language's
alphabet allows (GSM-7: English, Somali), and within a few fragments where it does not (UCS-2:
Arabic, Bengali, Urdu; Polish, whose letters ą, ł, ś... are outside GSM-7). Only the reference
and what the resident needs: no name, no address."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from notifications.services import sms_render
from notifications.sms import text_length

SITE_URL = "https://portal.example.org"  # as in .env.example; a longer address costs characters
REFERENCE = "HC-7KQ4-M2XD"
# The longest member short name the demo has, standing in for any association's.
PROVIDER = "Tottenham Hale"
KINDS: list[tuple[str, dict[str, Any]]] = [
    ("application_received", {"status_url": f"{SITE_URL}/apply/status/"}),
    ("application_status_code", {"code": "123456", "minutes": 15}),
    *[
        ("referral_status", {"status": s, "status_label": s, "provider_name": PROVIDER})
        for s in ("accepted", "closed", "withdrawn")
    ],
]
ONE_SMS = ["en", "so"]
UCS2 = ["ar", "bn", "ur", "pl"]
# Up to three fragments (201 UCS-2 characters) for the longest, the confirmation with its link;
# the others in two.
MAX_FRAGMENTS = {"application_received": 3}


def render(kind: str, context: dict[str, Any], language: str) -> str:
    with override_settings(SITE_URL=SITE_URL):
        return sms_render(kind=kind, context={"reference": REFERENCE, **context}, language=language)


@pytest.mark.parametrize("language", ONE_SMS)
@pytest.mark.parametrize(("kind", "context"), KINDS)
def test_each_text_fits_one_sms(kind: str, context: dict[str, Any], language: str) -> None:
    length = text_length(render(kind, context, language))
    assert (length.encoding, length.fragments) == ("GSM-7", 1), length


@pytest.mark.parametrize("language", UCS2)
@pytest.mark.parametrize(("kind", "context"), KINDS)
def test_each_text_fits_a_few_fragments_where_the_alphabet_is_ucs2(
    kind: str, context: dict[str, Any], language: str
) -> None:
    length = text_length(render(kind, context, language))
    assert length.encoding == "UCS-2"
    assert length.fragments <= MAX_FRAGMENTS.get(kind, 2), length


@pytest.mark.parametrize("language", ["so", "ar", "bn", "ur", "pl"])
@pytest.mark.parametrize(("kind", "context"), KINDS)
def test_each_text_is_translated(kind: str, context: dict[str, Any], language: str) -> None:
    english = render(kind, context, "en")
    translated = render(kind, context, language)
    assert translated != english
    assert REFERENCE in translated
    for value in context.values():
        if isinstance(value, str) and value.startswith(("https://", "1")):
            assert value in translated  # the link and the code survive translation


def test_the_texts_read_right_in_somali_and_arabic() -> None:
    received = render(*KINDS[0], "so")
    assert received.startswith(f"Codsiga {REFERENCE} waa la helay.")
    code = render(*KINDS[1], "ar")
    assert "123456" in code and "دقيقة" in code
    accepted = render(*KINDS[2], "ar")
    assert accepted.startswith("خبر سار") and PROVIDER in accepted


def test_the_minutes_follow_the_languages_plural_rules() -> None:
    assert "15 minut." in render("application_status_code", {"code": "1", "minutes": 15}, "pl")
    assert "2 minuty." in render("application_status_code", {"code": "1", "minutes": 2}, "pl")
    assert "15 minutes." in render("application_status_code", {"code": "1", "minutes": 15}, "en")
