"""Reachability of the database and the broker, for load balancers and monitoring."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_broker() -> dict[str, Any]:
    if settings.EMBEDDED_BROKER:
        return {"ok": True, "mode": "in-process"}
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_CHECK_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - any failure means "unreachable"
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "mode": "redis"}


def check_outbox() -> dict[str, Any]:
    from outbox.models import OutboxMessage

    try:
        oldest: datetime | None = (
            OutboxMessage.objects.filter(relayed_at__isnull=True)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        pending = OutboxMessage.objects.filter(relayed_at__isnull=True).count()
    except DatabaseError:
        return {"ok": False}
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return {"ok": True, "pending": pending, "oldest_pending_seconds": round(age, 1)}


def health_report() -> tuple[bool, dict[str, Any]]:
    database = check_database()
    broker = check_broker()
    report: dict[str, Any] = {"database": database, "broker": broker}
    if database["ok"]:
        report["outbox"] = check_outbox()
    healthy = bool(database["ok"] and broker["ok"])
    report["status"] = "ok" if healthy else "unavailable"
    return healthy, report
