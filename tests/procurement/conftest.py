from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from members.models import Member
from members.scoping import member_scope
from procurement.models import Contract, ContractStatus, Participation, SpendRecord


def contract_make(lead: Member, reference: str = "JP-2026-001", **kwargs: Any) -> Contract:
    defaults: dict[str, Any] = {
        "title": "Repairs materials framework",
        "category": "repairs_materials",
        "supplier": "Example Supplies Ltd",
        "status": ContractStatus.LIVE,
        "start_date": date(2025, 4, 1),
        "end_date": date(2029, 3, 31),
    }
    defaults.update(kwargs)
    return Contract.objects.create(reference=reference, lead_member=lead, **defaults)


def participation_make(
    member: Member,
    contract: Contract,
    baseline: str = "100000",
    contracted: str = "80000",
    start: date = date(2025, 4, 1),
    end: date | None = None,
) -> Participation:
    with member_scope(member.pk):
        return Participation.objects.create(
            member=member,
            contract=contract,
            baseline_annual_cost=Decimal(baseline),
            contracted_annual_cost=Decimal(contracted),
            start_date=start,
            end_date=end,
        )


def spend_make(member: Member, contract: Contract, quarter_start: date, amount: str) -> SpendRecord:
    with member_scope(member.pk):
        return SpendRecord.objects.create(
            member=member, contract=contract, quarter_start=quarter_start, amount=Decimal(amount)
        )


@pytest.fixture
def contract(member_a: Member) -> Contract:
    return contract_make(member_a)
