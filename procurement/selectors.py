"""Reads for joint procurement, including the savings figures the value-for-money reports use.

Savings are computed in SQL. A participation saves (baseline - contracted) a year, accruing per
day from its start date to its end date (both inclusive); a day is worth 1/365 or 1/366 of a
year, depending on the days in the financial year (April-March) it falls in, so a full
financial year of participation saves exactly the annual difference and the four quarters of a
year add up to it.

The figures read through `Participation.objects` and `SpendRecord.objects`, so they see what the
caller's scope lets them see: one member's own rows in a member scope, every member's rows in a
consortium scope (the reports, the coordinator). Totals shown to every member are computed in
an audited consortium scope and return aggregates only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least

from kernel.calendar import Quarter
from members.access import not_found
from members.actor import Actor
from members.scoping import consortium_scope
from procurement.models import (
    OPEN_TO_JOIN,
    Contract,
    ContractDocument,
    JoinIntent,
    Participation,
    SpendRecord,
)

MONEY_FIELD = DecimalField(max_digits=20, decimal_places=6)
ZERO = Value(Decimal("0"), output_field=MONEY_FIELD)


class DaysBetween(Func):
    """`later - earlier` in whole days, for two dates."""

    output_field = IntegerField()
    arity = 2
    template = "(%(expressions)s)"
    arg_joiner = " - "


@dataclass(frozen=True)
class FinancialYear:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def financial_years_between(period_start: date, period_end: date) -> list[FinancialYear]:
    """The financial years an inclusive date period touches, oldest first."""
    if period_end < period_start:
        raise ValueError("The period ends before it starts.")
    years = []
    year = Quarter.containing(period_start).year
    while True:
        fy = FinancialYear(Quarter(year, 1).start, Quarter(year, 4).end)
        years.append(fy)
        if fy.end >= period_end:
            return years
        year += 1


def _overlap_days(start: date, end: date) -> Any:
    """Days a participation is active within [start, end], never negative."""
    last = Least(Value(end), Coalesce(F("end_date"), Value(end)))
    first = Greatest(Value(start), F("start_date"))
    return Greatest(DaysBetween(last, first) + 1, Value(0))


def _pro_rated(field: str, period_start: date, period_end: date) -> Any:
    """SQL: the annual amount in `field` pro-rated over the participation's days in the period."""
    parts = []
    for fy in financial_years_between(period_start, period_end):
        start, end = max(fy.start, period_start), min(fy.end, period_end)
        parts.append(
            ExpressionWrapper(
                F(field) * _overlap_days(start, end) / Value(fy.days), output_field=MONEY_FIELD
            )
        )
    total = parts[0]
    for part in parts[1:]:
        total = ExpressionWrapper(total + part, output_field=MONEY_FIELD)
    return total


def _overlapping(queryset: QuerySet[Participation], start: date, end: date) -> QuerySet:
    return queryset.filter(start_date__lte=end).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start)
    )


def participations_with_savings(
    *, period_start: date, period_end: date, queryset: QuerySet[Participation] | None = None
) -> QuerySet[Participation]:
    """Participations active in the period, each annotated with `days` (active days in the
    period), `baseline_cost`, `contracted_cost` and `saving` (pro-rated, unrounded)."""
    qs = queryset if queryset is not None else Participation.objects.all()
    return _overlapping(qs, period_start, period_end).annotate(
        days=_overlap_days(period_start, period_end),
        baseline_cost=_pro_rated("baseline_annual_cost", period_start, period_end),
        contracted_cost=_pro_rated("contracted_annual_cost", period_start, period_end),
        saving=ExpressionWrapper(
            F("baseline_cost") - F("contracted_cost"), output_field=MONEY_FIELD
        ),
    )


def _grouped(period_start: date, period_end: date, *group_by: str) -> QuerySet:
    qs = _overlapping(Participation.objects.all(), period_start, period_end)
    baseline = _pro_rated("baseline_annual_cost", period_start, period_end)
    contracted = _pro_rated("contracted_annual_cost", period_start, period_end)
    return (
        qs.values(*group_by)
        .order_by(*group_by)
        .annotate(
            contracts=Count("contract", distinct=True),
            baseline_cost=Coalesce(Sum(baseline), ZERO),
            contracted_cost=Coalesce(Sum(contracted), ZERO),
            saving=ExpressionWrapper(
                F("baseline_cost") - F("contracted_cost"), output_field=MONEY_FIELD
            ),
        )
    )


