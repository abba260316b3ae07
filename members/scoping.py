"""The member scope: which member's rows the current unit of work may touch.

It is set once per entry point (a request, an API call, a Celery task, a management command) and
always reset in `finally`. It lives in a context variable, read by the default managers of every
member-owned model (layer 2), and is copied into PostgreSQL as transaction-local settings that
the row-level security policies read (layer 5): `app.member_id`, `app.user_id` and
`app.consortium`. Setting the scope opens a transaction, because a transaction-local setting only
exists inside one.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections, transaction

logger = logging.getLogger(__name__)


class MemberScopeMissing(RuntimeError):
    """A member-owned table was queried with no member scope set: fail closed."""


@dataclass(frozen=True)
class Scope:
    member_id: int | None = None
    user_id: int | None = None
    # Consortium-wide work (reports, the coordinator's queues, the admin) sees every member's rows.
    # It is entered explicitly, with a reason, and audited; it is not a way to switch isolation off.
    consortium: bool = False
    reason: str = ""

    @property
    def is_empty(self) -> bool:
        return self.member_id is None and not self.consortium


_current: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("scope", default=None)


def current_scope() -> Scope | None:
    return _current.get()


def apply_database_scope(scope: Scope | None, using: str = "default") -> None:
    """Copy the scope into transaction-local PostgreSQL settings read by the RLS policies.

    An unset scope writes empty strings, which the policies turn into NULL: no row matches.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("The database scope must be applied inside a transaction.")
    scope = scope or Scope()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('app.member_id', %s, true),"
            " set_config('app.user_id', %s, true),"
            " set_config('app.consortium', %s, true)",
            [
                "" if scope.member_id is None else str(scope.member_id),
                "" if scope.user_id is None else str(scope.user_id),
                "on" if scope.consortium else "",
            ],
        )


@contextmanager
def _scope(scope: Scope, using: str) -> Iterator[Scope]:
    outer = _current.get()
    token = _current.set(scope)
    try:
        with transaction.atomic(using=using):
            apply_database_scope(scope, using)
            try:
                yield scope
            finally:
                # Nested scopes share the outer transaction: hand the outer scope back to it.
                if outer is not None and not connections[using].needs_rollback:
                    apply_database_scope(outer, using)
    finally:
        _current.reset(token)
        connection = connections[using]
        if outer is None and connection.in_atomic_block and not connection.needs_rollback:
            # Inside a test's wrapping transaction: leave nothing behind for the next request.
            apply_database_scope(None, using)


@contextmanager
def member_scope(
    member_id: int, *, user_id: int | None = None, using: str = "default"
) -> Iterator[Scope]:
    """Act as one member. `member_id` must come from a trusted source (a membership, a task's
    own arguments), never from what a client sent."""
    if not isinstance(member_id, int) or isinstance(member_id, bool):
        raise TypeError("member_id must be an int")
    with _scope(Scope(member_id=member_id, user_id=user_id), using) as scope:
        yield scope


@contextmanager
def user_scope(user_id: int | None, *, using: str = "default") -> Iterator[Scope]:
    """A signed-in user (or nobody) with no member yet: only their own membership rows are
    visible, which is how the middleware finds out which member they act for."""
    with _scope(Scope(user_id=user_id), using) as scope:
        yield scope


@contextmanager
def consortium_scope(
    *, reason: str, user_id: int | None = None, using: str = "default"
) -> Iterator[Scope]:
    """Consortium-wide work, entered explicitly with a reason that is written to the audit log."""
    if not reason.strip():
        raise ValueError("A consortium scope needs a reason (it is audited).")
    if not _consortium_scope_listeners:
        # Fail closed: a consortium scope that nothing records is not to be had.
        raise RuntimeError("No listener records consortium scopes (is the audit app installed?)")
    with _scope(Scope(user_id=user_id, consortium=True, reason=reason), using) as scope:
        for listener in _consortium_scope_listeners:
            listener(reason=reason, user_id=user_id)
        yield scope


# Told of every consortium scope as it is entered. The audit log registers itself here
# (audit/apps.py), so the tenancy core does not import the audit log that is built on it.
_consortium_scope_listeners: list[Callable[..., None]] = []


def on_consortium_scope_entered(listener: Callable[..., None]) -> None:
    """Register `listener(reason=..., user_id=...)`; registering twice is a no-op."""
    if listener not in _consortium_scope_listeners:
        _consortium_scope_listeners.append(listener)
