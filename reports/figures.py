"""Referral, outcome, cost, social value, balance and equality figures, computed in SQL.

Each figure runs one grouped query over the whole trend range: a CASE expression puts every row
in its period ("bucket"), and the database counts per bucket (conditional COUNT ... FILTER).
Nothing loops over referrals in Python; at most it reshapes a few dozen grouped rows.

Scopes: a consortium report counts every member's rows (it runs under an audited consortium
scope). A member report counts, for referrals, outcomes, social value and equality, its own
residents (`member`); for time to accept, SLA compliance and cost per outcome, what it delivered
as provider (`provider`); for the balance, every referral it is a party to.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Aggregate,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL

from members.models import Member
from referrals.models import Outcome, OutcomeType, Referral, RoutingDecision
from reports.models import DeliveryCost, SocialValueRate, SocialValueTable
from reports.registry import FigureContext, FigureData, Period, Row, Unit, figure

T = OutcomeType
# Outcomes that are results, not starts of something: the only ones given social value.
SUSTAINED_OUTCOMES = (T.JOB_SUSTAINED_26, T.TRAINING_COMPLETED, T.QUALIFICATION)
POSITIVE = ~Q(type=T.NO_OUTCOME)
FULL_TIME_HOURS = 30


def bucket(field: str, periods: list[Period], *, dates: bool = False) -> Case:
    """The index of the period a row falls in (NULL outside all of them)."""
    whens = []
    for index, period in enumerate(periods):
        if dates:
            lookup = {f"{field}__gte": period.start, f"{field}__lte": period.end}
        else:
            start, end = period.bounds
            lookup = {f"{field}__gte": start, f"{field}__lt": end}
        whens.append(When(**lookup, then=Value(index)))
    return Case(*whens, default=None, output_field=IntegerField())


def in_range(field: str, periods: list[Period], *, dates: bool = False) -> Q:
    if dates:
        return Q(**{f"{field}__gte": periods[0].start, f"{field}__lte": periods[-1].end})
    start, end = periods[0].bounds[0], periods[-1].bounds[1]
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def by_bucket(queryset: QuerySet, **aggregates: Any) -> dict[int, dict[str, Any]]:
    rows = queryset.values("b").order_by("b").annotate(**aggregates)
    return {row["b"]: row for row in rows if row["b"] is not None}


def series(results: dict[int, dict[str, Any]], key: str, n: int, default: Any = 0) -> list:
    return [results.get(i, {}).get(key, default) for i in range(n)]


def percent(numerator: int, denominator: int) -> float | None:
    """A rate, blank when the denominator is under 5 (it would describe too few people)."""
    if denominator < 5:
        return None
    return round(100.0 * numerator / denominator, 1)


def labels(ctx: FigureContext) -> list[str]:
    return [p.label for p in ctx.periods]


def referrals_for(ctx: FigureContext, side: str = "member") -> QuerySet:
    qs = Referral.objects.all()
    if ctx.member_id is not None:
        if side == "either":
            qs = qs.filter(Q(member_id=ctx.member_id) | Q(provider_id=ctx.member_id))
        else:
            qs = qs.filter(**{f"{side}_id": ctx.member_id})
    return qs


def outcomes_for(ctx: FigureContext, side: str = "member") -> QuerySet:
    qs = Outcome.objects.all()
    if ctx.member_id is not None:
        qs = qs.filter(**{f"{side}_id": ctx.member_id})
    return qs


# --- Referral funnel -----------------------------------------------------------------------------

FUNNEL_STAGES = [
    ("received", "Received"),
    ("routed", "Sent to a provider"),
    ("accepted", "Accepted"),
    ("declined", "Declined at least once"),
    ("re_routed", "Re-routed after a decline"),
    ("unrouted", "Sent to the coordinator (no route)"),
    ("withdrawn", "Withdrawn by the resident"),
]


def funnel_counts(ctx: FigureContext) -> dict[int, dict[str, Any]]:
    went_unrouted = Exists(
        RoutingDecision.objects.unscoped().filter(referral=OuterRef("pk"), provider__isnull=True)
    )
    qs = (
        referrals_for(ctx)
        .filter(in_range("submitted_at", ctx.periods))
        .annotate(b=bucket("submitted_at", ctx.periods))
    )
    return by_bucket(
        qs,
        received=Count("id"),
        routed=Count("id", filter=Q(routed_at__isnull=False)),
        accepted=Count("id", filter=Q(accepted_at__isnull=False)),
        declined=Count("id", filter=Q(decline_count__gt=0)),
        re_routed=Count("id", filter=Q(decline_count__gt=0, routed_at__gt=F("declined_at"))),
        unrouted=Count("id", filter=Q(went_unrouted) | Q(unrouted_since__isnull=False)),
        withdrawn=Count("id", filter=Q(withdrawn_at__isnull=False)),
    )


@figure(
    key="referral_funnel",
    title="Referral funnel",
    section="Referrals",
    headline="Referrals received",
    unit=Unit.COUNT,
    headline_people=True,
    order=10,
    method=(
        "Referrals submitted in the period (London time), followed to where they stood when the "
        "report was generated: sent to a provider, accepted, declined at least once, re-routed "
        "after a decline, sent to the coordinator because no rule could route them, withdrawn. "
        "A member's report counts referrals of its own residents."
    ),
)
def referral_funnel(ctx: FigureContext) -> FigureData:
    counts = funnel_counts(ctx)
    n = len(ctx.periods)
    rows = [Row(label, series(counts, key, n)) for key, label in FUNNEL_STAGES]
    return FigureData(columns=labels(ctx), rows=rows, trend=series(counts, "received", n))


@figure(
    key="acceptance_rate",
    title="Acceptance rate",
    section="Referrals",
    headline="Referrals accepted (% of received)",
    unit=Unit.PERCENT,
    headline_people=False,
    order=11,
    method=(
        "Of the referrals submitted in the period, the share a provider accepted. Blank when "
        "fewer than 5 referrals were received."
    ),
)
def acceptance_rate(ctx: FigureContext) -> FigureData:
    counts = funnel_counts(ctx)
    n = len(ctx.periods)
    received = series(counts, "received", n)
    accepted = series(counts, "accepted", n)
    rates = [percent(a, r) for a, r in zip(accepted, received, strict=True)]
    return FigureData(
        columns=labels(ctx),
        rows=[
            Row("Received", received),
            Row("Accepted", accepted),
            Row("Accepted (%)", rates, unit=Unit.PERCENT, people=False),
        ],
        trend=rates,
    )


# --- Time to accept and SLA compliance -----------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: percentile_cont(f) WITHIN GROUP (ORDER BY expr)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=float(fraction), **extra)


def _hours_to_accept() -> RawSQL:
    table = Referral._meta.db_table
    sql = f'EXTRACT(EPOCH FROM ("{table}"."accepted_at" - "{table}"."routed_at")) / 3600.0'
    return RawSQL(sql, [], output_field=FloatField())  # noqa: S611 - no user input in the SQL


def time_to_accept_stats(ctx: FigureContext) -> dict[int, dict[str, Any]]:
    qs = (
        referrals_for(ctx, "provider")
        .filter(in_range("accepted_at", ctx.periods), routed_at__isnull=False)
        .annotate(b=bucket("accepted_at", ctx.periods), hours=_hours_to_accept())
    )
    return by_bucket(
        qs,
        n=Count("id"),
        median=PercentileCont("hours", 0.5),
        p90=PercentileCont("hours", 0.9),
    )


@figure(
    key="time_to_accept",
    title="Time to accept",
    section="Performance",
    headline="Median hours from sending to acceptance",
    unit=Unit.HOURS,
    headline_people=False,
    chart="line",
    order=20,
    method=(
        "For referrals accepted in the period: the time from being sent to the provider (the "
        "last routing) to acceptance, in elapsed hours. Median and 90th percentile "
        "(percentile_cont in PostgreSQL). Blank when fewer than 5 referrals were accepted. A "
        "member's report covers referrals it accepted as provider."
    ),
)
def time_to_accept(ctx: FigureContext) -> FigureData:
    stats = time_to_accept_stats(ctx)
    n = len(ctx.periods)
    counts = series(stats, "n", n)

    def hours(key: str) -> list[float | None]:
        values = series(stats, key, n, None)
        return [
            None if v is None or c < 5 else round(float(v), 1)
            for v, c in zip(values, counts, strict=True)
        ]

    median = hours("median")
    return FigureData(
        columns=labels(ctx),
        rows=[
            Row("Referrals accepted", counts),
            Row("Median (hours)", median, unit=Unit.HOURS, people=False),
            Row("90th percentile (hours)", hours("p90"), unit=Unit.HOURS, people=False),
        ],
        trend=median,
    )


@figure(
    key="sla_compliance",
    title="Acceptance within the service level",
    section="Performance",
    headline="Accepted within the SLA (%)",
    unit=Unit.PERCENT,
    headline_people=False,
    chart="line",
    order=21,
    method=(
        "Referrals whose acceptance deadline (working days, England and Wales bank holidays "
        "excluded) fell in the period, and the share accepted by that deadline. Blank when "
        "fewer than 5 deadlines fell in the period."
    ),
)
def sla_compliance(ctx: FigureContext) -> FigureData:
    qs = (
        referrals_for(ctx, "provider")
        .filter(in_range("sla_accept_due", ctx.periods))
        .annotate(b=bucket("sla_accept_due", ctx.periods))
    )
    stats = by_bucket(
        qs,
        due=Count("id"),
        met=Count("id", filter=Q(accepted_at__isnull=False, accepted_at__lte=F("sla_accept_due"))),
    )
    n = len(ctx.periods)
    due, met = series(stats, "due", n), series(stats, "met", n)
    rates = [percent(m, d) for m, d in zip(met, due, strict=True)]
    return FigureData(
        columns=labels(ctx),
        rows=[
            Row("Deadlines in the period", due),
            Row("Accepted by the deadline", met),
            Row("Within the SLA (%)", rates, unit=Unit.PERCENT, people=False),
        ],
        trend=rates,
    )


# --- Outcomes ------------------------------------------------------------------------------------

OUTCOME_ROWS: list[tuple[str, str, Q]] = [
    (
        "jobs_full_time",
        "Jobs started: full time (30+ hours)",
        Q(type=T.JOB_STARTED, hours_per_week__gte=FULL_TIME_HOURS),
    ),
    (
        "jobs_part_time",
        "Jobs started: part time or hours not known",
        Q(type=T.JOB_STARTED)
        & (Q(hours_per_week__lt=FULL_TIME_HOURS) | Q(hours_per_week__isnull=True)),
    ),
    ("sustained_13", "Jobs sustained 13 weeks", Q(type=T.JOB_SUSTAINED_13)),
    ("sustained_26", "Jobs sustained 26 weeks", Q(type=T.JOB_SUSTAINED_26)),
    ("apprenticeships", "Apprenticeships started", Q(type=T.APPRENTICESHIP)),
    ("training_started", "Training started", Q(type=T.TRAINING_STARTED)),
    ("training_completed", "Training completed", Q(type=T.TRAINING_COMPLETED)),
    (
        "qual_l1",
        "Qualifications: entry level or level 1 (or not known)",
        Q(type=T.QUALIFICATION)
        & (Q(qualification_level__lte=1) | Q(qualification_level__isnull=True)),
    ),
    ("qual_l2", "Qualifications: level 2", Q(type=T.QUALIFICATION, qualification_level=2)),
    ("qual_l3", "Qualifications: level 3", Q(type=T.QUALIFICATION, qualification_level=3)),
    (
        "qual_l4",
        "Qualifications: level 4 and above",
        Q(type=T.QUALIFICATION, qualification_level__gte=4),
    ),
    ("volunteering", "Volunteering started", Q(type=T.VOLUNTEERING)),
]


@figure(
    key="outcomes",
    title="Outcomes by type",
    section="Outcomes",
    headline="Positive outcomes",
    unit=Unit.COUNT,
    headline_people=True,
    order=30,
    method=(
        "Outcomes recorded with an achievement date in the period. Jobs of 30 hours a week or "
        "more count as full time. Each outcome is one row, so the rows add up to the total. "
        "A member's report counts outcomes of its own residents."
    ),
)
def outcomes(ctx: FigureContext) -> FigureData:
    qs = (
        outcomes_for(ctx)
        .filter(in_range("achieved_on", ctx.periods, dates=True))
        .annotate(b=bucket("achieved_on", ctx.periods, dates=True))
    )
    counts = by_bucket(
        qs,
        total=Count("id", filter=POSITIVE),
        **{key: Count("id", filter=condition) for key, _, condition in OUTCOME_ROWS},
    )
    n = len(ctx.periods)
    rows = [Row(label, series(counts, key, n)) for key, label, _ in OUTCOME_ROWS]
    return FigureData(
        columns=labels(ctx),
        rows=rows,
        trend=series(counts, "total", n),
        has_total_row=True,
        total_label="All positive outcomes",
    )


# --- Cost per outcome ----------------------------------------------------------------------------


@figure(
    key="cost_per_outcome",
    title="Cost per outcome",
    section="Value for money",
    headline="Delivery cost per positive outcome (GBP)",
    unit=Unit.GBP,
    headline_people=False,
    chart="line",
    order=40,
    method=(
        "Delivery costs each member recorded for the services it delivered in the quarter, "
        "divided by the positive outcomes it delivered as provider in the same quarter. Blank "
        "when fewer than 5 outcomes were achieved or no cost was recorded."
    ),
)
def cost_per_outcome(ctx: FigureContext) -> FigureData:
    costs_qs = DeliveryCost.objects.all()
    if ctx.member_id is not None:
        costs_qs = costs_qs.filter(member_id=ctx.member_id)
    costs_qs = costs_qs.filter(in_range("period_start", ctx.periods, dates=True)).annotate(
        b=bucket("period_start", ctx.periods, dates=True)
    )
    costs = by_bucket(costs_qs, cost=Sum("amount"), services=Count("service", distinct=True))
    outcome_qs = (
        outcomes_for(ctx, "provider")
        .filter(POSITIVE, in_range("achieved_on", ctx.periods, dates=True))
        .annotate(b=bucket("achieved_on", ctx.periods, dates=True))
    )
    achieved = by_bucket(outcome_qs, n=Count("id"))
    n = len(ctx.periods)
    cost = series(costs, "cost", n, None)
    count = series(achieved, "n", n)
    per = [
        None if c is None or k < 5 else (Decimal(c) / k).quantize(Decimal("0.01"))
        for c, k in zip(cost, count, strict=True)
    ]
    return FigureData(
        columns=labels(ctx),
        rows=[
            Row("Delivery cost (GBP)", cost, unit=Unit.GBP, people=False),
            Row("Positive outcomes delivered", count),
            Row("Cost per outcome (GBP)", per, unit=Unit.GBP, people=False),
        ],
        trend=per,
    )


# --- Social value --------------------------------------------------------------------------------


@figure(
    key="social_value",
    title="Social value",
    section="Value for money",
    headline="Net social value (GBP)",
    unit=Unit.GBP,
    headline_people=False,
    order=44,
    method=(
        "Only sustained results are valued: jobs sustained 26 weeks, training completed and "
        "qualifications gained (never starts). Each outcome is valued with its resident's "
        "member's own table, less that table's deadweight: value x (1 - deadweight). The "
        "portal ships no values; members without a table add nothing."
    ),
)
def social_value(ctx: FigureContext) -> FigureData:
    qs = (
        outcomes_for(ctx)
        .filter(type__in=SUSTAINED_OUTCOMES)
        .filter(in_range("achieved_on", ctx.periods, dates=True))
        .annotate(b=bucket("achieved_on", ctx.periods, dates=True))
        .values("b", "member_id", "type")
        .order_by()
        .annotate(n=Count("id"))
    )
    rates_qs = SocialValueRate.objects.filter(outcome_type__in=SUSTAINED_OUTCOMES)
    tables_qs = SocialValueTable.objects.all()
    if ctx.member_id is not None:
        rates_qs = rates_qs.filter(member_id=ctx.member_id)
        tables_qs = tables_qs.filter(member_id=ctx.member_id)
    net_rate = {
        (r["member_id"], r["outcome_type"]): Decimal(r["value_gbp"])
        * (1 - Decimal(r["deadweight_pct"]) / 100)
        for r in rates_qs.values("member_id", "outcome_type", "value_gbp", "deadweight_pct")
    }
    n = len(ctx.periods)
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    values: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * n)
    # A few dozen grouped rows (period x member x type), already counted by the database.
    for row in qs:
        if row["b"] is None:
            continue
        counts[row["type"]][row["b"]] += row["n"]
        rate = net_rate.get((row["member_id"], row["type"]))
        if rate is not None:
            values[row["type"]][row["b"]] += rate * row["n"]
    rows: list[Row] = []
    total = [Decimal(0)] * n
    for outcome_type in SUSTAINED_OUTCOMES:
        label = OutcomeType(outcome_type).label
        rows.append(Row(f"{label}: outcomes", counts[outcome_type]))
        money = [v.quantize(Decimal("1")) for v in values[outcome_type]]
        rows.append(Row(f"{label}: net value (GBP)", money, unit=Unit.GBP, people=False))
        total = [t + v for t, v in zip(total, money, strict=True)]
    rows.append(Row("Net social value (GBP)", total, unit=Unit.GBP, people=False))
    # Members that loaded the same table (the demo's) are named together, not twelve times.
    by_table: dict[tuple[str, str, bool], list[str]] = defaultdict(list)
    for t in tables_qs.select_related("member").order_by("member__short_name"):
        by_table[(t.name, t.source_note, t.is_illustrative)].append(t.member.short_name)
    notes = [
        f"{', '.join(names)}: {name}. {source}"
        + (" ILLUSTRATIVE VALUES, NOT FOR DECISIONS." if illustrative else "")
        for (name, source, illustrative), names in by_table.items()
    ]
    if not notes:
        notes = ["No social value table has been loaded: no value is claimed."]
    return FigureData(columns=labels(ctx), rows=rows, trend=total, notes=notes)


# --- Balance between members ---------------------------------------------------------------------


@figure(
    key="balance",
    title="Balance between members",
    section="Balance between members",
    headline="Accepted referrals delivered by another member (%)",
    unit=Unit.PERCENT,
    headline_people=False,
    order=60,
    method=(
        "Referrals accepted in the period, by the member that delivered the service (rows) and "
        "the member whose resident it was (columns). The trend is the share delivered by a "
        "member other than the resident's own."
    ),
)
def balance(ctx: FigureContext) -> FigureData:
    qs = referrals_for(ctx, "either").filter(provider__isnull=False)
    trend_qs = qs.filter(in_range("accepted_at", ctx.periods)).annotate(
        b=bucket("accepted_at", ctx.periods)
    )
    shares = by_bucket(
        trend_qs, n=Count("id"), other=Count("id", filter=~Q(provider_id=F("member_id")))
    )
    n = len(ctx.periods)
    trend = [
        percent(o, t)
        for o, t in zip(series(shares, "other", n), series(shares, "n", n), strict=True)
    ]
    start, end = ctx.current.bounds
    pairs = (
        qs.filter(accepted_at__gte=start, accepted_at__lt=end)
        .values("provider_id", "member_id")
        .order_by()
        .annotate(n=Count("id"))
    )
    matrix = {(p["provider_id"], p["member_id"]): p["n"] for p in pairs}
    ids = sorted({k[0] for k in matrix} | {k[1] for k in matrix})
    names = dict(Member.objects.filter(pk__in=ids).values_list("pk", "short_name"))
    ids.sort(key=lambda pk: names.get(pk, ""))
    rows = [
        Row(f"Delivered by {names.get(p, p)}", [matrix.get((p, m), 0) for m in ids]) for p in ids
    ]
    return FigureData(
        columns=[f"For {names.get(m, m)}" for m in ids],
        rows=rows,
        trend=trend,
        has_total_row=bool(rows),
        has_total_column=bool(rows),
    )


# --- Equality ------------------------------------------------------------------------------------


def _equality_figure(ctx: FigureContext, *, outcomes_only: bool) -> FigureData:
    from applications.models import ETHNICITY_GROUPS, EqualityMonitoring

    qs = EqualityMonitoring.objects.all()
    if ctx.member_id is not None:
        qs = qs.filter(member_id=ctx.member_id)
    if outcomes_only:
        positive = Outcome.objects.unscoped().filter(
            POSITIVE, referral__application_id=OuterRef("application_id")
        )
        qs = qs.filter(Exists(positive))
    qs = qs.filter(in_range("application__submitted_at", [ctx.current]))
    group_of = {code: str(name) for name, codes in ETHNICITY_GROUPS for code in codes}
    counts = dict(
        qs.annotate(
            group=Case(
                *[
                    When(ethnicity__in=codes, then=Value(str(name)))
                    for name, codes in ETHNICITY_GROUPS
                ],
                default=Value("Not answered"),
            )
        )
        .values("group")
        .order_by()
        .annotate(n=Count("id"))
        .values_list("group", "n")
    )
    order = [*dict.fromkeys(group_of.values()), "Not answered"]
    rows = [Row(group, [counts.get(group, 0)]) for group in order]
    return FigureData(
        columns=[ctx.current.label],
        rows=rows,
        trend=[None] * (len(ctx.periods) - 1) + [sum(counts.values())],
        has_total_row=True,
    )


@figure(
    key="equality_applicants",
    title="Applicants by ethnic group",
    section="Equality",
    headline="Applicants who answered equality questions",
    unit=Unit.COUNT,
    headline_people=True,
    order=70,
    method=(
        "Optional equality answers given with applications submitted in the period, by GSS "
        "harmonised ethnic group (England). Aggregates only; the answers are stored apart from "
        "case data and never shown individually."
    ),
)
def equality_applicants(ctx: FigureContext) -> FigureData:
    return _equality_figure(ctx, outcomes_only=False)


@figure(
    key="equality_outcomes",
    title="Residents with a positive outcome by ethnic group",
    section="Equality",
    headline="Applicants with a positive outcome",
    unit=Unit.COUNT,
    headline_people=True,
    order=71,
    method=(
        "Of the applicants above, those whose referral has a positive outcome recorded so far."
    ),
)
def equality_outcomes(ctx: FigureContext) -> FigureData:
    return _equality_figure(ctx, outcomes_only=True)


def periods_for(start: date, end: date) -> list[Period]:
    """Five quarters ending with the period when it is a quarter; otherwise the period alone."""
    from kernel.calendar import Quarter

    quarter = Quarter.containing(start)
    if quarter.start == start and quarter.end == end:
        return [Period.of(q) for q in quarter.last(5)]
    return [Period(f"{start:%d %b %Y} to {end:%d %b %Y}", start, end)]
