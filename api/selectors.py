"""Reads of API tokens."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from api.models import ApiToken
from members.actor import Actor


def api_tokens_for_user(*, user_id: int) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=user_id).order_by("-created_at")


def access_api_token_by_id(actor: Actor, token_id: object) -> ApiToken:
    """One of the actor's own tokens; the same 404 for someone else's and a missing one."""
    try:
        pk = int(str(token_id))
    except (TypeError, ValueError):
        raise Http404("Not found.") from None
    if actor.user_id is None:
        raise Http404("Not found.")
    token = ApiToken.objects.filter(pk=pk, user_id=actor.user_id).first()
    if token is None:
        raise Http404("Not found.")
    return token
