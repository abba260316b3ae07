from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.utils import timezone

from audit.models import AuditAction, AuditEvent, AuditObjectType


def audit_record(
    *,
    actor_id: int | None,
    member_id: int | None,
    action: str,
    object_type: AuditObjectType | Literal[""] = "",
    object_id: str | int = "",
    reason: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """`at` is for records written with the time they happened (the demo's past); the portal
    leaves it out."""
    return AuditEvent.unscoped_objects.create(
        at=at or timezone.now(),
        actor_id=actor_id,
        member_id=member_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        reason=reason[:300],
    )


def audit_consortium_scope(*, reason: str, user_id: int | None) -> None:
    if settings.SCOPE_AUDIT_CONSORTIUM:
        audit_record(
            actor_id=user_id,
            member_id=None,
            action=AuditAction.CONSORTIUM_SCOPE,
            reason=reason,
        )
