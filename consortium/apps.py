from __future__ import annotations

import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("consortium")


class ConsortiumConfig(AppConfig):
    name = "consortium"
    verbose_name = "Consortium portal"

    def ready(self) -> None:
        from consortium import checks  # noqa: F401  (registers system checks)

        embedded = []
        if settings.EMBEDDED_DATABASE:
            embedded.append("the embedded PostgreSQL server in var/ (no DATABASE_URL)")
        if settings.EMBEDDED_BROKER:
            embedded.append("Celery tasks run in-process (no REDIS_URL)")
        if embedded:
            logger.warning(
                "Embedded mode: %s. Set DATABASE_URL and REDIS_URL to use your own servers.",
                "; ".join(embedded),
            )
