"""System checks that keep production honest."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning


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


# GOV.UK Notify API keys are "<key name>-<service id>-<secret>", both ids UUIDs; the client takes
# the service id and the secret from the end of the key.
_NOTIFY_KEY = re.compile(
    r"^.+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@register(Tags.security, deploy=True)
def check_text_messages(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Texts go through GOV.UK Notify only when it is configured; otherwise say what is missing,
    instead of residents who chose texts quietly getting nothing."""
    problems: list[CheckMessage] = []
    if settings.SMS_BACKEND == "notify":
        key = settings.NOTIFY_API_KEY or ""
        template = settings.NOTIFY_SMS_TEMPLATE_ID or ""
        if not key:
            problems.append(
                Error(
                    "SMS_BACKEND is notify but NOTIFY_API_KEY is not set: no text message can "
                    "be sent.",
                    hint="Create an API key in GOV.UK Notify (API integration) and set "
                    "NOTIFY_API_KEY (or NOTIFY_API_KEY_FILE).",
                    id="consortium.E004",
                )
            )
        elif not _NOTIFY_KEY.match(key.lower()):
            problems.append(
                Error(
                    "NOTIFY_API_KEY does not look like a GOV.UK Notify API key "
                    "(<name>-<service id>-<secret>).",
                    hint="Copy the whole key Notify showed when it was created.",
                    id="consortium.E005",
                )
            )
        if not _UUID.match(template.lower()):
            problems.append(
                Error(
                    "SMS_BACKEND is notify but NOTIFY_SMS_TEMPLATE_ID is not a template id.",
                    hint="Create one text message template in Notify whose whole body is "
                    "((body)) and set NOTIFY_SMS_TEMPLATE_ID to its id.",
                    id="consortium.E006",
                )
            )
    elif settings.PRODUCTION:
        problems.append(
            CheckWarning(
                "SMS_BACKEND is file: text messages are written to files, not sent.",
                hint="Set SMS_BACKEND=notify with NOTIFY_API_KEY and NOTIFY_SMS_TEMPLATE_ID.",
                id="consortium.W001",
            )
        )
    return problems
