"""The benchmark database: its own PostgreSQL database, never the test or development one.

BENCH_DATABASE_URL (default postgres://consortium_app@127.0.0.1:5432/consortium_bench) and
BENCH_DATABASE_OWNER_URL (default: the same with the consortium_owner role) name it; run.py
copies them into DATABASE_URL / DATABASE_OWNER_URL before Django starts, so the portal's own
settings (and its row-level security) apply unchanged.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://consortium_app@127.0.0.1:5432/consortium_bench"
DEFAULT_OWNER_URL = "postgres://consortium_owner@127.0.0.1:5432/consortium_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


class BenchDatabaseError(RuntimeError):
    pass


def configure_environment() -> str:
    """Point the portal's settings at the benchmark database. Returns its name."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    owner_url = os.environ.get("BENCH_DATABASE_OWNER_URL") or (
        DEFAULT_OWNER_URL if url == DEFAULT_URL else url
    )
    if not url.startswith(("postgres://", "postgresql://")):
        raise BenchDatabaseError("Benchmarks run on PostgreSQL only: set BENCH_DATABASE_URL.")
    name = urlsplit(url).path.lstrip("/")
    if urlsplit(owner_url).path.lstrip("/") != name:
        raise BenchDatabaseError("BENCH_DATABASE_URL and BENCH_DATABASE_OWNER_URL differ in name.")
    if name.startswith("test_") or "bench" not in name:
        # Loading a million rows into the test or development database would ruin it.
        raise BenchDatabaseError(
            f"Refusing to benchmark in {name!r}: use a database of its own whose name contains "
            "'bench' (e.g. consortium_bench)."
        )
    os.environ["DATABASE_URL"] = url
    os.environ["DATABASE_OWNER_URL"] = owner_url
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.setdefault("DJANGO_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings")
    return name


def provision() -> None:
    """Create the roles and the database if they are missing (bin/provision_postgres.py)."""
    completed = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(ROOT / "bin" / "provision_postgres.py")],
        env=os.environ.copy(),
        check=False,
    )
    if completed.returncode:
        raise BenchDatabaseError("Could not provision the benchmark database (see above).")


def prepare(log: object = print) -> None:
    """Migrate (as the owner) and seed the demo consortium when there is none yet."""
    from django.core.management import call_command

    from members.models import Member

    call_command("migrate", verbosity=0)
    if not Member.objects.exists():
        from devdata.demo import seed_demo

        seed_demo()


def referral_count() -> int:
    """Referrals in the benchmark database (under an audited consortium scope)."""
    from members.scoping import consortium_scope
    from referrals.models import Referral

    with consortium_scope(reason="benchmark: count referrals"):
        return Referral.objects.count()


@contextmanager
def as_owner() -> Iterator[None]:
    """Connect as the owning role for the block (index rebuilds, ANALYZE), then go back to the
    application role so the next benchmark measures what the portal does."""
    from django.conf import settings
    from django.db import connection

    from consortium.db import use_owner_credentials

    saved = {key: connection.settings_dict.get(key) for key in ("USER", "PASSWORD", "HOST", "PORT")}
    if settings.DATABASE_OWNER_URL:
        use_owner_credentials(settings.DATABASE_OWNER_URL)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def copy_database(source: str, target: str) -> bool:
    """`createdb -T source target`, as the owning role (it may create databases and owns the
    source). Every connection of this process is closed first: PostgreSQL copies only a database
    nobody is connected to. False when `target` exists already (it is left as it is)."""
    import psycopg2
    from django.db import connections
    from psycopg2 import sql

    for conn in connections.all():
        conn.close()
    owner = urlsplit(os.environ["DATABASE_OWNER_URL"])
    with closing(psycopg2.connect(owner._replace(path="/postgres").geturl())) as pg:
        pg.autocommit = True
        with pg.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target])
            if cursor.fetchone():
                return False
            cursor.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(target), sql.Identifier(source)
                )
            )
    return True


@contextmanager
def use_database(name: str) -> Iterator[None]:
    """Point the default connection at another database of the same origin for the block
    (same roles, same schema): e.g. a 10,000-referral copy kept beside the growing one."""
    from django.db import connection

    saved = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = saved
