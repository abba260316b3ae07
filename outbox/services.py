from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID

from celery import current_app
from celery.result import EagerResult
from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from outbox.models import OutboxMessage, ProcessedMessage

logger = logging.getLogger(__name__)


class OutboxOutsideTransaction(RuntimeError):
    """outbox_enqueue was called outside the transaction of the business change."""


@dataclass
class RelayResult:
    sent: int = 0
    failed: int = 0


def outbox_enqueue(
    *,
    task_name: str,
    kwargs: dict[str, Any] | None = None,
    member_id: int | None = None,
    dedupe_key: str | None = None,
    using: str = "default",
) -> OutboxMessage:
    """Record a side effect in the current transaction; it is relayed once the change commits."""
    if not connections[using].in_atomic_block:
        raise OutboxOutsideTransaction(
            "outbox_enqueue must run inside the transaction that makes the business change."
        )
    if dedupe_key:
        existing = OutboxMessage.objects.using(using).filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    message = OutboxMessage.objects.using(using).create(
        task_name=task_name,
        kwargs=kwargs or {},
        scope_member_id=member_id,
        dedupe_key=dedupe_key,
    )
    transaction.on_commit(
        partial(outbox_relay, message_ids=[message.id], using=using), using=using, robust=True
    )
    return message


def _retry_delay(attempts: int) -> timedelta:
    # 10 s, 20 s, 40 s ... capped at 10 minutes: a long outage is retried often enough to
    # recover quickly without hammering a broker that is coming back.
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 600))


def _visibility_window(attempts: int) -> timedelta:
    """How long a relayed message may wait for its consumer before it is sent again: the
    configured window after the first relay, doubling after each resend (a consumer that keeps
    failing is not resent every few minutes for ever), capped at six hours."""
    base = settings.OUTBOX_VISIBILITY_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def outbox_mark_consumed(*, message_id: str | UUID, task_name: str) -> bool:
    """Claim a message for its consumer, in the consumer's transaction: True the first time.

    Blocks while another worker holds the same claim uncommitted, then loses to it, or wins if
    that worker rolled back (it died). The message counts as consumed only when the consumer's
    transaction commits, so a consumer that fails or dies leaves it for the relay to send again.
    """
    try:
        with transaction.atomic():
            ProcessedMessage.objects.create(message_id=message_id, task_name=task_name)
    except IntegrityError:
        return False
    OutboxMessage.objects.filter(id=message_id, consumed_at__isnull=True).update(
        consumed_at=timezone.now()
    )
    return True


def _registered_task(name: str) -> Any:
    """The task called `name`, importing every app's tasks module first if this process has not
    yet (a web process imports only those its views happen to use: autodiscovery runs when a
    worker starts). None when no installed app defines it."""
    task = current_app.tasks.get(name)
    if task is None:
        current_app.loader.import_default_modules()
        task = current_app.tasks.get(name)
    return task


def _publish(message: OutboxMessage) -> bool:
    """Hand the message to its consumer. True when done already: sent by name to a task this code
    base does not define, whose consumer cannot mark it consumed here."""
    kwargs = {**message.kwargs, "outbox_message_id": str(message.id)}
    if message.scope_member_id is not None:
        kwargs["member_id"] = message.scope_member_id
    task = _registered_task(message.task_name)
    if task is None:
        if current_app.conf.task_always_eager:
            # In-process (embedded) mode has no broker: a task sent by name would go nowhere.
            # Fail, so the message stays queued and says why.
            raise LookupError(f"no task named {message.task_name!r}")
        # Not defined in this code base (another service's worker may know it): send by name.
        current_app.send_task(message.task_name, kwargs=kwargs, task_id=str(message.id))
        return True
    result = task.apply_async(kwargs=kwargs, task_id=str(message.id), retry=False)
    if isinstance(result, EagerResult) and result.failed():
        # Embedded mode runs the consumer right here; a failure leaves the message to retry.
        raise RuntimeError(f"in-process task failed: {type(result.result).__name__}")
    return False


def outbox_relay(
    *,
    message_ids: list[UUID] | None = None,
    batch_size: int | None = None,
    using: str = "default",
) -> RelayResult:
    """Send the messages that are due to the broker: never relayed, or relayed longer ago than
    their visibility window and still not consumed (a broker or a worker lost them). Safe to run
    concurrently: rows are locked with SKIP LOCKED, so two relays never send the same message at
    the same time; a message sent twice is shrugged off by its consumer."""
    batch_size = batch_size or settings.OUTBOX_RELAY_BATCH
    result = RelayResult()
    while True:
        now = timezone.now()
        with transaction.atomic(using=using):
            pending = OutboxMessage.objects.using(using).filter(
                consumed_at__isnull=True, available_at__lte=now
            )
            if message_ids is not None:
                pending = pending.filter(id__in=message_ids)
            batch = list(
                pending.select_for_update(skip_locked=True).order_by("available_at")[:batch_size]
            )
            broker_down = False
            for message in batch:
                message.attempts += 1
                try:
                    done = _publish(message)
                except Exception as exc:  # noqa: BLE001 - any failure leaves the message queued
                    message.available_at = now + _retry_delay(message.attempts)
                    message.last_error = f"{type(exc).__name__}"[:300]
                    message.save(update_fields=["attempts", "available_at", "last_error"])
                    result.failed += 1
                    broker_down = True
                    logger.warning(
                        "outbox: could not relay %s (attempt %s): %s; will retry",
                        message.id,
                        message.attempts,
                        type(exc).__name__,
                    )
                    break
                if message.attempts > 1 and message.relayed_at is not None:
                    logger.warning(
                        "outbox: %s %s not consumed within its window; sent again (attempt %s)",
                        message.task_name,
                        message.id,
                        message.attempts,
                    )
                message.relayed_at = timezone.now()
                message.available_at = message.relayed_at + _visibility_window(message.attempts)
                message.last_error = ""
                fields = ["attempts", "relayed_at", "available_at", "last_error"]
                if done:
                    message.consumed_at = message.relayed_at
                    fields.append("consumed_at")
                message.save(update_fields=fields)
                result.sent += 1
        if broker_down or len(batch) < batch_size or message_ids is not None:
            return result


def outbox_prune(*, keep_days: int = 30) -> int:
    cutoff = timezone.now() - timedelta(days=keep_days)
    # Only what was consumed: a message still waiting is the backlog, whatever its age.
    deleted, _ = OutboxMessage.objects.filter(consumed_at__lt=cutoff).delete()
    markers, _ = ProcessedMessage.objects.filter(processed_at__lt=cutoff).delete()
    return deleted + markers
