"""Reads of the catalogue: search, filters, eligibility, who could deliver a service."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Any

from django.db.models import CharField, Count, Exists, Func, OuterRef, Prefetch, Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext_lazy as _

from dataprotection.selectors import SharingGate, sharing_gate
from members.models import Member
from services.models import DeliveryMode, Offer, OpeningHours, Service, ServiceStatus

EMPLOYMENT_STATUSES: list[tuple[str, Any]] = [
    ("employed", _("Employed")),
    ("self_employed", _("Self-employed")),
    ("part_time", _("Working part time")),
    ("unemployed", _("Not working and looking for work")),
    ("student", _("In education or training")),
    ("not_looking", _("Not working and not looking for work")),
]


def service_list_open() -> QuerySet[Service]:
    return (
        Service.objects.filter(status=ServiceStatus.OPEN)
        .select_related("kind")
        .annotate(provider_count=Count("offers", filter=Q(offers__is_active=True)))
        .order_by("kind__order", "name")
    )


def _active_offers() -> QuerySet[Offer]:
    # Offers are public to read (the directory), so no member scope is needed.
    return Offer.objects.public().filter(is_active=True)


@dataclass(frozen=True)
class CatalogueFilters:
    query: str = ""
    kind: str = ""
    language: str = ""
    delivery_mode: str = ""
    district: str = ""


def service_search(*, filters: CatalogueFilters) -> QuerySet[Service]:
    """Open services matching the resident's words and needs. A need (language, delivery mode,
    area) matches when at least one active offer of the service meets it."""
    services = service_list_open()
    if filters.kind:
        services = services.filter(kind__slug=filters.kind)
    if filters.query:
        services = services_matching_words(services, filters.query)
    offers = _active_offers()
    need_offer = False
    if filters.language:
        offers = offers.filter(languages__contains=[filters.language])
        need_offer = True
    if filters.delivery_mode in DeliveryMode.values:
        offers = offers.filter(delivery_modes__contains=[filters.delivery_mode])
        need_offer = True
    if filters.district:
        offers = offers_serving_district(offers, filters.district)
        need_offer = True
    if need_offer:
        services = services.filter(pk__in=offers.values("service_id"))
    return services.distinct()


MAX_SEARCH_WORDS = 8


def services_matching_words(services: QuerySet[Service], query: str) -> QuerySet[Service]:
    """Services in which every word of the query (the first eight) appears, ignoring case, in
    the name, summary, description or kind, or in a translation's name or summary. The join on
    translations can repeat a service: callers use `.distinct()` or a subquery."""
    for word in query.split()[:MAX_SEARCH_WORDS]:
        services = services.filter(
            Q(name__icontains=word)
            | Q(summary__icontains=word)
            | Q(description__icontains=word)
            | Q(kind__name__icontains=word)
            | Q(translations__name__icontains=word)
            | Q(translations__summary__icontains=word)
        )
    return services


def offers_serving_district(offers: QuerySet[Offer], district: str) -> QuerySet[Offer]:
    """An offer with no areas serves anywhere; otherwise the district must be listed. Phone and
    online delivery reach any district."""
    return offers.filter(
        Q(areas=[])
        | Q(areas__contains=[district.upper()])
        | Q(delivery_modes__contains=[DeliveryMode.PHONE])
        | Q(delivery_modes__contains=[DeliveryMode.ONLINE])
    )


def service_get_open(*, slug: str) -> Service | None:
    return (
        Service.objects.filter(slug=slug, status=ServiceStatus.OPEN)
        .select_related("kind")
        .prefetch_related("questions")
        .first()
    )


def service_get_for_directory(*, slug: str) -> Service | None:
    """Open or paused: a paused service is still described, but cannot be applied for."""
    return (
        Service.objects.filter(slug=slug)
        .select_related("kind")
        .prefetch_related(
            "questions",
            Prefetch(
                "offers",
                queryset=_active_offers().select_related("member").order_by("member__name"),
                to_attr="active_offers",
            ),
        )
        .first()
    )


def service_offers_active(*, service: Service) -> QuerySet[Offer]:
    return _active_offers().filter(service=service).select_related("member")


def service_candidate_members(
    *,
    service: Service,
    district: str,
    language: str,
    landlord: Member | None,
    gate: SharingGate | None = None,
) -> list[Member]:
    """The members who may receive an application: the resident's landlord, and the members
    whose active offer could deliver the service to this resident (their area, and their
    language where any provider speaks it; otherwise every provider in the area, who will use an
    interpreter). The resident's consent names exactly these.

    A member that may not receive shared data now (it has not signed the data sharing agreement
    in force: dataprotection/selectors.py) is never offered, the landlord included; the gate is
    applied before the language preference, so a gated speaker of the resident's language does
    not hide the others. `gate` is today's unless given (the demo's history passes its own)."""
    gate = gate or sharing_gate()
    blocked = list(gate.blocked)
    in_area = offers_serving_district(service_offers_active(service=service), district).exclude(
        member_id__in=blocked
    )
    speaking = in_area.filter(languages__contains=[language]) if language else in_area
    offers = speaking if speaking.exists() else in_area
    members = {offer.member for offer in offers}
    if landlord is not None and gate.allows(landlord.pk):
        members.add(landlord)
    return sorted(members, key=lambda m: m.name)


@dataclass
class EligibilityResult:
    eligible: bool
    reasons: list[str] = field(default_factory=list)


def service_eligibility_check(
    *,
    service: Service,
    age: int | None,
    employment_status: str | None,
    tenant_of_member: bool | None,
) -> EligibilityResult:
    """Service.eligibility, read: {"tenant_of_member": bool, "min_age": int, "max_age": int,
    "employment_statuses": [...]}. Unknown keys are ignored (an administrator may add notes)."""
    rules = service.eligibility or {}
    reasons: list[str] = []
    if rules.get("tenant_of_member") and tenant_of_member is False:
        reasons.append(str(_("This service is for residents of the member housing associations.")))
    min_age = rules.get("min_age")
    if isinstance(min_age, int) and age is not None and age < min_age:
        reasons.append(
            str(_("You need to be %(age)s or older to use this service.") % {"age": min_age})
        )
    max_age = rules.get("max_age")
    if isinstance(max_age, int) and age is not None and age > max_age:
        reasons.append(
            str(_("This service is for people aged %(age)s or younger.") % {"age": max_age})
        )
    statuses = rules.get("employment_statuses")
    if statuses and employment_status and employment_status not in statuses:
        labels = dict(EMPLOYMENT_STATUSES)
        names = ", ".join(str(labels.get(s, s)).lower() for s in statuses)
        reasons.append(
            str(_("This service is for people who are: %(statuses)s.") % {"statuses": names})
        )
    return EligibilityResult(eligible=not reasons, reasons=reasons)


def service_eligibility_asks(service: Service) -> dict[str, bool]:
    """Which eligibility questions the service needs asked."""
    rules = service.eligibility or {}
    return {
        "age": isinstance(rules.get("min_age"), int) or isinstance(rules.get("max_age"), int),
        "employment_status": bool(rules.get("employment_statuses")),
        "tenant_of_member": bool(rules.get("tenant_of_member")),
    }


def offers_for_member(*, member_id: int) -> QuerySet[Offer]:
    return Offer.objects.for_member(member_id).select_related("service").order_by("service__name")


def service_localise(services: list[Service] | QuerySet[Service], language: str) -> list[Service]:
    """Set `display_name`, `display_summary`, `display_description` on each service in the
    resident's language, falling back to English field by field (the administrator's words in
    services.ServiceTranslation)."""
    items = list(services)
    by_service: dict[int, Any] = {}
    if language and language != "en" and items:
        from services.models import ServiceTranslation

        for row in ServiceTranslation.objects.filter(
            service__in=[s.pk for s in items], language=language
        ):
            by_service[row.service_id] = row
    for service in items:
        translation = by_service.get(service.pk)
        service.display_name = (translation and translation.name) or service.name  # type: ignore[attr-defined]
        service.display_summary = (translation and translation.summary) or service.summary  # type: ignore[attr-defined]
        service.display_description = (  # type: ignore[attr-defined]
            translation and translation.description
        ) or service.description
        service.question_translations = (translation and translation.questions) or {}  # type: ignore[attr-defined]
    return items


# --- The Open Referral UK feed -----------------------------------------------------------------


def age_limit(value: object) -> int | float | None:
    """An age in Service.eligibility as the feed publishes it: a JSON number, never a boolean."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


