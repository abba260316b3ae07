"""Error pages as visitors meet them: the portal's layout, their language, no traceback, and an
error id that is also in the log (issue 13)."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client, override_settings

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.consortium.urls_with_a_fault")]


def _error_id(html: str) -> str:
    found = re.search(r'class="error-id">([0-9A-F]{8})<', html)
    assert found, html
    return found.group(1)


@override_settings(DEBUG=False)
def test_a_failure_shows_the_layout_and_an_error_id_that_the_log_holds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="consortium.errors"):
        response = client.get("/test-fault/HC-AAAA-BBBB/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, something went wrong" in html
    assert 'id="main-content"' in html and "<nav" in html  # the base layout, not a bare page
    assert "secret-detail" not in html and "Traceback" not in html
    error_id = _error_id(html)
    records = [r for r in caplog.records if r.name == "consortium.errors"]
    assert len(records) == 1
    logged = records[0].getMessage()
    assert error_id in logged
    assert records[0].exc_info is not None  # the traceback is in the log, for the developer
    # The log names the route, never the URL's own values (a reference, a name, a postcode).
    assert "test-fault/<str:reference>/" in logged and "HC-AAAA-BBBB" not in logged


@override_settings(DEBUG=False)
def test_each_failure_has_its_own_error_id() -> None:
    client = Client(raise_request_exception=False)
    first = _error_id(client.get("/test-fault/x/").content.decode())
    second = _error_id(client.get("/test-fault/x/").content.decode())
    assert first != second


@override_settings(DEBUG=False)
@pytest.mark.parametrize(
    ("language", "words"),
    [("pl", "Przepraszamy, coś poszło nie tak"), ("ar", "عذرًا، حدث خطأ ما")],
)
def test_the_500_page_speaks_the_visitors_language(language: str, words: str) -> None:
    client = Client(raise_request_exception=False, headers={"accept-language": language})
    html = client.get("/test-fault/x/").content.decode()
    assert words in html
    assert f'lang="{language}"' in html


@override_settings(DEBUG=False)
def test_the_404_page_is_in_the_layout_and_the_visitors_language() -> None:
    response = Client(headers={"accept-language": "so"}).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Bogga lama helin" in html
    assert 'id="main-content"' in html and "<nav" in html


@override_settings(DEBUG=False)
def test_the_403_page_is_in_the_layout_and_the_visitors_language(client, cast) -> None:  # noqa: ANN001
    # A resident asking for the staff inbox is refused with the portal's own 403 page.
    client.force_login(cast.resident_user)
    response = client.get("/referrals/", headers={"accept-language": "pl"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Nie możesz tego zrobić" in html
    assert 'id="main-content"' in html


@override_settings(DEBUG=False)
def test_a_refusal_a_page_did_not_catch_is_the_page_for_its_kind_not_a_500() -> None:
    client = Client(raise_request_exception=False)
    forbidden = client.get("/test-refusal/not-permitted/")
    assert forbidden.status_code == 403
    assert "You cannot do that" in forbidden.content.decode()
    conflict = client.get("/test-refusal/rule-broken/")
    assert conflict.status_code == 409
    html = conflict.content.decode()
    assert "We could not do that" in html and "That session is full." in html
