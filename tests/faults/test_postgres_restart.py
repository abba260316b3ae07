"""PostgreSQL restarted (a fast shutdown, then a start) while residents submit applications
through the public API of a real gunicorn, and while health checks poll.

Never the machine's PostgreSQL: the test runs a private throwaway cluster (the embedded server's
binaries, initdb into a temp directory, its own socket directory), loads the test database's
schema into it (pg_dump of the migrated test database: the same tables, row-level security
policies and grants as `migrate` makes, in seconds rather than a minute), and stops it in a
`finally`.

What it proves: every response is a success or a clean 503 (members/middleware.py turns a lost
connection into 503 with Retry-After; the health check says 503), never a 500 or a hung request;
a client that retries with the same Idempotency-Key ends with exactly one application; and nothing
is half-written: every stored application has its referral and both outbox messages.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.conf import settings as django_settings
from django.db import connection

from consortium.embedded_postgres import SOCKET_PORT, EmbeddedPostgres, bin_dir
from tests.faults.conftest import ROOT, api_application, log_tail, start_gunicorn, stop, wait_until
from tests.fixtures_services import private_redis

pytestmark = [pytest.mark.slow]
logger = logging.getLogger(__name__)

CLIENTS = 6
HEALTH_POLLERS = 2
REQUEST_TIMEOUT = 15  # seconds: a request that hangs longer fails the test
RETRY_FOR = 40  # seconds a client keeps retrying one application with the same key


def _pg_bin(name: str) -> str:
    # The embedded server's own binaries: the suite needs no system PostgreSQL package.
    return str(bin_dir() / name)


@dataclass
class PrivateCluster:
    server: EmbeddedPostgres

    @property
    def socket_dir(self) -> str:
        return str(self.server.socket_dir)

    def restart(self) -> None:
        self.server.stop()  # fast shutdown: every backend and in-flight transaction is cut off
        self.server.start()

    def url(self, user: str, db: str = "portal") -> str:
        return self.server.url(user, db)

    def connect(self, db: str = "portal") -> Any:
        return psycopg2.connect(
            host=self.socket_dir, port=SOCKET_PORT, user="postgres", dbname=db, connect_timeout=5
        )


@contextlib.contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    base = Path(tempfile.mkdtemp(prefix="fault-pg-"))
    server = EmbeddedPostgres(base / "data")
    try:
        server.ensure_initialised()
        server.start()
        yield PrivateCluster(server)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(server.socket_dir, ignore_errors=True)


def _load_schema(cluster: PrivateCluster) -> None:
    """The roles, then a copy of the migrated test database (schema, RLS, grants, migrations)."""
    settings = connection.settings_dict
    owner, app = settings["USER"], str(django_settings.DATABASE_APP_ROLE)
    conn = cluster.connect("postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE ROLE "{owner}" LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB')
        cur.execute(f'CREATE ROLE "{app}" LOGIN NOSUPERUSER NOBYPASSRLS')
        cur.execute(f'CREATE DATABASE portal OWNER "{owner}"')
    conn.close()
    dump = subprocess.run(  # noqa: S603 - fixed arguments
        [_pg_bin("pg_dump"), "-h", settings["HOST"] or "127.0.0.1", "-p",
         str(settings["PORT"] or 5432), "-U", "postgres", "-Fp", settings["NAME"]],
        capture_output=True, check=True, timeout=120, text=True,
    )  # fmt: skip
    # A server built with its own column options (seen on a CI machine's PostgreSQL: pg_attver)
    # dumps them; the private cluster is a stock PostgreSQL, so those lines are left out.
    script = "\n".join(line for line in dump.stdout.splitlines() if "SET (pg_attver=" not in line)
    restored = subprocess.run(  # noqa: S603 - fixed arguments
        [_pg_bin("psql"), "-h", cluster.socket_dir, "-p", str(SOCKET_PORT), "-U", "postgres",
         "-d", "portal", "-v", "ON_ERROR_STOP=1", "-q"],
        input=script, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr[-2000:]


SEED = """
from members.scoping import consortium_scope
from tests.factories import MemberFactory, OfferFactory, ServiceFactory
with consortium_scope(reason="fault test set-up"):
    a = MemberFactory(slug="aldgate", areas=["E1"])
    b = MemberFactory(slug="brixton", areas=["E1"])
    s = ServiceFactory(slug="job-search", routing_rules=["consent", "area", "language"])
    for m in (a, b):
        OfferFactory(member=m, service=s, areas=["E1"], languages=["en"], capacity_per_month=999)
