"""Signing in: staff need the second factor, residents sign in by emailed code, and repeated
failures are throttled (allauth's rate limits, counted in Redis)."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.services import resident_user_get_or_create
from tests.accounts.helpers import PASSWORD, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _code_in(body: str) -> str:
    match = re.search(r"^\s*([A-Z0-9][A-Z0-9-]{4,10})\s*$", body, re.M)
    assert match, body
    return match.group(1)


def _verified(user):
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def test_staff_password_alone_reaches_nothing(client, alice, bob):
    _verified(alice)
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    for path in ("/dashboard/", "/members/staff/", "/referrals/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(("/accounts/login/", "/admin/login/")), path
    # With the second factor, the sign-in completes.
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert client.get("/dashboard/").status_code == 200


def test_a_wrong_second_factor_is_refused(client, alice):
    _verified(alice)
    client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_sign_in_by_code_still_needs_the_second_factor_for_staff(client, alice):
    _verified(alice)
    client.post(reverse("account_request_login_code"), {"email": alice.email})
    code = _code_in(mail.outbox[-1].body)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def test_resident_signs_in_by_emailed_code_without_mfa(client, member_a):
    resident = resident_user_get_or_create(email="Rita@Example.org", language="bn")
    assert resident.email == "rita@example.org"
    assert resident.preferred_language == "bn"
    assert not resident.has_usable_password()
    assert EmailAddress.objects.get(user=resident).verified

    response = client.post(reverse("account_request_login_code"), {"email": "rita@example.org"})
    assert response.status_code == 302
    code = _code_in(mail.outbox[-1].body)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(resident.pk)
    assert client.get("/dashboard/").status_code == 200


def test_resident_user_get_or_create_returns_the_existing_account(db):
    first = resident_user_get_or_create(email="rita@example.org", language="en")
    again = resident_user_get_or_create(email="RITA@example.org ", language="pl")
    assert again.pk == first.pk
    assert again.preferred_language == "en"


def test_resident_language_falls_back_to_the_default(db):
    assert (
        resident_user_get_or_create(email="r@example.org", language="xx").preferred_language == "en"
    )


def test_repeated_failed_sign_ins_are_throttled(client, alice):
    _verified(alice)
    for _ in range(5):
        response = client.post(
            reverse("account_login"), {"login": alice.email, "password": "wrong password"}
        )
        assert response.status_code == 200
    # The right password no longer helps until the window passes.
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    # allauth answers the throttled form itself (200, with the message), not a bare 429.
    assert response.status_code == 200
    assert "too many" in response.content.decode().lower()
    assert response.get("Location") != reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def test_sign_in_page_is_in_our_accessible_layout(client, db):
    response = client.post(reverse("account_login"), {"login": "", "password": ""})
    body = response.content.decode()
    assert 'class="skip-link"' in body
    assert 'class="error-summary"' in body
    assert 'href="#id_login"' in body
    assert 'aria-describedby="id_login_error"' in body
    assert 'aria-invalid="true"' in body
    assert '<label for="id_login">' in body
    assert 'class="button"' in body


def _sign_in(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_a_leavers_right_password_is_answered_like_a_wrong_one(client, alice, bob):
    _verified(alice)
    _verified(bob)
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    right = _sign_in(client, alice.email, PASSWORD)
    wrong = _sign_in(client, bob.email, "wrong password")

    assert right.status_code == wrong.status_code == 200
    assert right.get("Location") is None
    assert right.context["form"].errors == wrong.context["form"].errors
    assert "not correct" in str(right.context["form"].errors)
    assert reverse("account_inactive") not in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_leavers_right_password_still_counts_as_a_failed_sign_in(client, alice):
    _verified(alice)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    for _ in range(4):
        assert _sign_in(client, alice.email, "wrong password").status_code == 200
    # The right password is a fifth failure (not given back as a success would be) ...
    assert "not correct" in _sign_in(client, alice.email, PASSWORD).content.decode()
    # ... so the window is used up: the sixth try is throttled.
    assert "too many" in _sign_in(client, alice.email, PASSWORD).content.decode().lower()
