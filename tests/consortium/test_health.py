"""Liveness and readiness (issue 23): only the database makes the portal unready; the broker,
the cache's Redis and the outbox backlog make it "degraded"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from consortium import health
from outbox.models import OutboxMessage
from outbox.selectors import outbox_backlog
from tests.fixtures_services import celery_broker, private_redis, redis_cache

pytestmark = pytest.mark.django_db


def test_liveness_touches_nothing(client, django_assert_num_queries) -> None:
    # Public and about no one (PUBLIC in tests/test_url_ownership.py): a process that answers.
    with django_assert_num_queries(0):
        response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
    assert "no-store" in response["Cache-Control"]


def test_readiness_reports_database_broker_cache_and_outbox(client) -> None:
    with (
        private_redis() as redis,
        celery_broker(redis.url),
        redis_cache(redis.url),
    ):
        responses = [client.get(path) for path in ("/health/ready/", "/health/")]
    for response in responses:
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["database"]["ok"] is True
        assert body["broker"] == {"ok": True, "mode": "redis"}
        assert body["cache"] == {
            "ok": True,
            "mode": "redis",
            "reachable": True,
            "degraded": False,
            "degraded_since": None,
            "last_error": None,
        }
        assert body["outbox"] == {"ok": True, "pending": 0, "oldest_pending_seconds": 0.0}
        assert "Retry-After" not in response


def test_readiness_is_degraded_not_unready_when_redis_is_down(client) -> None:
    with (
        private_redis() as redis,
        celery_broker(redis.url),
        redis_cache(redis.url),
    ):
        redis.stop()  # one Redis, broker and cache, as in production
        response = client.get("/health/ready/")
        legacy = client.get("/health/")
    for answer in (response, legacy):
        assert answer.status_code == 200
        body = answer.json()
        assert body["status"] == "degraded"
        assert body["database"]["ok"] is True
        assert body["broker"]["ok"] is False
        assert body["cache"]["ok"] is False and body["cache"]["reachable"] is False
        assert body["cache"]["degraded"] is True
        assert body["cache"]["last_error"] == "ConnectionError"
        assert body["cache"]["degraded_since"]


def test_readiness_is_degraded_when_the_outbox_is_stuck(client) -> None:
    OutboxMessage.objects.create(
        task_name="test.stuck", created_at=timezone.now() - timedelta(minutes=10)
    )
    body = client.get("/health/ready/").json()
    assert body["status"] == "degraded"
    assert body["outbox"]["ok"] is False
    assert body["outbox"]["pending"] == 1
    assert body["outbox"]["oldest_pending_seconds"] >= 600


def test_outbox_backlog_counts_unconsumed_messages_and_the_oldest_age() -> None:
    now = timezone.now()
    OutboxMessage.objects.create(task_name="test.a", created_at=now - timedelta(seconds=30))
    # Relayed but never consumed (a broker lost it): still the backlog.
    OutboxMessage.objects.create(
        task_name="test.b", created_at=now - timedelta(seconds=5), relayed_at=now
    )
    OutboxMessage.objects.create(
        task_name="test.c", created_at=now - timedelta(hours=1), relayed_at=now, consumed_at=now
    )
    backlog = outbox_backlog()
    assert backlog["pending"] == 2
    assert 30 <= backlog["oldest_pending_seconds"] < 60


def test_readiness_is_503_with_retry_after_only_without_the_database(client, monkeypatch) -> None:
    monkeypatch.setattr(
        health, "check_database", lambda: {"ok": False, "error": "OperationalError"}
    )
    ready, report = health.readiness_report()
    assert ready is False
    assert report["status"] == "unavailable"
    assert "outbox" not in report  # not asked of a database that is not there
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(health.RETRY_AFTER_SECONDS)
    assert response.json()["database"] == {"ok": False, "error": "OperationalError"}
    assert "no-store" in response["Cache-Control"]


def test_health_is_not_cached(client) -> None:
    for path in ("/health/", "/health/ready/", "/health/live/"):
        response = client.get(path)
        assert "no-store" in response["Cache-Control"], path
