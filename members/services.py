"""Writes about who works where: invitations, roles and leavers. The only place that changes them.

Who may do what comes from members/permissions.py; each service checks it again (a view is not
the only caller) and raises a domain error with a message fit to show the person.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from datetime import UTC, timedelta
from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from audit.models import AuditAction, AuditObjectType
from audit.services import audit_record
from kernel.errors import RuleBroken
from members.actor import Actor
from members.models import (
    ConsortiumRole,
    ConsortiumRoleAssignment,
    Invitation,
    Member,
    MemberRole,
    Membership,
    MembershipRole,
)
from members.permissions import ROLES_A_MEMBER_ADMIN_GRANTS, Perm
from members.scoping import consortium_scope, member_scope
from notifications.services import email_enqueue

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

INVITATION_VALID_FOR = timedelta(days=14)
TOKEN_SHAPE = re.compile(r"[0-9a-f]{64}")
MEMBER_ROLES = frozenset(MemberRole.values)
CONSORTIUM_ROLES = frozenset(ConsortiumRole.values)


class StaffError(RuleBroken):
    """A refused change to staff, with a message for the person who asked."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code)


class InvitationError(StaffError):
    pass


# --- Invitation tokens ---------------------------------------------------------------------------
# The token is derived from the invitation (id, address, creation time) and the secret key, so the
# email sender can rebuild the link from the invitation id alone: the outbox carries ids, never
# secrets. The database keeps only its SHA-256 hash, so a copy of the database opens nothing.


def invitation_token(invitation: Invitation) -> str:
    created = invitation.created_at.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    value = f"{invitation.pk}:{invitation.email.lower()}:{created}"
    return salted_hmac("members.invitation", value, algorithm="sha256").hexdigest()


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_accept_url(invitation: Invitation) -> str:
    path = reverse("members:invitation_accept", kwargs={"token": invitation_token(invitation)})
    return str(settings.SITE_URL).rstrip("/") + path


# --- Invitations ---------------------------------------------------------------------------------


def _clean_roles(roles: Iterable[str], allowed: frozenset[str], what: str) -> list[str]:
    cleaned = sorted({str(role) for role in roles})
    unknown = [role for role in cleaned if role not in allowed]
    if unknown:
        raise InvitationError(_("%(what)s is not a role here.") % {"what": what}, "unknown_role")
    return cleaned


def _check_may_invite(
    actor: Actor, member: Member | None, member_roles: list[str], consortium_roles: list[str]
) -> None:
    """A member administrator invites staff of their own member, with any member role. The
    consortium administrator invites member administrators of any member, and consortium
    roles. Nobody else invites anyone."""
    if not member_roles and not consortium_roles:
        raise InvitationError(_("Choose at least one role."), "no_role")
    if member_roles and member is None:
        raise InvitationError(_("Choose the member association."), "no_member")
    if consortium_roles and not actor.can(Perm.INVITE_CONSORTIUM_ROLES):
        raise InvitationError(
            _("Only the consortium administrator can give consortium roles."), "forbidden"
        )
    if not member_roles:
        return
    assert member is not None  # noqa: S101 - checked above; narrows the type
    own_member = actor.member_id is not None and member.pk == actor.member_id
    if own_member and actor.can(Perm.MANAGE_STAFF):
        if not set(member_roles) <= ROLES_A_MEMBER_ADMIN_GRANTS:
            raise InvitationError(_("You cannot give that role."), "forbidden")
        return
    if actor.can(Perm.INVITE_MEMBER_ADMINS) and set(member_roles) == {MemberRole.MEMBER_ADMIN}:
        return
    raise InvitationError(_("You can only invite staff of your own association."), "forbidden")


def _email_already_staff(email: str, member: Member | None) -> str | None:
    """Why this address cannot be given member roles, or None. Runs in a consortium scope: a
    person works for at most one member, and the other member's staff list is not ours to read,
    so the message says only that."""
    from accounts.models import User

    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return None
    membership = Membership.objects.filter(user=user).first()
    if membership is None:
        return None
    if member is not None and membership.member_id == member.pk:
        if membership.is_active:
            return _("This person already works for the association: change their roles instead.")
        return None
    return _("This person already has a staff account at another association.")


