"""Rate limits for the public forms, on the cache (Redis).

When Redis is down the cache (consortium/cache.py) counts in this process's memory, so the limits
still hold, per process, until it returns. Should the cache fail in any other way, they fail
open: refusing every resident would be worse than letting a burst of spam through (the honeypot,
the idempotency key and the per-application code limit in the database still apply).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

logger = logging.getLogger(__name__)


def rate_limited(
    request: HttpRequest, *, group: str, rate: str, key: str | Callable[..., str] = "ip"
) -> bool:
    try:
        return bool(is_ratelimited(request, group=group, key=key, rate=rate, increment=True))
    except Exception as exc:  # noqa: BLE001 - the last resort: fail open, see the module docstring
        logger.warning(
            "rate limit %s not applied, cache unavailable: %s", group, type(exc).__name__
        )
        return False
