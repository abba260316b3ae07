"""The signed-in person as the portal sees them: their member, roles and permissions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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


ANONYMOUS = Actor(user=None)