@transaction.atomic
def invitation_create(
    *,
    actor: Actor,
    email: str,
    member_roles: Iterable[str] = (),
    consortium_roles: Iterable[str] = (),
    member: Member | None = None,
) -> Invitation:
    """Invite someone to join as staff and email them the link (through the outbox).

    `member` defaults to the actor's own member when member roles are asked for; a member
    administrator naming another member is refused, whatever the form sent.
    """
    if actor.user is None:
        raise InvitationError(_("Sign in first."), "forbidden")
    email = email.strip().lower()
    if not email or "@" not in email:
        raise InvitationError(_("Enter an email address."), "no_email")
    roles = _clean_roles(member_roles, MEMBER_ROLES, _("That"))
    c_roles = _clean_roles(consortium_roles, CONSORTIUM_ROLES, _("That"))
    if roles and member is None and actor.member_id is not None:
        member = Member.objects.get(pk=actor.member_id)
    _check_may_invite(actor, member, roles, c_roles)
    invited_member = member if roles else None

    # The checks need every member's staff (a person works for one member) and invitations without
    # a member are only visible to the consortium scope: enter it, audited, for this write.
    with consortium_scope(reason="invite staff", user_id=actor.user_id):
        if roles:
            problem = _email_already_staff(email, invited_member)
            if problem:
                raise InvitationError(problem, "already_staff")
        now = timezone.now()
        pending = Invitation.objects.filter(
            email__iexact=email,
            member=invited_member,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        if pending.exists():
            raise InvitationError(
                _("An invitation to this address is already waiting. Revoke it to send a new one."),
                "pending",
            )
        invitation = Invitation(
            member=invited_member,
            email=email,
            member_roles=roles,
            consortium_roles=c_roles,
            invited_by=actor.user,
            created_at=now,
            expires_at=now + INVITATION_VALID_FOR,
            # Replaced below, once the id the token is derived from exists.
            token_hash=invitation_token_hash(f"pending:{now.isoformat()}:{email}"),
        )
        invitation.save()
        invitation.token_hash = invitation_token_hash(invitation_token(invitation))
        invitation.save(update_fields=["token_hash"])
        audit_record(
            actor_id=actor.user_id,
            member_id=invited_member.pk if invited_member else None,
            action=AuditAction.CREATE,
            object_type=AuditObjectType.INVITATION,
            object_id=invitation.pk,
            reason="invitation sent",
        )
        email_enqueue(
            kind="invitation",
            member_id=invited_member.pk if invited_member else None,
            ids={"invitation_id": invitation.pk},
            dedupe_key=f"invitation:{invitation.pk}",
        )
    logger.info("invitation %s created by user %s", invitation.pk, actor.user_id)
    return invitation


def invitation_find_open(*, token: str) -> Invitation | None:
    """The open invitation a link's token belongs to, or None.

    The person opening the link has no member scope yet (they may not even have an account), so
    the lookup runs under an audited consortium scope; it finds one row by its token's hash.
    """
    if not TOKEN_SHAPE.fullmatch(token or ""):
        # Not a token we could have made: answer without entering (and auditing) a scope.
        return None
    token_hash = invitation_token_hash(token)
    with consortium_scope(reason="accept invitation"):
        invitation = (
            Invitation.objects.select_related("member").filter(token_hash=token_hash).first()
        )
    if invitation is None or not invitation.is_open:
        return None
    if not constant_time_compare(invitation_token(invitation), token):
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, invitation_id: int, user: User, reactivate: bool = False) -> Invitation:
    """Give the invited roles to the person who opened the link and signed in (or signed up)
    with the invited address. The address is then verified: the link proved they receive it.

    `reactivate` is for a leaver coming back, whose account was switched off: the link proves
    they hold the address, as a password reset link would, and they still sign in with their
    password (or reset it) and their second factor."""
    with consortium_scope(reason="accept invitation", user_id=user.pk):
        invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None or not invitation.is_open:
            raise InvitationError(
                _("This invitation is no longer valid. Ask for a new one."), "not_open"
            )
        if user.email.lower() != invitation.email.lower():
            raise InvitationError(
                _("This invitation was sent to another email address."), "wrong_user"
            )
        if not user.is_active:
            if not reactivate:
                raise InvitationError(_("This account has been deactivated."), "inactive")
            user.is_active = True
            user.save(update_fields=["is_active"])
        if invitation.member_roles:
            _membership_for_invitation(invitation, user)
        for role in invitation.consortium_roles:
            ConsortiumRoleAssignment.objects.get_or_create(
                user=user, role=role, revoked_at__isnull=True
            )
        if ConsortiumRole.ADMINISTRATOR in invitation.consortium_roles and not user.is_staff:
            # Django admin is for consortium administrators (consortium/admin_site.py).
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        address, _created = EmailAddress.objects.get_or_create(
            user=user, email=invitation.email.lower(), defaults={"primary": True}
        )
        if not address.verified:
            address.verified = True
            address.save(update_fields=["verified"])
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        audit_record(
            actor_id=user.pk,
            member_id=invitation.member_id,
            action=AuditAction.CHANGE,
            object_type=AuditObjectType.INVITATION,
            object_id=invitation.pk,
            reason="invitation accepted",
        )
    logger.info("invitation %s accepted by user %s", invitation.pk, user.pk)
    return invitation