def procurement_savings_by_member(*, period_start: date, period_end: date) -> QuerySet:
    """One row per member with participation in the period: `member`, `member__short_name`,
    `contracts`, `baseline_cost`, `contracted_cost`, `saving` (Decimals, unrounded: round when
    showing). For a quarter pass Quarter.start/.end; for the cumulative figure pass the start of
    the first participation (`procurement_first_start_date()`) as period_start."""
    return _grouped(period_start, period_end, "member", "member__short_name")


def procurement_savings_by_contract(*, period_start: date, period_end: date) -> QuerySet:
    """One row per contract: `contract`, `contract__reference`, `contract__title`,
    `contract__category`, `contracts` (1), `baseline_cost`, `contracted_cost`, `saving`,
    plus `members` (participating members in the period)."""
    return _grouped(
        period_start,
        period_end,
        "contract",
        "contract__reference",
        "contract__title",
        "contract__category",
    ).annotate(members=Count("member", distinct=True))


def procurement_savings_by_member_and_category(*, period_start: date, period_end: date) -> QuerySet:
    return _grouped(period_start, period_end, "member", "member__short_name", "contract__category")


def procurement_savings_total(*, period_start: date, period_end: date) -> dict[str, Any]:
    """`baseline_cost`, `contracted_cost`, `saving`, `members`, `contracts` for the period."""
    qs = _overlapping(Participation.objects.all(), period_start, period_end)
    totals = qs.aggregate(
        baseline_cost=Coalesce(
            Sum(_pro_rated("baseline_annual_cost", period_start, period_end)), ZERO
        ),
        contracted_cost=Coalesce(
            Sum(_pro_rated("contracted_annual_cost", period_start, period_end)), ZERO
        ),
        members=Count("member", distinct=True),
        contracts=Count("contract", distinct=True),
    )
    totals["saving"] = totals["baseline_cost"] - totals["contracted_cost"]
    return totals


def procurement_first_start_date() -> date | None:
    """The earliest participation start visible in the current scope (for cumulative figures)."""
    first = Participation.objects.order_by("start_date").values_list("start_date", flat=True)
    return first.first()


def procurement_spend_by_member(*, period_start: date, period_end: date) -> QuerySet:
    """Recorded spend per member and contract for the quarters starting in the period:
    `member`, `contract`, `contract__reference`, `spend`, `quarters`."""
    return (
        SpendRecord.objects.filter(quarter_start__gte=period_start, quarter_start__lte=period_end)
        .values("member", "member__short_name", "contract", "contract__reference")
        .order_by("member", "contract")
        .annotate(spend=Sum("amount"), quarters=Count("id"))
    )


def spend_list_for_member(*, member_id: int) -> QuerySet[SpendRecord]:
    return SpendRecord.objects.for_member(member_id).select_related("contract")


# --- Visibility --------------------------------------------------------------------------------


def _visible_contracts_q(member_id: int) -> Q:
    participating = Participation.objects.for_member(member_id).values("contract")
    intending = JoinIntent.objects.for_member(member_id).values("contract")
    return (
        Q(lead_member_id=member_id)
        | Q(pk__in=participating)
        | Q(pk__in=intending)
        # Procurements being prepared are announced to every member, so they can say they
        # intend to join; only titles and dates, never documents or anyone's figures.
        | Q(status__in=OPEN_TO_JOIN)
    )


def contract_list_for_member(*, member_id: int) -> QuerySet[Contract]:
    """Contracts the member leads, takes part in, intends to join, or may still join; annotated
    with `is_lead`, `is_participant` and `has_intent`."""
    own_participation = Participation.objects.for_member(member_id).filter(
        member_id=member_id, contract=OuterRef("pk")
    )
    own_intent = JoinIntent.objects.for_member(member_id).filter(
        member_id=member_id, contract=OuterRef("pk"), withdrawn_at__isnull=True
    )
    return (
        Contract.objects.filter(_visible_contracts_q(member_id))
        .select_related("lead_member")
        .annotate(
            is_participant=Exists(own_participation),
            has_intent=Exists(own_intent),
            is_lead=ExpressionWrapper(Q(lead_member_id=member_id), output_field=BooleanField()),
        )
        .order_by("status", "end_date", "reference")
    )


def contracts_participating(*, member_id: int) -> QuerySet[Contract]:
    """Contracts the member takes part in (for spend records)."""
    participating = Participation.objects.for_member(member_id).filter(member_id=member_id)
    return Contract.objects.filter(pk__in=participating.values("contract")).order_by("reference")


def contract_is_participant(*, contract: Contract, member_id: int) -> bool:
    return (
        Participation.objects.for_member(member_id)
        .filter(member_id=member_id, contract=contract)
        .exists()
    )


