from __future__ import annotations

from celery import shared_task

from outbox.services import outbox_prune, outbox_relay


@shared_task(name="outbox.relay", ignore_result=True)
def relay() -> int:
    return outbox_relay().sent


@shared_task(name="outbox.prune", ignore_result=True)
def prune() -> int:
    return outbox_prune()
