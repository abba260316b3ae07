"""Database helpers shared by the migrate command and the test set-up."""

from __future__ import annotations

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
