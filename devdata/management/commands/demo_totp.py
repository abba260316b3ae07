"""Print the current one-time code for the demo TOTP secret (demo only)."""

from typing import Any

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print the current TOTP code for the demo accounts (DEMO_MODE only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("demo_totp only runs with DEMO_MODE on.")
        import time

        counter = int(time.time()) // app_settings.TOTP_PERIOD
        self.stdout.write(format_hotp_value(hotp_value(settings.DEMO_TOTP_SECRET, counter)))
