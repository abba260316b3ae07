"""Schemathesis against the live schema: the portal served by gunicorn on a seeded database
(PostgreSQL, as the application role, so row-level security applies), called with a real token.
No server errors; every response conforms to the schema, status codes included. The same server
answers the Open Referral feed, checked against the feed's own schema (no token: it is open).

Its own server rather than the browser harness's: API throttles are raised here (a property
test sends hundreds of requests a minute), which the shared portal must not do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2 import sql

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SEED = 20261124
# Enough for every operation to be called with valid and invalid input, in well under 3 minutes.
MAX_EXAMPLES = 6
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"


@dataclass
class LiveApi:
    url: str
    token: str
    env: dict[str, str]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _recreate(owner_url: str, name: str) -> None:
    parts = urlsplit(owner_url)
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username,
        password=parts.password or None, dbname="postgres",
    )  # fmt: skip
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def live_api() -> Iterator[LiveApi]:
    app_url = os.environ.get("DATABASE_URL", "")
    owner_url = os.environ.get("DATABASE_OWNER_URL", "") or app_url
    redis_url = os.environ.get("REDIS_URL", "")
    if not app_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        pytest.fail(
            "schemathesis serves the portal on PostgreSQL and Redis: set DATABASE_URL and REDIS_URL"
        )
    name = urlsplit(app_url).path.lstrip("/") + "_schemathesis"
    _recreate(owner_url, name)
    var_dir = Path(tempfile.mkdtemp(prefix="portal-schemathesis-"))
    env = {
        **os.environ,
        "DJANGO_ENV": "development",
        "DJANGO_DEBUG": "false",
        "DEMO_MODE": "true",
        "DATABASE_URL": _with_database(app_url, name),
        "DATABASE_OWNER_URL": _with_database(owner_url, name),
        "VAR_DIR": str(var_dir),
        "API_USER_RATE": "100000/minute",
        "API_ANON_RATE": "100000/minute",
        "API_APPLICATION_RATE": "100000/minute",
        "PYTHONUNBUFFERED": "1",
    }
    _manage(env, "migrate", "--no-input", "-v", "0")
    # No reports: the API tests cover them; each would take seconds to render.
    _manage(env, "seed_demo", "--report-quarters", "0", "--member-report-quarters", "0")
    token = _manage(
        env, "api_token_issue", "--email", "lead.aldgate-bow@demo.example",
        "--name", "schemathesis", "--days", "1",
    ).strip()  # fmt: skip
    port = _free_port()
    log = (var_dir / "gunicorn.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(VENV_BIN / "gunicorn"), "consortium.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "3", "--timeout", "60",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/schema/", timeout=5) as response:  # noqa: S310 - loopback URL
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        yield LiveApi(url=url, token=token, env=env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        artifacts = ROOT / "test-artifacts" / "schemathesis"
        artifacts.mkdir(parents=True, exist_ok=True)
        shutil.copy(var_dir / "gunicorn.log", artifacts / "gunicorn.log")
        shutil.rmtree(var_dir, ignore_errors=True)


def test_the_live_api_conforms_to_its_schema(live_api: LiveApi) -> None:
    report = ROOT / "test-artifacts" / "schemathesis"
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [
            str(VENV_BIN / "st"), "run", f"{live_api.url}/api/schema/",
            "--checks", CHECKS,
            "--seed", str(SEED),
            "--max-examples", str(MAX_EXAMPLES),
            "--phases", "examples,coverage,fuzzing",
            "--workers", "4",
            "--header", f"Authorization: Bearer {live_api.token}",
            "--request-timeout", "30",
            "--generation-database", "none",
            "--report", "junit",
            "--report-dir", str(report),
            "--no-color",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    (report / "output.txt").write_text(output, encoding="utf-8")
    assert result.returncode == 0, output[-20000:]
    assert elapsed < 180, f"schemathesis took {elapsed:.0f}s"
    # Every operation in the schema was selected and exercised.
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    assert selected and tested, output[-3000:]
    assert selected.group(1) == selected.group(2) == tested.group(1), output[-3000:]
    assert int(tested.group(1)) >= 40


PROFILE_SCHEMAS = Path("/work/shared/standards/openreferral-uk/schema")


def _inline_profile_schemas(node: object, base: str = "") -> object:
    """The feed's schema names the profile's schemas by their published URLs, as the profile
    does; schemathesis runs offline, so each is replaced by the profile's file here (and the
    files' own references to each other, by bare file name, likewise)."""
    if isinstance(node, list):
        return [_inline_profile_schemas(item, base) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        published = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
        if ref.startswith(published):
            target = PROFILE_SCHEMAS / ref.removeprefix(published)
        else:
            target = PROFILE_SCHEMAS / base / ref
        folder = target.parent.relative_to(PROFILE_SCHEMAS).as_posix()
        return _inline_profile_schemas(json.loads(target.read_text()), folder)
    return {key: _inline_profile_schemas(value, base) for key, value in node.items()}


def test_the_open_referral_feed_conforms_to_its_own_schema(
    live_api: LiveApi, tmp_path: Path
) -> None:
    with urllib.request.urlopen(f"{live_api.url}/openreferral/openapi.json", timeout=10) as r:  # noqa: S310 - loopback URL
        schema = json.load(r)
    bundled = tmp_path / "openreferral.json"
    bundled.write_text(json.dumps(_inline_profile_schemas(schema)), encoding="utf-8")
    report = ROOT / "test-artifacts" / "schemathesis-openreferral"
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [
            str(VENV_BIN / "st"), "run", str(bundled),
            "--url", f"{live_api.url}/openreferral",
            "--checks", CHECKS,
            "--seed", str(SEED),
            "--max-examples", str(MAX_EXAMPLES * 5),
            # Stateful too: the lists' links hand real ids to the detail operations.
            "--phases", "examples,coverage,fuzzing,stateful",
            "--workers", "4",
            "--request-timeout", "30",
            "--generation-database", "none",
            "--report", "junit",
            "--report-dir", str(report),
            "--no-color",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    report.mkdir(parents=True, exist_ok=True)
    (report / "output.txt").write_text(output, encoding="utf-8")
    assert result.returncode == 0, output[-20000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    assert selected and tested, output[-3000:]
    # Every operation of the feed (the profile's nine paths) was exercised.
    assert selected.group(1) == selected.group(2) == tested.group(1) == "9", output[-3000:]
