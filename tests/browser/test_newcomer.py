"""The newcomer's path: the portal started exactly as a newcomer starts it, `bin/demo` with no
DATABASE_URL or REDIS_URL (the embedded PostgreSQL, the seeded demo, gunicorn and the worker,
DEBUG off), then used in Chromium as a resident, a caseworker and a board member would, and
crawled as every demo role for any server error. Last, Ctrl-C stops everything, the database
server included (issue 13).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import expect

from consortium.embedded_postgres import APP_ROLE, OWNER_ROLE, database_url, socket_dir_for
from tests.browser.conftest import (
    ARTIFACTS,
    ROOT,
    VENV_BIN,
    Portal,
    _free_port,
    axe_check,
    sign_in,
)
from tests.browser.test_apply_journey import apply

pytestmark = [pytest.mark.slow]

# What bin/demo reads: a newcomer's shell has none of these.
NEWCOMER_UNSET = (
    "DATABASE_URL", "DATABASE_OWNER_URL", "POSTGRES_SUPERUSER_URL", "EMBEDDED_POSTGRES_DATA",
    "REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_ENV", "DJANGO_DEBUG", "DEMO_MODE",
    "REQUIRE_POSTGRES", "EMAIL_HOST",
)  # fmt: skip
# Migrating, seeding twelve members and publishing their reports, on two shared cores.
DEMO_START_TIMEOUT = float(os.environ.get("NEWCOMER_START_TIMEOUT", "420"))
CRAWL_MEMBER = "brixton"
DEMO_ROLES = [
    f"caseworker.{CRAWL_MEMBER}",
    f"lead.{CRAWL_MEMBER}",
    f"admin.{CRAWL_MEMBER}",
    f"dpo.{CRAWL_MEMBER}",
    f"board.{CRAWL_MEMBER}",
    "coordinator",
    "administrator",
    "consortium-board",
]
CRAWL_DEPTH = 2
# A bound, not a sample: the crawl fails if a role could reach more pages than this.
CRAWL_LIMIT = 600


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    var_dir = tmp_path_factory.mktemp("newcomer-var")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in NEWCOMER_UNSET}
    env.update(
        VAR_DIR=str(var_dir),
        PORT=str(port),
        HOST="127.0.0.1",
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    sockets = socket_dir_for(var_dir / "postgres")
    portal = Portal(
        url=f"http://127.0.0.1:{port}",
        db_url=database_url(sockets, APP_ROLE),
        owner_url=database_url(sockets, OWNER_ROLE),
        redis_url="",
        env=env,
        var_dir=var_dir,
        log_dir=var_dir,
    )
    log_path = var_dir / "bin-demo.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - the project's own script
            [str(ROOT / "bin" / "demo")],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    portal.processes["bin/demo"] = process
    try:
        _wait_until_serving(portal, log_path)
        yield portal
    finally:
        stopped = _ctrl_c(process)
        if not stopped or _leftovers(var_dir):
            _keep_log(log_path)
        assert stopped, "bin/demo did not stop within a minute of Ctrl-C"
        assert not _leftovers(var_dir), f"left running after Ctrl-C: {_leftovers(var_dir)}"


def _wait_until_serving(portal: Portal, log_path: Path) -> None:
    deadline = time.monotonic() + DEMO_START_TIMEOUT
    while time.monotonic() < deadline:
        if portal.processes["bin/demo"].poll() is not None:
            _keep_log(log_path)
            raise AssertionError(f"bin/demo exited:\n{log_path.read_text()[-3000:]}")
        # The portal's own loopback address: not a user-supplied URL.
        health = portal.abs("/health/")
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(health, timeout=2) as answer,  # noqa: S310 - loopback
        ):
            if answer.status == 200:
                return
        time.sleep(1)
    _keep_log(log_path)
    raise AssertionError(f"bin/demo did not serve within {DEMO_START_TIMEOUT}s")


def _ctrl_c(process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        return True
    os.killpg(process.pid, signal.SIGINT)  # what the terminal sends its foreground group
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        return False
    return True


def _leftovers(var_dir: Path) -> list[str]:
    """Processes still naming the demo's var directory (the PostgreSQL server above all)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if str(var_dir) in cmdline:
                found.append(f"{proc.name}: {cmdline[:120]}")
    return found


