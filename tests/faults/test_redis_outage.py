"""Redis, broker and cache at once, fails as an operator meets it: one private redis-server for
both (as `.env.example` and the compose file set it up), a real gunicorn, a real Celery worker
with beat.

- Killed while residents apply (the web journey and the public API), staff sign in with their
  second factor and read their inbox and the API, then back: no 5xx anywhere, readiness stays 200
  ("degraded"), and after recovery every application is routed exactly once.
- Restarted without persistence while relayed messages wait for a worker: the broker forgot
  them, the outbox did not; the relay sends them again after the visibility window and each
  referral is routed exactly once.

A worker killed after the broker handed it a task is tests/faults/test_worker_killed.py (its
worker, too, has broker and cache on one Redis).
"""

from __future__ import annotations

import html
import re
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from allauth.account.models import EmailAddress
from django.test import Client

from members.scoping import consortium_scope
from outbox.models import OutboxMessage, ProcessedMessage
from referrals.models import Application, Referral, ReferralStatus, RoutingDecision
from referrals.task_names import TASK_ROUTE
from tests.accounts.helpers import PASSWORD, totp_code
from tests.factories import staff_create
from tests.faults.conftest import (
    api_application,
    log_tail,
    portal_env,
    start_gunicorn,
    start_worker,
    stop,
    wait_until,
)
from tests.fixtures_services import celery_broker, private_redis

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TIMEOUT = 15  # seconds: a request that hangs longer fails the test
FIELDS = {
    "age": "34",
    "full_name": "Synthetic Resident",
    "phone": "07700 900 123",
    "postcode": "E1 6AN",
    "contact_method": "email",
    "preferred_language": "en",
    "accessibility_needs": "",
    "website": "",  # the honeypot stays empty
}


# --- clients, as a browser and an API consumer would be ------------------------------------------


def _form_data(page: str, values: dict[str, str]) -> dict[str, Any]:
    """Fill the page's POST form: hidden fields kept, known fields from `values`, the first
    choice of any other radio or select, every checkbox ticked (the data-sharing consent)."""
    forms = re.findall(r'<form([^>]*method="post"[^>]*)>(.*?)</form>', page, re.S | re.I)
    # The page's own form, not the header's language switcher or sign-out button.
    own = [body for attrs, body in forms if "/i18n/" not in attrs and "logout" not in attrs]
    assert own, page[:2000]
    body = own[0]
    data: dict[str, Any] = {}
    for tag in re.findall(r"<input[^>]*>", body):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        name, kind = attrs.get("name"), attrs.get("type", "text")
        value = html.unescape(attrs.get("value", ""))
        if not name or kind in {"submit", "button"}:
            continue
        if kind == "hidden":
            data[name] = value
        elif kind == "radio":
            data.setdefault(name, values.get(name, value))
        elif kind == "checkbox":
            data.setdefault(name, []).append(value or "on")
        else:
            data[name] = values.get(name, "")
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        choices = [v for v in re.findall(r'value="([^"]*)"', options) if v]
        data[name] = values.get(name, choices[0] if choices else "")
    for name in re.findall(r'<textarea[^>]*name="([^"]+)"', body):
        data[name] = values.get(name, "")
    return data


def _apply_on_the_web(base: str, service: str, email: str) -> list[int]:
    """The resident's journey from the service page to the reference; every status seen."""
    seen: list[int] = []
    session = requests.Session()
    start = session.get(f"{base}/apply/{service}/", timeout=TIMEOUT)
    seen.append(start.status_code)
    first_step = re.search(r'class="button button--start" href="([^"]+)"', start.text)
    assert first_step, start.text[:2000]
    response = session.get(f"{base}{html.unescape(first_step.group(1))}", timeout=TIMEOUT)
    seen.append(response.status_code)
    for _ in range(12):
        if response.status_code != 200 or "/apply/done/" in response.url:
            break
        response = session.post(
            response.url,
            data=_form_data(response.text, {**FIELDS, "email": email}),
            headers={"Referer": response.url},
            timeout=TIMEOUT,
        )
        seen.extend(r.status_code for r in response.history)
        seen.append(response.status_code)
    assert "/apply/done/" in response.url, (response.url, response.status_code, seen)
    return seen


