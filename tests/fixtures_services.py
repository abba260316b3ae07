"""Private, throwaway servers for fault tests: never stop a server the test did not start."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import kombu.pools
import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrivateRedis:
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=2)


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Point the Celery app at another broker for the duration, with fresh connection pools."""
    from consortium.celery import app

    old_url = app.conf.broker_url
    old_eager = app.conf.task_always_eager

    def reset_pools() -> None:
        # kombu keeps its pools in a process-wide registry keyed by connection; closing the app's
        # pool without clearing it would hand the same closed pool back when the old URL returns.
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    reset_pools()
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        reset_pools()
        app.conf.broker_url = old_url
        app.conf.task_always_eager = old_eager


@contextmanager
def redis_cache(url: str, *, retry_seconds: float = 5) -> Iterator[None]:
    """The default cache on another Redis (the portal's degrading backend) for the duration.

    override_settings(CACHES=...) makes Django close the cache connections and build fresh ones
    from the new settings (django.test.signals.clear_cache_handlers), so `cache` follows."""
    from django.test import override_settings

    caches = {
        "default": {
            "BACKEND": "consortium.cache.DegradingRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-{free_port()}",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            "DEGRADED_RETRY_SECONDS": retry_seconds,
        }
    }
    with override_settings(CACHES=caches):
        yield
