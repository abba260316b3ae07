"""Default managers for member-owned models fail closed (layer 2 of isolation).

`Model.objects` raises MemberScopeMissing when no scope is set and otherwise narrows to the rows
the current member may see. The escape hatches are named so that a reviewer sees them:
`.for_member(member)` narrows to one member explicitly; `.unscoped()` returns every row the
database lets through (row-level security still applies on PostgreSQL). Admin screens and
migrations use the separately named `unscoped_objects` manager.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q

from members.scoping import MemberScopeMissing, current_scope

if TYPE_CHECKING:
    from members.models import Member


class MemberScopedQuerySet(models.QuerySet):
    def for_member(self, member: Member | int) -> MemberScopedQuerySet:
        member_id = member if isinstance(member, int) else member.pk
        return self.filter(visibility_q(self.model, member_id))


class MemberScopedManager(models.Manager.from_queryset(MemberScopedQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> MemberScopedQuerySet:
        scope = current_scope()
        queryset = super().get_queryset()
        if scope is None or scope.is_empty:
            raise MemberScopeMissing(
                f"{self.model.__name__}.objects was used with no member scope. Set one "
                "(members.scoping.member_scope) or say which member: .for_member(m)."
            )
        if scope.consortium:
            return queryset
        return queryset.filter(visibility_q(self.model, scope.member_id))

    def for_member(self, member: Member | int) -> MemberScopedQuerySet:
        return self.unscoped().for_member(member)

    def public(self) -> MemberScopedQuerySet:
        """Every row, for models whose rows are public to read (Offer): never for personal data."""
        if not getattr(self.model, "public_read", False):
            raise MemberScopeMissing(f"{self.model.__name__} rows are not public.")
        return super().get_queryset()

    def unscoped(self) -> MemberScopedQuerySet:
        """Every row the database lets through. Row-level security still applies."""
        return super().get_queryset()


def visibility_q(model: Any, member_id: int | None) -> Q:
    """The rows a member may see: the model says how (MemberOwnedModel.visibility_q)."""
    return model.visibility_q(member_id)


def parties_q(model: Any, member_id: int | None) -> Q:
    q = Q()
    for field in model.party_fields:
        q |= Q(**{f"{field}_id": member_id})
    return q
