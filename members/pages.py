"""The one guard for an HTML staff page: the counterpart of the API's `ScopedViewSet`.

    @require_GET
    @staff_page(Perm.WORK_REFERRALS, member=True)
    def detail(request: HttpRequest, actor: MemberActor, pk: int) -> HttpResponse: ...

- Signed out: sent to sign in (`login_required`), whatever the page.
- Signed in without the permission (any one of several, when more are named), or, with
  `member=True`, working for no member: 403. `refusal=404` answers 404 instead, for a page whose
  refusal must look like a missing record.
- The scope is the request's: MemberScopeMiddleware set it from the signed-in user's membership
  (never from anything the client sent). A member page checks that it runs in that member's
  scope before the view does; consortium pages enter `consortium_scope(...)` themselves, with a
  reason, as before.
- The view receives the actor as its second argument: a `MemberActor` (its `member_id` an int)
  with `member=True`, an `Actor` otherwise.

`member` has no default, so each page says whether it belongs to a member.
tests/test_views_guarded.py fails for a page that is neither guarded here nor listed there, with
the reason it needs no guard.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, Literal, overload

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from members.access import not_found
from members.actor import Actor, MemberActor, actor_of
from members.permissions import CONSORTIUM_ROLE_PERMS, MEMBER_ROLE_PERMS, Perm
from members.scoping import current_scope

GRANTED_BY_MEMBER_ROLES: frozenset[Perm] = frozenset().union(*MEMBER_ROLE_PERMS.values())
GRANTED_BY_CONSORTIUM_ROLES: frozenset[Perm] = frozenset().union(*CONSORTIUM_ROLE_PERMS.values())


@dataclass(frozen=True)
class PageRule:
    """Who may open a page: what `staff_page` was given, kept for the meta-test."""

    perms: tuple[Perm, ...]
    member: bool
    refusal: Literal[403, 404]

    def allows(self, actor: Actor) -> bool:
        if self.member and actor.member_id is None:
            return False
        return any(actor.can(perm) for perm in self.perms)


# Every guarded page, by the function staff_page returned (page_rule() finds it under further
# decorators through their __wrapped__).
_RULES: dict[Callable[..., object], PageRule] = {}


@overload
def staff_page[**P, R: HttpResponseBase](
    *perms: Perm, member: Literal[True], refusal: Literal[403, 404] = 403
) -> Callable[
    [Callable[Concatenate[HttpRequest, MemberActor, P], R]],
    Callable[Concatenate[HttpRequest, P], R],
]: ...


@overload
def staff_page[**P, R: HttpResponseBase](
    *perms: Perm, member: Literal[False], refusal: Literal[403, 404] = 403
) -> Callable[
    [Callable[Concatenate[HttpRequest, Actor, P], R]], Callable[Concatenate[HttpRequest, P], R]
]: ...


def staff_page(
    *perms: Perm, member: bool, refusal: Literal[403, 404] = 403
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    rule = PageRule(perms=perms, member=member, refusal=refusal)
    _check_rule(rule)

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
            actor = actor_of(request)
            if not rule.allows(actor):
                if rule.refusal == 404:
                    raise not_found()
                raise PermissionDenied
            if rule.member:
                actor = MemberActor.of(actor)
                scope = current_scope()
                if scope is None or scope.member_id != actor.member_id:
                    # Fail closed: the middleware sets the member's scope for every request.
                    raise ImproperlyConfigured("A member page ran outside its member's scope.")
            return view(request, actor, *args, **kwargs)

        page = login_required(guarded)
        _RULES[page] = rule
        return page

    return decorator


def _check_rule(rule: PageRule) -> None:
    """Refuse, when the module is imported, a rule nobody could meet or whose `member` is wrong."""
    if not rule.perms:
        raise TypeError("staff_page needs at least one permission.")
    granted = GRANTED_BY_MEMBER_ROLES if rule.member else GRANTED_BY_CONSORTIUM_ROLES
    if not granted & set(rule.perms):
        kind = "member" if rule.member else "consortium"
        raise TypeError(
            f"No {kind} role grants {', '.join(rule.perms)}: "
            f"say member={not rule.member} (members/permissions.py)."
        )


def page_rule(view: Callable[..., object]) -> PageRule | None:
    """The rule guarding `view` (a URL pattern's callback), or None if staff_page does not."""
    seen: Callable[..., object] | None = view
    while seen is not None:
        if seen in _RULES:
            return _RULES[seen]
        seen = getattr(seen, "__wrapped__", None)
    return None