def _apply_by_api(base: str, landlord: int, members: list[int], email: str) -> int:
    response = requests.post(
        f"{base}/api/v1/applications/",
        json=api_application(
            service="job-search",
            landlord=landlord,
            share_with=members,
            full_name="Synthetic Resident",
            email=email,
        ),
        headers={"Idempotency-Key": f"redis-outage-{uuid.uuid4()}"},
        timeout=TIMEOUT,
    )
    return response.status_code


def _staff_signs_in_and_reads(base: str, email: str) -> list[int]:
    """Password, second factor, the inbox page and the API's referral list."""
    seen: list[int] = []
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=TIMEOUT)
    seen.append(page.status_code)
    signed = session.post(
        page.url,
        data={**_form_data(page.text, {}), "login": email, "password": PASSWORD},
        headers={"Referer": page.url},
        timeout=TIMEOUT,
    )
    seen.append(signed.status_code)
    assert "/2fa/authenticate/" in signed.url, (signed.url, seen)
    second = session.post(
        signed.url,
        data={**_form_data(signed.text, {}), "code": totp_code()},
        headers={"Referer": signed.url},
        timeout=TIMEOUT,
    )
    seen.append(second.status_code)
    assert "/accounts/" not in second.url, (second.url, seen)  # signed in, left the sign-in pages
    inbox = session.get(f"{base}/referrals/", timeout=TIMEOUT)
    seen.append(inbox.status_code)
    assert "/accounts/" not in inbox.url, (inbox.url, seen)  # still signed in
    api = session.get(f"{base}/api/v1/referrals/", timeout=TIMEOUT)
    seen.append(api.status_code)
    return seen


def _wrong_password(base: str, email: str) -> int:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=TIMEOUT)
    response = session.post(
        page.url,
        data={**_form_data(page.text, {}), "login": email, "password": "not the password"},
        headers={"Referer": page.url},
        timeout=TIMEOUT,
    )
    return response.status_code


def _health(base: str) -> tuple[int, int, dict[str, Any]]:
    live = requests.get(f"{base}/health/live/", timeout=TIMEOUT)
    ready = requests.get(f"{base}/health/ready/", timeout=TIMEOUT)
    return live.status_code, ready.status_code, ready.json()


# --- the portal's own state ----------------------------------------------------------------------


def _routing() -> dict[str, Any]:
    with consortium_scope(reason="fault test"):
        referrals = list(Referral.objects.values_list("pk", "status"))
        return {
            "applications": Application.objects.count(),
            "statuses": Counter(status for _, status in referrals),
            "decisions": {
                pk: RoutingDecision.objects.filter(referral_id=pk).count() for pk, _ in referrals
            },
            "unconsumed_routes": OutboxMessage.objects.filter(
                task_name=TASK_ROUTE, consumed_at__isnull=True
            ).count(),
            "processed_routes": ProcessedMessage.objects.filter(task_name=TASK_ROUTE).count(),
        }


def _all_routed() -> bool:
    state = _routing()
    return bool(state["applications"]) and set(state["statuses"]) == {ReferralStatus.ROUTED}


def _ready(base: str) -> bool:
    try:
        return requests.get(f"{base}/health/ready/", timeout=TIMEOUT).status_code == 200
    except requests.ConnectionError:
        return False


# --- the tests -----------------------------------------------------------------------------------


