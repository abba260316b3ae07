"""Object access for views (layer 4): the same 404 for "does not exist" and "not yours"."""

from __future__ import annotations

from django.db.models import Model
from django.http import Http404

from members.actor import Actor
from members.models import Invitation, Member, MemberOwnedModel, Membership


def not_found() -> Http404:
    return Http404("Not found.")


def access_member_owned_by_id[M: Model](
    actor: Actor, model: type[M], object_id: object, *, select_related: tuple[str, ...] = ()
) -> M:
    """Fetch a member-owned row the actor's member is a party to, or raise 404."""
    if actor.member_id is None or not issubclass(model, MemberOwnedModel):
        raise not_found()
    try:
        pk = int(str(object_id))
    except (TypeError, ValueError):
        raise not_found() from None
    rows = model.objects.for_member(actor.member_id).filter(pk=pk)
    if select_related:
        rows = rows.select_related(*select_related)
    row = rows.first()
    if row is None:
        raise not_found()
    return row


def access_membership_by_id(actor: Actor, membership_id: object) -> Membership:
    return access_member_owned_by_id(actor, Membership, membership_id, select_related=("user",))


def access_member_by_id(member_id: object) -> Member:
    try:
        return Member.objects.get(pk=int(str(member_id)))
    except (Member.DoesNotExist, TypeError, ValueError):
        raise not_found() from None


def access_invitation_by_id(actor: Actor, invitation_id: object) -> Invitation:
    """An invitation of the actor's own member (consortium invitations have no member and are
    never found here)."""
    return access_member_owned_by_id(actor, Invitation, invitation_id)
