from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from kernel.calendar import LONDON, Quarter
from members.scoping import consortium_scope, member_scope
from referrals.models import Outcome, Referral
from tests.factories import ReferralFactory, ServiceFactory

Q1 = Quarter(2026, 1)  # 1 April - 30 June 2026
Q4 = Quarter(2025, 4)  # 1 January - 31 March 2026


def at(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


@pytest.fixture
def service(db):  # noqa: ANN001, ANN201
    return ServiceFactory(slug="job-search", name="Job search support")


@pytest.fixture
def make_referral(service):  # noqa: ANN001, ANN201
    def make(member: Any, **fields: Any) -> Referral:
        return ReferralFactory(
            member=member, service=service, application__service=service, **fields
        )

    return make


@pytest.fixture
def make_outcome(service):  # noqa: ANN001, ANN201
    def make(referral: Referral, type: str, achieved_on: date, **fields: Any) -> Outcome:
        with member_scope(referral.member_id):
            return Outcome.objects.create(
                member_id=referral.member_id,
                referral=referral,
                provider_id=referral.provider_id or referral.member_id,
                service=service,
                type=type,
                achieved_on=achieved_on,
                **fields,
            )

    return make


@pytest.fixture
def in_consortium(db):  # noqa: ANN001, ANN201
    with consortium_scope(reason="test"):
        yield


__all__ = ["Q1", "Q4", "at", "Decimal"]
