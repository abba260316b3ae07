"""Reads of the outbox."""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone

from outbox.models import OutboxMessage


def outbox_backlog() -> dict[str, int | float]:
    """Messages whose consumer has not run yet: how many, and how long the oldest has waited, in
    one query over the rows the partial index `outbox_unconsumed` holds."""
    backlog = OutboxMessage.objects.filter(consumed_at__isnull=True).aggregate(
        pending=Count("id"), oldest=Min("created_at")
    )
    oldest = backlog["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return {"pending": backlog["pending"], "oldest_pending_seconds": round(max(age, 0.0), 1)}
