"""A Celery worker killed with SIGKILL in the middle of routing a referral.

Routing is made slow in the worker only (tests/faults/celery_app.py): the first routing sleeps
inside its transaction, after the RoutingDecision is written and before it commits. The test
kills the worker there. Because tasks acknowledge late and are rejected when their worker is
lost (consortium/settings.py), the message survives: a killed pool process is replaced and the
message requeued at once; a whole worker killed leaves it unacknowledged in Redis, which hands
it out again after the visibility timeout (two seconds here, an hour in production). Either way
the referral ends routed exactly once: one RoutingDecision, one ProcessedMessage.

Report generation killed mid-way is tests/reports/test_worker_killed.py.
"""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path
from typing import Any

import pytest

from applications.services import ApplicationInput, application_submit
from members.scoping import consortium_scope
from outbox.models import OutboxMessage, ProcessedMessage
from referrals.models import Referral, ReferralStatus, RoutingDecision
from tests.faults.conftest import log_tail, start_worker, stop, wait_until
from tests.fixtures_services import celery_broker, private_redis

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _submit(service: Any, members: list[Any]) -> int:
    application = application_submit(
        data=ApplicationInput(
            service=service,
            landlord_id=members[0].pk,
            full_name="Resident Killtest",
            email="killtest@example.org",
            postcode="E1 6AN",
            contact_method="email",
            preferred_language="en",
            idempotency_key=f"kill-{uuid.uuid4()}",
            shared_with_member_ids=[m.pk for m in members],
            consent=True,
        )
    )
    with consortium_scope(reason="fault test"):
        return Referral.objects.get(application_id=application.pk).pk


def _routing_state(referral_id: int) -> tuple[str, int, int]:
    with consortium_scope(reason="fault test"):
        referral = Referral.objects.get(pk=referral_id)
        message = OutboxMessage.objects.get(dedupe_key=f"route:{referral_id}")
        return (
            referral.status,
            RoutingDecision.objects.filter(referral_id=referral_id).count(),
            ProcessedMessage.objects.filter(message_id=message.id).count(),
        )


def _slow_routing_env(marker: Path) -> dict[str, str]:
    return {
        "FAULT_ROUTE_STARTED_FILE": str(marker),
        "FAULT_ROUTE_SLEEP": "300",
        "FAULT_VISIBILITY_TIMEOUT": "2",
    }


def test_a_worker_killed_mid_routing_leaves_nothing_and_a_new_worker_routes_once(
    members: list[Any], open_service: Any, needs_redis_server: None, tmp_path: Path
) -> None:
    marker = tmp_path / "routing-started"
    logs = [tmp_path / "worker1.log", tmp_path / "worker2.log"]
    with private_redis() as broker, celery_broker(broker.url):
        referral_id = _submit(open_service, members)  # relayed to the broker after commit
        first = start_worker(broker.url, logs[0], name="doomed", env=_slow_routing_env(marker))
        try:
            wait_until(marker.exists, timeout=60, what="the worker to start routing")
            os.killpg(first.pid, signal.SIGKILL)  # the whole worker, no chance to clean up
            first.wait(timeout=10)
        finally:
            stop(first)
        assert first.returncode == -signal.SIGKILL

        # The killed worker's transaction is rolled back by PostgreSQL: nothing half-written.
        wait_until(
            lambda: _routing_state(referral_id) == (ReferralStatus.SUBMITTED, 0, 0),
            timeout=15,
            what="the killed transaction to roll back",
        )
        # The message is still in Redis, unacknowledged, waiting for its visibility timeout.
        assert broker.client().hlen("unacked") == 1

        second = start_worker(broker.url, logs[1], name="rescuer", env=_slow_routing_env(marker))
        try:
            wait_until(
                lambda: _routing_state(referral_id)[0] == ReferralStatus.ROUTED,
                timeout=60,
                what="the redelivered message to be routed",
            )
            redis_client = broker.client()
            wait_until(
                lambda: redis_client.hlen("unacked") == 0 and redis_client.llen("celery") == 0,
                timeout=15,
                what="the message to be acknowledged",
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log_tail(*logs)}") from None
        finally:
            stop(second)
    assert _routing_state(referral_id) == (ReferralStatus.ROUTED, 1, 1)
    with consortium_scope(reason="fault test"):
        # Consumed only by the rescuer: the killed worker's claim rolled back with its work.
        message = OutboxMessage.objects.get(dedupe_key=f"route:{referral_id}")
        assert message.consumed_at is not None


def test_a_pool_process_killed_mid_routing_is_replaced_and_the_message_requeued(
    members: list[Any], open_service: Any, needs_redis_server: None, tmp_path: Path
) -> None:
    marker = tmp_path / "routing-started"
    log = tmp_path / "worker.log"
    with private_redis() as broker, celery_broker(broker.url):
        referral_id = _submit(open_service, members)
        # Prefork: the worker's main process survives the child's death and, with
        # task_reject_on_worker_lost, puts the message back at once (no visibility timeout).
        worker = start_worker(
            broker.url, log, name="prefork", pool="prefork", env=_slow_routing_env(marker)
        )
        try:
            wait_until(marker.exists, timeout=60, what="the pool process to start routing")
            child = int(marker.read_text())
            assert child != worker.pid
            os.kill(child, signal.SIGKILL)
            wait_until(
                lambda: _routing_state(referral_id)[0] == ReferralStatus.ROUTED,
                timeout=60,
                what="the requeued message to be routed by a new pool process",
            )
            assert worker.poll() is None, "the worker itself must survive its child's death"
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log_tail(log)}") from None
        finally:
            stop(worker)
    assert _routing_state(referral_id) == (ReferralStatus.ROUTED, 1, 1)
    assert "WorkerLostError" in log.read_text(errors="replace")
