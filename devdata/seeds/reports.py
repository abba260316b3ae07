"""Demo data for reports: targets, delivery costs, an ILLUSTRATIVE social value table per member
(made-up values, not HACT's: its licence forbids building them into tools), and published
reports for the past quarters at consortium and member level.

Called from devdata/demo.py: seed_demo() after the referrals are seeded:
    from devdata.seeds.reports import seed_reports_demo
    seed_reports_demo(rng)
"""

from __future__ import annotations

import logging
import random
from decimal import Decimal

from kernel.calendar import Quarter, last_completed_quarter
from members.models import Member
from members.scoping import consortium_scope, member_scope
from referrals.models import OutcomeType
from reports.models import DeliveryCost, SocialValueRate, SocialValueTable, Target
from reports.services import report_generate_and_publish
from services.models import Offer

logger = logging.getLogger(__name__)

DEMO_TARGETS = [
    # figure key, green, amber, direction
    ("referral_funnel", 150, 100, "higher"),
    ("acceptance_rate", 90, 80, "higher"),
    ("time_to_accept", 24, 48, "lower"),
    ("sla_compliance", 90, 80, "higher"),
    ("outcomes", 150, 100, "higher"),
    ("cost_per_outcome", 900, 1200, "lower"),
    ("social_value", 250000, 150000, "higher"),
    ("balance", 50, 30, "higher"),
    ("procurement_savings", 20000, 10000, "higher"),
    ("learning_places", 60, 40, "higher"),
]
# Made-up round numbers for the demonstration. They are NOT HACT / UK Social Value Bank values.
ILLUSTRATIVE_RATES = {
    OutcomeType.JOB_SUSTAINED_26: (Decimal("10000"), Decimal("20")),
    OutcomeType.TRAINING_COMPLETED: (Decimal("1000"), Decimal("25")),
    OutcomeType.QUALIFICATION: (Decimal("2000"), Decimal("25")),
}


def seed_reports_setup(rng: random.Random, quarters: list[Quarter]) -> None:
    for key, green, amber, direction in DEMO_TARGETS:
        Target.objects.update_or_create(
            figure_key=key,
            defaults={
                "green": green,
                "amber": amber,
                "direction": direction,
                "note": "Demo target",
            },
        )
    for member in Member.objects.order_by("pk"):
        with member_scope(member.pk):
            table, _ = SocialValueTable.objects.update_or_create(
                member=member,
                defaults={
                    "name": "Illustrative social value table (demo)",
                    "source_note": "Made-up values for demonstration only; not HACT or UK "
                    "Social Value Bank values. Load your own licensed table.",
                    "is_illustrative": True,
                },
            )
            for outcome_type, (value, deadweight) in ILLUSTRATIVE_RATES.items():
                SocialValueRate.objects.update_or_create(
                    member=member,
                    outcome_type=outcome_type,
                    defaults={"table": table, "value_gbp": value, "deadweight_pct": deadweight},
                )
            services = Offer.objects.for_member(member).values_list("service_id", flat=True)
            for service_id in services.distinct():
                for quarter in quarters:
                    DeliveryCost.objects.get_or_create(
                        member=member,
                        service_id=service_id,
                        period_start=quarter.start,
                        defaults={
                            "amount": Decimal(rng.randrange(6000, 16000, 250)),
                            "note": "Demo cost",
                        },
                    )


def seed_reports_demo(
    rng: random.Random | None = None, *, quarters: int = 4, member_quarters: int | None = None
) -> int:
    """Publish the last `quarters` completed quarters for the consortium, and the last
    `member_quarters` (default: the same) for every member. Each report takes seconds (figures
    for five quarters and a PDF); the daily catch-up task publishes any the demo left out."""
    rng = rng or random.Random(7)  # noqa: S311 - demo data, not secrets
    member_quarters = quarters if member_quarters is None else member_quarters
    past = last_completed_quarter().last(max(quarters, member_quarters) + 4)
    seed_reports_setup(rng, past)
    published = 0
    member_ids = list(Member.objects.order_by("pk").values_list("pk", flat=True))
    for age, quarter in enumerate(reversed(past[-max(quarters, member_quarters, 1) :])):
        scopes: list[int | None] = [None] if age < quarters else []
        if age < member_quarters:
            scopes += member_ids
        for member_id in scopes:
            with consortium_scope(reason="demo: publish past quarterly reports"):
                report_generate_and_publish(scope_member_id=member_id, quarter=quarter)
            published += 1
    logger.info("published %s demo reports", published)
    return published
