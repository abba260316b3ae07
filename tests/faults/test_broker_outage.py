"""Redis, the Celery broker, is down while residents apply.

Every application is still accepted (HTTP 201 from the public API, the same service as the web
journey) and stored with its referral and its outbox messages; nothing is lost. When Redis comes
back, beat's outbox relay sends the messages to a real Celery worker, which routes every
referral exactly once: one RoutingDecision and one ProcessedMessage per referral, even when the
relay's messages are delivered a second time.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from django.test import Client

from members.scoping import consortium_scope
from outbox.models import OutboxMessage, ProcessedMessage
from referrals.models import Application, Referral, ReferralStatus, RoutingDecision
from referrals.task_names import TASK_ROUTE
from tests.faults.conftest import api_application, log_tail, start_worker, stop, wait_until
from tests.fixtures_services import celery_broker, private_redis

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

APPLICANTS = 6


def _apply(client: Client, service: Any, members: list[Any], n: int) -> tuple[str, Any]:
    key = f"outage-{uuid.uuid4()}"
    response = client.post(
        "/api/v1/applications/",
        api_application(
            service=service.slug,
            landlord=members[0].pk,
            share_with=[m.pk for m in members],
            full_name=f"Resident {n}",
            email=f"resident{n}@example.org",
        ),
        content_type="application/json",
        headers={"Idempotency-Key": key},
        # Each resident from an address of their own: the per-address rate limit (20 an hour,
        # kept in the shared Redis cache across runs) is not what this test is about.
        REMOTE_ADDR=f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{n + 1}",
    )
    return key, response


def _state() -> dict[str, Any]:
    with consortium_scope(reason="fault test"):
        referrals = list(Referral.objects.values_list("pk", "status", "provider_id"))
        decisions = {
            pk: RoutingDecision.objects.filter(referral_id=pk).count() for pk, _, _ in referrals
        }
        return {
            "applications": Application.objects.count(),
            "referrals": referrals,
            "decisions": decisions,
            "route_messages": list(
                OutboxMessage.objects.filter(task_name=TASK_ROUTE).values(
                    "id", "relayed_at", "attempts", "last_error"
                )
            ),
            "processed_routes": ProcessedMessage.objects.filter(task_name=TASK_ROUTE).count(),
        }


def test_applications_are_stored_while_redis_is_down_and_routed_once_when_it_returns(
    members: list[Any], open_service: Any, needs_redis_server: None, tmp_path: Any
) -> None:
    client = Client()
    worker_log = tmp_path / "worker.log"
    with private_redis() as broker, celery_broker(broker.url):
        broker.stop()  # the outage starts before the first resident presses submit

        results = [_apply(client, open_service, members, n) for n in range(APPLICANTS)]
        for key, response in results:
            assert response.status_code == 201, (key, response.status_code, response.content)

        state = _state()
        assert state["applications"] == APPLICANTS
        assert len(state["referrals"]) == APPLICANTS
        assert all(status == ReferralStatus.SUBMITTED for _, status, _ in state["referrals"])
        assert len(state["route_messages"]) == APPLICANTS
        for message in state["route_messages"]:
            # The after-commit relay tried once, failed fast, and left the message queued.
            assert message["relayed_at"] is None and message["attempts"] >= 1, message
            assert message["last_error"], message
        assert sum(state["decisions"].values()) == 0

        broker.start()  # the same port: Redis is back
        # A real worker with beat: beat's outbox relay (every 10 s) sends what the outage left.
        worker = start_worker(broker.url, worker_log, beat_schedule=tmp_path / "beat-schedule")
        try:

            def all_routed() -> bool:
                current = _state()
                return all(
                    status == ReferralStatus.ROUTED for _, status, _ in current["referrals"]
                ) and all(m["relayed_at"] for m in current["route_messages"])

            try:
                wait_until(all_routed, timeout=75, what="every referral to be routed")
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{log_tail(worker_log)}") from None

            # The relay's promise is at least once: deliver every routing message a second
            # time, as a relay whose row update was lost would, and let the worker take them.
            from outbox.services import _publish

            with consortium_scope(reason="fault test"):
                for message in OutboxMessage.objects.filter(task_name=TASK_ROUTE):
                    _publish(message)
            redis_client = broker.client()
            wait_until(
                lambda: redis_client.llen("celery") == 0 and redis_client.hlen("unacked") == 0,
                timeout=30,
                what="the worker to take the repeated messages",
            )
            worker.poll()
            assert worker.returncode is None, log_tail(worker_log)
        finally:
            stop(worker)

    state = _state()
    assert all(status == ReferralStatus.ROUTED for _, status, _ in state["referrals"]), state
    assert state["decisions"] == {pk: 1 for pk, _, _ in state["referrals"]}, state
    assert state["processed_routes"] == APPLICANTS
    log = worker_log.read_text(errors="replace")
    assert log.count("already processed") >= APPLICANTS, log_tail(worker_log)
