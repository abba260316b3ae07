"""Every resident-facing text is translated in every shipped language, and right-to-left
languages render right to left."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.applications.conftest import walk

LOCALE = Path(settings.BASE_DIR) / "locale"
SHIPPED = ["ar", "ur", "bn", "so", "pl"]
# Where the resident's pages, the catalogue, the base chrome, the home page and the resident's
# emails take their words from.
RESIDENT_FACING = (
    "templates/applications/",
    "templates/services/catalogue.html",
    "templates/services/detail.html",
    "templates/services/eligibility.html",
    "templates/base.html",
    "templates/home.html",
    "templates/emails/application_",
    "templates/sms/",
    "applications/forms.py",
    "applications/models.py",
    "applications/selectors.py",
    "applications/validation.py",
    "applications/views.py",
)


def untranslated(language: str) -> list[str]:
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    missing = []
    for block in text.split("\n\n"):
        refs = [r for line in block.splitlines() if line.startswith("#:") for r in line[2:].split()]
        if not any(ref.startswith(RESIDENT_FACING) for ref in refs):
            continue
        msgid, strings, current = "", [], None
        for line in block.splitlines():
            if line.startswith("msgid "):
                current, msgid = "id", ast.literal_eval(line[6:])
            elif line.startswith("msgstr"):
                current = "str"
                strings.append(ast.literal_eval(line.split(" ", 1)[1]))
            elif line.startswith('"') and current == "id":
                msgid += ast.literal_eval(line)
            elif line.startswith('"') and current == "str":
                strings[-1] += ast.literal_eval(line)
        if msgid and ("#, fuzzy" in block or not all(strings)):
            missing.append(msgid)
    return missing


@pytest.mark.parametrize("language", SHIPPED)
def test_every_resident_facing_text_is_translated(language: str) -> None:
    assert untranslated(language) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "direction", "word"),
    [("ar", "rtl", "الخطوة"), ("ur", "rtl", "مرحلہ"), ("pl", "ltr", "Krok")],
)
def test_the_chosen_language_sticks_and_sets_the_direction(
    client: Client, service, offers, member_a, language: str, direction: str, word: str
) -> None:
    response = client.post("/i18n/setlang/", {"language": language, "next": "/services/"})
    assert response.status_code == 302
    page = client.get(f"/apply/{service.slug}/landlord/")
    body = page.content.decode()
    assert f'lang="{language}" dir="{direction}"' in body
    assert word in body


@pytest.mark.django_db
def test_errors_come_in_the_residents_language(client: Client, service, offers, member_a) -> None:
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    walk(client, service, member_a)
    response = client.post(f"/apply/{service.slug}/contact/", {"full_name": "", "email": "x"})
    body = response.content.decode()
    assert "هناك مشكلة" in body  # "There is a problem"
    assert "أدخل اسمك الكامل" in body  # "Enter your full name"
