"""Create the demo consortium (synthetic data) and print the demo sign-ins. Safe to run twice."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devdata.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the 12-member demo consortium (synthetic data) and print the demo sign-ins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--report-quarters",
            type=int,
            default=4,
            help="publish the consortium report for this many past quarters (default 4)",
        )
        parser.add_argument(
            "--member-report-quarters",
            type=int,
            default=1,
            help="publish each member's report for this many past quarters (default 1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("seed_demo only runs with DEMO_MODE on (never in production).")
        result = seed_demo(
            report_quarters=options["report_quarters"],
            member_report_quarters=options["member_report_quarters"],
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo consortium ready: {result.created_members} members and "
                f"{result.created_referrals} referrals created this run (all synthetic); "
                f"{result.published_reports} quarterly reports published."
            )
        )
        self.stdout.write("\nDemo sign-ins (synthetic people; demo only):")
        self.stdout.write(f"  password for every account: {DEMO_PASSWORD}")
        self.stdout.write(
            f"  second factor: the TOTP secret {settings.DEMO_TOTP_SECRET} in any authenticator"
            " app,\n  or run `python manage.py demo_totp` for the current code."
        )
        shown_members: set[str] = set()
        for sign_in in result.sign_ins:
            # Every member has the same five roles: list two members in full, then the pattern.
            if sign_in.member != "consortium" and len(shown_members | {sign_in.member}) > 2:
                continue
            shown_members.add(sign_in.member) if sign_in.member != "consortium" else None
            self.stdout.write(f"  {sign_in.email:<45} {sign_in.role} ({sign_in.member})")
        self.stdout.write(
            "  ... and the same five roles at every member: "
            "caseworker.<slug>, lead.<slug>, admin.<slug>, dpo.<slug>, board.<slug>"
            "@demo.example"
        )
