"""The cache key prefix of one deployment.

Login throttles and TOTP replay guards live in the cache. Two portals on one Redis database with
the same prefix would share those keys: a test run could lock a demo's users out. So, unless
CACHE_KEY_PREFIX says otherwise, the prefix is derived from what makes a deployment itself: its
environment and its database (host, port, name), never the password, so it can be logged.
"""

from __future__ import annotations

import hashlib

import dj_database_url


def cache_key_prefix(*, django_env: str, database_url: str, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    db = dj_database_url.parse(database_url)
    identity = f"{db.get('HOST') or ''}:{db.get('PORT') or ''}/{db.get('NAME') or ''}"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:12]
    return f"portal-{django_env}-{digest}"
