"""The Open Referral UK feed (HSDS 3.0, UK profile) of the shared services directory.

GET only, open without a key, `Access-Control-Allow-Origin: *` (profile_compliance.md). It
describes services and the members that deliver them (as organisations), never residents or
referrals, nor any member of staff.

Mapping: an HSDS service is delivered by one organisation, so each active offer of an open or
paused shared service is one HSDS service (the member's delivery of it); the shared service's
kind is a taxonomy term; the ways it is delivered are its locations (in person in the member's
areas, or virtual for phone and online). HSDS ids are UUIDs: ours are derived (uuid5) from the
row ids, so they are stable without a new column.

Every query parameter of the profile's `openapi.json` is read with the profile's meaning (see
`FeedFilters` in services/selectors.py and the README's "Open Referral UK feed"); a value that
cannot be read, and `proximity` (the portal has no postcode positions), answer 400 with a JSON
`detail`, never a silently unfiltered list. The feed's own OpenAPI document is `openapi.json`.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from applications.validation import clean_text
from kernel.calendar import LONDON
from members.models import Member
from services.feed_schema import MAX_PER_PAGE, MAX_SEARCH_LENGTH, feed_openapi
from services.forms import postcode_district_parse
from services.hours import weekday_parse
from services.models import (
    DeliveryMode,
    Offer,
    OpeningHours,
    Service,
    ServiceKind,
    ServiceStatus,
    Weekday,
)
from services.selectors import (
    MAX_SEARCH_WORDS,
    FeedFilters,
    age_limit,
    feed_offers,
    feed_offers_with_hours,
)

app_name = "openreferral"

HSDS_VERSION = "3.0"
PROFILE_URL = "https://github.com/openreferral/uk-profile"
NAMESPACE = uuid.UUID("2f1c7a52-9b1e-4f43-a5d8-6c3d0b8e7a10")
TAXONOMY_NAME = "Consortium service kinds"
DEFAULT_PER_PAGE = 50
FREE = "Free for residents of member associations"


def oruk_id(kind: str, pk: object) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{pk}"))


def _json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


class BadParameter(Exception):
    """A query parameter the feed cannot answer: a 400 that names it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def _cors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            response = _json({"detail": "Not found."}, status=404)
        except BadParameter as error:
            response = _json({"detail": error.message, "parameter": error.name}, status=400)
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=300"
        return response

    return require_GET(wrapper)


# --- Reading the query ---------------------------------------------------------------------------


def _param(request: HttpRequest, name: str) -> str:
    """The parameter's value with invisible characters dropped; '' when absent or blank."""
    return clean_text(request.GET.get(name, "")).strip()


def _whole_number(request: HttpRequest, name: str, default: int) -> int:
    raw = _param(request, name)
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < 1:
        raise BadParameter(name, f"{name} must be a whole number of 1 or more.")
    return int(raw)


