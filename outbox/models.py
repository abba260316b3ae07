"""The transactional outbox: side effects written in the same transaction as the business change.

A message is a task name and its arguments (ids only, never personal data). It is committed with
the change that caused it, then relayed to Celery: at once after commit, and again by the beat
relay for anything a broker outage or a crash left behind. A message is done when its consumer
has run (`consumed_at`, written in the consumer's own transaction), not when a broker took it:
a broker that loses what it accepted (a Redis restarted without persistence) only delays the
work, because the relay sends again whatever has waited longer than the visibility window. A
message may therefore be delivered more than once; consumers record the message id in
ProcessedMessage in their own transaction, so the second delivery does nothing.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    # The member scope the consumer runs in; empty for consortium-wide work. Deliberately not a
    # member key: a message holds ids only, never a member's records, and the relay (which must
    # see every message) is infrastructure, so this table carries no row-level security.
    scope_member_id = models.BigIntegerField(null=True, blank=True)
    # The same business event enqueued twice (a retried request) becomes one message.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now)
    # Last handed to the broker; `available_at` is then the end of the visibility window.
    relayed_at = models.DateTimeField(null=True, blank=True)
    consumed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["available_at"],
                condition=Q(consumed_at__isnull=True),
                name="outbox_unconsumed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.id}"


class ProcessedMessage(models.Model):
    """A consumer has done the work for this message; written in the consumer's transaction."""

    message_id = models.UUIDField(primary_key=True)
    task_name = models.CharField(max_length=200)
    processed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.task_name} {self.message_id}"
