"""The one base for every API view: it sets the member scope, and owns the queryset, the object
lookup and the permission check, so an endpoint cannot forget any of them.

- The scope comes from the authenticated user's membership (never from anything the client
  sent). The request middleware already sets it for a browser session; a bearer token is only
  read once DRF authenticates, after the middleware ran, so the view enters
  `member_scope(...)` itself right after authentication and leaves it when the response is ready.
- Subclasses supply `safely_get_queryset(actor)` (and optionally `safely_get_object(actor, id)`)
  and say which permission each action needs. `get_queryset`, `get_object`, the permission and
  authentication classes cannot be overridden (the class refuses to be defined); a deliberate
  bypass is spelled `dangerously_get_queryset` so a reviewer sees it.
- Object lookup gives the same 404 for "missing" and "not yours".
"""

from __future__ import annotations

from contextlib import AbstractContextManager, ExitStack
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, permissions, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from api.authentication import BearerTokenAuthentication
from api.pagination import ApiCursorPagination
from members.actor import ANONYMOUS, Actor
from members.permissions import Perm
from members.scoping import consortium_scope, member_scope
from members.selectors import actor_for_user

NOT_FOUND = "Not found."
MAX_ID = 2**63 - 1


def require_member(actor: Actor) -> int:
    """The actor's member id; ActorPermission already refused member-less actors for the
    actions that need one, so this only fails if a view forgot to say so."""
    if actor.member_id is None:
        raise exceptions.PermissionDenied()
    return actor.member_id


def parse_id(raw: object) -> int:
    """A row id from the URL, or the same 404 as a missing row (a bigint column overflows on
    anything larger, which must not become a 500)."""
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise exceptions.NotFound(NOT_FOUND) from None
    if not 0 < value <= MAX_ID:
        raise exceptions.NotFound(NOT_FOUND)
    return value


# What a subclass must not define: the base owns them.
OWNED_BY_BASE = (
    "get_queryset",
    "get_object",
    "queryset",
    "initial",
    "dispatch",
    "perform_authentication",
    "permission_classes",
    "authentication_classes",
    "check_permissions",
)


class ActorPermission(permissions.BasePermission):
    """The view's `perms` table, read against the actor's roles (members/permissions.py)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        action = getattr(view, "action", None) or (request.method or "").lower()
        if action in view.dangerously_public_actions:
            return True
        actor: Actor = view.actor
        if not actor.is_authenticated:
            return False
        if view.member_required(action) and actor.member_id is None:
            self.message = "This needs an account that works for a member association."
            return False
        perm = view.perms.get(action, view.perms.get("*"))
        if perm is not None and not actor.can(perm):
            self.message = "Your roles do not allow this."
            return False
        return True


class ScopedViewSet(viewsets.GenericViewSet):
    model: ClassVar[type[Model]]
    # action -> the permission it needs ("*" for every other action); None: any signed-in user.
    perms: ClassVar[dict[str, Perm | None]] = {}
    # Actions that also work for consortium staff and residents (no member).
    actions_without_member: ClassVar[frozenset[str]] = frozenset()
    # Actions anyone may call, signed in or not. Spelled so that a reviewer notices.
    dangerously_public_actions: ClassVar[frozenset[str]] = frozenset()

    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [ActorPermission]
    pagination_class = ApiCursorPagination
    filter_backends = [DjangoFilterBackend, OrderingFilter]

    actor: Actor = ANONYMOUS

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in OWNED_BY_BASE:
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} must not define {name}: api.base.ScopedViewSet owns it. "
                    "Supply safely_get_queryset(actor) instead (or, deliberately, "
                    "dangerously_get_queryset)."
                )

    # --- scope ----------------------------------------------------------------------------------

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self._scope = ExitStack()
        with self._scope:
            return super().dispatch(request, *args, **kwargs)

    def perform_authentication(self, request: Request) -> None:
        self.actor = ANONYMOUS
        user = request.user  # authenticates (session or bearer token); may raise 401
        if user is None or not user.is_authenticated:
            return
        middleware_actor = getattr(request._request, "actor", None)
        if middleware_actor is not None and middleware_actor.user_id == user.pk:
            self.actor = middleware_actor
        else:
            self.actor = actor_for_user(user)
        if self.actor.member_id is not None:
            self._scope.enter_context(
                member_scope(self.actor.member_id, user_id=self.actor.user_id)
            )

    def dangerously_enter_consortium_scope(self, *, reason: str) -> None:
        """Consortium-wide work for the rest of this request (audited with the reason). Only
        for actions whose permission is a consortium role's."""
        self._scope.enter_context(consortium_scope(reason=reason, user_id=self.actor.user_id))

    def dangerously_enter_scope(self, scope: AbstractContextManager[Any]) -> None:
        """Another scope for the rest of this request, decided by an app's own selector (e.g.
        reports_scope, which is a consortium scope for consortium-wide readers)."""
        self._scope.enter_context(scope)

    def member_required(self, action: str) -> bool:
        return action not in self.actions_without_member and action not in (
            self.dangerously_public_actions
        )

    # --- queryset and lookup --------------------------------------------------------------------

    def safely_get_queryset(self, actor: Actor) -> QuerySet[Any]:
        raise NotImplementedError(f"{type(self).__name__} must supply safely_get_queryset(actor)")

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            # Schema generation: only the model matters.
            return self.model._base_manager.none()
        dangerous = getattr(self, "dangerously_get_queryset", None)
        if dangerous is not None:
            return dangerous()
        if self.actor.member_id is None and self.member_required(self.action or ""):
            raise exceptions.PermissionDenied()
        return self.safely_get_queryset(self.actor)

    def get_object(self) -> Any:
        pk = parse_id(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field))
        finder = getattr(self, "safely_get_object", None)
        if finder is not None:
            try:
                obj = finder(self.actor, pk)
            except Http404:
                raise exceptions.NotFound(NOT_FOUND) from None
        else:
            obj = self.get_queryset().filter(pk=pk).first()
        if obj is None:
            raise exceptions.NotFound(NOT_FOUND)
        self.check_object_permissions(self.request, obj)
        return obj
