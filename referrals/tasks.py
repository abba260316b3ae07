"""Thin Celery entry points: take ids, run in the right scope, call one service."""

from __future__ import annotations

from dataclasses import asdict

from members.task_scope import consortium_task, member_task
from referrals.services import (
    referral_route,
    referral_routing_sweep,
    referral_sla_sweep,
    referral_sustainment_sweep,
)
from referrals.task_names import (
    TASK_ROUTE,
    TASK_ROUTING_SWEEP,
    TASK_SLA_SWEEP,
    TASK_SUSTAINMENT_SWEEP,
)


@member_task(TASK_ROUTE)
def route(*, member_id: int, referral_id: int) -> int | None:
    """Queued by application_submit (and by a decline) in the landlord's scope. Safe twice: the
    message is claimed once, and a referral already with a provider is left alone."""
    return referral_route(referral_id=referral_id).provider_id


@consortium_task(TASK_ROUTING_SWEEP)
def routing_sweep() -> int:
    return referral_routing_sweep()


@consortium_task(TASK_SLA_SWEEP)
def sla_sweep() -> dict[str, int]:
    return asdict(referral_sla_sweep())


@consortium_task(TASK_SUSTAINMENT_SWEEP)
def sustainment_sweep() -> dict[str, int]:
    return asdict(referral_sustainment_sweep())
