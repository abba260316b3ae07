"""Sets the scope for each request (layer 3 of isolation) from the signed-in user's membership,
never from anything the client sent, and resets it when the response is ready."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from typing import cast

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from members.actor import ActorRequest
from members.scoping import member_scope, user_scope
from members.selectors import actor_for_user

logger = logging.getLogger(__name__)
# These answer without a member scope or a transaction (health checks must work when the
# database does not).
UNSCOPED_PREFIXES = ("/health/", "/static/")


def service_unavailable() -> HttpResponse:
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    return response


class MemberScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(UNSCOPED_PREFIXES):
            return self.get_response(request)
        try:
            return self._scoped(request)
        except (OperationalError, InterfaceError) as exc:
            # The database went away (a restart, a failover): say so clearly, write nothing.
            logger.error("database unavailable during request: %s", type(exc).__name__)
            return service_unavailable()

    def _scoped(self, request: HttpRequest) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        with ExitStack() as stack:
            # One transaction for the request: the row-level security settings are
            # transaction-local, and a failed request leaves nothing half-written.
            stack.enter_context(user_scope(user.pk if user else None))
            actor = actor_for_user(user)
            cast(ActorRequest, request).actor = actor
            if actor.member_id is not None:
                stack.enter_context(member_scope(actor.member_id, user_id=actor.user_id))
            return self.get_response(request)
