"""API tokens: hashed at rest, expiring, revocable, carrying exactly the user's member and
roles; created and revoked only by their owner, in pages that need MFA in the session."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from tests.api.conftest import World, error_of, token_for

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def signed_in(client: Any, user: Any, *, mfa: bool = True) -> Any:
    """A browser session as allauth leaves it after password (+ TOTP when `mfa`)."""
    client.force_login(user)
    session = client.session
    now = time.time()
    records = [{"method": "password", "at": now, "email": user.email}]
    if mfa:
        # As allauth records the TOTP step at sign-in.
        records.append({"method": "mfa", "at": now, "type": "totp"})
    session["account_authentication_methods"] = records
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


def test_the_secret_is_stored_only_as_a_hash(cast: Any) -> None:
    plaintext = token_for(cast.alice)
    _, prefix, secret = plaintext.split("_", 2)
    row = ApiToken.objects.get(prefix=prefix)
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = " ".join(str(v) for v in ApiToken.objects.filter(pk=row.pk).values().first().values())
    assert secret not in stored
    assert not hasattr(ApiToken, "member_id")
    assert "member" not in {f.name for f in ApiToken._meta.get_fields()}


def test_a_token_acts_with_its_users_member_and_nothing_more(cast: Any, world: World) -> None:
    client = bearer(token_for(cast.alice))
    refs = {r["reference"] for r in client.get("/api/v1/referrals/").json()["results"]}
    assert world.referral.reference in refs
    # Alice is a caseworker and service lead: the audit log needs the DPO role.
    assert client.get("/api/v1/audit-events/").status_code == 403


def test_an_expired_token_is_refused(cast: Any) -> None:
    plaintext = token_for(cast.alice)
    ApiToken.objects.filter(prefix=plaintext.split("_")[1]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = bearer(plaintext).get("/api/v1/referrals/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused(cast: Any) -> None:
    from api.services import api_token_revoke
    from tests.accounts.helpers import actor_of

    plaintext = token_for(cast.alice)
    token = ApiToken.objects.get(prefix=plaintext.split("_")[1])
    assert bearer(plaintext).get("/api/v1/members/").status_code == 200
    from members.scoping import member_scope

    actor = actor_of(cast.alice)
    with member_scope(actor.member_id, user_id=cast.alice.pk):
        api_token_revoke(token=token, actor=actor)
    assert bearer(plaintext).get("/api/v1/members/").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer hcp_nope_nope", "Bearer garbage", "Bearer", "Bearer a b", "Bearer hcp__x"],
)
def test_a_wrong_token_is_a_401_in_the_error_format(cast: Any, header: str) -> None:
    token_for(cast.alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/members/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


def test_the_right_prefix_with_a_wrong_secret_is_refused(cast: Any) -> None:
    plaintext = token_for(cast.alice)
    assert bearer(plaintext[:-2] + "zz").get("/api/v1/members/").status_code == 401


def test_no_credentials_is_a_401(db: Any) -> None:
    response = APIClient().get("/api/v1/referrals/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_a_leavers_token_stops_reaching_their_member(cast: Any, world: World) -> None:
    from members.models import Membership
    from members.scoping import member_scope

    client = bearer(token_for(cast.alice))
    with member_scope(world.member_a.pk):
        Membership.objects.filter(user=cast.alice).update(deactivated_at=timezone.now())
    response = client.get("/api/v1/referrals/")
    assert response.status_code == 403


def test_last_used_is_recorded(cast: Any) -> None:
    plaintext = token_for(cast.alice)
    bearer(plaintext).get("/api/v1/members/")
    assert ApiToken.objects.get(prefix=plaintext.split("_")[1]).last_used_at is not None


def test_residents_cannot_have_tokens(cast: Any) -> None:
    from api.services import TokenError, api_token_issue
    from tests.accounts.helpers import actor_of

    with pytest.raises(TokenError):
        api_token_issue(owner=actor_of(cast.resident_user), name="x", days=5)


# --- the command ---------------------------------------------------------------------------------


def test_the_command_prints_a_working_token_once(cast: Any, world: World) -> None:
    out, err = StringIO(), StringIO()
    call_command(
        "api_token_issue", email="ALICE@a.example", name="sync", days=7, stdout=out, stderr=err
    )
    plaintext = out.getvalue().strip()
    assert plaintext.startswith("hcp_") and "\n" not in plaintext
    assert plaintext not in err.getvalue()
    token = ApiToken.objects.get(prefix=plaintext.split("_")[1])
    assert token.user == cast.alice and token.name == "sync"
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert bearer(plaintext).get("/api/v1/referrals/").status_code == 200


@pytest.mark.parametrize(
    ("email", "days", "message"),
    [
        ("nobody@example.org", 7, "No user"),
        ("alice@a.example", 0, "between 1 and 365"),
        ("alice@a.example", 400, "between 1 and 365"),
        ("resident@example.org", 7, "do not include API access"),
    ],
)
def test_the_command_refuses_bad_requests(cast: Any, email: str, days: int, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("api_token_issue", email=email, name="sync", days=days, stdout=StringIO())
    assert not ApiToken.objects.exists()


# --- the pages -----------------------------------------------------------------------------------


def test_creating_a_token_shows_it_once(client: Any, cast: Any, world: World) -> None:
    signed_in(client, cast.alice)
    assert client.get(reverse("api:token_create")).status_code == 200
    response = client.post(reverse("api:token_create"), {"name": "Housing system", "days": "90"})
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    plaintext = response.context["plaintext"]
    assert plaintext in response.content.decode()
    listing = client.get(reverse("api:token_list")).content.decode()
    assert "Housing system" in listing and plaintext not in listing
    assert bearer(plaintext).get("/api/v1/referrals/").status_code == 200


def test_bad_input_on_the_page_is_a_400_with_the_reason(client: Any, cast: Any) -> None:
    signed_in(client, cast.alice)
    response = client.post(reverse("api:token_create"), {"name": "", "days": "7"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_the_pages_need_mfa_in_this_session(client: Any, cast: Any) -> None:
    signed_in(client, cast.alice, mfa=False)
    response = client.get(reverse("api:token_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    response = client.post(reverse("api:token_create"), {"name": "x", "days": "30"})
    assert response.status_code == 302
    assert not ApiToken.objects.exists()


def test_creating_needs_a_recent_second_factor(client: Any, cast: Any) -> None:
    signed_in(client, cast.alice)
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] = time.time() - 3600
    session.save()
    assert client.get(reverse("api:token_create")).status_code == 200
    response = client.post(reverse("api:token_create"), {"name": "x", "days": "30"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert not ApiToken.objects.exists()


def test_roles_without_api_access_are_refused(client: Any, cast: Any) -> None:
    signed_in(client, cast.board_member)
    assert client.get(reverse("api:token_list")).status_code == 403


@pytest.mark.ownership("api:token_list", "api:token_create", "api:token_revoke")
def test_it_checks_ownership_of_tokens(client: Any, cast: Any) -> None:
    """Charlie sees and revokes only his own tokens: alice's answers 404 like a missing one."""
    plaintext = token_for(cast.alice)
    alices = ApiToken.objects.get(prefix=plaintext.split("_")[1])
    signed_in(client, cast.charlie)
    listing = client.get(reverse("api:token_list")).content.decode()
    assert alices.prefix not in listing and alices.name not in listing
    assert client.get(reverse("api:token_revoke", args=[alices.pk])).status_code == 404
    assert client.post(reverse("api:token_revoke", args=[alices.pk])).status_code == 404
    assert client.post(reverse("api:token_revoke", args=[2**40])).status_code == 404
    created = client.post(reverse("api:token_create"), {"name": "mine", "days": "30"})
    assert created.status_code == 201
    assert ApiToken.objects.get(name="mine").user == cast.charlie
    alices.refresh_from_db()
    assert alices.revoked_at is None
    assert bearer(plaintext).get("/api/v1/members/").status_code == 200


def test_revoking_a_token_on_the_page(client: Any, cast: Any) -> None:
    plaintext = token_for(cast.alice)
    token = ApiToken.objects.get(prefix=plaintext.split("_")[1])
    signed_in(client, cast.alice)
    assert client.get(reverse("api:token_revoke", args=[token.pk])).status_code == 200
    response = client.post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer(plaintext).get("/api/v1/members/").status_code == 401
