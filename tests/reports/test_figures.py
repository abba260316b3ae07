"""Each figure against a hand-computed fixture, including quarter boundaries (London time) and
small-number suppression."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from members.scoping import member_scope
from referrals.models import OutcomeType, RoutingDecision
from reports.figures import (
    balance,
    cost_per_outcome,
    outcomes,
    referral_funnel,
    sla_compliance,
    social_value,
    time_to_accept,
)
from reports.models import DeliveryCost, SocialValueRate, SocialValueTable, Target
from reports.registry import FigureContext, Period
from reports.snapshot import rag_status, snapshot_build
from reports.suppression import PRIMARY
from tests.reports.conftest import Q1, Q4, at

pytestmark = pytest.mark.django_db
T = OutcomeType


def ctx(member_id: int | None = None) -> FigureContext:
    return FigureContext(member_id=member_id, periods=[Period.of(Q4), Period.of(Q1)])


def row(data, label):  # noqa: ANN001, ANN201
    return next(r for r in data.rows if r.label == label).values


def test_funnel_counts_each_stage_and_respects_the_london_quarter_boundary(
    member_a, member_b, make_referral, in_consortium
) -> None:
    # 23:30 on 31 March (BST) is Q4; 00:30 on 1 April is Q1, though both are 31 March in UTC.
    make_referral(member_a, submitted_at=at(2026, 3, 31, 23, 30))
    make_referral(member_a, submitted_at=at(2026, 4, 1, 0, 30))
    make_referral(
        member_a,
        submitted_at=at(2026, 4, 2),
        routed_at=at(2026, 4, 2),
        provider=member_b,
        accepted_at=at(2026, 4, 3),
    )
    make_referral(
        member_a,
        submitted_at=at(2026, 4, 5),
        declined_at=at(2026, 4, 6),
        decline_count=1,
        routed_at=at(2026, 4, 7),
        provider=member_b,
    )
    unrouted = make_referral(member_a, submitted_at=at(2026, 5, 1), withdrawn_at=at(2026, 5, 2))
    with member_scope(member_a.pk):
        RoutingDecision.objects.create(member=member_a, referral=unrouted, provider=None)
    make_referral(member_b, submitted_at=at(2026, 4, 10))  # another member's resident

    data = referral_funnel(ctx())
    assert row(data, "Received") == [1, 5]
    assert row(data, "Sent to a provider") == [0, 2]
    assert row(data, "Accepted") == [0, 1]
    assert row(data, "Declined at least once") == [0, 1]
    assert row(data, "Re-routed after a decline") == [0, 1]
    assert row(data, "Sent to the coordinator (no route)") == [0, 1]
    assert row(data, "Withdrawn by the resident") == [0, 1]

    member_view = referral_funnel(ctx(member_a.pk))
    assert row(member_view, "Received") == [1, 4]


def test_time_to_accept_median_and_90th_percentile_with_percentile_cont(
    member_a, member_b, make_referral, in_consortium
) -> None:
    routed = at(2026, 4, 14, 9)
    for hours in (1, 2, 3, 4, 10):
        make_referral(
            member_a,
            provider=member_b,
            submitted_at=routed,
            routed_at=routed,
            accepted_at=routed + timedelta(hours=hours),
        )
    data = time_to_accept(ctx(member_b.pk))
    assert row(data, "Referrals accepted") == [0, 5]
    assert row(data, "Median (hours)") == [None, 3.0]
    # percentile_cont(0.9): rank 0.9 * 4 = 3.6, between 4 and 10: 4 + 0.6 * 6 = 7.6
    assert row(data, "90th percentile (hours)") == [None, 7.6]
    assert data.trend == [None, 3.0]
    # As provider only: member A accepted nothing.
    assert row(time_to_accept(ctx(member_a.pk)), "Referrals accepted") == [0, 0]


def test_sla_compliance_counts_deadlines_in_the_period(
    member_a, member_b, make_referral, in_consortium
) -> None:
    due = at(2026, 5, 5, 17, 30)
    for i in range(8):
        make_referral(
            member_a,
            provider=member_b,
            routed_at=at(2026, 5, 1),
            sla_accept_due=due,
            accepted_at=due - timedelta(hours=1) if i < 6 else due + timedelta(hours=3),
        )
    make_referral(member_a, provider=member_b, sla_accept_due=due)  # never accepted
    data = sla_compliance(ctx())
    assert row(data, "Deadlines in the period") == [0, 9]
    assert row(data, "Accepted by the deadline") == [0, 6]
    assert row(data, "Within the SLA (%)") == [None, 66.7]


def test_outcomes_by_type_split_jobs_by_hours_and_qualifications_by_level(
    member_a, member_b, make_referral, make_outcome, in_consortium
) -> None:
    referral = make_referral(member_a, provider=member_b)
    day = date(2026, 6, 30)  # last day of Q1 counts in Q1
    for _ in range(6):
        make_outcome(referral, T.JOB_STARTED, day, hours_per_week=Decimal("35"))
    for _ in range(2):
        make_outcome(referral, T.JOB_STARTED, day, hours_per_week=Decimal("16"))
    for _ in range(7):
        make_outcome(referral, T.QUALIFICATION, day, qualification_level=2)
    make_outcome(referral, T.NO_OUTCOME, day)
    make_outcome(referral, T.JOB_STARTED, date(2026, 7, 1), hours_per_week=Decimal("35"))

    data = outcomes(ctx())
    assert row(data, "Jobs started: full time (30+ hours)") == [0, 6]
    assert row(data, "Jobs started: part time or hours not known") == [0, 2]
    assert row(data, "Qualifications: level 2") == [0, 7]
    assert data.trend == [0, 15]

    from reports.snapshot import suppress_figure

    rows = {r["label"]: r["values"] for r in suppress_figure(data)}
    assert rows["Jobs started: part time or hours not known"][1] == PRIMARY
    assert rows["Apprenticeships started"][1] == PRIMARY  # zero is hidden too
    # 15 = 6 + 2 + 7 + zeros: the hidden cells add up to 2 but there are eleven of them, so
    # no single one can be worked out and nothing more is hidden.
    assert rows["Jobs started: full time (30+ hours)"][1] == 6
    assert rows["Qualifications: level 2"][1] == 7
    assert rows["All positive outcomes"][0] == PRIMARY  # an empty quarter
    assert rows["All positive outcomes"][1] == 15


def test_cost_per_outcome_divides_recorded_costs_by_outcomes_delivered(
    member_a, member_b, service, make_referral, make_outcome, in_consortium
) -> None:
    referral = make_referral(member_a, provider=member_b)
    for _ in range(8):
        make_outcome(referral, T.TRAINING_COMPLETED, date(2026, 5, 1))
    with member_scope(member_b.pk):
        DeliveryCost.objects.create(
            member=member_b, service=service, period_start=Q1.start, amount=Decimal("10000")
        )
    data = cost_per_outcome(ctx(member_b.pk))
    assert row(data, "Delivery cost (GBP)") == [None, Decimal("10000")]
    assert row(data, "Cost per outcome (GBP)") == [None, Decimal("1250.00")]
    # Member A delivered nothing and recorded no costs.
    assert row(cost_per_outcome(ctx(member_a.pk)), "Cost per outcome (GBP)") == [None, None]


def test_social_value_counts_only_sustained_outcomes_and_applies_deadweight(
    member_a, member_b, make_referral, make_outcome, in_consortium
) -> None:
    referral = make_referral(member_a, provider=member_b)
    for _ in range(6):
        make_outcome(referral, T.JOB_SUSTAINED_26, date(2026, 5, 1))
    for _ in range(9):
        make_outcome(referral, T.JOB_STARTED, date(2026, 5, 1))  # a start: never valued
    with member_scope(member_a.pk):
        table = SocialValueTable.objects.create(member=member_a, name="Ours", source_note="x")
        SocialValueRate.objects.create(
            member=member_a,
            table=table,
            outcome_type=T.JOB_SUSTAINED_26,
            value_gbp=Decimal("1000"),
            deadweight_pct=Decimal("20"),
        )
        SocialValueRate.objects.create(
            member=member_a,
            table=table,
            outcome_type=T.JOB_STARTED,
            value_gbp=Decimal("999"),
            deadweight_pct=Decimal("0"),
        )
    data = social_value(ctx())
    assert data.trend == [Decimal(0), Decimal("4800")]  # 6 x 1000 x (1 - 20%)


def test_balance_counts_who_delivered_for_whom(
    member_a, member_b, make_referral, in_consortium
) -> None:
    for _ in range(6):
        make_referral(member_a, provider=member_b, accepted_at=at(2026, 5, 1))
    for _ in range(7):
        make_referral(member_b, provider=member_b, accepted_at=at(2026, 5, 1))
    make_referral(member_b, provider=member_a, accepted_at=at(2026, 5, 1))
    data = balance(ctx())
    assert data.columns == ["For Aldgate", "For Brixton"]
    assert row(data, "Delivered by Aldgate") == [0, 1]
    assert row(data, "Delivered by Brixton") == [6, 7]
    assert data.trend == [None, round(100 * 7 / 14, 1)]


def test_rag_status_follows_the_target_direction(db) -> None:
    higher = Target(figure_key="x", green=90, amber=80, direction="higher")
    lower = Target(figure_key="y", green=24, amber=48, direction="lower")
    assert [rag_status(v, higher) for v in (95, 85, 70)] == ["green", "amber", "red"]
    assert [rag_status(v, lower) for v in (20, 30, 50)] == ["green", "amber", "red"]
    assert rag_status(None, higher) == "none"
    assert rag_status(5, None) == "none"


def test_snapshot_suppresses_small_headline_counts_and_stores_the_rag(
    member_a, make_referral, in_consortium
) -> None:
    for _ in range(3):
        make_referral(member_a, submitted_at=at(2026, 5, 1))
    Target.objects.create(figure_key="referral_funnel", green=10, amber=2, direction="higher")
    snap = snapshot_build(member_id=None, period_start=Q1.start, period_end=Q1.end)
    funnel = next(f for f in snap["figures"] if f["key"] == "referral_funnel")
    assert funnel["current"] == PRIMARY
    assert funnel["rows"][0]["values"][-1] == PRIMARY
    assert funnel["rag"] == "amber"
    assert funnel["trend"]["labels"][-1] == "2026-27 Q1"
    assert len(funnel["trend"]["labels"]) == 5


def test_equality_breakdown_is_aggregate_and_suppressed(
    member_a, make_referral, in_consortium
) -> None:
    from applications.models import EqualityMonitoring
    from reports.figures import equality_applicants
    from reports.snapshot import suppress_figure

    codes = ["white_british"] * 9 + ["black_african"] * 6 + ["asian_indian"] * 2
    for code in codes:
        referral = make_referral(member_a, submitted_at=at(2026, 5, 1))
        with member_scope(member_a.pk):
            referral.application.submitted_at = at(2026, 5, 1)
            referral.application.save(update_fields=["submitted_at"])
            EqualityMonitoring.objects.create(
                member=member_a, application=referral.application, ethnicity=code
            )
    data = equality_applicants(ctx())
    values = {r.label: r.values[0] for r in data.rows}
    assert values["White"] == 9
    assert values["Black, Black British, Caribbean or African"] == 6
    assert values["Asian or Asian British"] == 2
    shown = {r["label"]: r["values"][0] for r in suppress_figure(data)}
    assert shown["Asian or Asian British"] == PRIMARY
    assert shown["Other ethnic group"] == PRIMARY
    assert shown["Black, Black British, Caribbean or African"] == 6
    assert shown["White"] == 9
    assert shown["Total"] == 17
