"""Fault tests: real Celery workers (and beat, and gunicorn) on loopback, against the test
database as the application role, with a private Redis as the broker that a test may stop.

Every wait is bounded; every process a test starts is stopped in a `finally` by its own id.

    .venv/bin/pytest tests/faults -p no:cacheprovider     # about 1.5 to 2.5 minutes on 2 cores

Needs `redis-server`; a private PostgreSQL cluster runs on the embedded server's binaries
(consortium/embedded_postgres.py, as its own system account when run as root). The other
faults of issue 9 are tested where their code lives: a worker killed mid-report in
tests/reports/test_worker_killed.py, two caseworkers on one referral in
tests/referrals/test_concurrency.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from consortium.db import connection_url
from tests.factories import MemberFactory, OfferFactory, ServiceFactory
from tests.fixtures_services import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def app_role_database_url() -> str:
    """The test database as the portal's own processes see it: the application role, so
    row-level security applies exactly as in production."""
    return connection_url(connection.settings_dict, user=settings.DATABASE_APP_ROLE)


def portal_env(broker_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": app_role_database_url(),
        "CELERY_BROKER_URL": broker_url,
        # The private Redis for the cache too: the worker then never runs tasks eagerly (that is
        # what a missing REDIS_URL means) and never touches another engineer's Redis database.
        "REDIS_URL": broker_url,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    env.pop("DATABASE_OWNER_URL", None)
    return env


def start_worker(
    broker_url: str,
    log: Path,
    *,
    name: str = "fault",
    pool: str = "solo",
    concurrency: int = 1,
    beat_schedule: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """A real `celery worker` (tests.faults.celery_app) in a process group of its own."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "tests.faults.celery_app",
        "worker",
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        f"--hostname={name}@%h",
        "-l",
        "info",
    ]
    if beat_schedule is not None:
        command += ["--beat", f"--schedule={beat_schedule}"]
    return _spawn(command, log, portal_env(broker_url, **(env or {})))


def start_beat(
    broker_url: str, log: Path, schedule: Path, **extra_env: str
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "tests.faults.celery_app",
        "beat",
        f"--schedule={schedule}",
        "-l",
        "info",
    ]
    return _spawn(command, log, portal_env(broker_url, **extra_env))


def start_gunicorn(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A real gunicorn on a free loopback port, in a process group of its own; returns it and
    its base URL."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [str(VENV_BIN / "gunicorn"), "consortium.wsgi:application", "--bind",
             f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--timeout", "30",
             "--access-logfile", "-"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    return process, f"http://127.0.0.1:{port}"


def api_application(
    *, service: str, landlord: int, share_with: list[int], full_name: str, email: str
) -> dict[str, Any]:
    """The body of a resident's `POST /api/v1/applications/`: E1, English, consent given."""
    return {
        "service": service,
        "landlord": landlord,
        "full_name": full_name,
        "email": email,
        "postcode": "E1 6AN",
        "contact_method": "email",
        "preferred_language": "en",
        "share_with": share_with,
        "consent": True,
    }


def _spawn(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - fixed arguments
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes], *, timeout: float = 15) -> None:
    """SIGTERM the process group the test started, then SIGKILL if it does not go."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def wait_until(
    predicate: Callable[[], Any], *, timeout: float, what: str, every: float = 0.25
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def log_tail(*paths: Path, lines: int = 40) -> str:
    out = []
    for path in paths:
        if path.exists():
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name} ---\n" + "\n".join(text))
    return "\n".join(out)


@pytest.fixture
def needs_redis_server() -> None:
    import shutil

    if shutil.which("redis-server") is None:
        pytest.fail("fault tests start a private redis-server: apt-get install redis-server")


@pytest.fixture
def members(transactional_db: None) -> list[Any]:
    return [
        MemberFactory(name="Aldgate Homes", short_name="Aldgate", slug="aldgate", areas=["E1"]),
        MemberFactory(
            name="Brixton Housing Co-op", short_name="Brixton", slug="brixton", areas=["E1"]
        ),
    ]


@pytest.fixture
def open_service(members: list[Any]) -> Any:
    """A service both members deliver in E1 in English: routing always finds a provider."""
    service = ServiceFactory(
        slug="job-search",
        name="Job search support",
        routing_rules=["consent", "capacity", "area", "language", "own_landlord"],
    )
    for member in members:
        OfferFactory(
            member=member, service=service, areas=["E1"], languages=["en"], capacity_per_month=500
        )
    return service
