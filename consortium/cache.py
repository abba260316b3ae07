"""The cache on Redis that degrades to this process's memory when Redis is down (issue 23).

Everything in the cache is a counter or a guard: allauth's sign-in rate limits and TOTP replay
guards, DRF's throttles, the resident forms' rate limits. With Redis down, Django's RedisCache
raises on every call and each of them turns into a 500. This backend serves the call from a
per-process LocMemCache instead, so the limits are still counted, per process rather than across
the deployment, and stops asking Redis for `DEGRADED_RETRY_SECONDS` (a circuit breaker: a
black-holed Redis would otherwise cost a one-second timeout on every call), then tries again.

Why our own: django-cache-fallback 0.4.0 calls logging.basicConfig() at import, logs a traceback
on every failed call and retries the dead Redis on every call; django-redis's IGNORE_EXCEPTIONS
answers "nothing cached", which switches every limiter off. This is one small class.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from redis.exceptions import RedisError

logger = logging.getLogger("consortium.cache")

T = TypeVar("T")

DEFAULT_RETRY_SECONDS = 5.0
# Enough for the sign-in, TOTP and throttle keys of a busy hour in one process.
FALLBACK_MAX_ENTRIES = 20_000


class RedisCircuit:
    """Whether to ask Redis, shared by every thread of the process (Django builds one cache
    object per thread, so the state cannot live on the cache object). Logs a WARNING at most
    once per interval, naming the error class only: never a key, which can hold an address or
    a user id."""

    def __init__(self, *, retry_seconds: float) -> None:
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self.degraded_since: datetime | None = None
        self.last_error: str | None = None
        self._retry_at = 0.0
        self._next_warning_at = 0.0

    def allows_attempt(self) -> bool:
        if self.degraded_since is None:  # the common case, without taking the lock
            return True
        with self._lock:
            now = time.monotonic()
            if now < self._retry_at:
                return False
            # This caller probes Redis; the others stay on the fallback until it answers.
            self._retry_at = now + self.retry_seconds
            return True

    def record_failure(self, exc: BaseException) -> None:
        with self._lock:
            now = time.monotonic()
            if self.degraded_since is None:
                self.degraded_since = timezone.now()
            self.last_error = type(exc).__name__
            self._retry_at = now + self.retry_seconds
            if now < self._next_warning_at:
                return
            self._next_warning_at = now + self.retry_seconds
        logger.warning(
            "Redis cache unavailable (%s): rate limits and TOTP replay guards are counted in "
            "this process; trying Redis again in %.0f s",
            type(exc).__name__,
            self.retry_seconds,
        )

    def record_success(self) -> None:
        if self.degraded_since is None:
            return
        with self._lock:
            since = self.degraded_since
            if since is None:
                return
            self.degraded_since = None
            self._retry_at = 0.0
            self._next_warning_at = 0.0
        seconds = (timezone.now() - since).total_seconds()
        logger.warning("Redis cache answers again after %.0f s; counting in Redis again", seconds)

    def state(self) -> dict[str, Any]:
        since = self.degraded_since
        return {
            "degraded": since is not None,
            "degraded_since": since.isoformat() if since else None,
            "last_error": self.last_error if since else None,
        }


_circuits: dict[str, RedisCircuit] = {}
_circuits_lock = threading.Lock()


def _circuit_for(location: str, retry_seconds: float) -> RedisCircuit:
    with _circuits_lock:
        circuit = _circuits.get(location)
        if circuit is None or circuit.retry_seconds != retry_seconds:
            circuit = _circuits[location] = RedisCircuit(retry_seconds=retry_seconds)
        return circuit


class DegradingRedisCache(RedisCache):
    """Django's RedisCache, served from this process's memory while Redis is unreachable.

    Every public method of RedisCache is overridden (BaseCache's others, get_or_set, decr, the
    async ones and the version helpers, call these). Errors that are not Redis's (a value that
    cannot be pickled) still raise.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        retry_seconds = float(params.get("DEGRADED_RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
        self._circuit = _circuit_for(server, retry_seconds)
        # Same prefix, version and key function, so a key means the same in both. The name
        # makes the store one per process and location, whichever thread's cache object asks.
        self._fallback = LocMemCache(
            f"consortium.cache.fallback:{server}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "KEY_FUNCTION": params.get("KEY_FUNCTION"),
                "OPTIONS": {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES},
            },
        )

    def _either(self, on_redis: Callable[[], T], on_fallback: Callable[[], T]) -> T:
        if not self._circuit.allows_attempt():
            return on_fallback()
        try:
            result = on_redis()
        except RedisError as exc:
            self._circuit.record_failure(exc)
            return on_fallback()
        self._circuit.record_success()
        return result

    def degradation(self) -> dict[str, Any]:
        """For health: degraded since when, and the last error's class."""
        return self._circuit.state()

    def ping(self) -> bool:
        """Asks Redis now, whatever the circuit says (health's question); an answer ends the
        degradation at once."""
        try:
            self._cache.get_client().ping()
        except RedisError as exc:
            self._circuit.record_failure(exc)
            return False
        self._circuit.record_success()
        return True

    # --- RedisCache's public methods, each tried on Redis and served from memory if it fails ---

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._either(
            lambda: super(DegradingRedisCache, self).add(key, value, timeout, version),
            lambda: self._fallback.add(key, value, timeout, version),
        )

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._either(
            lambda: super(DegradingRedisCache, self).get(key, default, version),
            lambda: self._fallback.get(key, default, version),
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._either(
            lambda: super(DegradingRedisCache, self).set(key, value, timeout, version),
            lambda: self._fallback.set(key, value, timeout, version),
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._either(
            lambda: super(DegradingRedisCache, self).touch(key, timeout, version),
            lambda: self._fallback.touch(key, timeout, version),
        )

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._either(
            lambda: super(DegradingRedisCache, self).delete(key, version),
            lambda: self._fallback.delete(key, version),
        )

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        keys = list(keys)  # an iterator would be used up by the first attempt
        return self._either(
            lambda: super(DegradingRedisCache, self).get_many(keys, version),
            lambda: self._fallback.get_many(keys, version),
        )

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._either(
            lambda: super(DegradingRedisCache, self).has_key(key, version),
            lambda: self._fallback.has_key(key, version),
        )

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self._either(
            lambda: super(DegradingRedisCache, self).incr(key, delta, version),
            lambda: self._fallback.incr(key, delta, version),
        )

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._either(
            lambda: super(DegradingRedisCache, self).set_many(data, timeout, version),
            lambda: self._fallback.set_many(data, timeout, version),
        )

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        keys = list(keys)
        self._either(
            lambda: super(DegradingRedisCache, self).delete_many(keys, version),
            lambda: self._fallback.delete_many(keys, version),
        )

    def clear(self) -> None:
        # The fallback too, so counts from an earlier outage do not come back with the next one.
        self._fallback.clear()
        self._either(lambda: super(DegradingRedisCache, self).clear(), lambda: None)
