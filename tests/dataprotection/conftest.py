"""Data sharing agreement fixtures: versions published and signed through the real services, on
days the test names (time travel by explicit dates, never by sleeping)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from dataprotection.models import AgreementSignature, SharingAgreement
from dataprotection.services import agreement_publish, agreement_sign
from kernel.calendar import LONDON
from tests.referrals.conftest import actor_of

TODAY = timezone.localdate()


def day(offset: int) -> date:
    """A day relative to today (Europe/London)."""
    return TODAY + timedelta(days=offset)


def noon(on: date) -> datetime:
    return datetime.combine(on, time(12, 0), tzinfo=LONDON)


def publish(
    coordinator: Any,
    version: str,
    effective_from: date,
    *,
    grace_days: int = 0,
    today: date | None = None,
    text: str = "",
) -> SharingAgreement:
    today = today or min(effective_from, TODAY)
    return agreement_publish(
        actor=actor_of(coordinator),
        version=version,
        text=text or f"The members agree to share residents' data as set out here ({version}).",
        effective_from=effective_from,
        grace_days=grace_days,
        today=today,
        now=noon(today),
    )


def sign(user: Any, agreement: SharingAgreement, on: date | None = None) -> AgreementSignature:
    return agreement_sign(
        actor=actor_of(user), agreement_id=agreement.pk, now=noon(on) if on else None
    )


@pytest.fixture
def dpo_b(member_b: Any) -> Any:
    from tests.factories import staff_create

    return staff_create(member_b, "dpo@b.example", ["dpo"], "Dev Okafor")
