"""System checks that keep production honest."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_production_services(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors = []
    if settings.PRODUCTION and settings.EMBEDDED_DATABASE:
        errors.append(
            Error(
                "Production runs on PostgreSQL: set DATABASE_URL.",
                id="consortium.E001",
            )
        )
    if settings.PRODUCTION and settings.EMBEDDED_BROKER:
        errors.append(
            Error("Production runs Celery on Redis: set REDIS_URL.", id="consortium.E002")
        )
    if settings.PRODUCTION and settings.PASSWORD_HASHERS[0] != (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    ):
        errors.append(Error("Argon2 must be the first password hasher.", id="consortium.E003"))
    return errors
