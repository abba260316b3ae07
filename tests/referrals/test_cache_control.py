"""No response with personal data may be cached (README, Security): every URL of the portal,
fetched by a signed-in member of staff, answers `Cache-Control: private, no-store`, whatever its
status. Only the public Open Referral feed, to a visitor not signed in, may be cached.

It lives with the referrals tests for their fixtures: every id in a URL is a referral charlie's
member has accepted, so the referral page and the API's referral detail answer 200 with a
resident's contact details, not only a 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import get_resolver

pytestmark = pytest.mark.django_db

# Any value of the right shape: the header must be there on a 404 or 403 as much as on a 200.
SAMPLE = {"uuid": "00000000-0000-0000-0000-000000000001", "path": "x"}


def concrete(route: str, pk: str = "1") -> str:
    # Regex patterns (admin, the API router): drop anchors and fill a group with a plain value.
    route = re.sub(r"\(\?P<\w+>[^)]*\)", pk, route).replace("^", "").replace("$", "")
    fill = {**SAMPLE, "int": pk}
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: fill.get(m.group(1) or "str", "x"), route)
    return "/" + route.replace("\\", "")


def full_paths(pk: str = "1") -> list[str]:
    # Every pattern of the URL configuration, as tests/test_url_ownership.py walks it.
    paths: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, prefix + str(p.pattern))
            else:
                paths.append(concrete(prefix + str(p.pattern), pk))

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


def test_every_url_answers_a_signed_in_user_private_no_store(
    charlie: Any, accepted_by_b: Any
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(charlie)
    pk = str(accepted_by_b.pk)
    paths = full_paths(pk)
    personal = [f"/referrals/{pk}/", f"/api/v1/referrals/{pk}/", "/referrals/", "/referrals/audit/"]
    assert set(personal) <= set(paths)
    uncached = {}
    for path in paths:
        response = client.get(path)
        if path in personal:
            assert response.status_code == 200, path
        directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
        if not {"private", "no-store"} <= directives or "public" in directives:
            uncached[path] = (response.status_code, response.get("Cache-Control"))
    assert uncached == {}


def test_the_public_feed_stays_cacheable_for_anonymous_visitors(client: Any) -> None:
    feed = next(p for p in full_paths() if p.startswith("/openreferral/") and "1" not in p)
    response = client.get(feed)
    assert "public" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]


def test_an_anonymous_page_with_no_declaration_is_private(client: Any) -> None:
    response = client.get("/accounts/login/")
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}
