"""Member management pages: what a member administrator can do, the invitation journey end to
end, and charlie (member B) refused member A's staff, invitations and roles."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from members.models import Invitation, Membership, MembershipRole
from members.scoping import consortium_scope, member_scope
from members.services import invitation_create, invitation_token
from notifications.services import email_send
from tests.accounts.helpers import (
    PASSWORD,
    actor_of,
    consortium_admin_create,
    link_in,
    totp_code,
)

pytestmark = pytest.mark.django_db


def roles_of(user: User) -> set[str]:
    with consortium_scope(reason="test"):
        return set(
            MembershipRole.objects.filter(membership__user=user).values_list("role", flat=True)
        )


def invitations_to(email: str) -> list[Invitation]:
    with consortium_scope(reason="test"):
        return list(Invitation.objects.filter(email=email))


@pytest.fixture
def a_invitation(bob):
    return invitation_create(actor=actor_of(bob), email="newbie@a.example", member_roles=["board"])


# --- A member administrator at work --------------------------------------------------------------


def test_staff_list_shows_own_staff_and_open_invitations(client, bob, alice, charlie, a_invitation):
    client.force_login(bob)
    response = client.get(reverse("members:staff_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert alice.email in body
    assert "newbie@a.example" in body
    assert charlie.email not in body


def test_staff_pages_are_refused_without_manage_staff(client, alice):
    client.force_login(alice)
    assert client.get(reverse("members:staff_list")).status_code == 403
    assert client.get(reverse("members:invitation_create")).status_code == 403


def test_staff_pages_need_sign_in(client, member_a):
    response = client.get(reverse("members:staff_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_invite_form_sends_an_invitation(client, bob, member_a):
    client.force_login(bob)
    response = client.post(
        reverse("members:invitation_create"),
        {"email": "New@A.example", "roles": ["caseworker", "service_lead"]},
    )
    assert response.status_code == 302
    [invitation] = invitations_to("new@a.example")
    assert invitation.member_id == member_a.pk
    assert sorted(invitation.member_roles) == ["caseworker", "service_lead"]


def test_invite_form_shows_errors_linked_to_fields(client, bob):
    client.force_login(bob)
    response = client.post(reverse("members:invitation_create"), {"email": "not-an-email"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="error-summary"' in body
    assert 'href="#id_email"' in body
    assert 'aria-describedby="id_email_helptext id_email_error"' in body
    assert 'id="id_roles_error"' in body
    assert invitations_to("not-an-email") == []


def test_invite_form_shows_a_domain_refusal_as_a_form_error(client, bob, charlie):
    client.force_login(bob)
    response = client.post(
        reverse("members:invitation_create"), {"email": charlie.email, "roles": ["caseworker"]}
    )
    assert response.status_code == 200
    assert "another association" in response.content.decode()
    assert invitations_to(charlie.email) == []


def test_role_change_page(client, bob, alice):
    client.force_login(bob)
    url = reverse("members:staff_detail", args=[alice.membership.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"roles": ["dpo", "board"]})
    assert response.status_code == 302
    assert roles_of(alice) == {"dpo", "board"}


def test_role_change_with_an_unknown_role_writes_nothing(client, bob, alice):
    client.force_login(bob)
    url = reverse("members:staff_detail", args=[alice.membership.pk])
    response = client.post(url, {"roles": ["superuser"]})
    assert response.status_code == 200
    assert roles_of(alice) == {"caseworker", "service_lead"}


def test_deactivation_page_signs_the_leaver_out_at_once(client, bob, alice):
    leaver = type(client)()
    leaver.force_login(alice)
    assert leaver.get("/dashboard/").status_code == 200
    client.force_login(bob)
    url = reverse("members:staff_deactivate", args=[alice.membership.pk])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    response = leaver.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    # The leaver's password no longer works either.
    leaver.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert "_auth_user_id" not in leaver.session


def test_revoke_page(client, bob, a_invitation):
    client.force_login(bob)
    url = reverse("members:invitation_revoke", args=[a_invitation.pk])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    [invitation] = invitations_to("newbie@a.example")
    assert invitation.revoked_at is not None


# --- The invitation journey, end to end ----------------------------------------------------------


def test_invitation_accepted_end_to_end_then_mfa_set_up(client, bob, member_a):
    admin = type(client)()
    admin.force_login(bob)
    admin.post(
        reverse("members:invitation_create"),
        {"email": "newbie@a.example", "roles": ["caseworker"]},
    )
    [invitation] = invitations_to("newbie@a.example")
    with member_scope(member_a.pk):
        email_send(kind="invitation", ids={"invitation_id": invitation.pk})
    link = link_in(mail.outbox[-1].body)
    path = link.split("://", 1)[1].split("/", 1)[1]

    # Sign-up is closed to anyone without an invitation.
    closed = client.get(reverse("account_signup"))
    assert "closed" in closed.content.decode().lower()
    assert 'name="password1"' not in closed.content.decode()
    response = client.get("/" + path)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_signup")
    page = client.get(reverse("account_signup"))
    assert page.status_code == 200
    assert 'value="newbie@a.example"' in page.content.decode()
    # Another address is refused: the invitation fixes the address.
    wrong = client.post(
        reverse("account_signup"),
        {
            "email": "other@a.example",
            "password1": "a long new passphrase",
            "password2": "a long new passphrase",
        },
    )
    assert wrong.status_code == 200
    assert not User.objects.filter(email="other@a.example").exists()

    response = client.post(
        reverse("account_signup"),
        {
            "email": "newbie@a.example",
            "password1": "a long new passphrase",
            "password2": "a long new passphrase",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="newbie@a.example")
    assert user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert actor_of(user).member_roles == {"caseworker"}
    assert invitations_to("newbie@a.example")[0].accepted_at is not None

    # Staff must set up MFA before anything else.
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the new password once more before MFA changes (sign-up is not a sign-in).
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": "a long new passphrase"})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert "Set up two-step verification" in page.content.decode()
    assert "Your role needs two-step verification" in page.content.decode()
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200

    # The link works once.
    assert client.get("/" + path).status_code == 404


def test_existing_account_signs_in_then_accepts(client, member_a, coordinator):
    admin_user = consortium_admin_create()
    invitation = invitation_create(
        actor=actor_of(admin_user),
        email=coordinator.email,
        consortium_roles=["board"],
    )
    url = reverse("members:invitation_accept", args=[invitation_token(invitation)])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    client.force_login(coordinator)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    assert actor_of(coordinator).consortium_roles == {"coordinator", "board"}


def test_unknown_token_shows_a_clear_page(client, db):
    response = client.get(reverse("members:invitation_accept", args=["nope"]))
    assert response.status_code == 404
    assert "does not work" in response.content.decode()


# --- The consortium administrator ----------------------------------------------------------------


def test_consortium_admin_invites_a_member_admin(client, member_b):
    admin = consortium_admin_create()
    client.force_login(admin)
    url = reverse("members:consortium_invitations")
    assert client.get(url).status_code == 200
    response = client.post(url, {"email": "boss@b.example", "member": member_b.pk})
    assert response.status_code == 302
    [invitation] = invitations_to("boss@b.example")
    assert invitation.member_id == member_b.pk
    assert invitation.member_roles == ["member_admin"]


def test_consortium_admin_form_refuses_an_unknown_member(client, db):
    admin = consortium_admin_create()
    client.force_login(admin)
    response = client.post(
        reverse("members:consortium_invitations"), {"email": "boss@b.example", "member": 999999}
    )
    assert response.status_code == 200
    assert invitations_to("boss@b.example") == []


def test_consortium_admin_revokes(client, member_b):
    admin = consortium_admin_create()
    invitation = invitation_create(
        actor=actor_of(admin), email="cora@c.example", consortium_roles=["coordinator"]
    )
    client.force_login(admin)
    url = reverse("members:consortium_invitation_revoke", args=[invitation.pk])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    assert invitations_to("cora@c.example")[0].revoked_at is not None


# --- Charlie (member B) and member A's staff -----------------------------------------------------


@pytest.mark.ownership("members:staff_list")
def test_it_checks_ownership_staff_list(client, charlie, alice, bob, a_invitation):
    client.force_login(charlie)
    body = client.get(reverse("members:staff_list")).content.decode()
    assert charlie.email in body
    for secret in (alice.email, bob.email, "newbie@a.example"):
        assert secret not in body


@pytest.mark.ownership("members:invitation_create")
def test_it_checks_ownership_invitation_create(client, charlie, member_a, member_b):
    client.force_login(charlie)
    response = client.post(
        reverse("members:invitation_create"),
        # A forged member id in the body: ignored, the invitation is for charlie's own member.
        {"email": "forged@a.example", "roles": ["member_admin"], "member": member_a.pk},
    )
    assert response.status_code == 302
    [invitation] = invitations_to("forged@a.example")
    assert invitation.member_id == member_b.pk


@pytest.mark.ownership("members:staff_detail")
def test_it_checks_ownership_staff_detail(client, charlie, alice):
    client.force_login(charlie)
    url = reverse("members:staff_detail", args=[alice.membership.pk])
    response = client.get(url)
    assert response.status_code == 404
    assert alice.email not in response.content.decode()
    assert client.post(url, {"roles": ["board"]}).status_code == 404
    assert roles_of(alice) == {"caseworker", "service_lead"}


@pytest.mark.ownership("members:staff_deactivate")
def test_it_checks_ownership_staff_deactivate(client, charlie, alice):
    client.force_login(charlie)
    url = reverse("members:staff_deactivate", args=[alice.membership.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    alice.refresh_from_db()
    assert alice.is_active
    with consortium_scope(reason="test"):
        assert Membership.objects.get(user=alice).deactivated_at is None


@pytest.mark.ownership("members:invitation_revoke")
def test_it_checks_ownership_invitation_revoke(client, charlie, a_invitation):
    client.force_login(charlie)
    url = reverse("members:invitation_revoke", args=[a_invitation.pk])
    response = client.get(url)
    assert response.status_code == 404
    assert "newbie@a.example" not in response.content.decode()
    assert client.post(url).status_code == 404
    assert invitations_to("newbie@a.example")[0].revoked_at is None


@pytest.mark.ownership("members:invitation_accept")
def test_it_checks_ownership_invitation_accept(client, charlie, a_invitation):
    # Charlie holds member A's invitation link (forwarded by mistake): it is not his to accept.
    client.force_login(charlie)
    url = reverse("members:invitation_accept", args=[invitation_token(a_invitation)])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert invitations_to("newbie@a.example")[0].accepted_at is None
    assert actor_of(charlie).member_id != a_invitation.member_id


@pytest.mark.ownership("members:consortium_invitations", "members:consortium_invitation_revoke")
def test_it_checks_ownership_consortium_invitations(client, charlie, member_a):
    admin = consortium_admin_create()
    invitation = invitation_create(
        actor=actor_of(admin),
        email="boss@a.example",
        member_roles=["member_admin"],
        member=member_a,
    )
    client.force_login(charlie)
    assert client.get(reverse("members:consortium_invitations")).status_code == 403
    response = client.post(
        reverse("members:consortium_invitations"), {"email": "x@a.example", "member": member_a.pk}
    )
    assert response.status_code == 403
    assert invitations_to("x@a.example") == []
    url = reverse("members:consortium_invitation_revoke", args=[invitation.pk])
    assert client.post(url).status_code == 403
    assert invitations_to("boss@a.example")[0].revoked_at is None


def test_forged_membership_id_in_the_url_is_404_not_500(client, bob):
    client.force_login(bob)
    assert client.get("/members/staff/999999999/").status_code == 404


def test_a_leaver_invited_back_accepts_with_a_post_then_signs_in(client, bob, alice):
    from members.services import membership_deactivate

    membership_deactivate(actor=actor_of(bob), membership=alice.membership)
    invitation = invitation_create(actor=actor_of(bob), email=alice.email, member_roles=["board"])
    url = reverse("members:invitation_accept", args=[invitation_token(invitation)])
    # Opening the link changes nothing (mail scanners follow links).
    assert client.get(url).status_code == 200
    alice.refresh_from_db()
    assert not alice.is_active
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    alice.refresh_from_db()
    assert alice.is_active
    assert actor_of(alice).member_roles == {"board"}
