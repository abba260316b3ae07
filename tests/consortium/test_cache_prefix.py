"""Two portals on one Redis keep their cache keys apart (finding 9)."""

from __future__ import annotations

import os
import uuid

import pytest
from django.core.cache.backends.redis import RedisCache

from tests.consortium.test_settings import SETUP, run_python

PRINT_PREFIX = SETUP + "print(settings.CACHES['default']['KEY_PREFIX'])"
REDIS = "redis://127.0.0.1:6379/12"


def _prefix(**env: str) -> str:
    result = run_python(PRINT_PREFIX, REDIS_URL=os.environ.get("REDIS_URL", REDIS), **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_two_deployments_get_different_cache_prefixes_by_default() -> None:
    demo = _prefix(DJANGO_ENV="development", DATABASE_URL="postgres://app@db1:5432/demo")
    other_db = _prefix(DJANGO_ENV="development", DATABASE_URL="postgres://app@db1:5432/aldgate")
    other_host = _prefix(DJANGO_ENV="development", DATABASE_URL="postgres://app@db2:5432/demo")
    tests = _prefix(DJANGO_ENV="test", DATABASE_URL="postgres://app@db1:5432/demo")
    assert len({demo, other_db, other_host, tests}) == 4
    assert demo != "portal"  # the old shared prefix is gone


def test_the_prefix_can_be_pinned_and_never_holds_the_password() -> None:
    pinned = _prefix(DATABASE_URL="postgres://app@db1/demo", CACHE_KEY_PREFIX="portal-aldgate")
    assert pinned == "portal-aldgate"
    with_password = _prefix(DATABASE_URL="postgres://app:s3cret@db1/demo")
    assert with_password == _prefix(DATABASE_URL="postgres://app:other@db1/demo")
    assert "s3cret" not in with_password


def test_a_key_set_by_one_deployment_is_not_seen_by_the_other() -> None:
    location = os.environ.get("REDIS_URL")
    if not location:
        pytest.skip("needs a real Redis (REDIS_URL)")
    first = RedisCache(location, {"KEY_PREFIX": _prefix(DATABASE_URL="postgres://a@h/one")})
    second = RedisCache(location, {"KEY_PREFIX": _prefix(DATABASE_URL="postgres://a@h/two")})
    key = f"login-failed-{uuid.uuid4()}"
    try:
        first.set(key, 5, 60)
        assert first.get(key) == 5
        assert second.get(key) is None
    finally:
        first.delete(key)
