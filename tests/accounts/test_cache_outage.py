"""Sign-in while the cache's Redis is down (issue 23): it works, and allauth's limits and the
TOTP replay guard are still kept, counted in this process until Redis returns."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from tests.accounts.helpers import PASSWORD, totp_code
from tests.fixtures_services import private_redis, redis_cache

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down() -> Iterator[None]:
    with private_redis() as server, redis_cache(server.url):
        server.stop()
        yield


@pytest.fixture
def verified_alice(alice):  # type: ignore[no-untyped-def]
    EmailAddress.objects.get_or_create(
        user=alice, email=alice.email, defaults={"verified": True, "primary": True}
    )
    return alice


def test_sign_in_works_with_the_cache_down(client: Client, verified_alice, redis_down) -> None:  # type: ignore[no-untyped-def]
    assert client.get(reverse("account_login")).status_code == 200
    wrong = client.post(
        reverse("account_login"), {"login": verified_alice.email, "password": "wrong password"}
    )
    assert wrong.status_code == 200
    right = client.post(
        reverse("account_login"), {"login": verified_alice.email, "password": PASSWORD}
    )
    assert right.status_code == 302
    assert right["Location"] == reverse("mfa_authenticate")
    second = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert second.status_code == 302
    assert client.session["_auth_user_id"] == str(verified_alice.pk)
    assert client.get("/dashboard/").status_code == 200


def test_failed_sign_ins_are_still_limited_per_process(
    client: Client,
    verified_alice,
    redis_down,  # type: ignore[no-untyped-def]
) -> None:
    address = {"REMOTE_ADDR": "10.23.0.6"}
    for _ in range(5):
        response = client.post(
            reverse("account_login"),
            {"login": verified_alice.email, "password": "wrong password"},
            **address,
        )
        assert response.status_code == 200
    sixth = client.post(
        reverse("account_login"), {"login": verified_alice.email, "password": PASSWORD}, **address
    )
    assert sixth.status_code == 200
    assert "too many" in sixth.content.decode().lower()
    assert "_auth_user_id" not in client.session


def test_a_totp_code_is_still_refused_the_second_time(verified_alice, redis_down) -> None:  # type: ignore[no-untyped-def]
    code = totp_code()
    first, second = Client(), Client()
    for browser in (first, second):
        browser.post(
            reverse("account_login"), {"login": verified_alice.email, "password": PASSWORD}
        )
    assert first.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert first.session["_auth_user_id"] == str(verified_alice.pk)
    replay = second.post(reverse("mfa_authenticate"), {"code": code})
    assert replay.status_code == 200
    assert "_auth_user_id" not in second.session
