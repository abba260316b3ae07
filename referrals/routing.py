"""The routing engine: which member should deliver a referral, and why.

Each service lists the rules it routes by, in order (`Service.routing_rules`, names from RULES
below). A rule either *filters* the candidates (each member it drops gets a reason) or *prefers*
some of them (the rest are set aside, with a reason). Three filters always apply whatever a
service is configured with, because they are promises, not preferences: the data sharing
agreement (never a member that has not signed the version in force: dataprotection/selectors.py),
the resident's consent (never a member outside it), an active offer of the service, and never a
member that declined this referral before. Fair share of load is always the last word, so the
choice is deterministic.

The engine reads and decides; it writes nothing. `referrals.services.referral_route` stores the
decision (RoutingDecision, with every reason) and moves the referral.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count
from django.utils import timezone

from kernel.calendar import LONDON
from members.models import Member
from members.scoping import consortium_scope
from referrals.models import Referral, ReferralStatus
from services.models import Offer


@dataclass
class Candidate:
    member_id: int
    name: str
    offer: Offer | None
    routed_this_month: int = 0

    @property
    def capacity(self) -> int:
        return self.offer.capacity_per_month if self.offer else 0

    @property
    def load(self) -> float:
        """Share of this month's capacity already used (1.0 = full)."""
        return self.routed_this_month / self.capacity if self.capacity else float("inf")


@dataclass
class RoutingContext:
    referral_id: int
    service_id: int
    landlord_id: int
    district: str
    language: str
    consented_member_ids: frozenset[int]
    declined_member_ids: frozenset[int]
    # Members that may not receive shared data now, with why (SharingGate.blocked).
    sharing_blocked: Mapping[int, str] = field(default_factory=dict)


@dataclass
class Reason:
    member_id: int | None
    member: str
    rule: str
    verdict: str  # "excluded", "set aside", "chosen", "none"
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "member_id": self.member_id,
            "member": self.member,
            "rule": self.rule,
            "verdict": self.verdict,
            "text": self.text,
        }


@dataclass
class RoutingResult:
    provider_id: int | None
    reasons: list[Reason] = field(default_factory=list)
    rules_applied: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        chosen = [r for r in self.reasons if r.verdict == "chosen"]
        return chosen[0].text if chosen else "No member fits: waiting for the coordinator."


# A rule takes the context and the remaining candidates, and returns those it keeps plus a
# reason for each one it drops.
RuleFn = Callable[[RoutingContext, list[Candidate]], tuple[list[Candidate], dict[int, str]]]


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str  # "filter" drops with verdict "excluded"; "prefer" sets aside
    fn: RuleFn
    description: str


RULES: dict[str, Rule] = {}


def rule(name: str, kind: str, description: str) -> Callable[[RuleFn], RuleFn]:
    def decorator(fn: RuleFn) -> RuleFn:
        RULES[name] = Rule(name=name, kind=kind, fn=fn, description=description)
        return fn

    return decorator


def _split(
    candidates: list[Candidate], keep: Callable[[Candidate], bool], why: Callable[[Candidate], str]
) -> tuple[list[Candidate], dict[int, str]]:
    kept = [c for c in candidates if keep(c)]
    dropped = {c.member_id: why(c) for c in candidates if not keep(c)}
    return kept, dropped


@rule(
    "sharing_agreement",
    "filter",
    "Only members that have signed the data sharing agreement in force.",
)
def _sharing_agreement(
    ctx: RoutingContext, cs: list[Candidate]
) -> tuple[list[Candidate], dict[int, str]]:
    # First of all: a gated member is not offered to residents either, so this (not "not named
    # in the consent") is the reason the coordinator needs to read.
    return _split(
        cs,
        lambda c: c.member_id not in ctx.sharing_blocked,
        lambda c: f"not offered: {ctx.sharing_blocked[c.member_id]}",
    )


@rule("consent", "filter", "Only members named in the resident's consent or notice.")
def _consent(ctx: RoutingContext, cs: list[Candidate]) -> tuple[list[Candidate], dict[int, str]]:
    return _split(
        cs,
        lambda c: c.member_id in ctx.consented_member_ids,
        lambda c: "not named in the resident's consent",
    )


@rule("offers_service", "filter", "Only members with an active offer of the service.")
def _offers(ctx: RoutingContext, cs: list[Candidate]) -> tuple[list[Candidate], dict[int, str]]:
    return _split(
        cs,
        lambda c: c.offer is not None and c.offer.is_active,
        lambda c: "does not offer this service at the moment",
    )


@rule("not_declined", "filter", "Never a member that declined this referral before.")
def _not_declined(
    ctx: RoutingContext, cs: list[Candidate]
) -> tuple[list[Candidate], dict[int, str]]:
    return _split(
        cs,
        lambda c: c.member_id not in ctx.declined_member_ids,
        lambda c: "declined this referral before",
    )


@rule("capacity", "filter", "Only members with capacity left this calendar month.")
def _capacity(ctx: RoutingContext, cs: list[Candidate]) -> tuple[list[Candidate], dict[int, str]]:
    return _split(
        cs,
        lambda c: c.routed_this_month < c.capacity,
        lambda c: f"no capacity left this month ({c.routed_this_month} of {c.capacity} used)",
    )


