"""Every staff role needs a second factor before anything else; residents never do."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.factories import UserFactory, consortium_role_grant, staff_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_without_mfa(member_a):
    return staff_create(member_a, "nomfa@a.example", ["member_admin"], mfa=False)


@pytest.mark.parametrize(
    "path", ["/dashboard/", "/members/staff/", "/members/staff/invite/", "/services/", "/"]
)
def test_staff_without_mfa_are_sent_to_set_it_up(client, staff_without_mfa, path):
    client.force_login(staff_without_mfa)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_consortium_staff_without_mfa_are_sent_to_set_it_up(client, db):
    user = UserFactory(email="cora@consortium.example")
    consortium_role_grant(user, "coordinator", mfa=False)
    client.force_login(user)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_without_mfa_may_still_set_it_up_and_sign_out(client, staff_without_mfa):
    client.force_login(staff_without_mfa)
    for name in ("mfa_index", "account_reauthenticate", "account_logout"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
    # Activating TOTP asks for the password first (allauth); that page is allowed too.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    # Health is not behind the second factor (a load balancer has none).
    health = client.get("/health/")
    assert "Location" not in health and health.status_code != 403


def test_recovery_codes_alone_do_not_count(client, staff_without_mfa):
    Authenticator.objects.create(
        user=staff_without_mfa, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00"}
    )
    client.force_login(staff_without_mfa)
    assert client.get("/dashboard/")["Location"] == reverse("mfa_activate_totp")


def test_staff_with_totp_get_through(client, alice):
    client.force_login(alice)
    assert client.get("/dashboard/").status_code == 200


def test_residents_never_need_mfa(client, resident_user):
    client.force_login(resident_user)
    assert client.get("/dashboard/").status_code == 200


def test_staff_cannot_remove_their_last_second_factor(client, alice):
    from accounts.adapter import MFAAdapter
    from members.scoping import user_scope

    totp = Authenticator.objects.get(user=alice, type=Authenticator.Type.TOTP)
    with user_scope(alice.pk):
        assert not MFAAdapter().can_delete_authenticator(totp)


def test_residents_may_remove_theirs(resident_user):
    from allauth.mfa.totp.internal.auth import TOTP
    from django.conf import settings

    from accounts.adapter import MFAAdapter

    totp = TOTP.activate(resident_user, settings.DEMO_TOTP_SECRET).instance
    assert MFAAdapter().can_delete_authenticator(totp)