def test_redis_killed_under_a_mix_of_work_degrades_nothing_to_5xx_and_loses_nothing(
    members: list[Any], open_service: Any, needs_redis_server: None, tmp_path: Path
) -> None:
    staff = [
        staff_create(members[1], f"caseworker{n}@brixton.example", ["caseworker"]) for n in range(3)
    ]
    for user in staff:  # joined by invitation: the address is verified
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    member_ids = [m.pk for m in members]
    logs = [tmp_path / "gunicorn.log", tmp_path / "worker.log"]
    seen: Counter[int] = Counter()
    with private_redis() as redis_server:
        env = portal_env(
            redis_server.url,
            # One loopback address sends everything: the per-address limits are not under test.
            API_ANON_RATE="100000/minute",
            API_APPLICATION_RATE="100000/minute",
        )
        gunicorn, base = start_gunicorn(env, logs[0])
        worker = start_worker(redis_server.url, logs[1], beat_schedule=tmp_path / "beat")
        try:
            wait_until(lambda: _ready(base), timeout=60, what="gunicorn")
            # Redis up: the ordinary day.
            seen.update(_apply_on_the_web(base, "job-search", "before@example.org"))
            seen[_apply_by_api(base, member_ids[0], member_ids, "before.api@example.org")] += 1
            seen.update(_staff_signs_in_and_reads(base, staff[0].email))

            redis_server.stop()  # broker and cache gone at once
            for n in range(3):
                seen.update(_apply_on_the_web(base, "job-search", f"outage{n}@example.org"))
                seen[_apply_by_api(base, member_ids[0], member_ids, f"api{n}@example.org")] += 1
            seen.update(_staff_signs_in_and_reads(base, staff[1].email))
            seen[_wrong_password(base, staff[2].email)] += 1
            live, ready, report = _health(base)
            assert (live, ready) == (200, 200), report
            assert report["status"] == "degraded", report
            assert report["database"]["ok"] is True, report
            assert report["broker"]["ok"] is False and report["cache"]["ok"] is False, report
            assert report["outbox"]["pending"] >= 6, report  # nothing routed while Redis is down
            assert _routing()["statuses"][ReferralStatus.SUBMITTED] >= 6

            redis_server.start()  # the same port, empty: Redis is back
            seen.update(_staff_signs_in_and_reads(base, staff[2].email))
            wait_until(_all_routed, timeout=90, what="every referral to be routed")
            wait_until(
                lambda: _health(base)[2]["status"] == "ok", timeout=30, what="health to recover"
            )
            assert worker.poll() is None, "the worker must ride out the outage"
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log_tail(*logs)}") from None
        finally:
            stop(gunicorn)
            stop(worker)

    assert not [status for status in seen if status >= 500], (seen, log_tail(*logs))
    assert seen[201] == 4  # every API application accepted, during the outage too
    state = _routing()
    assert state["applications"] == 8
    assert set(state["decisions"].values()) == {1}, state  # routed exactly once each
    assert state["unconsumed_routes"] == 0 and state["processed_routes"] == 8, state
    gunicorn_log = logs[0].read_text(errors="replace")
    assert "Traceback" not in gunicorn_log, log_tail(logs[0])
    # Degradation is logged once per interval, not once per request.
    assert 1 <= gunicorn_log.count("cache unavailable") <= 8, log_tail(logs[0])


def test_messages_a_restarted_redis_forgot_are_sent_again_and_routed_once(
    members: list[Any], open_service: Any, needs_redis_server: None, tmp_path: Path, settings: Any
) -> None:
    # The window is fixed when a message is relayed (here, after commit in this process).
    settings.OUTBOX_VISIBILITY_SECONDS = 10
    log = tmp_path / "worker.log"
    client = Client()
    with private_redis() as redis_server, celery_broker(redis_server.url):
        for n in range(4):
            response = client.post(
                "/api/v1/applications/",
                api_application(
                    service=open_service.slug,
                    landlord=members[0].pk,
                    share_with=[m.pk for m in members],
                    full_name=f"Resident {n}",
                    email=f"forgotten{n}@example.org",
                ),
                content_type="application/json",
                headers={"Idempotency-Key": f"forgotten-{uuid.uuid4()}"},
                REMOTE_ADDR=f"10.23.0.{n + 1}",
            )
            assert response.status_code == 201, response.content
        broker = redis_server.client()
        assert broker.llen("celery") >= 4  # relayed after commit: the broker has them
        with consortium_scope(reason="fault test"):
            assert not OutboxMessage.objects.filter(relayed_at__isnull=True).exists()

        redis_server.stop()  # no persistence: what it held is gone
        redis_server.start()
        assert redis_server.client().llen("celery") == 0

        # The worker and its beat arrive; the relay resends what waited past a short window.
        worker = start_worker(
            redis_server.url,
            log,
            beat_schedule=tmp_path / "beat",
            env={"OUTBOX_VISIBILITY_SECONDS": "10"},
        )
        started = time.monotonic()
        try:
            wait_until(_all_routed, timeout=90, what="every referral to be routed")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log_tail(log)}") from None
        finally:
            stop(worker)
    state = _routing()
    assert state["applications"] == 4
    assert set(state["decisions"].values()) == {1}, state
    assert state["unconsumed_routes"] == 0, state
    assert time.monotonic() - started < 90
    assert "not consumed within its window" in log.read_text(errors="replace")
