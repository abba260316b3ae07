"""No page puts a free-text personal search term in a URL (README, Security): a resident's name
in a query string lands in browser history, proxies and access logs.

Every page of the portal is fetched by a signed-in member of staff (charlie, holding every
member-B role, and the coordinator) with a name search held in the session; then every
`<form method=get>` is read: a text field in it must be one listed below with the reason it is not
personal, and no link or form action carries the searched name.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from members.scoping import member_scope
from referrals.models import ReferralContact
from tests.referrals.test_cache_control import full_paths

pytestmark = pytest.mark.django_db

# Text fields a GET form may have, by page and field, each with why it names no resident.
NOT_PERSONAL = {
    ("/referrals/", "area"): "a postcode district (E1), shared by thousands",
    ("/referrals/audit/", "object_type"): "a kind of record (referral_contact)",
    ("/referrals/audit/", "object_id"): "a record's number",
    ("/referrals/audit/", "actor"): "a member of staff's work email, not a resident's",
    ("/services/", "q"): "the public catalogue's search over services, not people",
    ("/services/", "postcode"): "the visitor's own postcode on the public catalogue, to rank "
    "services by distance; a staff search never goes through it",
}
TEXT_TYPES = {"", "text", "search", "email", "tel"}


class Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.get_form = False
        self.text_fields: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.get_form = a.get("method", "get").lower() == "get"
            self.urls.append(a.get("action", ""))
        elif tag == "a":
            self.urls.append(a.get("href", ""))
        elif (
            self.get_form
            and tag == "textarea"
            or self.get_form
            and tag == "input"
            and a.get("type", "").lower() in TEXT_TYPES
        ):
            self.text_fields.append(a.get("name", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.get_form = False


def test_no_page_puts_a_personal_search_term_in_a_url(
    accepted_by_b: Any, charlie: Any, coordinator: Any
) -> None:
    with member_scope(accepted_by_b.member_id):
        name = ReferralContact.objects.get(referral=accepted_by_b).full_name
    offenders: dict[str, Any] = {}
    pages = 0
    for user in (charlie, coordinator):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        client.post(reverse("referrals:inbox_search"), {"q": name})
        for path in full_paths(str(accepted_by_b.pk)):
            response = client.get(path)
            if "text/html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            forms = Forms()
            forms.feed(response.content.decode())
            personal = [f for f in forms.text_fields if (path, f) not in NOT_PERSONAL]
            leaked = [u for u in forms.urls if name.split()[0] in u]
            if personal or leaked:
                offenders[f"{user.email} {path}"] = personal + leaked
    assert pages > 50  # the walk reached the pages, not only redirects
    assert offenders == {}
