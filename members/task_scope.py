"""Celery task decorators that set the scope (layer 3 of isolation, for tasks).

A task declared with @member_task takes `member_id` and runs inside that member's scope;
@consortium_task runs inside an audited consortium scope. Either way the scope is reset when the
task ends, and a task relayed from the outbox records its message id in the same transaction as
its work, so a second delivery of the same message does nothing.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from celery import shared_task

from members.scoping import consortium_scope, member_scope
from outbox.services import outbox_mark_consumed

logger = logging.getLogger(__name__)


def _scoped_task(
    name: str, scope_for: Callable[[dict[str, Any]], AbstractContextManager[Any]], **options: Any
) -> Callable[[Callable[..., Any]], Any]:
    options.setdefault("acks_late", True)
    options.setdefault("ignore_result", True)

    def decorator(fn: Callable[..., Any]) -> Any:
        # A task that names the message (to tell an outside service which message a call is,
        # say) is given its id; the others never see it.
        wants_message_id = "outbox_message_id" in inspect.signature(fn).parameters

        @shared_task(name=name, **options)
        @functools.wraps(fn)
        def task(outbox_message_id: str | None = None, **kwargs: Any) -> Any:
            with scope_for(kwargs):
                if outbox_message_id and not outbox_mark_consumed(
                    message_id=outbox_message_id, task_name=name
                ):
                    logger.info("%s: message %s already processed", name, outbox_message_id)
                    return None
                if wants_message_id:
                    kwargs["outbox_message_id"] = outbox_message_id
                return fn(**kwargs)

        return task

    return decorator


def member_task(name: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    def scope_for(kwargs: dict[str, Any]) -> AbstractContextManager[Any]:
        member_id = kwargs.get("member_id")
        if not isinstance(member_id, int):
            raise TypeError(f"{name} needs an integer member_id")
        return member_scope(member_id)

    return _scoped_task(name, scope_for, **options)


def consortium_task(name: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    def scope_for(kwargs: dict[str, Any]) -> AbstractContextManager[Any]:
        return consortium_scope(reason=f"task {name}")

    return _scoped_task(name, scope_for, **options)