@dataclass(frozen=True)
class FeedFilters:
    """What an Open Referral client asked for, already validated (services/feeds.py). Each filter
    left at its default does not narrow the result."""

    search: str = ""
    kind_ids: frozenset[int] | None = None  # None: any kind; empty: no kind matches
    minimum_age: float | None = None
    maximum_age: float | None = None
    weekday: int | None = None
    start_time: time | None = None
    end_time: time | None = None
    district: str = ""


def _json_number(path: str, key: str) -> Func:
    return Func(KeyTransform(key, path), function="jsonb_typeof", output_field=CharField())


def feed_offers(*, filters: FeedFilters) -> QuerySet[Offer]:
    """The offers the feed publishes (each is one HSDS service), narrowed as the UK profile's
    parameters say, in the feed's order. Every filter is one SQL condition, so a page costs the
    same number of queries whatever the filters and the data.

    - search: every word is in the service's words (`services_matching_words`, as the catalogue);
    - kind_ids: the service's kind (its taxonomy term);
    - minimum_age: the service states a minimum age of at least this ("minimum age of at least");
      maximum_age: it states a maximum age at or below this; a service stating none is left out;
    - weekday, start_time, end_time: one weekly session is on that day, opens at or after
      start_time and closes at or before end_time (all given conditions hold for one session);
    - district: the offer serves it (its areas list it, or it has none: "anywhere").
    """
    offers = Offer.objects.public().filter(
        is_active=True, service__status__in=[ServiceStatus.OPEN, ServiceStatus.PAUSED]
    )
    if filters.search:
        matching = services_matching_words(Service.objects.all(), filters.search)
        offers = offers.filter(service__in=matching.values("pk"))
    if filters.kind_ids is not None:
        offers = offers.filter(service__kind_id__in=filters.kind_ids)
    if filters.minimum_age is not None:
        offers = offers.alias(min_age_type=_json_number("service__eligibility", "min_age")).filter(
            min_age_type="number", service__eligibility__min_age__gte=filters.minimum_age
        )
    if filters.maximum_age is not None:
        offers = offers.alias(max_age_type=_json_number("service__eligibility", "max_age")).filter(
            max_age_type="number", service__eligibility__max_age__lte=filters.maximum_age
        )
    if any(v is not None for v in (filters.weekday, filters.start_time, filters.end_time)):
        sessions = OpeningHours.objects.public().filter(offer=OuterRef("pk"))
        if filters.weekday is not None:
            sessions = sessions.filter(weekday=filters.weekday)
        if filters.start_time is not None:
            sessions = sessions.filter(opens_at__gte=filters.start_time)
        if filters.end_time is not None:
            sessions = sessions.filter(closes_at__lte=filters.end_time)
        offers = offers.filter(Exists(sessions))
    if filters.district:
        offers = offers.filter(Q(areas=[]) | Q(areas__contains=[filters.district]))
    return offers.select_related("service", "service__kind", "member").order_by(
        "service__name", "member__name", "pk"
    )


def feed_offers_with_hours(offers: QuerySet[Offer]) -> QuerySet[Offer]:
    """The offers with their weekly sessions in `offer.feed_hours` (one more query)."""
    return offers.prefetch_related(
        Prefetch(
            "opening_hours",
            queryset=OpeningHours.objects.public().order_by("weekday", "opens_at"),
            to_attr="feed_hours",
        )
    )
