"""Load N synthetic referrals for benchmarks (devdata/scale.py does the work)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from consortium.db import use_owner_credentials
from devdata.scale import CHUNK, DEFAULT_SEED, ScaleLoadError, load_scale


class Command(BaseCommand):
    help = (
        "Add N synthetic referrals for benchmarks, with about 0.8 residents, one application, "
        "one contact snapshot, "
        "one routing decision, 0.3 outcomes and two audit events per referral, spread over the "
        "existing members and services (the demo catalogue is created first if there is none) "
        "and the last six financial quarters. Each run ADDS N more: scale rows have references "
        "starting with 'HS-' and is_synthetic set; nothing is deleted (the audit log is "
        "append-only). All or nothing: one transaction. Runs only with DEMO_MODE on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int, help="How many referrals to add, e.g. 1000000.")
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="Seed for the random data (default %(default)s; same seed, same data).",
        )
        parser.add_argument(
            "--chunk",
            type=int,
            default=CHUNK,
            help="Referrals generated and inserted per step (default %(default)s).",
        )
        parser.add_argument(
            "--online",
            action="store_true",
            help="Connect as the application role and keep every index and foreign key in "
            "place while loading: slower, but the portal stays usable. By default, when "
            "DATABASE_OWNER_URL is set, the load runs as the owner and, when it at least doubles "
            "the referrals table, drops the foreign keys, unique constraints and secondary "
            "indexes of the loaded tables for the load, rebuilding them at the end (same "
            "transaction; the tables are locked meanwhile).",
        )
        parser.add_argument(
            "--no-analyze", action="store_true", help="Skip ANALYZE of the loaded tables."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("load_scale only runs with DEMO_MODE on (never in production).")
        count = options["count"]
        verbosity = options["verbosity"]

        def progress(done: int, total: int) -> None:
            if verbosity >= 1:
                self.stdout.write(f"  {done:,} / {total:,} referrals")

        owner_url = settings.DATABASE_OWNER_URL
        offline = bool(owner_url) and not options["online"]
        if owner_url and offline:
            use_owner_credentials(owner_url)
        try:
            result = load_scale(
                count,
                seed=options["seed"],
                chunk=options["chunk"],
                analyze=not options["no_analyze"],
                rebuild_indexes=None if offline else False,
                progress=progress,
            )
        except ScaleLoadError as exc:
            raise CommandError(str(exc)) from exc
        for table, rows in result.counts.items():
            self.stdout.write(f"  {table:<17} {rows:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {result.referrals:,} synthetic referrals ({result.rows:,} rows) in "
                f"{result.seconds:.1f} s"
                + (", indexes rebuilt" if result.rebuilt_indexes else "")
                + ("" if result.analyzed else " (tables not analyzed)")
                + "."
            )
        )