print([a.pk, b.pk])
"""


@dataclass
class Outcome:
    statuses: Counter[str]
    keys: dict[str, int]  # idempotency key -> final status


def _post(url: str, body: dict[str, Any], key: str) -> int | str:
    request = urllib.request.Request(  # noqa: S310 - loopback URL built by the test
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310 - loopback URL built here
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except TimeoutError:
        return "timeout"
    except OSError as exc:
        return f"connection:{type(exc).__name__}"


def _get(url: str) -> int | str:
    try:
        with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310 - loopback URL built here
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except TimeoutError:
        return "timeout"
    except OSError as exc:
        return f"connection:{type(exc).__name__}"


def test_postgres_restart_mid_flight_fails_cleanly_and_leaves_nothing_half_written(
    transactional_db: None, needs_redis_server: None, tmp_path: Path
) -> None:
    gunicorn_log = tmp_path / "gunicorn.log"
    with private_cluster() as cluster, private_redis() as cache:
        _load_schema(cluster)
        env = {
            **os.environ,
            "DJANGO_ENV": "test",
            "DATABASE_URL": cluster.url(str(django_settings.DATABASE_APP_ROLE)),
            "DATABASE_OWNER_URL": cluster.url(connection.settings_dict["USER"]),
            "DATABASE_CONNECT_TIMEOUT": "2",
            "REDIS_URL": cache.url,
            # One loopback address sends everything: the per-address limits are not under test.
            "API_ANON_RATE": "100000/minute",
            "API_APPLICATION_RATE": "100000/minute",
            "PYTHONUNBUFFERED": "1",
        }
        seeded = subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "manage.py", "shell", "-c", SEED],
            cwd=ROOT, env={**env, "DATABASE_URL": env["DATABASE_OWNER_URL"]},
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert seeded.returncode == 0, seeded.stderr
        member_ids = json.loads(seeded.stdout.strip().splitlines()[-1])

        gunicorn, base = start_gunicorn(env, gunicorn_log)
        try:
            wait_until(lambda: _get(f"{base}/health/") == 200, timeout=60, what="gunicorn")
            outcome = _run_clients(base, member_ids, cluster)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log_tail(gunicorn_log)}") from None
        finally:
            stop(gunicorn)

        assert outcome.statuses["500"] == 0, (outcome.statuses, log_tail(gunicorn_log))
        unexpected = {s for s in outcome.statuses if s not in {"200", "201", "503"}}
        assert not unexpected, (outcome.statuses, log_tail(gunicorn_log))
        assert outcome.statuses["503"] > 0, f"the restart was never seen: {outcome.statuses}"
        assert all(status == 201 for status in outcome.keys.values()), outcome.keys

        conn = cluster.connect()
        try:
            with conn.cursor() as cur:  # as the superuser: row-level security does not apply
                cur.execute(
                    """
                    SELECT a.idempotency_key,
                           (SELECT count(*) FROM referrals_referral r
                             WHERE r.application_id = a.id),
                           (SELECT count(*) FROM outbox_outboxmessage o
                             WHERE o.dedupe_key = 'route:' || (
                                   SELECT r.id::text FROM referrals_referral r
                                    WHERE r.application_id = a.id)),
                           (SELECT count(*) FROM outbox_outboxmessage o
                             WHERE o.dedupe_key = 'application_received:' || a.id::text)
                      FROM referrals_application a
                    """
                )
                rows = cur.fetchall()
                cur.execute("SELECT count(*) FROM referrals_referral")
                referrals = cur.fetchone()[0]
        finally:
            conn.close()
    logger.warning("responses: %s; applications stored: %s", dict(outcome.statuses), len(rows))
    stored = Counter(row[0] for row in rows)
    assert all(count == 1 for count in stored.values()), "an application was stored twice"
    assert len(rows) == len(outcome.keys), (len(rows), len(outcome.keys))
    assert referrals == len(rows)
    half_written = [row for row in rows if row[1:] != (1, 1, 1)]
    assert not half_written, half_written


def _run_clients(base: str, member_ids: list[int], cluster: PrivateCluster) -> Outcome:
    statuses: Counter[str] = Counter()
    keys: dict[str, int] = {}
    lock = threading.Lock()
    stopping = threading.Event()

    def record(status: int | str) -> None:
        with lock:
            statuses[str(status)] += 1

    def resident(n: int) -> None:
        i = 0
        while not stopping.is_set():
            i += 1
            key = f"restart-{n}-{i}-{uuid.uuid4()}"
            body = api_application(
                service="job-search",
                landlord=member_ids[0],
                share_with=member_ids,
                full_name=f"Resident {n}-{i}",
                email=f"resident{n}.{i}@example.org",
            )
            deadline = time.monotonic() + RETRY_FOR
            status: int | str = "not sent"
            while time.monotonic() < deadline:
                status = _post(f"{base}/api/v1/applications/", body, key)
                record(status)
                if status != 503:
                    break
                time.sleep(0.5)  # a client honouring Retry-After, shortened for the test
            with lock:
                keys[key] = status if isinstance(status, int) else -1

    def health() -> None:
        while not stopping.is_set():
            record(_get(f"{base}/health/"))
            time.sleep(0.1)

    threads = [threading.Thread(target=resident, args=(n,)) for n in range(CLIENTS)]
    threads += [threading.Thread(target=health) for _ in range(HEALTH_POLLERS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)  # requests in flight
        cluster.restart()  # kills every backend, in-flight transactions too
        time.sleep(4)  # and on after it is back
    finally:
        stopping.set()
        for thread in threads:
            thread.join(timeout=RETRY_FOR + REQUEST_TIMEOUT + 5)
    assert not any(t.is_alive() for t in threads), "a client thread hung"
    return Outcome(statuses=statuses, keys=keys)
