"""The Open Referral UK feed (HSDS 3.0, UK profile) of the shared services directory.

GET only, open without a key, `Access-Control-Allow-Origin: *` (profile_compliance.md). It
describes services and the members that deliver them (as organisations), never residents or
referrals.

Mapping: an HSDS service is delivered by one organisation, so each active offer of an open or
paused shared service is one HSDS service (the member's delivery of it); the shared service's
kind is a taxonomy term; the ways it is delivered are its locations (in person in the member's
areas, or virtual for phone and online). HSDS ids are UUIDs: ours are derived (uuid5) from the
row ids, so they are stable without a new column.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET

from members.models import Member
from services.models import DeliveryMode, Offer, Service, ServiceKind, ServiceStatus

app_name = "openreferral"

HSDS_VERSION = "3.0"
PROFILE_URL = "https://github.com/openreferral/uk-profile"
NAMESPACE = uuid.UUID("2f1c7a52-9b1e-4f43-a5d8-6c3d0b8e7a10")
TAXONOMY_NAME = "Consortium service kinds"
MAX_PER_PAGE = 100


def oruk_id(kind: str, pk: object) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{pk}"))


def _cors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            response = JsonResponse({"detail": "Not found."}, status=404)
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=300"
        return response

    return require_GET(wrapper)


def _offers() -> list[Offer]:
    return list(
        Offer.objects.public()
        .filter(is_active=True, service__status__in=[ServiceStatus.OPEN, ServiceStatus.PAUSED])
        .select_related("service", "service__kind", "member")
        .order_by("service__name", "member__name", "pk")
    )


def _page(
    request: HttpRequest, items: list[Any], render: Callable[[Any], dict[str, Any]]
) -> JsonResponse:
    try:
        page = max(int(request.GET.get("page", 1)), 1)
        per_page = min(max(int(request.GET.get("per_page", 50)), 1), MAX_PER_PAGE)
    except ValueError:
        return JsonResponse({"detail": "page and per_page must be whole numbers."}, status=400)
    total = len(items)
    total_pages = max(math.ceil(total / per_page), 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    return JsonResponse(
        {
            "total_items": total,
            "total_pages": total_pages,
            "page_number": page,
            "size": len(chunk),
            "first_page": page == 1,
            "last_page": page >= total_pages,
            "empty": len(chunk) == 0,
            "contents": [render(item) for item in chunk],
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _absolute(path_: str) -> str:
    return str(settings.SITE_URL or "").rstrip("/") + path_


def _organization(member: Member) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": oruk_id("member", member.pk),
        "name": member.name,
        "description": member.description or member.name,
    }
    if member.email:
        data["email"] = member.email
    if member.website:
        data["website"] = member.website
    return data


def _status(service: Service) -> str:
    return "active" if service.status == ServiceStatus.OPEN else "temporarily closed"


def _service_core(offer: Offer) -> dict[str, Any]:
    service = offer.service
    data: dict[str, Any] = {
        "id": oruk_id("offer", offer.pk),
        "organization_id": oruk_id("member", offer.member_id),
        "name": service.name,
        "description": service.description,
        "url": _absolute(reverse("services:detail", args=[service.slug])),
        "status": _status(service),
        "fees": "Free",
        "last_modified": offer.updated_at.isoformat(),
    }
    rules = service.eligibility or {}
    if isinstance(rules.get("min_age"), int):
        data["minimum_age"] = rules["min_age"]
    if isinstance(rules.get("max_age"), int):
        data["maximum_age"] = rules["max_age"]
    return data


def _term(kind: ServiceKind) -> dict[str, Any]:
    return {
        "id": oruk_id("kind", kind.pk),
        "name": kind.name,
        "description": kind.description or kind.name,
        "taxonomy": TAXONOMY_NAME,
        "taxonomy_id": oruk_id("taxonomy", "kinds"),
        "term": kind.slug,
    }


def _locations(offer: Offer) -> list[dict[str, Any]]:
    """One location per way the offer is delivered."""
    locations = []
    for mode in offer.delivery_modes:
        if mode not in DeliveryMode.values:
            continue
        label = str(DeliveryMode(mode).label)
        location: dict[str, Any] = {
            "id": oruk_id("location", f"{offer.pk}:{mode}"),
            "location_type": "physical" if mode == DeliveryMode.IN_PERSON else "virtual",
            "name": f"{offer.member.name}: {label}",
        }
        if mode == DeliveryMode.IN_PERSON and offer.areas:
            location["description"] = "Postcode districts: " + ", ".join(offer.areas)
        locations.append(location)
    return locations


def _service_at_locations(offer: Offer) -> list[dict[str, Any]]:
    items = []
    for location in _locations(offer):
        items.append(
            {
                "id": oruk_id("sal", location["id"]),
                "service_id": oruk_id("offer", offer.pk),
                "location_id": location["id"],
                "location": location,
            }
        )
    return items


def _service_full(offer: Offer) -> dict[str, Any]:
    service_id = oruk_id("offer", offer.pk)
    data = _service_core(offer)
    data["organization"] = _organization(offer.member)
    data["service_areas"] = [
        {
            "id": oruk_id("area", f"{offer.pk}:{area}"),
            "service_id": service_id,
            "name": area,
            "extent_type": "postcode_district",
            "service_area": area,
        }
        for area in offer.areas
    ]
    data["languages"] = [
        {
            "id": oruk_id("language", f"{offer.pk}:{code}"),
            "service_id": service_id,
            "name": code,
            "code": code,
        }
        for code in offer.languages
    ]
    data["service_at_locations"] = _service_at_locations(offer)
    data["attributes"] = [
        {
            "id": oruk_id("attribute", offer.pk),
            "link_id": service_id,
            "link_type": "service",
            "taxonomy_term_id": oruk_id("kind", offer.service.kind_id),
            "taxonomy_term": _term(offer.service.kind),
        }
    ]
    data["contacts"] = []
    data["schedules"] = []
    data["funding"] = []
    data["cost_options"] = []
    return data


def _offer_by_oruk_id(value: str, maker: Callable[[Offer], list[str]]) -> Offer:
    try:
        uuid.UUID(value)
    except ValueError:
        raise Http404 from None
    for offer in _offers():
        if value in maker(offer):
            return offer
    raise Http404


@_cors
def index(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        {
            "version": HSDS_VERSION,
            "profile": PROFILE_URL,
            "openapi_url": "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/openapi.json",
        }
    )


@_cors
def services(request: HttpRequest) -> HttpResponse:
    offers = _offers()
    text = request.GET.get("text", "").strip().lower()[:100]
    if text:
        offers = [
            o
            for o in offers
            if text in o.service.name.lower() or text in o.service.description.lower()
        ]
    term = request.GET.get("taxonomy_term_id", "")
    if term:
        offers = [o for o in offers if oruk_id("kind", o.service.kind_id) == term]

    def render(offer: Offer) -> dict[str, Any]:
        data = _service_core(offer)
        data["organization"] = _organization(offer.member)
        return data

    return _page(request, offers, render)


@_cors
def service_detail(request: HttpRequest, oruk: str) -> HttpResponse:
    offer = _offer_by_oruk_id(oruk, lambda o: [oruk_id("offer", o.pk)])
    return JsonResponse(_service_full(offer), json_dumps_params={"ensure_ascii": False})


def _taxonomy() -> dict[str, Any]:
    return {
        "id": oruk_id("taxonomy", "kinds"),
        "name": TAXONOMY_NAME,
        "description": "The kinds of shared service the consortium's members deliver.",
    }


@_cors
def taxonomies(request: HttpRequest) -> HttpResponse:
    return _page(request, [_taxonomy()], lambda t: t)


@_cors
def taxonomy_detail(request: HttpRequest, oruk: str) -> HttpResponse:
    if oruk != oruk_id("taxonomy", "kinds"):
        raise Http404
    data = _taxonomy()
    data["taxonomy_terms"] = [_term(k) for k in ServiceKind.objects.all()]
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@_cors
def taxonomy_terms(request: HttpRequest) -> HttpResponse:
    return _page(request, list(ServiceKind.objects.all()), _term)


@_cors
def taxonomy_term_detail(request: HttpRequest, oruk: str) -> HttpResponse:
    for kind in ServiceKind.objects.all():
        if oruk_id("kind", kind.pk) == oruk:
            return JsonResponse(_term(kind), json_dumps_params={"ensure_ascii": False})
    raise Http404


def _all_service_at_locations() -> list[tuple[Offer, dict[str, Any]]]:
    return [(offer, item) for offer in _offers() for item in _service_at_locations(offer)]


def _sal_render(pair: tuple[Offer, dict[str, Any]]) -> dict[str, Any]:
    offer, item = pair
    data = dict(item)
    service = _service_core(offer)
    service["organization"] = _organization(offer.member)
    data["service"] = service
    return data


@_cors
def service_at_locations(request: HttpRequest) -> HttpResponse:
    return _page(request, _all_service_at_locations(), _sal_render)


@_cors
def service_at_location_detail(request: HttpRequest, oruk: str) -> HttpResponse:
    for pair in _all_service_at_locations():
        if pair[1]["id"] == oruk:
            return JsonResponse(_sal_render(pair), json_dumps_params={"ensure_ascii": False})
    raise Http404


urlpatterns: list[URLPattern] = [
    path("", index, name="index"),
    path("services", services, name="services"),
    path("services/<str:oruk>", service_detail, name="service_detail"),
    path("taxonomies", taxonomies, name="taxonomies"),
    path("taxonomies/<str:oruk>", taxonomy_detail, name="taxonomy_detail"),
    path("taxonomy_terms", taxonomy_terms, name="taxonomy_terms"),
    path("taxonomy_terms/<str:oruk>", taxonomy_term_detail, name="taxonomy_term_detail"),
    path("service_at_locations", service_at_locations, name="service_at_locations"),
    path(
        "service_at_locations/<str:oruk>",
        service_at_location_detail,
        name="service_at_location_detail",
    ),
]
