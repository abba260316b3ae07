"""Load: residents applying and caseworkers reading their inbox, together, at a steady rate.

The real portal (gunicorn, 2 workers x 4 threads) and a real Celery worker (routing the new
referrals as they come) run against the benchmark database with its scale data set; client
threads on loopback drive, for a bounded time:

* residents: `POST /api/v1/applications/` (the public API, the web journey's own service), each
  with a unique `Idempotency-Key`;
* caseworkers: `GET /referrals/`, the inbox page of the busiest provider's caseworker (a signed-in
  session made with Django's test client `force_login`, as bench_inbox.py does), or with
  `--inbox api` the API's list `GET /api/v1/referrals/` with a bearer token from
  `manage.py api_token_issue`.

Each client thread sends on a fixed schedule (open loop: a slow response delays only that
thread's next request, and the delay counts in its latency), so the offered rate is steady.
Afterwards the database is checked against the keys sent: every accepted key must have exactly
one application, each with exactly one referral (lost or duplicated referrals must be zero), and
every referral routed at most once.

Options after `--`: --seconds 60 --apply-rate 2 --inbox-rate 4 --threads 8 --inbox page|api.
Limits: at most seconds x rate requests of each kind; each request times out after 30 s.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.core import BenchContext, Result

TITLE = "Load: resident applications and the staff inbox together (real gunicorn + Celery)"
ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
REQUEST_TIMEOUT = 30


@dataclass
class Stream:
    """One kind of request: latencies of successes, and every status seen."""

    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: str, seconds: float) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status.startswith("2"):
                self.latencies.append(seconds)

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not status.startswith("2"))

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


def _options(extra: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench_load")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--apply-rate", type=float, default=2, help="applications per second")
    parser.add_argument("--inbox-rate", type=float, default=4, help="inbox reads per second")
    parser.add_argument("--threads", type=int, default=8, help="client threads per stream")
    parser.add_argument("--inbox", choices=["page", "api"], default="page")
    return parser.parse_args(extra)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _portal_env() -> dict[str, str]:
    return {
        **os.environ,
        # One loopback address sends every request: the per-address limits are not under test.
        "API_ANON_RATE": "1000000/minute",
        "API_USER_RATE": "1000000/minute",
        "API_APPLICATION_RATE": "1000000/minute",
        "PYTHONUNBUFFERED": "1",
    }


def _scenario() -> tuple[dict[str, Any], str]:
    """An application the API accepts (an open service, no eligibility questions, its providers
    in the resident's area), and the caseworker whose inbox is busiest."""
    from django.db.models import Count

    from members.models import Member
    from members.scoping import consortium_scope
    from referrals.models import Referral
    from services.models import Offer, Service, ServiceStatus
    from services.selectors import service_candidate_members, service_eligibility_asks

    with consortium_scope(reason="benchmark: load scenario"):
        busiest = (
            Referral.objects.filter(provider__isnull=False)
            .values("provider_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        assert busiest, "no routed referrals in the benchmark database"
        slug = Member.objects.get(pk=busiest["provider_id"]).slug
        for service in Service.objects.filter(status=ServiceStatus.OPEN).order_by("pk"):
            asks = service_eligibility_asks(service)
            if asks["employment_status"]:
                continue
            answers = {q.key: _answer(q) for q in service.questions.all()}
            offer = Offer.objects.filter(service=service).exclude(areas=[]).first()
            if offer is None:
                continue
            landlord = Member.objects.get(pk=offer.member_id)
            district = offer.areas[0]
            candidates = service_candidate_members(
                service=service, district=district, language="en", landlord=landlord
            )
            return (
                {
                    "service": service.slug,
                    "landlord": landlord.pk,
                    "postcode": f"{district} 1AA",
                    "share_with": [m.pk for m in candidates],
                    "answers": answers,
                    **({"age": 30} if asks["age"] else {}),
                },
                slug,
            )
    raise RuntimeError("no open service with an offer in an area in the benchmark data")


def _answer(question: Any) -> Any:
    """A valid answer to one of a service's own questions (applications/forms.py)."""
    if question.kind == "yes_no":
        return "yes"
    if question.kind == "choice":
        return str(question.choices[0])
    if question.kind == "number":
        return 1
    return "Load test answer"


def _token(slug: str, env: dict[str, str]) -> str:
    issued = subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "manage.py", "api_token_issue", "--email",
         f"caseworker.{slug}@demo.example", "--name", "load benchmark", "--days", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return issued.stdout.strip().splitlines()[-1]


def _session_cookie(slug: str) -> str:
    """A signed-in session of the caseworker (database sessions, shared with gunicorn)."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=f"caseworker.{slug}@demo.example"))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _wait_healthy(url: str, processes: list[subprocess.Popen[bytes]], timeout: float) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("the portal exited while starting")
        try:
            if requests.get(f"{url}/health/", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the portal did not become healthy in {timeout:.0f}s")


def _drive(
    stream: Stream, send: Any, *, rate: float, seconds: float, threads: int
) -> list[threading.Thread]:
    """`threads` threads, each sending every threads/rate seconds, staggered."""
    interval = threads / rate
    started = time.monotonic()

    def worker(index: int) -> None:
        import requests

        session = requests.Session()
        due = started + index * interval / threads
        while due < started + seconds:
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            began = time.perf_counter()
            try:
                status = str(send(session).status_code)
            except requests.Timeout:
                status = "timeout"
            except requests.RequestException as exc:
                status = type(exc).__name__
            # Measured from when it was due (open loop), not from when it was sent.
            stream.record(status, time.perf_counter() - began + max(0.0, -pause))
            due += interval
        session.close()

    return [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]


def run(ctx: BenchContext) -> list[Result]:
    options = _options(ctx.extra)
    present = ctx.ensure_referrals(ctx.scale_or(10_000))
    payload, slug = _scenario()
    env = _portal_env()
    if options.inbox == "api":
        inbox_path, inbox_headers = (
            "/api/v1/referrals/",
            {"Authorization": f"Bearer {_token(slug, env)}"},
        )
    else:
        inbox_path, inbox_headers = "/referrals/", {"Cookie": _session_cookie(slug)}
    ctx.log(f"  {present:,} referrals; applying for {payload['service']}; inbox of {slug}")

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    logs = Path(tempfile.mkdtemp(prefix="bench-load-"))
    commands = {
        "gunicorn": [str(VENV_BIN / "gunicorn"), "consortium.wsgi:application", "--bind",
                     f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--timeout", "60"],
        "celery": [str(VENV_BIN / "celery"), "-A", "consortium", "worker", "--pool=solo",
                   "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "warning"],
    }  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = []
    for name, command in commands.items():
        with (logs / f"{name}.log").open("wb") as out:
            processes.append(
                subprocess.Popen(  # noqa: S603 - fixed arguments
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            )
    keys: dict[str, int] = {}  # idempotency key -> HTTP status (0: no answer)
    keys_lock = threading.Lock()
    apply, inbox = Stream("apply"), Stream(f"inbox {options.inbox}")

    def send_application(session: Any) -> Any:
        key = f"load-{uuid.uuid4()}"
        with keys_lock:
            keys[key] = 0
            n = len(keys)
        response = session.post(
            f"{url}/api/v1/applications/",
            json={
                **payload,
                "full_name": f"Load Resident {n}",
                "email": f"load.{key[5:17]}@example.org",
                "contact_method": "email",
                "preferred_language": "en",
                "consent": True,
            },
            headers={"Idempotency-Key": key},
            timeout=REQUEST_TIMEOUT,
        )
        with keys_lock:
            keys[key] = response.status_code
        return response

    def read_inbox(session: Any) -> Any:
        return session.get(
            f"{url}{inbox_path}",
            headers=inbox_headers,
            timeout=REQUEST_TIMEOUT,
            allow_redirects=False,
        )

    try:
        _wait_healthy(url, processes, timeout=120)
        # Warm up (unmeasured): every gunicorn worker imports its views and opens its connection.
        import requests

        # A session per stream, as in the run: a resident's client must not carry the
        # caseworker's cookies (the API would then ask it for a CSRF token).
        with requests.Session() as resident, requests.Session() as caseworker:
            for _ in range(4):
                for response in (send_application(resident), read_inbox(caseworker)):
                    if response.status_code // 100 != 2:
                        raise RuntimeError(
                            f"warm-up {response.request.method} {response.url}: "
                            f"HTTP {response.status_code} {response.text[:300]}"
                        )
        load_before = os.getloadavg()[0]
        threads = _drive(
            apply,
            send_application,
            rate=options.apply_rate,
            seconds=options.seconds,
            threads=options.threads,
        ) + _drive(
            inbox,
            read_inbox,
            rate=options.inbox_rate,
            seconds=options.seconds,
            threads=options.threads,
        )
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=options.seconds + REQUEST_TIMEOUT + 10)
        elapsed = time.monotonic() - began
        load_after = os.getloadavg()[0]
        routing = _check(keys)
    finally:
        for process in processes:
            _stop(process)
        shutil.rmtree(logs, ignore_errors=True)

    ctx.log(f"  machine load average {load_before:.1f} before, {load_after:.1f} after")
    ctx.log(f"  apply statuses {apply.statuses}; inbox statuses {inbox.statuses}")
    ctx.log(f"  {len(keys)} applications sent; {routing}")
    results = []
    for stream, rate in ((apply, options.apply_rate), (inbox, options.inbox_rate)):
        done = sum(n for s, n in stream.statuses.items() if s.startswith("2"))
        results += [
            Result(
                name=f"{stream.name}: throughput",
                value=done / elapsed,
                unit="req/s",
                baseline=rate,
                baseline_label="offered rate",
                target_ratio=0.95,
                note=f"{options.seconds:g} s; load average {load_before:.1f} -> {load_after:.1f}",
            ),
            *(
                Result(
                    name=f"{stream.name}: p{p} latency",
                    value=stream.percentile(p) * 1000,
                    unit="ms",
                    higher_is_better=False,
                    target_value=target,
                )
                for p, target in ((50, None), (90, None), (99, 2000.0))
            ),
            Result(
                name=f"{stream.name}: errors",
                value=float(stream.errors),
                unit="requests",
                higher_is_better=False,
                target_value=0,
                note=", ".join(f"{s}: {n}" for s, n in sorted(stream.statuses.items())),
            ),
        ]
    results += [
        Result(
            name="lost referrals (accepted key without exactly one referral)",
            value=float(routing["lost"]),
            unit="referrals",
            higher_is_better=False,
            target_value=0,
        ),
        Result(
            name="duplicated referrals or routings",
            value=float(routing["duplicated"]),
            unit="referrals",
            higher_is_better=False,
            target_value=0,
        ),
        Result(
            name="referrals routed by the worker during the run",
            value=float(routing["routed"]),
            unit="referrals",
            note=f"of {routing['stored']} stored; routing continues after the run",
        ),
    ]
    return results


def _check(keys: dict[str, int]) -> dict[str, int]:
    """Compare the keys sent (and what the portal answered) with what the database holds."""
    from django.db.models import Count

    from members.scoping import consortium_scope
    from referrals.models import Application, Referral, RoutingDecision

    stored_as = {"api-" + hashlib.sha256(k.encode()).hexdigest()[:60]: k for k in keys}
    with consortium_scope(reason="benchmark: load results"):
        apps = list(
            Application.objects.filter(idempotency_key__in=list(stored_as))
            .annotate(referrals=Count("referral"))
            .values("pk", "idempotency_key", "referrals")
        )
        referral_ids = list(
            Referral.objects.filter(application_id__in=[a["pk"] for a in apps]).values_list(
                "pk", flat=True
            )
        )
        decisions = list(
            RoutingDecision.objects.filter(referral_id__in=referral_ids)
            .values("referral_id")
            .annotate(n=Count("id"))
        )
    per_key: dict[str, int] = {}
    for app in apps:
        sent = stored_as[app["idempotency_key"]]
        per_key[sent] = per_key.get(sent, 0) + 1
    accepted = [k for k, status in keys.items() if 200 <= status < 300]
    return {
        "accepted": len(accepted),
        "stored": len(apps),
        # Accepted (2xx) but not stored with exactly one referral: the resident was told yes.
        "lost": sum(1 for k in accepted if per_key.get(k, 0) == 0)
        + sum(1 for a in apps if a["referrals"] == 0),
        # Refused or unanswered but stored anyway: the resident may apply again (their retry
        # with the same key would get the same application).
        "stored_without_answer": sum(1 for k, s in keys.items() if s // 100 != 2 and k in per_key),
        "duplicated": sum(1 for n in per_key.values() if n > 1)
        + sum(1 for a in apps if a["referrals"] > 1)
        + sum(1 for d in decisions if d["n"] > 1),
        "routed": len(decisions),
    }


def _stop(process: subprocess.Popen[bytes]) -> None:
    import contextlib
    import signal

    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