def _membership_for_invitation(invitation: Invitation, user: User) -> Membership:
    membership = Membership.objects.filter(user=user).first()
    if membership is not None and membership.member_id != invitation.member_id:
        # A person works for one member (Membership is one per user). Moving a leaver's history
        # to another member is for the consortium administrator, not a link in an email.
        raise InvitationError(
            _("You already have a staff account at another association."), "other_member"
        )
    if membership is None:
        membership = Membership.objects.create(member_id=invitation.member_id, user=user)
    elif membership.deactivated_at is not None:
        # A leaver coming back: the same membership, with the roles of this invitation only.
        membership.deactivated_at = None
        membership.deactivated_by = None
        membership.save(update_fields=["deactivated_at", "deactivated_by"])
        MembershipRole.objects.filter(membership=membership).delete()
    for role in invitation.member_roles:
        MembershipRole.objects.get_or_create(
            member_id=invitation.member_id, membership=membership, role=role
        )
    return membership


@transaction.atomic
def invitation_revoke(*, actor: Actor, invitation: Invitation) -> Invitation:
    """Cancel an invitation that has not been accepted. `invitation` must come from an access
    helper (members/access.py) or the consortium administrator's own list."""
    if actor.user is None:
        raise InvitationError(_("Sign in first."), "forbidden")
    own = (
        invitation.member_id is not None
        and invitation.member_id == actor.member_id
        and actor.can(Perm.MANAGE_STAFF)
    )
    consortium = actor.can(Perm.INVITE_MEMBER_ADMINS) and (
        invitation.member_id is None or invitation.member_roles == [MemberRole.MEMBER_ADMIN]
    )
    if not own and not consortium:
        raise InvitationError(_("You cannot revoke this invitation."), "forbidden")
    if invitation.accepted_at is not None:
        raise InvitationError(_("This invitation has already been accepted."), "accepted")
    if invitation.revoked_at is not None:
        return invitation
    with consortium_scope(reason="revoke invitation", user_id=actor.user_id):
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            actor_id=actor.user_id,
            member_id=invitation.member_id,
            action=AuditAction.CHANGE,
            object_type=AuditObjectType.INVITATION,
            object_id=invitation.pk,
            reason="invitation revoked",
        )
    return invitation


# --- Roles and leavers ---------------------------------------------------------------------------


def _check_manages(actor: Actor, membership: Membership) -> None:
    if not actor.can(Perm.MANAGE_STAFF) or membership.member_id != actor.member_id:
        raise StaffError(_("You can only manage staff of your own association."), "forbidden")