def _keep_log(log_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with contextlib.suppress(OSError):
        (ARTIFACTS / "newcomer-bin-demo.log").write_bytes(log_path.read_bytes())


@pytest.fixture
def new_context(browser: Any, demo: Portal) -> Iterator[Any]:
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(
            base_url=demo.url, locale="en-GB", viewport={"width": 1280, "height": 800}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


# --- The journey -------------------------------------------------------------------------------


def test_a_resident_finds_and_applies_a_caseworker_accepts_and_a_board_member_downloads(
    demo: Portal, new_context: Any, tmp_path: Path
) -> None:
    # The resident narrows the catalogue by postcode, staff language and delivery mode, with the
    # catalogue's own form, as the demo's first visitor reported it failing.
    page = new_context().new_page()
    offer = demo.query(
        "SELECT o.languages, o.delivery_modes FROM services_offer o "
        "JOIN services_service s ON s.id = o.service_id "
        "WHERE s.slug = 'job-search-cv' AND o.is_active AND o.languages @> '[\"ar\"]'::jsonb "
        "ORDER BY o.id LIMIT 1"
    )
    assert offer, "the demo should have an Arabic-speaking provider of job search and CV help"
    mode = offer[0][1][0]
    page.goto("/services/")
    page.get_by_label("Your postcode").fill("E1 6AN")
    page.get_by_label("Staff who speak").select_option("ar")
    page.get_by_label("How you get help").select_option(mode)
    with page.expect_navigation():
        page.locator("form.search-form [type=submit]").click()
    query = urlsplit(page.url).query
    assert "postcode=E1" in query and "language=ar" in query and f"mode={mode}" in query
    expect(page.locator("main a[href='/services/job-search-cv/']").first).to_be_visible()
    axe_check(page)

    # Every step of the application to its reference (each page axe-checked on the way).
    reference = apply(page, language="en", phone=False)

    # Routed at once: in the demo the web process relays the outbox itself.
    routed = demo.wait_for(
        lambda: demo.query(
            "SELECT r.id, m.slug FROM referrals_referral r "
            "JOIN referrals_application a ON a.id = r.application_id "
            "JOIN members_member m ON m.id = r.provider_id "
            "WHERE a.reference = %s AND r.status = 'routed'",
            [reference],
        ),
        timeout=30,
        what="the new application's referral to be routed",
    )
    referral_id, provider = routed[0]

    # The provider's caseworker finds it in the inbox by its reference and accepts it.
    staff = new_context().new_page()
    sign_in(staff, f"caseworker.{provider}@demo.example")
    staff.goto("/referrals/")
    staff.get_by_role("link", name=reference).first.click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(reference)
    with staff.expect_navigation():
        staff.get_by_role("button", name="Accept referral").click()
    expect(staff.get_by_role("main")).to_contain_text("Referral accepted")
    axe_check(staff)
    status = demo.query("SELECT status FROM referrals_referral WHERE id = %s", [referral_id])
    assert status == [("accepted",)]

    # A board member downloads the quarter's PDF.
    board = new_context().new_page()
    sign_in(board, "consortium-board@demo.example")
    board.goto("/reports/")
    axe_check(board)
    with board.expect_download() as info:
        board.locator("main a[href$='/pdf/']").first.click()
    assert info.value.failure() is None
    pdf = tmp_path / "quarter.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(  # noqa: S603 - fixed arguments
        ["/usr/bin/pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Value-for-money report" in text


def test_the_worker_runs_the_beat_schedule_in_embedded_mode(demo: Portal) -> None:
    # No Redis: beat and the worker share an in-memory broker in one process, and the outbox
    # relay, due every 10 seconds, is sent by beat and run by the worker.
    log = demo.var_dir / "bin-demo.log"
    demo.wait_for(
        lambda: re.search(r"Task outbox\.relay\[[0-9a-f-]+\] succeeded", log.read_text()),
        timeout=30,
        what="the worker to run the beat's outbox relay",
    )
    assert "Sending due task outbox-relay" in log.read_text()


def test_the_demo_database_enforces_row_level_security_on_the_portals_role(demo: Portal) -> None:
    # The portal connects as the application role: with no member scope set, member-owned rows
    # are invisible, exactly as on a production server (the owner sees them only in a scope).
    import psycopg2

    with psycopg2.connect(demo.db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM referrals_referral")
        assert cur.fetchone() == (0,)
        cur.execute("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'referrals_referral'")
        assert cur.fetchone() == (True,)
    assert demo.query("SELECT count(*) FROM referrals_referral")[0][0] > 100


def test_a_second_bin_demo_says_one_is_running_and_exits(demo: Portal) -> None:
    result = subprocess.run(  # noqa: S603 - the project's own script
        [str(ROOT / "bin" / "demo")],
        cwd=ROOT, env={**demo.env, "PORT": str(_free_port())},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "already in use by bin/demo" in result.stderr, result.stderr[-2000:]
    # The running demo is untouched.
    with urllib.request.urlopen(demo.abs("/health/"), timeout=5) as answer:  # noqa: S310 - loopback
        assert answer.status == 200


# --- The crawler -------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _same_site_paths(base: str, page_path: str, html: str) -> set[str]:
    parser = _Links()
    parser.feed(html)
    found = set()
    origin = urlsplit(base)
    for href in parser.hrefs:
        absolute = urlsplit(urljoin(base + page_path, href))
        if absolute.scheme not in ("http", "https") or absolute.netloc != origin.netloc:
            continue
        path = absolute.path + (f"?{absolute.query}" if absolute.query else "")
        found.add(path)
    return found


def crawl(context: Any, base: str, starts: list[str]) -> tuple[dict[str, int], list[str]]:
    """Every same-site link reachable from `starts`, CRAWL_DEPTH links deep: path -> status,
    and the server errors met (with the page that linked to them)."""
    statuses: dict[str, int] = {}
    errors: list[str] = []
    frontier = [(path, 0, "(start)") for path in starts]
    while frontier:
        path, depth, linked_from = frontier.pop(0)
        if path in statuses:
            continue
        if len(statuses) >= CRAWL_LIMIT:
            raise AssertionError(f"more than {CRAWL_LIMIT} pages reachable; raise CRAWL_LIMIT")
        response = context.request.get(path, max_redirects=5, timeout=60_000)
        statuses[path] = response.status
        if response.status >= 500:
            errors.append(f"{response.status} {path} (linked from {linked_from})")
            continue
        if depth < CRAWL_DEPTH and "text/html" in response.headers.get("content-type", ""):
            for link in sorted(
                _same_site_paths(base, urlsplit(response.url).path, response.text())
            ):
                if link not in statuses:
                    frontier.append((link, depth + 1, path))
    return statuses, errors


def _emailed_code(demo: Portal, to: str, subject: re.Pattern[str], pattern: str) -> str:
    def latest() -> str | None:
        for message in reversed(demo.emails()):
            if to in str(message["To"]) and subject.search(str(message["Subject"])):
                body = message.get_body(preferencelist=("plain",))
                found = re.search(pattern, body.get_content() if body else "", re.M)
                if found:
                    return found.group(1)
        return None

    return str(demo.wait_for(latest, timeout=30, what=f"an email to {to}"))


def _sign_in_resident_by_code(demo: Portal, page: Any, email_address: str, reference: str) -> None:
    # Checking the application with the emailed status code proves the address, which gives the
    # resident an account (applications/services.py); then they sign in by emailed code.
    page.goto("/apply/status/")
    page.locator("#id_reference").fill(reference)
    with page.expect_navigation():
        page.locator("main form[method=post] [type=submit]").first.click()
    status_code = _emailed_code(
        demo, email_address, re.compile(re.escape(reference)), r"\b(\d{6})\b"
    )
    page.locator("#id_code").fill(status_code)
    with page.expect_navigation():
        page.locator("main form[method=post] [type=submit]").first.click()
    assert page.url.endswith("/apply/status/application/"), page.url

    page.goto("/accounts/login/code/")
    page.get_by_label(re.compile("email", re.IGNORECASE)).first.fill(email_address)
    with page.expect_navigation():
        page.locator("main form[method=post] [type=submit]").first.click()
    sign_in_code = _emailed_code(
        demo, email_address, re.compile("sign-in code", re.IGNORECASE),
        r"^\s*([A-Z0-9][A-Z0-9-]{4,10})\s*$",
    )  # fmt: skip
    page.locator("input[name=code]").fill(sign_in_code)
    with page.expect_navigation():
        page.locator("main form[method=post] [type=submit]").first.click()
    assert "/accounts/login" not in page.url, page.url


@pytest.mark.parametrize("role", ["anonymous", "resident", *DEMO_ROLES])
def test_every_link_two_levels_from_home_and_dashboard_answers_without_a_server_error(
    demo: Portal, new_context: Any, role: str
) -> None:
    context = new_context()
    page = context.new_page()
    if role == "resident":
        reference = apply(page, language="en", phone=False)
        _sign_in_resident_by_code(demo, page, "amina.en.desk@example.org", reference)
    elif role != "anonymous":
        sign_in(page, f"{role}@demo.example")
    statuses, errors = crawl(context, demo.url, ["/", "/dashboard/"])
    assert not errors, "\n".join(errors)
    # The crawl reached the portal, not only a sign-in page (a staff role reaches 80 to 150
    # pages in the demo, a visitor about 17).
    reached = sum(1 for status in statuses.values() if status == 200)
    assert reached >= (10 if role in ("anonymous", "resident") else 20), statuses
