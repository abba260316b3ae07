from __future__ import annotations

from celery import shared_task

from outbox.services import outbox_prune, outbox_relay
from outbox.task_names import TASK_PRUNE, TASK_RELAY


@shared_task(name=TASK_RELAY, ignore_result=True)
def relay() -> int:
    return outbox_relay().sent


@shared_task(name=TASK_PRUNE, ignore_result=True)
def prune() -> int:
    return outbox_prune()