@rule("area", "filter", "Only members serving the resident's postcode district.")
def _area(ctx: RoutingContext, cs: list[Candidate]) -> tuple[list[Candidate], dict[int, str]]:
    def serves(c: Candidate) -> bool:
        areas = [a.upper() for a in (c.offer.areas if c.offer else [])]
        return not areas or not ctx.district or ctx.district.upper() in areas

    return _split(cs, serves, lambda c: f"does not serve {ctx.district or 'the area'}")


@rule("language", "filter", "Only members whose staff work in the resident's language.")
def _language(ctx: RoutingContext, cs: list[Candidate]) -> tuple[list[Candidate], dict[int, str]]:
    def speaks(c: Candidate) -> bool:
        languages = c.offer.languages if c.offer else []
        return not languages or ctx.language in languages

    return _split(cs, speaks, lambda c: f"staff do not work in '{ctx.language}'")


@rule("own_landlord", "prefer", "Prefer the resident's own landlord when it can take it.")
def _own_landlord(
    ctx: RoutingContext, cs: list[Candidate]
) -> tuple[list[Candidate], dict[int, str]]:
    if not any(c.member_id == ctx.landlord_id for c in cs):
        return cs, {}
    return _split(
        cs,
        lambda c: c.member_id == ctx.landlord_id,
        lambda c: "the resident's own landlord offers the service and is preferred",
    )


@rule("fair_share", "prefer", "The member with the least of its capacity used this month.")
def _fair_share(ctx: RoutingContext, cs: list[Candidate]) -> tuple[list[Candidate], dict[int, str]]:
    if not cs:
        return cs, {}
    # Deterministic: lowest share of capacity used, then fewest routed, then lowest member id.
    best = min(cs, key=lambda c: (c.load, c.routed_this_month, c.member_id))
    return _split(
        cs,
        lambda c: c is best,
        lambda c: (
            f"more of its capacity used this month ({c.routed_this_month} of "
            f"{c.capacity}) than {best.name} ({best.routed_this_month} of {best.capacity})"
        ),
    )


ALWAYS_FIRST = ("sharing_agreement", "consent", "offers_service", "not_declined")
DEFAULT_RULES = ("capacity", "area", "language", "own_landlord")
ALWAYS_LAST = ("fair_share",)


def rules_for(configured: list[str] | None) -> list[str]:
    """The rules a service routes by, with the mandatory ones added. Unknown names are an
    error: a misspelt rule must not silently route more widely than intended."""
    names = list(configured or DEFAULT_RULES)
    unknown = [n for n in names if n not in RULES]
    if unknown:
        raise ValueError(f"unknown routing rule(s): {', '.join(unknown)}")
    middle = [n for n in names if n not in ALWAYS_FIRST and n not in ALWAYS_LAST]
    return [*ALWAYS_FIRST, *middle, *ALWAYS_LAST]


def month_start(now: datetime | None = None) -> datetime:
    local = (now or timezone.now()).astimezone(LONDON)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def provider_load_this_month(service_id: int, member_ids: list[int]) -> dict[int, int]:
    """Referrals of this service currently with each member, routed this calendar month.

    Counting other members' referrals needs the consortium scope (row-level security hides them
    from the landlord's scope). Only counts leave it, never a row; the scope is audited.
    """
    if not member_ids:
        return {}
    with consortium_scope(reason="routing: provider load counts"):
        rows = (
            Referral.objects.filter(
                service_id=service_id,
                provider_id__in=member_ids,
                routed_at__gte=month_start(),
            )
            .exclude(status=ReferralStatus.DECLINED)
            .values("provider_id")
            .annotate(n=Count("id"))
        )
        return {row["provider_id"]: row["n"] for row in rows}


def candidates_for(service_id: int, consented_member_ids: frozenset[int]) -> list[Candidate]:
    """The members considered: those offering the service and those named in the consent."""
    offers = {o.member_id: o for o in Offer.objects.public().filter(service_id=service_id)}
    ids = set(offers) | set(consented_member_ids)
    members = list(Member.objects.filter(pk__in=ids).only("id", "short_name").order_by("pk"))
    load = provider_load_this_month(service_id, [m.pk for m in members if m.pk in offers])
    return [
        Candidate(
            member_id=m.pk,
            name=m.short_name,
            offer=offers.get(m.pk),
            routed_this_month=load.get(m.pk, 0),
        )
        for m in members
    ]


def route(ctx: RoutingContext, candidates: list[Candidate], rule_names: list[str]) -> RoutingResult:
    """Apply the rules in order. Pure: tests drive it with plain candidates."""
    result = RoutingResult(provider_id=None, rules_applied=rule_names)
    remaining = sorted(candidates, key=lambda c: c.member_id)
    for name in rule_names:
        current = RULES[name]
        kept, dropped = current.fn(ctx, remaining)
        verdict = "excluded" if current.kind == "filter" else "set aside"
        for candidate in remaining:
            if candidate.member_id in dropped:
                result.reasons.append(
                    Reason(
                        candidate.member_id,
                        candidate.name,
                        name,
                        verdict,
                        f"{candidate.name}: {dropped[candidate.member_id]}.",
                    )
                )
        remaining = kept
    if remaining:
        chosen = remaining[0]
        result.provider_id = chosen.member_id
        why = [RULES[n].description.rstrip(".").lower() for n in rule_names]
        result.reasons.append(
            Reason(
                chosen.member_id,
                chosen.name,
                "chosen",
                "chosen",
                f"{chosen.name} chosen: it passed every rule ({'; '.join(why)}).",
            )
        )
    else:
        result.reasons.append(
            Reason(None, "", "none", "none", "No member fits: waiting for the coordinator.")
        )
    return result
