"""Invitations, roles and leavers: who may do what, and what each change writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.core import mail
from django.utils import timezone

from accounts.models import User
from members.models import (
    ConsortiumRoleAssignment,
    Invitation,
    Membership,
    MembershipRole,
)
from members.scoping import consortium_scope, member_scope
from members.services import (
    InvitationError,
    StaffError,
    invitation_accept,
    invitation_create,
    invitation_find_open,
    invitation_revoke,
    invitation_token,
    invitation_token_hash,
    membership_deactivate,
    membership_roles_set,
)
from notifications.services import email_send
from outbox.models import OutboxMessage
from tests.accounts.helpers import actor_of, consortium_admin_create, link_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def roles_of(user: User) -> set[str]:
    with consortium_scope(reason="test"):
        return set(
            MembershipRole.objects.filter(membership__user=user).values_list("role", flat=True)
        )


def invitation_row(pk: int) -> Invitation:
    with consortium_scope(reason="test"):
        return Invitation.objects.get(pk=pk)


# --- Who may invite whom -------------------------------------------------------------------------


def test_member_admin_invites_staff_of_their_own_member(bob, member_a):
    invitation = invitation_create(
        actor=actor_of(bob), email="New.Person@A.example", member_roles=["caseworker", "dpo"]
    )
    assert invitation.member_id == member_a.pk
    assert invitation.email == "new.person@a.example"
    assert invitation.member_roles == ["caseworker", "dpo"]
    assert invitation.invited_by == bob
    assert invitation.expires_at > timezone.now() + timedelta(days=13)
    message = OutboxMessage.objects.get(dedupe_key=f"invitation:{invitation.pk}")
    assert message.kwargs == {"kind": "invitation", "ids": {"invitation_id": invitation.pk}}
    assert message.scope_member_id == member_a.pk


def test_member_admin_may_make_another_member_admin(bob):
    invitation = invitation_create(
        actor=actor_of(bob), email="second.admin@a.example", member_roles=["member_admin"]
    )
    assert invitation.member_roles == ["member_admin"]


def test_member_admin_cannot_invite_staff_of_another_member(bob, member_b):
    with pytest.raises(InvitationError) as exc:
        invitation_create(
            actor=actor_of(bob), email="x@b.example", member_roles=["caseworker"], member=member_b
        )
    assert exc.value.code == "forbidden"
    with consortium_scope(reason="test"):
        assert not Invitation.objects.filter(email="x@b.example").exists()


def test_member_admin_cannot_give_consortium_roles(bob):
    with pytest.raises(InvitationError) as exc:
        invitation_create(
            actor=actor_of(bob), email="x@a.example", consortium_roles=["coordinator"]
        )
    assert exc.value.code == "forbidden"


@pytest.mark.parametrize("who", ["alice", "dpo", "board_member", "coordinator"])
def test_staff_without_manage_staff_cannot_invite(request, who):
    user = request.getfixturevalue(who)
    with pytest.raises(InvitationError):
        invitation_create(actor=actor_of(user), email="x@a.example", member_roles=["caseworker"])


def test_resident_cannot_invite(resident_user):
    with pytest.raises(InvitationError):
        invitation_create(
            actor=actor_of(resident_user), email="x@a.example", member_roles=["caseworker"]
        )


def test_unknown_role_is_refused(bob):
    with pytest.raises(InvitationError) as exc:
        invitation_create(actor=actor_of(bob), email="x@a.example", member_roles=["superuser"])
    assert exc.value.code == "unknown_role"


def test_invitation_needs_a_role(bob):
    with pytest.raises(InvitationError) as exc:
        invitation_create(actor=actor_of(bob), email="x@a.example", member_roles=[])
    assert exc.value.code == "no_role"


def test_consortium_admin_invites_member_admin_of_any_member(db, member_b):
    admin = consortium_admin_create()
    invitation = invitation_create(
        actor=actor_of(admin),
        email="boss@b.example",
        member_roles=["member_admin"],
        member=member_b,
    )
    assert invitation.member_id == member_b.pk
    assert invitation.member_roles == ["member_admin"]


def test_consortium_admin_cannot_invite_caseworkers_of_a_member(db, member_b):
    admin = consortium_admin_create()
    with pytest.raises(InvitationError) as exc:
        invitation_create(
            actor=actor_of(admin),
            email="cw@b.example",
            member_roles=["caseworker"],
            member=member_b,
        )
    assert exc.value.code == "forbidden"


def test_consortium_admin_invites_consortium_roles_without_a_member(db):
    admin = consortium_admin_create()
    invitation = invitation_create(
        actor=actor_of(admin), email="cora@consortium.example", consortium_roles=["coordinator"]
    )
    assert invitation.member_id is None
    assert invitation.consortium_roles == ["coordinator"]
    # Invisible to every member: only the consortium scope sees it.
    with member_scope(invitation.invited_by.pk):
        assert not Invitation.objects.filter(pk=invitation.pk).exists()


def test_a_second_open_invitation_to_the_same_address_is_refused(bob):
    invitation_create(actor=actor_of(bob), email="x@a.example", member_roles=["caseworker"])
    with pytest.raises(InvitationError) as exc:
        invitation_create(actor=actor_of(bob), email="X@a.example", member_roles=["board"])
    assert exc.value.code == "pending"


def test_staff_of_another_member_cannot_be_invited(bob, charlie):
    with pytest.raises(InvitationError) as exc:
        invitation_create(actor=actor_of(bob), email=charlie.email, member_roles=["caseworker"])
    assert exc.value.code == "already_staff"


def test_current_staff_are_not_invited_again(bob, alice):
    with pytest.raises(InvitationError) as exc:
        invitation_create(actor=actor_of(bob), email=alice.email, member_roles=["board"])
    assert exc.value.code == "already_staff"


# --- The token and the email ---------------------------------------------------------------------


def test_only_the_hash_of_the_token_is_stored_and_the_token_finds_the_invitation(bob):
    invitation = invitation_create(
        actor=actor_of(bob), email="x@a.example", member_roles=["caseworker"]
    )
    token = invitation_token(invitation)
    stored = invitation_row(invitation.pk)
    assert stored.token_hash == invitation_token_hash(token)
    assert token not in stored.token_hash
    found = invitation_find_open(token=token)
    assert found is not None and found.pk == invitation.pk
    assert invitation_find_open(token=token[:-1] + ("0" if token[-1] != "0" else "1")) is None
    assert invitation_find_open(token="") is None


def test_a_malformed_token_is_refused_without_entering_the_consortium_scope(db):
    from audit.models import AuditEvent

    with consortium_scope(reason="test"):
        before = AuditEvent.objects.count()
    assert invitation_find_open(token="../../etc/passwd") is None
    with consortium_scope(reason="test"):
        assert AuditEvent.objects.count() == before + 1  # only this test's own scope


def test_invitation_email_carries_the_link(bob, member_a):
    invitation = invitation_create(
        actor=actor_of(bob), email="x@a.example", member_roles=["caseworker"]
    )
    with member_scope(member_a.pk):
        assert email_send(kind="invitation", ids={"invitation_id": invitation.pk}) == 1
    message = mail.outbox[-1]
    assert message.to == ["x@a.example"]
    assert "Aldgate Homes" in message.subject
    assert link_in(message.body).endswith(
        f"/members/invitations/accept/{invitation_token(invitation)}/"
    )


def test_revoked_invitation_sends_no_email_and_its_link_stops_working(bob, member_a):
    invitation = invitation_create(
        actor=actor_of(bob), email="x@a.example", member_roles=["caseworker"]
    )
    invitation_revoke(actor=actor_of(bob), invitation=invitation)
    with member_scope(member_a.pk):
        assert email_send(kind="invitation", ids={"invitation_id": invitation.pk}) == 0
    assert invitation_find_open(token=invitation_token(invitation)) is None


# --- Accepting -----------------------------------------------------------------------------------


def test_accept_gives_the_invited_roles_and_verifies_the_address(bob, member_a):
    invitation = invitation_create(
        actor=actor_of(bob), email="new@a.example", member_roles=["caseworker", "service_lead"]
    )
    user = UserFactory(email="new@a.example")
    invitation_accept(invitation_id=invitation.pk, user=user)
    actor = actor_of(user)
    assert actor.member_id == member_a.pk
    assert actor.member_roles == {"caseworker", "service_lead"}
    assert EmailAddress.objects.get(user=user, email="new@a.example").verified
    assert invitation_row(invitation.pk).accepted_at is not None


def test_accept_twice_is_refused(bob):
    invitation = invitation_create(
        actor=actor_of(bob), email="new@a.example", member_roles=["caseworker"]
    )
    user = UserFactory(email="new@a.example")
    invitation_accept(invitation_id=invitation.pk, user=user)
    with pytest.raises(InvitationError) as exc:
        invitation_accept(invitation_id=invitation.pk, user=user)
    assert exc.value.code == "not_open"


def test_accept_by_someone_else_is_refused_and_writes_nothing(bob, charlie):
    invitation = invitation_create(
        actor=actor_of(bob), email="new@a.example", member_roles=["member_admin"]
    )
    with pytest.raises(InvitationError) as exc:
        invitation_accept(invitation_id=invitation.pk, user=charlie)
    assert exc.value.code == "wrong_user"
    assert invitation_row(invitation.pk).accepted_at is None
    assert "member_admin" in roles_of(charlie)  # unchanged: charlie's own roles at B
    assert actor_of(charlie).member_id != bob.membership.member_id


def test_expired_invitation_cannot_be_accepted(bob):
    invitation = invitation_create(
        actor=actor_of(bob), email="new@a.example", member_roles=["caseworker"]
    )
    with consortium_scope(reason="test"):
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    user = UserFactory(email="new@a.example")
    with pytest.raises(InvitationError):
        invitation_accept(invitation_id=invitation.pk, user=user)
    with consortium_scope(reason="test"):
        assert not Membership.objects.filter(user=user).exists()


def test_consortium_administrator_invitation_makes_a_django_admin(db):
    admin = consortium_admin_create()
    invitation = invitation_create(
        actor=actor_of(admin), email="ada2@consortium.example", consortium_roles=["administrator"]
    )
    user = UserFactory(email="ada2@consortium.example")
    invitation_accept(invitation_id=invitation.pk, user=user)
    user.refresh_from_db()
    assert user.is_staff
    assert ConsortiumRoleAssignment.objects.filter(user=user, role="administrator").exists()
    assert actor_of(user).member_id is None


def test_revoke_by_another_members_admin_is_refused(bob, charlie):
    invitation = invitation_create(
        actor=actor_of(bob), email="new@a.example", member_roles=["caseworker"]
    )
    with pytest.raises(InvitationError):
        invitation_revoke(actor=actor_of(charlie), invitation=invitation)
    assert invitation_row(invitation.pk).revoked_at is None


# --- Roles and leavers ---------------------------------------------------------------------------


def test_member_admin_changes_roles(bob, alice):
    membership_roles_set(actor=actor_of(bob), membership=alice.membership, roles=["dpo"])
    assert roles_of(alice) == {"dpo"}
    assert actor_of(alice).member_roles == {"dpo"}


def test_roles_of_another_members_staff_cannot_be_changed(charlie, alice):
    with pytest.raises(StaffError):
        membership_roles_set(actor=actor_of(charlie), membership=alice.membership, roles=["board"])
    assert roles_of(alice) == {"caseworker", "service_lead"}


def test_the_last_member_admin_keeps_the_role(bob):
    with pytest.raises(StaffError) as exc:
        membership_roles_set(actor=actor_of(bob), membership=bob.membership, roles=["caseworker"])
    assert exc.value.code == "last_admin"
    assert roles_of(bob) == {"member_admin"}


def test_deactivation_cuts_access_at_once_and_keeps_the_records(bob, alice, client):
    client.force_login(alice)
    other = type(client)()
    other.force_login(alice)
    assert client.get("/dashboard/").status_code == 200
    membership_deactivate(actor=actor_of(bob), membership=alice.membership)
    alice.refresh_from_db()
    assert not alice.is_active
    with consortium_scope(reason="test"):
        membership = Membership.objects.get(user=alice)
    assert membership.deactivated_at is not None
    assert membership.deactivated_by == bob
    assert roles_of(alice) == {"caseworker", "service_lead"}  # history stays
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(alice.pk) for s in Session.objects.all()
    )
    for c in (client, other):
        response = c.get("/dashboard/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert actor_of(alice).member_id is None


def test_member_admin_cannot_deactivate_themselves(bob):
    with pytest.raises(StaffError) as exc:
        membership_deactivate(actor=actor_of(bob), membership=bob.membership)
    assert exc.value.code == "self"


def test_another_members_admin_cannot_deactivate(charlie, alice):
    with pytest.raises(StaffError):
        membership_deactivate(actor=actor_of(charlie), membership=alice.membership)
    alice.refresh_from_db()
    assert alice.is_active


def test_a_leaver_invited_back_gets_only_the_new_roles(bob, alice):
    membership_deactivate(actor=actor_of(bob), membership=alice.membership)
    invitation = invitation_create(actor=actor_of(bob), email=alice.email, member_roles=["board"])
    alice.refresh_from_db()
    invitation_accept(invitation_id=invitation.pk, user=alice, reactivate=True)
    alice.refresh_from_db()
    assert alice.is_active
    assert actor_of(alice).member_roles == {"board"}


def test_a_deactivated_account_is_not_reactivated_without_saying_so(bob, alice):
    membership_deactivate(actor=actor_of(bob), membership=alice.membership)
    invitation = invitation_create(actor=actor_of(bob), email=alice.email, member_roles=["board"])
    alice.refresh_from_db()
    with pytest.raises(InvitationError) as exc:
        invitation_accept(invitation_id=invitation.pk, user=alice)
    assert exc.value.code == "inactive"
