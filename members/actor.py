"""The signed-in person as the portal sees them: their member, roles and permissions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from members.permissions import Perm, perms_for

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Actor:
    user: User | None
    member_id: int | None = None
    member_roles: frozenset[str] = field(default_factory=frozenset)
    consortium_roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def is_staff_member(self) -> bool:
        """Member or consortium staff: must use MFA. Residents have no roles."""
        return bool(self.member_roles or self.consortium_roles)

    @property
    def perms(self) -> frozenset[Perm]:
        return perms_for(self.member_roles, self.consortium_roles)

    def can(self, perm: Perm) -> bool:
        return perm in self.perms


@dataclass(frozen=True)
class MemberActor(Actor):
    """An actor who works for a member, so `member_id` is known and the type says so. Staff pages
    declared with `member=True` receive one (members/pages.py)."""

    member_id: int

    @classmethod
    def of(cls, actor: Actor) -> MemberActor:
        if actor.member_id is None:
            raise ValueError("This actor works for no member.")
        return cls(
            user=actor.user,
            member_id=actor.member_id,
            member_roles=actor.member_roles,
            consortium_roles=actor.consortium_roles,
        )


ANONYMOUS = Actor(user=None)


class ActorRequest(HttpRequest):
    """A request as MemberScopeMiddleware leaves it: carrying its actor. Only the middleware
    writes the attribute; everything else reads it with `actor_of`."""

    actor: Actor


def actor_of(request: HttpRequest) -> Actor:
    """The actor MemberScopeMiddleware resolved for this request (ANONYMOUS when signed out)."""
    actor = getattr(request, "actor", None)
    if not isinstance(actor, Actor):
        # A request that did not pass through the middleware has no scope either: refuse.
        raise ImproperlyConfigured("MemberScopeMiddleware did not run for this request.")
    return actor
