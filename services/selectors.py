"""Reads of the catalogue: search, filters, eligibility, who could deliver a service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dataprotection.selectors import SharingGate, sharing_gate
from members.models import Member
from services.models import DeliveryMode, Offer, Service, ServiceStatus

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
        words = filters.query.split()[:8]
        for word in words:
            services = services.filter(
                Q(name__icontains=word)
                | Q(summary__icontains=word)
                | Q(description__icontains=word)
                | Q(kind__name__icontains=word)
                | Q(translations__name__icontains=word)
                | Q(translations__summary__icontains=word)
            )
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
