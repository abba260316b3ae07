from __future__ import annotations

import pytest

from tests.fixtures_services import celery_broker, private_redis

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_broker_reachable(client) -> None:
    with private_redis() as broker, celery_broker(broker.url):
        response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"] == {"ok": True, "mode": "redis"}
    assert body["outbox"]["pending"] == 0


def test_health_says_unavailable_when_the_broker_is_down(client) -> None:
    with private_redis() as broker, celery_broker(broker.url):
        broker.stop()
        response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["broker"]["ok"] is False
    assert body["database"]["ok"] is True


def test_health_is_not_cached(client) -> None:
    with private_redis() as broker, celery_broker(broker.url):
        response = client.get("/health/")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
