"""The degrading Redis cache (consortium/cache.py) against a real, private Redis that stops."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
from django.core.cache import cache, caches

from consortium.cache import DegradingRedisCache
from tests.fixtures_services import PrivateRedis, private_redis, redis_cache

RETRY = 0.5  # seconds; short, so the test sees the circuit close again


@pytest.fixture
def redis() -> Iterator[PrivateRedis]:
    with private_redis() as server, redis_cache(server.url, retry_seconds=RETRY):
        assert isinstance(caches["default"], DegradingRedisCache)
        yield server


def redis_keys(server: PrivateRedis) -> list[str]:
    return [key.decode() for key in server.client().keys("*")]


def test_with_redis_up_it_is_redis(redis: PrivateRedis) -> None:
    cache.set("guard", "y", 60)
    assert cache.get("guard") == "y"
    assert any(key.endswith(":guard") for key in redis_keys(redis))
    assert caches["default"].degradation() == {  # type: ignore[attr-defined]
        "degraded": False,
        "degraded_since": None,
        "last_error": None,
    }


def test_with_redis_down_every_operation_is_served_from_memory(redis: PrivateRedis) -> None:
    redis.stop()
    assert cache.add("lock", True, 10) is True
    assert cache.add("lock", True, 10) is False  # what TOTP replay and allauth's lock rely on
    cache.set("history", [1, 2], 60)
    assert cache.get("history") == [1, 2]
    assert cache.get("missing", "default") == "default"
    assert cache.has_key("history")
    assert cache.touch("history", 120) is True
    cache.set("count", 1, 60)
    assert cache.incr("count") == 2
    assert cache.decr("count") == 1
    cache.set_many({"a": 1, "b": 2}, 60)
    assert cache.get_many(iter(["a", "b", "c"])) == {"a": 1, "b": 2}
    cache.delete_many(["a", "b"])
    assert cache.get_many(["a", "b"]) == {}
    assert cache.delete("history") is True
    assert cache.get_or_set("made", lambda: "fresh", 60) == "fresh"
    with pytest.raises(ValueError):
        cache.incr("never-set")  # the same answer Redis gives
    cache.clear()
    assert cache.get("count") is None
    state = caches["default"].degradation()  # type: ignore[attr-defined]
    assert state["degraded"] is True
    assert state["last_error"] == "ConnectionError"
    assert state["degraded_since"]


def test_the_degradation_is_logged_once_per_interval_without_keys(
    redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    redis.stop()
    with caplog.at_level(logging.WARNING, logger="consortium.cache"):
        for n in range(50):
            cache.set(f"login_failed:10.0.0.{n}", n, 60)
            cache.get(f"login_failed:10.0.0.{n}")
    warnings = [r for r in caplog.records if r.name == "consortium.cache"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    # The phrase operators (and tests/faults) look for, with the error class only.
    assert "cache unavailable (ConnectionError)" in warnings[0].getMessage()
    assert "10.0.0" not in caplog.text and "login_failed" not in caplog.text
    assert warnings[0].exc_info is None  # a line, not a traceback

    caplog.clear()
    time.sleep(RETRY + 0.1)
    with caplog.at_level(logging.WARNING, logger="consortium.cache"):
        for _ in range(20):
            cache.get("anything")
    assert len([r for r in caplog.records if r.name == "consortium.cache"]) == 1


def test_it_leaves_redis_alone_for_the_interval_then_uses_it_again(
    redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    redis.stop()
    cache.set("during", "memory", 60)
    redis.start()  # the same port: Redis is back
    # Within the interval the circuit is open: still memory, Redis is not asked.
    cache.set("too-soon", "memory", 60)
    assert redis_keys(redis) == []
    assert caches["default"].degradation()["degraded"] is True  # type: ignore[attr-defined]

    time.sleep(RETRY + 0.1)
    with caplog.at_level(logging.WARNING, logger="consortium.cache"):
        cache.set("after", "redis", 60)
    assert [key for key in redis_keys(redis) if key.endswith(":after")]
    assert cache.get("after") == "redis"
    assert caches["default"].degradation()["degraded"] is False  # type: ignore[attr-defined]
    assert "answers again" in caplog.text


def test_errors_that_are_not_redis_errors_still_raise(redis: PrivateRedis) -> None:
    with pytest.raises(TypeError):
        cache.set("unpicklable", threading.Lock(), 60)
    assert caches["default"].degradation()["degraded"] is False  # type: ignore[attr-defined]


def test_the_ping_asks_redis_now_and_ends_the_degradation(redis: PrivateRedis) -> None:
    backend = caches["default"]
    assert isinstance(backend, DegradingRedisCache)
    redis.stop()
    assert backend.ping() is False
    assert backend.degradation()["degraded"] is True
    redis.start()
    assert backend.ping() is True  # inside the interval too: health asks for real
    assert backend.degradation()["degraded"] is False
