"""The transactional outbox: committed with the change, relayed after commit, and again after a
broker outage; a duplicate delivery does the work once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from members.models import Member
from members.scoping import consortium_scope
from outbox.models import OutboxMessage, ProcessedMessage
from outbox.services import OutboxOutsideTransaction, outbox_enqueue, outbox_relay
from tests.fixtures_services import celery_broker, private_redis
from tests.outbox.consumers import RUN_REASON, count_runs

pytestmark = pytest.mark.django_db


def runs_of(label: str) -> int:
    with consortium_scope(reason="test: count consumer runs"):
        return AuditEvent.objects.filter(reason=f"{RUN_REASON}:{label}").count()


def test_a_message_is_committed_with_the_business_change(
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        member = Member.objects.create(name="Outbox HA", short_name="OHA", slug="oha")
        message = outbox_enqueue(task_name="tests.outbox.count_runs", kwargs={"label": "x"})
    assert Member.objects.filter(pk=member.pk).exists()
    assert OutboxMessage.objects.get(pk=message.pk).relayed_at is None
    assert len(callbacks) == 1  # the after-commit relay


def test_nothing_is_enqueued_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks,
) -> None:
    class Boom(Exception):
        pass

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        Member.objects.create(name="Rolled back HA", short_name="RB", slug="rb")
        outbox_enqueue(task_name="tests.outbox.count_runs", kwargs={"label": "rb"})
        raise Boom
    assert not OutboxMessage.objects.exists()
    assert not Member.objects.filter(slug="rb").exists()
    assert callbacks == []


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused() -> None:
    with pytest.raises(OutboxOutsideTransaction):
        outbox_enqueue(task_name="tests.outbox.count_runs")
    assert not OutboxMessage.objects.exists()


def test_the_same_business_event_enqueued_twice_is_one_message() -> None:
    with transaction.atomic():
        first = outbox_enqueue(task_name="tests.outbox.count_runs", dedupe_key="event-1")
        second = outbox_enqueue(task_name="tests.outbox.count_runs", dedupe_key="event-1")
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1


def test_a_broker_outage_delays_the_message_and_it_is_relayed_when_the_broker_returns() -> None:
    with private_redis() as broker, celery_broker(broker.url):
        broker.stop()  # the broker is down while the resident submits
        with transaction.atomic():
            message = outbox_enqueue(task_name="tests.outbox.count_runs", kwargs={"label": "o"})
        result = outbox_relay()
        message.refresh_from_db()
        assert (result.sent, result.failed) == (0, 1)
        assert message.relayed_at is None
        assert message.attempts == 1
        assert message.available_at > timezone.now()
        assert message.last_error  # the exception class, never the payload

        broker.start()  # the broker comes back on the same port
        OutboxMessage.objects.filter(pk=message.pk).update(
            available_at=timezone.now() - timedelta(seconds=1)
        )
        result = outbox_relay()
        message.refresh_from_db()
        assert (result.sent, result.failed) == (1, 0)
        assert message.relayed_at is not None

        queued = broker.client().lrange("celery", 0, -1)
        assert len(queued) == 1
        body = json.loads(queued[0])
        assert body["headers"]["id"] == str(message.pk)
        assert body["headers"]["task"] == "tests.outbox.count_runs"


def test_a_relayed_message_is_not_sent_again() -> None:
    with private_redis() as broker, celery_broker(broker.url):
        with transaction.atomic():
            outbox_enqueue(task_name="tests.outbox.count_runs", kwargs={"label": "once"})
        assert outbox_relay().sent == 1
        assert outbox_relay().sent == 0
        assert broker.client().llen("celery") == 1


def test_a_message_delivered_twice_runs_its_consumer_once() -> None:
    with transaction.atomic():
        message = outbox_enqueue(task_name="tests.outbox.count_runs", kwargs={"label": "dup"})
    kwargs = {"label": "dup", "outbox_message_id": str(message.pk)}
    count_runs.apply(kwargs=kwargs).get()
    count_runs.apply(kwargs=kwargs).get()  # the broker redelivered it
    assert runs_of("dup") == 1
    assert ProcessedMessage.objects.filter(message_id=message.pk).count() == 1


def test_a_consumer_that_fails_leaves_no_claim_so_a_retry_does_the_work() -> None:
    with transaction.atomic():
        message = outbox_enqueue(task_name="tests.outbox.count_runs", kwargs={"label": "retry"})
    # A call with a bad argument fails inside the task's transaction: the claim rolls back too.
    failed = count_runs.apply(kwargs={"outbox_message_id": str(message.pk), "wrong": 1})
    assert failed.failed()
    assert not ProcessedMessage.objects.filter(message_id=message.pk).exists()
    count_runs.apply(kwargs={"label": "retry", "outbox_message_id": str(message.pk)}).get()
    assert runs_of("retry") == 1


def test_a_fresh_web_process_finds_a_task_its_views_never_imported(tmp_path: Path) -> None:
    # bin/demo's web process relays with tasks run in-process; a task whose module no view had
    # imported was sent by name to a broker that does not exist, and the correction was lost.
    code = (
        "import django; django.setup(); from celery import current_app; "
        "before = 'reports.correct_published' in current_app.tasks; "
        "from outbox.services import _registered_task; "
        "print(before, _registered_task('reports.correct_published') is not None, "
        "_registered_task('no.such.task') is None)"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL", "DJANGO_ENV"}
    }
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={**env, "DJANGO_ENV": "development", "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True"]


def test_in_process_mode_keeps_a_message_for_an_unknown_task_queued() -> None:
    from celery import current_app

    with transaction.atomic():
        message = outbox_enqueue(task_name="no.such.task")
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        result = outbox_relay()
    finally:
        current_app.conf.task_always_eager = eager
    message.refresh_from_db()
    assert (result.sent, result.failed) == (0, 1)
    assert message.relayed_at is None
    assert message.last_error == "LookupError"


def _as_if_the_window_passed(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        available_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_message_the_broker_lost_is_sent_again_after_its_visibility_window() -> None:
    with private_redis() as broker, celery_broker(broker.url):
        with transaction.atomic():
            message = outbox_enqueue(task_name="tests.outbox.count_runs", kwargs={"label": "lost"})
        assert outbox_relay().sent == 1
        message.refresh_from_db()
        first_relay = message.relayed_at
        assert first_relay is not None and message.consumed_at is None
        window = (message.available_at - first_relay).total_seconds()
        assert window == 300  # OUTBOX_VISIBILITY_SECONDS

        broker.client().flushall()  # Redis restarted without persistence: the task is gone
        assert outbox_relay().sent == 0  # within the window nothing is resent

        _as_if_the_window_passed(message)
        assert outbox_relay().sent == 1
        queued = broker.client().lrange("celery", 0, -1)
        assert [json.loads(body)["headers"]["id"] for body in queued] == [str(message.pk)]
        message.refresh_from_db()
        assert message.attempts == 2
        assert message.relayed_at > first_relay
        # A second resend waits twice as long: a consumer that keeps failing is not hammered.
        assert (message.available_at - message.relayed_at).total_seconds() == 600


def test_a_consumed_message_is_never_sent_again() -> None:
    with private_redis() as broker, celery_broker(broker.url):
        with transaction.atomic():
            message = outbox_enqueue(task_name="tests.outbox.count_runs", kwargs={"label": "done"})
        assert outbox_relay().sent == 1
        count_runs.apply(kwargs={"label": "done", "outbox_message_id": str(message.pk)}).get()
        message.refresh_from_db()
        assert message.consumed_at is not None

        _as_if_the_window_passed(message)
        assert outbox_relay().sent == 0
        assert broker.client().llen("celery") == 1  # only the first relay's copy
    assert runs_of("done") == 1


def test_a_consumer_that_fails_leaves_the_message_unconsumed() -> None:
    with transaction.atomic():
        message = outbox_enqueue(task_name="tests.outbox.count_runs", kwargs={"label": "fails"})
    assert count_runs.apply(kwargs={"outbox_message_id": str(message.pk), "wrong": 1}).failed()
    message.refresh_from_db()
    assert message.consumed_at is None


def test_in_process_mode_marks_the_message_consumed_when_its_consumer_ran() -> None:
    from celery import current_app

    with transaction.atomic():
        message = outbox_enqueue(task_name="tests.outbox.count_runs", kwargs={"label": "eager"})
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        assert outbox_relay().sent == 1
    finally:
        current_app.conf.task_always_eager = eager
    message.refresh_from_db()
    assert message.consumed_at is not None and message.relayed_at is not None
    assert runs_of("eager") == 1


def test_prune_keeps_every_unconsumed_message_however_old() -> None:
    from outbox.services import outbox_prune

    long_ago = timezone.now() - timedelta(days=60)
    waiting = OutboxMessage.objects.create(
        task_name="tests.outbox.count_runs", created_at=long_ago, relayed_at=long_ago
    )
    done = OutboxMessage.objects.create(
        task_name="tests.outbox.count_runs",
        created_at=long_ago,
        relayed_at=long_ago,
        consumed_at=long_ago,
    )
    outbox_prune()
    assert OutboxMessage.objects.filter(pk=waiting.pk).exists()
    assert not OutboxMessage.objects.filter(pk=done.pk).exists()