def access_contract_by_id(
    actor: Actor, contract_id: object, *, participants_only: bool = False
) -> Contract:
    """The contract if the actor's member may see it; 404 otherwise (missing or not yours).
    `participants_only` narrows to the lead and participants (documents, pipeline)."""
    if actor.member_id is None:
        raise not_found()
    try:
        pk = int(str(contract_id))
    except (TypeError, ValueError):
        raise not_found() from None
    contract = contract_list_for_member(member_id=actor.member_id).filter(pk=pk).first()
    if contract is None:
        raise not_found()
    if participants_only and not (contract.is_lead or contract.is_participant):  # type: ignore[attr-defined]
        raise not_found()
    return contract


def access_document_by_id(actor: Actor, document_id: object) -> ContractDocument:
    try:
        pk = int(str(document_id))
    except (TypeError, ValueError):
        raise not_found() from None
    document = ContractDocument.objects.filter(pk=pk).select_related("contract").first()
    if document is None:
        raise not_found()
    access_contract_by_id(actor, document.contract_id, participants_only=True)
    return document


def contract_pipeline(*, contract: Contract, lead_member_id: int) -> QuerySet[JoinIntent]:
    """Members intending to join, for the lead member only."""
    if contract.lead_member_id != lead_member_id:
        return JoinIntent.objects.none()
    return (
        JoinIntent.objects.for_member(lead_member_id)
        .filter(contract=contract, lead_member_id=lead_member_id, withdrawn_at__isnull=True)
        .select_related("member")
        .order_by("created_at")
    )


def member_participation(*, contract: Contract, member_id: int) -> Participation | None:
    return (
        Participation.objects.for_member(member_id)
        .filter(member_id=member_id, contract=contract)
        .first()
    )


def member_savings_by_quarter(*, member_id: int, quarters: list[Quarter]) -> list[dict[str, Any]]:
    """The member's own savings in each quarter (one query per quarter; a handful of quarters)."""
    rows = []
    for quarter in quarters:
        qs = participations_with_savings(
            period_start=quarter.start,
            period_end=quarter.end,
            queryset=Participation.objects.for_member(member_id).filter(member_id=member_id),
        )
        # Aggregate aliases must differ from the annotations they sum.
        totals = qs.aggregate(total_saving=Sum("saving"), total_baseline=Sum("baseline_cost"))
        rows.append(
            {
                "quarter": quarter,
                "saving": totals["total_saving"] or Decimal("0"),
                "baseline": totals["total_baseline"] or Decimal("0"),
            }
        )
    return rows


def consortium_savings_totals(
    *, quarter: Quarter, user_id: int | None
) -> dict[str, dict[str, Any]]:
    """Consortium-wide totals that every member may see: aggregates only, no member's figures.
    Read in an audited consortium scope, because a member scope sees only its own rows."""
    with consortium_scope(reason="procurement: consortium-wide savings totals", user_id=user_id):
        first = procurement_first_start_date()
        quarter_totals = procurement_savings_total(
            period_start=quarter.start, period_end=quarter.end
        )
        cumulative = (
            procurement_savings_total(period_start=first, period_end=quarter.end)
            if first and first <= quarter.end
            else {
                "saving": Decimal("0"),
                "baseline_cost": Decimal("0"),
                "members": 0,
                "contracts": 0,
            }
        )
    return {"quarter": _disclosable(quarter_totals), "cumulative": _disclosable(cumulative)}


# With two members, either could subtract its own figure from a total and learn the other's:
# totals shown to members need at least this many members behind them.
MIN_MEMBERS_FOR_TOTALS = 3


def _disclosable(totals: dict[str, Any]) -> dict[str, Any]:
    if totals["members"] >= MIN_MEMBERS_FOR_TOTALS:
        return {**totals, "disclosed": True}
    return {"members": totals["members"], "disclosed": False}


def contract_totals(*, contract: Contract, quarter: Quarter, user_id: int | None) -> dict[str, Any]:
    """Participants and savings on one contract (aggregates only), for its participants."""
    with consortium_scope(reason=f"procurement: totals of contract {contract.pk}", user_id=user_id):
        qs = Participation.objects.filter(contract=contract)
        participants = qs.count()
        totals = participations_with_savings(
            period_start=quarter.start, period_end=quarter.end, queryset=qs
        ).aggregate(total_saving=Sum("saving"))
        participant_names = list(
            qs.order_by("member__short_name").values_list("member__short_name", flat=True)
        )
    disclosed = participants >= MIN_MEMBERS_FOR_TOTALS
    return {
        "participants": participants,
        "participant_names": participant_names,
        "disclosed": disclosed,
        "quarter_saving": (totals["total_saving"] or Decimal("0")) if disclosed else None,
    }