def _age(request: HttpRequest, name: str) -> float | None:
    raw = _param(request, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or value > 150:
        raise BadParameter(name, f"{name} must be an age in years between 0 and 150, like 16.")
    return value


_TIME = re.compile(
    r"(?P<h>[01]\d|2[0-3]):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?"
    r"(?P<zone>Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?",
    re.IGNORECASE,
)


def _time(request: HttpRequest, name: str) -> time | None:
    """HH:MM or HH:MM:SS, in UK local time, or with Z or an offset from UTC (converted to UK
    local time as of today: opening hours are wall-clock times)."""
    raw = _param(request, name)
    if not raw:
        return None
    match = _TIME.fullmatch(raw)
    if match is None:
        raise BadParameter(
            name, f"{name} must be a time like 09:00 or 09:00:00 (UK time), or 08:00Z."
        )
    value = time(int(match["h"]), int(match["m"]), int(match["s"] or 0))
    zone = (match["zone"] or "").upper()
    if not zone:
        return value
    offset = timedelta(0)
    if zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = -offset if zone[0] == "-" else offset
    today = timezone.localdate()
    at_utc = datetime.combine(today, value, tzinfo=timezone.get_fixed_timezone(offset))
    return at_utc.astimezone(LONDON).time()


def _day(request: HttpRequest) -> int | None:
    raw = _param(request, "day")
    if not raw:
        return None
    day = weekday_parse(raw)
    if day is None:
        codes = ", ".join(d.code for d in Weekday)
        raise BadParameter(
            "day", f"day must be a day of the week: {codes} (or its English name, like Monday)."
        )
    return day


def _uuid(request: HttpRequest, name: str) -> str:
    raw = _param(request, name)
    if not raw:
        return ""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise BadParameter(name, f"{name} must be an id (a UUID) from this feed.") from None


def _search(request: HttpRequest) -> str:
    # `text` was this feed's name for it before the profile's `search`; kept for old clients.
    raw = _param(request, "search") or _param(request, "text")
    name = "search" if _param(request, "search") else "text"
    if len(raw) > MAX_SEARCH_LENGTH:
        raise BadParameter(name, f"search must be {MAX_SEARCH_LENGTH} characters or fewer.")
    if len(raw.split()) > MAX_SEARCH_WORDS:
        raise BadParameter(name, f"search takes up to {MAX_SEARCH_WORDS} words.")
    return raw


def _filters(request: HttpRequest) -> FeedFilters:
    if _param(request, "proximity"):
        raise BadParameter(
            "proximity",
            "proximity is not supported: this feed holds no positions of postcodes (no open "
            "postcode data is available to it offline), so it cannot measure a distance from "
            "one. Use postcode alone to find services whose area covers a postcode.",
        )
    postcode = _param(request, "postcode")
    district = ""
    if postcode:
        try:
            district = postcode_district_parse(postcode)
        except ValidationError:
            raise BadParameter(
                "postcode", "postcode must be a UK postcode, like E1 6AN, or its district, like E1."
            ) from None
    kind_ids: frozenset[int] | None = None
    term = _uuid(request, "taxonomy_term_id")
    if term:
        kinds = ServiceKind.objects.values_list("pk", flat=True)
        kind_ids = frozenset(pk for pk in kinds if oruk_id("kind", pk) == term)
    taxonomy = _uuid(request, "taxonomy_id")
    if taxonomy and taxonomy != _taxonomy()["id"]:
        kind_ids = frozenset()  # every term is in the feed's one taxonomy
    return FeedFilters(
        search=_search(request),
        kind_ids=kind_ids,
        minimum_age=_age(request, "minimum_age"),
        maximum_age=_age(request, "maximum_age"),
        weekday=_day(request),
        start_time=_time(request, "start_time"),
        end_time=_time(request, "end_time"),
        district=district,
    )


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int


def _paging(request: HttpRequest) -> Paging:
    page = _whole_number(request, "page", 1)
    # More than MAX_PER_PAGE is served MAX_PER_PAGE a page (size and total_pages say so), not
    # refused: a client asking for "everything" still pages through it.
    per_page = min(_whole_number(request, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    return Paging(page, per_page)


def _page(
    paging: Paging, items: Sequence[Any] | QuerySet[Any], render: Callable[[Any], dict[str, Any]]
) -> JsonResponse:
    """The profile's Page: total_items, total_pages, page_number (from 1), size (the entities on
    this page), first_page, last_page, empty (this page has none), and the contents."""
    total = items.count() if isinstance(items, QuerySet) else len(items)
    total_pages = max(math.ceil(total / paging.per_page), 1)
    start = (paging.page - 1) * paging.per_page
    chunk = list(items[start : start + paging.per_page]) if start < total else []
    return _json(
        {
            "total_items": total,
            "total_pages": total_pages,
            "page_number": paging.page,
            "size": len(chunk),
            "first_page": paging.page == 1,
            "last_page": paging.page >= total_pages,
            "empty": len(chunk) == 0,
            "contents": [render(item) for item in chunk],
        }
    )


# --- Rendering --------------------------------------------------------------------------------


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
        "fees": FREE if (service.eligibility or {}).get("tenant_of_member") else "Free",
        "last_modified": offer.updated_at.isoformat(),
        "organization": _organization(offer.member),
    }
    rules = service.eligibility or {}
    minimum, maximum = age_limit(rules.get("min_age")), age_limit(rules.get("max_age"))
    if minimum is not None:
        data["minimum_age"] = minimum
    if maximum is not None:
        data["maximum_age"] = maximum
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
    """One location per way the offer is delivered; in person at the position the service lead
    entered, when there is one."""
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
        if mode == DeliveryMode.IN_PERSON:
            if offer.areas:
                location["description"] = "Postcode districts: " + ", ".join(offer.areas)
            if offer.latitude is not None and offer.longitude is not None:
                location["latitude"] = float(offer.latitude)
                location["longitude"] = float(offer.longitude)
        locations.append(location)
    return locations


def _service_at_locations(offer: Offer) -> list[dict[str, Any]]:
    return [
        {
            "id": oruk_id("sal", location["id"]),
            "service_id": oruk_id("offer", offer.pk),
            "location_id": location["id"],
            "location": location,
        }
        for location in _locations(offer)
    ]


def _schedule(service_id: str, row: OpeningHours) -> dict[str, Any]:
    day = Weekday(row.weekday)
    opens, closes = f"{row.opens_at:%H:%M}", f"{row.closes_at:%H:%M}"
    return {
        "id": oruk_id("schedule", row.pk),
        "service_id": service_id,
        "freq": "WEEKLY",
        "interval": 1,
        "byday": day.code,
        # UK local time, without an offset: a weekly time is the same on the clock all year,
        # while the UK's offset from UTC changes twice a year (the description says so).
        "opens_at": opens,
        "closes_at": closes,
        "description": f"{day.name.title()} {opens} to {closes}, UK time (Europe/London).",
    }


def _contacts(service_id: str, member: Member) -> list[dict[str, Any]]:
    """The delivering member's public contact point (its own published email and phone), never
    a member of staff. `email` and `phones` are HSDS 3.0 contact fields the UK profile does not
    list; it allows further properties that do not conflict."""
    if not (member.email or member.phone):
        return []
    contact_id = oruk_id("contact", member.pk)
    contact: dict[str, Any] = {
        "id": contact_id,
        "service_id": service_id,
        "name": f"{member.name} enquiries",
    }
    if member.email:
        contact["email"] = member.email
    if member.phone:
        contact["phones"] = [
            {"id": oruk_id("phone", member.pk), "contact_id": contact_id, "number": member.phone}
        ]
    return [contact]


def _cost_options(service_id: str, service: Service) -> list[dict[str, Any]]:
    # Every shared service is free to the residents it is for (the catalogue says so); amounts are
    # in pounds sterling (the profile's cost_option has no currency field).
    for_tenants = bool((service.eligibility or {}).get("tenant_of_member"))
    return [
        {
            "id": oruk_id("cost", service_id),
            "service_id": service_id,
            "option": "Residents of member housing associations" if for_tenants else "Everyone",
            "amount": 0,
            "amount_description": FREE if for_tenants else "Free",
        }
    ]


def _service_full(offer: Offer) -> dict[str, Any]:
    service_id = oruk_id("offer", offer.pk)
    data = _service_core(offer)
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
    data["contacts"] = _contacts(service_id, offer.member)
    data["schedules"] = [_schedule(service_id, row) for row in getattr(offer, "feed_hours", [])]
    # Who funds each member's delivery is not recorded in the portal: left empty, not guessed.
    data["funding"] = []
    data["cost_options"] = _cost_options(service_id, offer.service)
    return data


# --- Endpoints --------------------------------------------------------------------------------


@_cors
def index(request: HttpRequest) -> HttpResponse:
    return _json(
        {
            "version": HSDS_VERSION,
            "profile": PROFILE_URL,
            "openapi_url": _absolute(reverse("openreferral:openapi")),
        }
    )


@_cors
def openapi(request: HttpRequest) -> HttpResponse:
    return _json(feed_openapi(server_url=_absolute(reverse("openreferral:index")).rstrip("/")))


@_cors
def services(request: HttpRequest) -> HttpResponse:
    paging, filters = _paging(request), _filters(request)
    return _page(paging, feed_offers(filters=filters), _service_core)


def _offer_pk(oruk: str, ids: Callable[[int, list[str]], list[str]]) -> int:
    """The pk of the published offer one of whose ids is `oruk`, or 404."""
    try:
        uuid.UUID(oruk)
    except ValueError:
        raise Http404 from None
    for pk, modes in feed_offers(filters=FeedFilters()).values_list("pk", "delivery_modes"):
        if oruk in ids(pk, modes):
            return int(pk)
    raise Http404


def _published_offer(pk: int) -> Offer:
    offer = feed_offers_with_hours(feed_offers(filters=FeedFilters()).filter(pk=pk)).first()
    if offer is None:
        raise Http404
    return offer


@_cors
def service_detail(request: HttpRequest, oruk: str) -> HttpResponse:
    offer = _published_offer(_offer_pk(oruk, lambda pk, modes: [oruk_id("offer", pk)]))
    return _json(_service_full(offer))


def _taxonomy() -> dict[str, Any]:
    return {
        "id": oruk_id("taxonomy", "kinds"),
        "name": TAXONOMY_NAME,
        "description": "The kinds of shared service the consortium's members deliver.",
    }


@_cors
def taxonomies(request: HttpRequest) -> HttpResponse:
    return _page(_paging(request), [_taxonomy()], lambda t: t)


@_cors
def taxonomy_detail(request: HttpRequest, oruk: str) -> HttpResponse:
    if oruk != oruk_id("taxonomy", "kinds"):
        raise Http404
    data = _taxonomy()
    data["taxonomy_terms"] = [_term(k) for k in ServiceKind.objects.all()]
    return _json(data)


@_cors
def taxonomy_terms(request: HttpRequest) -> HttpResponse:
    return _page(_paging(request), ServiceKind.objects.all(), _term)


@_cors
def taxonomy_term_detail(request: HttpRequest, oruk: str) -> HttpResponse:
    for kind in ServiceKind.objects.all():
        if oruk_id("kind", kind.pk) == oruk:
            return _json(_term(kind))
    raise Http404


def _sal_render(pair: tuple[Offer, dict[str, Any]]) -> dict[str, Any]:
    offer, item = pair
    return {**item, "service": _service_core(offer)}


@_cors
def service_at_locations(request: HttpRequest) -> HttpResponse:
    paging, filters = _paging(request), _filters(request)
    pairs = [
        (offer, item)
        for offer in feed_offers(filters=filters)
        for item in _service_at_locations(offer)
    ]
    return _page(paging, pairs, _sal_render)


def _sal_ids(pk: int, modes: list[str]) -> list[str]:
    return [oruk_id("sal", oruk_id("location", f"{pk}:{mode}")) for mode in modes]


@_cors
def service_at_location_detail(request: HttpRequest, oruk: str) -> HttpResponse:
    """The service at a location, fully nested: its location, and its service with everything
    the service's own page has except the list of its other locations."""
    offer = _published_offer(_offer_pk(oruk, _sal_ids))
    for item in _service_at_locations(offer):
        if item["id"] == oruk:
            service = _service_full(offer)
            del service["service_at_locations"]
            return _json({**item, "service": service})
    raise Http404


urlpatterns: list[URLPattern] = [
    path("", index, name="index"),
    path("openapi.json", openapi, name="openapi"),
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
