"""Database helpers shared by the migrate command and the test set-up."""

from __future__ import annotations

from urllib.parse import quote

import dj_database_url
from django.db import connections


def use_owner_credentials(owner_url: str, alias: str = "default") -> None:
    """Point a connection at the table-owning role (for migrations), same database."""
    owner = dj_database_url.parse(owner_url)
    connection = connections[alias]
    connection.close()
    for key in ("USER", "PASSWORD", "HOST", "PORT"):
        if owner.get(key) not in (None, ""):
            connection.settings_dict[key] = owner[key]


def connection_url(settings_dict: dict, *, user: str, database: str | None = None) -> str:
    """A libpq URL for a connection's server as another role (a Unix socket directory, as the
    embedded server uses, is a percent-encoded host)."""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    name = database or settings_dict["NAME"]
    return f"postgres://{quote(user, safe='')}@{quote(str(host), safe='')}:{port}/{name}"
