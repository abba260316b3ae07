"""The browser harness: the real portal, served as users see it, driven by real Chromium.

Every test in this folder is marked `browser`. The session starts the portal once:

* a database of its own (`<DATABASE_URL's database>_live`), dropped and created again per
  session so every run starts clean, migrated by the owning role and seeded with `seed_demo`;
* `gunicorn consortium.wsgi` (2 workers) on a free loopback port, connecting as the
  application role, so PostgreSQL row-level security applies exactly as in production;
* a Celery worker with beat on Redis (REDIS_URL, or BROWSER_REDIS_URL when set), so the outbox
  relay, routing and emails really run in the background;
* DJANGO_ENV=development (DEMO_MODE on, demo sign-ins work) with DEBUG off, so error pages are
  the ones users get. Email goes to files in `portal.mail_dir` (the development default).

Fixtures and helpers for journey tests (see the README of this folder in the module docstring):

    portal                       session; .url, .db_url, .owner_url, .mail_dir, .log_dir,
                                 .manage(*args) -> CompletedProcess, .query(sql, params) -> rows,
                                 .emails() -> list[email.message.EmailMessage], .abs(path) -> URL
    browser                      session; a Playwright Chromium Browser
    context / page               per test; 1280x800 desktop
    phone_context / phone_page   per test; 320x640 phone
    axe_check(page, *, context=None, disable=())   fails with a readable list of violations
    sign_in(page, email, *, totp=True, password=DEMO_PASSWORD)   allauth password + TOTP
    sign_out(page)

On failure the test's pages are saved to test-artifacts/<test name>[-N].png/.html, and the
portal's logs (gunicorn, celery) are copied to test-artifacts/portal-logs/.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2 import sql

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
VENV_BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105 - the documented demo password (devdata/demo.py)
# WCAG 2.0, 2.1 and 2.2, levels A and AA: what the portal promises (issue 9).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
START_TIMEOUT = float(os.environ.get("BROWSER_PORTAL_START_TIMEOUT", "60"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


# --- The live portal ----------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _connect(url: str, **overrides: str) -> Any:
    # libpq parses the URL (a percent-encoded host is the embedded server's socket directory).
    return psycopg2.connect(url, connect_timeout=5, **overrides)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Portal:
    """The running portal. Paths are relative to `url` (e.g. portal.abs("/services/"))."""

    url: str
    db_url: str
    owner_url: str
    redis_url: str
    env: dict[str, str]
    var_dir: Path
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def abs(self, path: str) -> str:
        return self.url.rstrip("/") + "/" + path.lstrip("/")

    def manage(
        self, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run a management command against the live portal's database, as the portal would."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read the live database as the owner, in an audited-style consortium scope.

        Row-level security is FORCEd on the owner too, so the query runs with
        app.consortium='on' (what `consortium_scope` sets): the whole consortium is visible.
        For checking what the journeys stored; never for setting up state behind the UI's back.
        """
        conn = _connect(self.owner_url)
        try:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT set_config('app.consortium', 'on', true)")
                cur.execute(statement, params)
                return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()

    def emails(self) -> list[EmailMessage]:
        """Every email the portal has sent so far (file backend), oldest first."""
        if not self.mail_dir.exists():
            return []
        messages: list[EmailMessage] = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            # The file backend writes each message followed by a line of 79 dashes.
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    parsed = email.message_from_bytes(chunk.lstrip(), policy=email.policy.default)
                    messages.append(parsed)  # type: ignore[arg-type]
        return messages

    def wait_for(
        self, predicate: Callable[[], Any], *, timeout: float = 30, what: str = "condition"
    ) -> Any:
        """Poll until predicate() is truthy (background work done by the Celery worker)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(0.25)

    def assert_running(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(
                    f"the portal's {name} exited ({process.returncode}); see {self.log_dir}"
                )


def _recreate_database(owner_url: str, name: str) -> None:
    conn = _connect(owner_url, dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def _flush_redis(redis_url: str) -> None:
    # Celery messages left by an earlier session name rows of a database that no longer exists.
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
    try:
        client.flushdb()
    finally:
        client.close()


def _wait_healthy(portal: Portal) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        portal.assert_running()
        try:
            # The portal's own loopback address, built above: not a user-supplied URL.
            health = portal.abs("/health/")
            with urllib.request.urlopen(health, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except OSError as exc:
            last = type(exc).__name__
        time.sleep(0.25)
    raise AssertionError(f"the portal did not become healthy in {START_TIMEOUT}s ({last})")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # Each process leads its own group (start_new_session), so its children (gunicorn workers,
    # celery's beat) get the signal too; nothing else on the machine is touched.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def portal(request: pytest.FixtureRequest) -> Iterator[Portal]:
    app_url = os.environ.get("DATABASE_URL", "")
    owner_url = os.environ.get("DATABASE_OWNER_URL", "") or app_url
    base_redis = os.environ.get("BROWSER_REDIS_URL") or os.environ.get("REDIS_URL", "")
    if not app_url.startswith(("postgres://", "postgresql://")) or not base_redis:
        pytest.fail(
            "browser tests serve the portal on PostgreSQL and Redis: set DATABASE_URL, "
            "DATABASE_OWNER_URL and REDIS_URL (bin/test does)"
        )
    if os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") != "1":
        # One live portal per session: its database, its Redis DB and its Celery worker would be
        # shared by every xdist worker, and each worker's Celery would take the others' tasks.
        pytest.fail(
            "browser tests run in one process: pytest -m browser (without -n); "
            "run the rest in parallel with pytest -m 'not browser' -n auto"
        )
    live_name = urlsplit(app_url).path.lstrip("/") + "_live"
    live_app_url = _with_database(app_url, live_name)
    live_owner_url = _with_database(owner_url, live_name)

    _recreate_database(owner_url, live_name)
    _flush_redis(base_redis)

    var_dir = Path(tempfile.mkdtemp(prefix="portal-live-"))
    log_dir = var_dir / "logs"
    log_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_ENV": "development",
        "DJANGO_DEBUG": "false",
        "DEMO_MODE": "true",
        "DATABASE_URL": live_app_url,
        "DATABASE_OWNER_URL": live_owner_url,
        "REDIS_URL": base_redis,
        "VAR_DIR": str(var_dir),
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CELERY_BROKER_URL", None)
    env.pop("EMAIL_HOST", None)
    port = _free_port()
    portal = Portal(
        url=f"http://127.0.0.1:{port}",
        db_url=live_app_url,
        owner_url=live_owner_url,
        redis_url=base_redis,
        env=env,
        var_dir=var_dir,
        log_dir=log_dir,
    )
    failed_before = request.session.testsfailed
    try:
        portal.manage("migrate", "--no-input", "-v", "0")
        # One quarter of reports: enough for a board member to download; each takes seconds.
        portal.manage("seed_demo", "--report-quarters", "1", "--member-report-quarters", "1")
        commands = {
            "gunicorn": [
                str(VENV_BIN / "gunicorn"),
                "consortium.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "2",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
            ],
            "celery": [
                str(VENV_BIN / "celery"),
                "-A",
                "consortium",
                "worker",
                "--beat",
                "--pool=solo",
                "--loglevel=INFO",
                f"--schedule={var_dir / 'celerybeat-schedule'}",
                "--hostname=browser-tests@%h",
            ],
        }
        for name, command in commands.items():
            log = (log_dir / f"{name}.log").open("wb")
            portal.processes[name] = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()  # the child keeps its own descriptor
        _wait_healthy(portal)
        yield portal
    finally:
        for process in portal.processes.values():
            _stop(process)
        if request.session.testsfailed > failed_before or sys.exc_info()[0] is not None:
            target = ARTIFACTS / "portal-logs"
            target.mkdir(parents=True, exist_ok=True)
            for path in log_dir.glob("*.log"):
                shutil.copy(path, target / path.name)
            if portal.mail_dir.exists():
                shutil.copytree(portal.mail_dir, target / "mail", dirs_exist_ok=True)
        shutil.rmtree(var_dir, ignore_errors=True)


# --- Chromium -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    # Fixtures read the outcome of each phase in their teardown to decide what to keep.
    setattr(item, f"report_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


def _artifact_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:150]


def _save_pages(request: pytest.FixtureRequest, context: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    base = _artifact_name(request)
    for index, open_page in enumerate(context.pages):
        name = base if index == 0 else f"{base}-{index}"
        with contextlib.suppress(Exception):  # a crashed page still lets us save the others
            open_page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.html").write_text(open_page.content(), encoding="utf-8")


def _new_context(
    request: pytest.FixtureRequest, browser: Any, portal: Portal, **options: Any
) -> Iterator[Any]:
    context = browser.new_context(base_url=portal.url, locale="en-GB", **options)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        if _failed(request):
            _save_pages(request, context)
        context.close()


@pytest.fixture
def context(request: pytest.FixtureRequest, browser: Any, portal: Portal) -> Iterator[Any]:
    """A fresh browser (no cookies) per test, desktop-sized."""
    yield from _new_context(request, browser, portal, viewport={"width": 1280, "height": 800})


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture
def phone_context(request: pytest.FixtureRequest, browser: Any, portal: Portal) -> Iterator[Any]:
    """A fresh browser per test, 320 CSS pixels wide (WCAG 1.4.10 reflow)."""
    yield from _new_context(
        request,
        browser,
        portal,
        viewport={"width": 320, "height": 640},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )


@pytest.fixture
def phone_page(phone_context: Any) -> Any:
    return phone_context.new_page()


# --- Accessibility ------------------------------------------------------------------------------


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = [f"{len(violations)} accessibility violation(s):"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'n/a'}): {violation['help']}"
            f"\n  {violation.get('helpUrl', '')}"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    at {target}: {summary}")
    return "\n".join(lines)


def axe_check(page: Any, *, context: Any = None, disable: Sequence[str] = ()) -> None:
    """Run axe-core (WCAG 2.x A and AA) on the page as it is now; fail listing every violation.

    `disable` switches off named rules; a test that uses it must say why in a comment.
    axe is evaluated through the DevTools protocol (page.evaluate), which the page's
    Content-Security-Policy does not govern, so the site's CSP stays on and no bypass is needed.
    """
    from axe_playwright_python.sync_playwright import Axe

    options: dict[str, Any] = {
        "runOnly": {"type": "tag", "values": AXE_TAGS},
        "resultTypes": ["violations"],
    }
    if disable:
        options["rules"] = {rule: {"enabled": False} for rule in disable}
    results = Axe().run(page, context=context, options=options)
    violations = results.response["violations"]
    if violations:
        pytest.fail(f"{page.url}\n{format_violations(violations)}", pytrace=False)


@pytest.fixture(name="axe_check")
def axe_check_fixture() -> Callable[..., None]:
    return axe_check


# --- Signing in ---------------------------------------------------------------------------------

# allauth refuses a TOTP code already used by the same user within its period (replay
# protection), so a second sign-in of the same person waits for the next code.
_used_codes: dict[str, str] = {}


def demo_totp_code(email_address: str | None = None) -> str:
    from allauth.mfa import app_settings as mfa_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from django.conf import settings

    period = mfa_settings.TOTP_PERIOD
    while True:
        now = time.time()
        counter = int(now) // period
        code = str(format_hotp_value(hotp_value(settings.DEMO_TOTP_SECRET, counter)))
        remaining = period - (now % period)
        if (email_address and _used_codes.get(email_address) == code) or remaining < 2:
            # Already used, or about to expire before the form is submitted: take the next one.
            time.sleep(remaining + 0.2)
            continue
        if email_address:
            _used_codes[email_address] = code
        return code


def sign_in(
    page: Any, email_address: str, *, totp: bool = True, password: str = DEMO_PASSWORD
) -> None:
    """Sign in through the real allauth pages: email and password, then the TOTP code.

    Leaves the page where the portal sends a signed-in user (the dashboard by default).
    """
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("email", re.IGNORECASE)).first.fill(email_address)
    page.get_by_label(re.compile("password", re.IGNORECASE)).first.fill(password)
    with page.expect_navigation():
        page.locator("main form[method=post] [type=submit]").first.click()
    if totp:
        code_field = page.locator("input[name=code]")
        if code_field.count() == 0:
            raise AssertionError(f"expected the two-factor step after the password, got {page.url}")
        code_field.fill(demo_totp_code(email_address))
        with page.expect_navigation():
            page.locator("main form[method=post] [type=submit]").first.click()
    if "/accounts/login" in page.url or page.locator(".errorlist, .error-summary").count():
        raise AssertionError(f"sign-in as {email_address} failed at {page.url}")


def sign_out(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("sign out", re.IGNORECASE)).click()


@pytest.fixture(name="sign_in")
def sign_in_fixture() -> Callable[..., None]:
    return sign_in
