"""The API while the cache's Redis is down (issue 23): DRF's throttles read the cache, and are
counted in this process until Redis returns, so a call is answered, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from referrals.models import Application
from tests.api.conftest import World, rows_as
from tests.api.test_endpoints import application_body
from tests.fixtures_services import celery_broker, private_redis, redis_cache

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down() -> Iterator[None]:
    # One Redis for the broker and the cache, as in production; both are down.
    with private_redis() as server, celery_broker(server.url), redis_cache(server.url):
        server.stop()
        yield


def test_a_token_call_is_answered(cast: Any, world: World, api: Any, redis_down: None) -> None:
    response = api(cast.alice).get("/api/v1/services/", {"status": "open"})
    assert response.status_code == 200, response.content


def test_a_resident_may_still_apply(world: World, redis_down: None) -> None:
    response = APIClient().post(
        "/api/v1/applications/", application_body(world), HTTP_IDEMPOTENCY_KEY="outage-0001"
    )
    assert response.status_code == 201, response.content
    assert rows_as(world.member_a, Application, reference=response.json()["reference"])


def test_throttles_still_count_per_process(
    world: World, redis_down: None, monkeypatch: Any
) -> None:
    from rest_framework.throttling import ScopedRateThrottle

    rates = {**ScopedRateThrottle.THROTTLE_RATES, "applications": "2/hour"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    client = APIClient()
    codes = [
        client.post("/api/v1/applications/", {}, HTTP_IDEMPOTENCY_KEY=f"outage-100{i}").status_code
        for i in range(3)
    ]
    assert codes == [400, 400, 429]
