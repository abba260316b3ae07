"""Liveness and readiness, for the orchestrator, the load balancer and monitoring.

Liveness says the process answers; it touches nothing, so a restart probe never restarts a
healthy web process because PostgreSQL or Redis is down. Readiness says whether this process can
serve: only the database is essential (503 without it). The broker, the cache's Redis and the
outbox backlog are reported, and make it "degraded", never unready: sign-in, the API and the
resident forms keep working without Redis (consortium/cache.py, the outbox).
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection

from consortium.cache import DegradingRedisCache
from outbox.selectors import outbox_backlog

# Seconds a client (or a load balancer) should wait before asking an unready process again.
RETRY_AFTER_SECONDS = 10
# The relay runs every 10 s; a message waiting five minutes means the broker or the relay is stuck.
OUTBOX_STALE_SECONDS = 300


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


def check_cache() -> dict[str, Any]:
    backend = caches["default"]
    if not isinstance(backend, DegradingRedisCache):
        return {"ok": True, "mode": "in-process"}
    # Asked now: a Redis that answers ends the degradation before it is reported.
    reachable = backend.ping()
    return {"ok": reachable, "mode": "redis", "reachable": reachable, **backend.degradation()}


def check_outbox() -> dict[str, Any]:
    try:
        backlog = outbox_backlog()
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": backlog["oldest_pending_seconds"] < OUTBOX_STALE_SECONDS, **backlog}


def readiness_report() -> tuple[bool, dict[str, Any]]:
    """(ready, report): ready unless the database is unreachable."""
    database = check_database()
    report: dict[str, Any] = {
        "database": database,
        "broker": check_broker(),
        "cache": check_cache(),
    }
    if database["ok"]:
        report["outbox"] = check_outbox()
    ready = bool(database["ok"])
    if not ready:
        report["status"] = "unavailable"
    elif all(part["ok"] for part in report.values()):
        report["status"] = "ok"
    else:
        report["status"] = "degraded"
    return ready, report
