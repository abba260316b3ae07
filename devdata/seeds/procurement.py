"""Demo joint contracts with savings at each member (synthetic, deterministic, idempotent).

Called by devdata/demo.py: seed_demo() after the members and staff exist:
`seed_procurement_demo(rng)`. Dates are anchored on the current financial quarter, so a second
run in the same quarter adds nothing; contracts are keyed by reference.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from kernel.calendar import Quarter, current_quarter
from members.models import Member
from members.scoping import consortium_scope
from procurement.models import Contract, ContractStatus, JoinIntent, Participation, SpendRecord

# reference, title, category, supplier, status, start (quarters before now), length in years
CONTRACTS = [
    (
        "JP-DEMO-01",
        "Repairs materials framework",
        "repairs_materials",
        "Northgate Building Supplies (fictional)",
        ContractStatus.LIVE,
        9,
        4,
    ),
    (
        "JP-DEMO-02",
        "Gas and electricity for communal areas",
        "energy",
        "Brightwater Energy (fictional)",
        ContractStatus.LIVE,
        6,
        3,
    ),
    (
        "JP-DEMO-03",
        "Property and liability insurance",
        "insurance",
        "Harbour Mutual (fictional)",
        ContractStatus.LIVE,
        11,
        3,
    ),
    (
        "JP-DEMO-04",
        "Housing management system licences",
        "it",
        "Keystone Software (fictional)",
        ContractStatus.LIVE,
        4,
        5,
    ),
    (
        "JP-DEMO-05",
        "Temporary staff recruitment",
        "recruitment",
        "Fairhire Agency (fictional)",
        ContractStatus.EXPIRED,
        12,
        2,
    ),
    ("JP-DEMO-06", "Grounds maintenance", "facilities", "", ContractStatus.PLANNED, -2, 3),
    ("JP-DEMO-07", "Legal services panel", "professional", "", ContractStatus.TENDERING, -1, 4),
]


def _quarter_offset(quarter: Quarter, offset: int) -> Quarter:
    for _ in range(abs(offset)):
        quarter = quarter.previous() if offset > 0 else quarter.next()
    return quarter


def seed_procurement_demo(rng: random.Random, *, today: date | None = None) -> int:
    """Create the demo contracts; returns how many were created (0 on a second run)."""
    now_quarter = current_quarter(today)
    created = 0
    with consortium_scope(reason="demo: seed procurement"), transaction.atomic():
        members = list(Member.objects.filter(is_synthetic=True).order_by("slug"))
        if len(members) < 4:
            return 0
        for index, (ref, title, category, supplier, status, back, years) in enumerate(CONTRACTS):
            start = _quarter_offset(now_quarter, back).start
            end = date(start.year + years, start.month, 1) - timedelta(days=1)
            if ref == "JP-DEMO-02":
                # Ends within 90 days, so the renewal reminders have something to show.
                end = now_quarter.end + timedelta(days=45)
            lead = members[index % len(members)]
            contract, was_created = Contract.objects.get_or_create(
                reference=ref,
                defaults={
                    "title": title,
                    "category": category,
                    "supplier": supplier,
                    "status": status,
                    "lead_member": lead,
                    "start_date": start,
                    "end_date": end,
                    "is_synthetic": True,
                    "description": "Synthetic demo contract: the supplier and figures are "
                    "invented.",
                },
            )
            if not was_created:
                continue
            created += 1
            others = [m for m in members if m != lead]
            if status in (ContractStatus.PLANNED, ContractStatus.TENDERING):
                for member in rng.sample(others, 4):
                    JoinIntent.objects.create(
                        member=member,
                        lead_member=lead,
                        contract=contract,
                        estimated_annual_spend=Decimal(rng.randrange(20, 200) * 1000),
                        note="Synthetic demo intent.",
                    )
                continue
            joining = [lead, *rng.sample(others, rng.randint(4, min(9, len(others))))]
            for position, member in enumerate(joining):
                baseline = Decimal(rng.randrange(40, 400) * 1000)
                # Published claims for housing consortia: roughly 13% to 26% on a contract.
                saving_rate = Decimal(rng.randint(13, 26)) / 100
                contracted = (baseline * (1 - saving_rate)).quantize(Decimal("1"))
                # Some members join later than the start: part-year participation.
                join = start if position < 3 else start + timedelta(days=rng.randint(30, 400))
                join = min(join, end)
                leave = end if status == ContractStatus.EXPIRED else None
                Participation.objects.create(
                    member=member,
                    contract=contract,
                    baseline_annual_cost=baseline,
                    contracted_annual_cost=contracted,
                    start_date=join,
                    end_date=leave,
                )
                quarter = Quarter.containing(join)
                last = min(now_quarter.previous(), Quarter.containing(leave or now_quarter.end))
                while quarter <= last:
                    spend = contracted / 4 * Decimal(rng.randint(90, 110)) / 100
                    SpendRecord.objects.create(
                        member=member,
                        contract=contract,
                        quarter_start=quarter.start,
                        amount=spend.quantize(Decimal("0.01")),
                        source="import",
                    )
                    quarter = quarter.next()
    return created
