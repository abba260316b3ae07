from __future__ import annotations

from typing import TYPE_CHECKING

from members.actor import ANONYMOUS, Actor
from members.models import ConsortiumRoleAssignment, Member, Membership, MembershipRole
from members.scoping import user_scope

if TYPE_CHECKING:
    from accounts.models import User


def actor_for_user(user: User | None) -> Actor:
    """Load the user's member and roles, inside a user scope: row-level security lets a user
    read their own membership rows before any member scope exists."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    with user_scope(user.pk):
        return _actor_in_user_scope(user)


def _actor_in_user_scope(user: User) -> Actor:
    membership = (
        Membership.objects.unscoped()
        .filter(user=user, deactivated_at__isnull=True)
        .only("id", "member_id")
        .first()
    )
    member_roles: frozenset[str] = frozenset()
    if membership is not None:
        member_roles = frozenset(
            MembershipRole.objects.unscoped()
            .filter(membership=membership)
            .values_list("role", flat=True)
        )
    consortium_roles = frozenset(
        ConsortiumRoleAssignment.objects.filter(user=user, revoked_at__isnull=True).values_list(
            "role", flat=True
        )
    )
    return Actor(
        user=user,
        member_id=membership.member_id if membership else None,
        member_roles=member_roles,
        consortium_roles=consortium_roles,
    )


def member_count() -> int:
    return Member.objects.count()


def member_of(actor: Actor) -> Member | None:
    """The association the actor works for, if any."""
    return Member.objects.filter(pk=actor.member_id).first() if actor.member_id else None
