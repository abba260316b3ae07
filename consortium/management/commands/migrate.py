"""`migrate`, run as the role that owns the tables (DATABASE_OWNER_URL) when one is configured.

The application's own role cannot change the schema; it is granted row access after migrating
(members/rls.py).
"""

from typing import Any

from django.conf import settings
from django.core.management.commands import migrate

from consortium.db import use_owner_credentials


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DATABASE_OWNER_URL and options["database"] == "default":
            use_owner_credentials(settings.DATABASE_OWNER_URL)
        super().handle(*args, **options)
