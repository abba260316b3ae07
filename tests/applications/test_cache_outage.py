"""The resident's forms while the cache's Redis is down (issue 23): they answer, and their rate
limits are still counted, in this process, instead of failing open."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from tests.factories import ReferralFactory
from tests.fixtures_services import private_redis, redis_cache

pytestmark = pytest.mark.django_db


def test_status_checks_are_answered_and_still_limited(
    member_a,
    caplog: pytest.LogCaptureFixture,  # noqa: ANN001
) -> None:
    referral = ReferralFactory(member=member_a)
    client = Client(REMOTE_ADDR="10.23.1.1")
    with private_redis() as server, redis_cache(server.url):
        server.stop()
        with caplog.at_level(logging.WARNING):
            codes = [
                client.post("/apply/status/", {"reference": referral.reference}).status_code
                for _ in range(11)
            ]
    assert codes == [302] * 10 + [429]  # "10/15m" per address
    # Counted in memory: the fail-open last resort was never needed.
    assert "not applied" not in caplog.text
