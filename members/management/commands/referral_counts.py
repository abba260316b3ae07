"""Print how many referrals a member sent and received (or the consortium, with --consortium)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from members.management.base import ScopedCommand
from referrals.models import Referral


class Command(ScopedCommand):
    help = "Referral counts by status for one member (--member SLUG) or all (--consortium)."

    def handle_scoped(self, *args: Any, **options: Any) -> None:
        rows = Referral.objects.values("status").annotate(n=Count("id")).order_by("status")
        for row in rows:
            self.stdout.write(f"{row['status']:<20} {row['n']}")
