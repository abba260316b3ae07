"""Procurement and learning figures, read through those apps' own selectors.

Each selector computes its aggregate in SQL for one period; a figure calls it once per trend
period (five small grouped queries).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reports.registry import FigureContext, FigureData, Period, Row, Unit, figure


def _money(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("1"))


def _savings(ctx: FigureContext, start: Any, end: Any) -> dict[str, Any]:
    from procurement.selectors import procurement_savings_by_member, procurement_savings_total

    if ctx.member_id is None:
        return procurement_savings_total(period_start=start, period_end=end)
    row = (
        procurement_savings_by_member(period_start=start, period_end=end)
        .filter(member=ctx.member_id)
        .first()
    )
    return row or {"baseline_cost": Decimal(0), "contracted_cost": Decimal(0), "saving": Decimal(0)}


@figure(
    key="procurement_savings",
    title="Joint procurement savings",
    section="Value for money",
    headline="Saving against baseline in the quarter (GBP)",
    unit=Unit.GBP,
    headline_people=False,
    order=42,
    method=(
        "For each joint contract a member takes part in: its baseline annual cost less the "
        "contracted annual cost, accrued day by day over the period (procurement/selectors.py). "
        "Cumulative figures run from the first participation to the end of the period."
    ),
)
def procurement_savings(ctx: FigureContext) -> FigureData:
    from procurement.selectors import procurement_first_start_date

    first = procurement_first_start_date()
    baseline, contracted, saving, pct, cumulative = [], [], [], [], []
    for period in ctx.periods:
        totals = _savings(ctx, period.start, period.end)
        baseline.append(_money(totals["baseline_cost"]))
        contracted.append(_money(totals["contracted_cost"]))
        saving.append(_money(totals["saving"]))
        base = Decimal(totals["baseline_cost"] or 0)
        pct.append(round(float(Decimal(totals["saving"]) / base * 100), 1) if base else None)
        if first is not None and first <= period.end:
            cumulative.append(_money(_savings(ctx, first, period.end)["saving"]))
        else:
            cumulative.append(Decimal(0))
    return FigureData(
        columns=[p.label for p in ctx.periods],
        rows=[
            Row("Baseline cost (GBP)", baseline, unit=Unit.GBP, people=False),
            Row("Contracted cost (GBP)", contracted, unit=Unit.GBP, people=False),
            Row("Saving in the period (GBP)", saving, unit=Unit.GBP, people=False),
            Row("Saving (% of baseline)", pct, unit=Unit.PERCENT, people=False),
            Row("Cumulative saving (GBP)", cumulative, unit=Unit.GBP, people=False),
        ],
        trend=saving,
    )


def _places(ctx: FigureContext, period: Period) -> dict[str, Any]:
    from learning.selectors import learning_places_by_member

    rows = learning_places_by_member(period_start=period.start, period_end=period.end)
    if ctx.member_id is not None:
        rows = rows.filter(member=ctx.member_id)
    totals: dict[str, Any] = {"places": 0, "attended_places": 0, "completed_places": 0}
    totals["cost"] = Decimal(0)
    # At most one grouped row per member (twelve), already summed by the database.
    for row in rows:
        for key in totals:
            totals[key] += row[key] or 0
    return totals


@figure(
    key="learning_places",
    title="Learning and development places",
    section="Learning and development",
    headline="Places used",
    unit=Unit.COUNT,
    headline_people=True,
    order=50,
    method=(
        "Confirmed places on shared courses whose session started in the period, with "
        "attendance and completion, and what the booking members paid (learning/selectors.py)."
    ),
)
def learning_places(ctx: FigureContext) -> FigureData:
    data = [_places(ctx, period) for period in ctx.periods]
    return FigureData(
        columns=[p.label for p in ctx.periods],
        rows=[
            Row("Places used", [d["places"] for d in data]),
            Row("Attended", [d["attended_places"] for d in data]),
            Row("Completed", [d["completed_places"] for d in data]),
            Row("Cost of places (GBP)", [_money(d["cost"]) for d in data], Unit.GBP, False),
        ],
        trend=[d["places"] for d in data],
    )


@figure(
    key="learning_recharges",
    title="Recharges between members",
    section="Balance between members",
    headline="Recharged between members (GBP)",
    unit=Unit.GBP,
    headline_people=False,
    order=61,
    method=(
        "What each member paid other members for course places and received from them, for "
        "sessions starting in the period; net = received less paid. A member booking its own "
        "course moves no money."
    ),
)
def learning_recharges(ctx: FigureContext) -> FigureData:
    from learning.selectors import learning_recharge_balance_by_member

    def balances(period: Period) -> list[dict[str, Any]]:
        rows = learning_recharge_balance_by_member(period_start=period.start, period_end=period.end)
        if ctx.member_id is not None:
            rows = rows.filter(pk=ctx.member_id)
        return list(rows.values("short_name", "paid", "received", "net"))

    trend = [_money(sum((b["paid"] for b in balances(p)), Decimal(0))) for p in ctx.periods]
    current = balances(ctx.current)
    return FigureData(
        columns=["Paid (GBP)", "Received (GBP)", "Net (GBP)"],
        rows=[
            Row(
                b["short_name"],
                [_money(b["paid"]), _money(b["received"]), _money(b["net"])],
                Unit.GBP,
                False,
            )
            for b in current
        ],
        trend=trend,
    )