def _other_active_admins(membership: Membership) -> bool:
    return (
        MembershipRole.objects.for_member(membership.member_id)
        .filter(
            role=MemberRole.MEMBER_ADMIN,
            membership__deactivated_at__isnull=True,
            membership__user__is_active=True,
        )
        .exclude(membership=membership)
        .exists()
    )


@transaction.atomic
def membership_roles_set(
    *, actor: Actor, membership: Membership, roles: Iterable[str]
) -> Membership:
    """Replace a member of staff's roles at the actor's own member."""
    _check_manages(actor, membership)
    wanted = set(_clean_roles(roles, MEMBER_ROLES, _("That")))
    if not wanted:
        raise StaffError(_("Choose at least one role, or deactivate the account."), "no_role")
    if not wanted <= ROLES_A_MEMBER_ADMIN_GRANTS:
        raise StaffError(_("You cannot give that role."), "forbidden")
    if not membership.is_active:
        raise StaffError(_("This account has been deactivated."), "inactive")
    with member_scope(membership.member_id, user_id=actor.user_id):
        current = set(
            MembershipRole.objects.filter(membership=membership).values_list("role", flat=True)
        )
        if (
            MemberRole.MEMBER_ADMIN in current
            and MemberRole.MEMBER_ADMIN not in wanted
            and not _other_active_admins(membership)
        ):
            raise StaffError(
                _("The association needs at least one member administrator."), "last_admin"
            )
        MembershipRole.objects.filter(membership=membership, role__in=current - wanted).delete()
        for role in sorted(wanted - current):
            MembershipRole.objects.create(
                member_id=membership.member_id, membership=membership, role=role
            )
        if current != wanted:
            audit_record(
                actor_id=actor.user_id,
                member_id=membership.member_id,
                action=AuditAction.CHANGE,
                object_type=AuditObjectType.MEMBERSHIP,
                object_id=membership.pk,
                reason="roles changed: " + ",".join(sorted(wanted)),
            )
    return membership


def user_sessions_end(*, user_id: int) -> int:
    """Delete every session of one user, so a leaver is signed out everywhere at once.

    Sessions live in the database and are signed, not indexed by user, so each live session is
    decoded. Sessions end after 30 idle minutes, so the live ones are the people working now: a
    few hundred rows, not the history."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user_id):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def membership_deactivate(*, actor: Actor, membership: Membership) -> Membership:
    """A leaver loses access at once; their records stay and keep pointing at them.

    The membership is marked deactivated and their sessions are deleted. The account itself is
    switched off too, unless it still holds a consortium role (that is not the member's to end).
    """
    _check_manages(actor, membership)
    if membership.user_id == actor.user_id:
        raise StaffError(_("You cannot deactivate your own account."), "self")
    if not membership.is_active:
        return membership
    with member_scope(membership.member_id, user_id=actor.user_id):
        is_admin = MembershipRole.objects.filter(
            membership=membership, role=MemberRole.MEMBER_ADMIN
        ).exists()
        if is_admin and not _other_active_admins(membership):
            raise StaffError(
                _("The association needs at least one member administrator."), "last_admin"
            )
        membership.deactivated_at = timezone.now()
        membership.deactivated_by = actor.user
        membership.save(update_fields=["deactivated_at", "deactivated_by"])
        user = membership.user
        if not ConsortiumRoleAssignment.objects.filter(user=user, revoked_at__isnull=True).exists():
            user.is_active = False
            user.save(update_fields=["is_active"])
        sessions = user_sessions_end(user_id=user.pk)
        audit_record(
            actor_id=actor.user_id,
            member_id=membership.member_id,
            action=AuditAction.CHANGE,
            object_type=AuditObjectType.MEMBERSHIP,
            object_id=membership.pk,
            reason="deactivated",
        )
    logger.info(
        "membership %s deactivated by user %s; %s session(s) ended",
        membership.pk,
        actor.user_id,
        sessions,
    )
    return membership
