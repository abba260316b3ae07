"""The public catalogue, and a member's service lead managing the member's own offers."""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from applications.views import error_summary
from members.access import access_member_owned_by_id
from members.actor import Actor, MemberActor
from members.pages import staff_page
from members.permissions import Perm
from services.forms import CatalogueFilterForm, EligibilityCheckForm, OfferForm
from services.hours import Session
from services.models import DeliveryMode, Offer, ServiceStatus
from services.selectors import (
    CatalogueFilters,
    offers_for_member,
    service_eligibility_asks,
    service_eligibility_check,
    service_get_for_directory,
    service_localise,
    service_search,
)
from services.services import offer_create, offer_update


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    """The public list of shared services: where a resident starts."""
    form = CatalogueFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else CatalogueFilters()
    services = service_localise(service_search(filters=filters), _language())
    return render(
        request,
        "services/catalogue.html",
        {
            "services": services,
            "form": form,
            "errors": error_summary(form) if form.is_bound else [],
            "filtered": any(vars(filters).values()),
        },
    )


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    service = service_get_for_directory(slug=slug)
    if service is None:
        raise Http404("No such service.")
    service = service_localise([service], _language())[0]
    offers = getattr(service, "active_offers", [])
    languages = sorted({code for offer in offers for code in offer.languages})
    modes = sorted({mode for offer in offers for mode in offer.delivery_modes})
    translations = getattr(service, "question_translations", {})
    questions = [
        (translations.get(q.key) or {}).get("text") or q.text for q in service.questions.all()
    ]
    return render(
        request,
        "services/detail.html",
        {
            "service": service,
            "offers": offers,
            "languages": [settings.LANGUAGE_NATIVE_NAMES.get(c, c) for c in languages],
            "modes": [DeliveryMode(m).label for m in modes if m in DeliveryMode.values],
            "questions": questions,
            "is_open": service.status == ServiceStatus.OPEN,
            "asks": service_eligibility_asks(service),
        },
    )


@require_http_methods(["GET", "POST"])
def eligibility(request: HttpRequest, slug: str) -> HttpResponse:
    service = service_get_for_directory(slug=slug)
    if service is None:
        raise Http404("No such service.")
    service = service_localise([service], _language())[0]
    asks = service_eligibility_asks(service)
    form = EligibilityCheckForm(request.POST or None, asks=asks)
    result = None
    if request.method == "POST" and form.is_valid():
        tenant = form.cleaned_data.get("tenant")
        result = service_eligibility_check(
            service=service,
            age=form.cleaned_data.get("age"),
            employment_status=form.cleaned_data.get("employment_status"),
            tenant_of_member=None if tenant in (None, "not_sure") else tenant == "yes",
        )
    return render(
        request,
        "services/eligibility.html",
        {
            "service": service,
            "form": form,
            "result": result,
            "unsure": form.is_bound
            and form.is_valid()
            and form.cleaned_data.get("tenant") == "not_sure",
            "errors": error_summary(form) if form.is_bound else [],
            "is_open": service.status == ServiceStatus.OPEN,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- A member's offers ------------------------------------------------------------------------


def access_offer_by_id(actor: Actor, offer_id: object) -> Offer:
    """The actor's member's own offer, or the same 404 for missing and not-yours."""
    return access_member_owned_by_id(actor, Offer, offer_id, select_related=("service",))


# Only a member's service lead manages its offers.
@staff_page(Perm.MANAGE_OFFERS, member=True)
@require_GET
def offer_list(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    return render(
        request,
        "services/offer_list.html",
        {"offers": offers_for_member(member_id=actor.member_id)},
    )


class OfferValues(TypedDict):
    """What the offer form gives offer_create and offer_update."""

    capacity_per_month: int
    areas: list[str]
    languages: list[str]
    delivery_modes: list[str]
    is_active: bool
    opening_hours: list[Session]
    latitude: Decimal | None
    longitude: Decimal | None


def _offer_values(form: OfferForm) -> OfferValues:
    data = form.cleaned_data
    return {
        "capacity_per_month": data["capacity_per_month"],
        "areas": data["areas_text"],
        "languages": sorted(data["languages"]),
        "delivery_modes": sorted(data["delivery_modes"]),
        "is_active": data.get("is_active", False),
        "opening_hours": data["opening_hours_text"],
        "latitude": data.get("latitude"),
        "longitude": data.get("longitude"),
    }


@staff_page(Perm.MANAGE_OFFERS, member=True)
@require_http_methods(["GET", "POST"])
def offer_new(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    form = OfferForm(
        request.POST or None,
        member_id=actor.member_id,
        initial={"is_active": True, "languages": ["en"]},
    )
    if request.method == "POST" and form.is_valid():
        offer_create(actor=actor, service=form.cleaned_data["service"], **_offer_values(form))
        messages.success(request, _("Offer added."))
        return redirect("services:offer_list")
    return render(
        request,
        "services/offer_form.html",
        {"form": form, "offer": None, "errors": error_summary(form) if form.is_bound else []},
        status=400 if form.is_bound and form.errors else 200,
    )


@staff_page(Perm.MANAGE_OFFERS, member=True)
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, actor: MemberActor, offer_id: int) -> HttpResponse:
    offer = access_offer_by_id(actor, offer_id)
    form = OfferForm(request.POST or None, instance=offer, member_id=actor.member_id)
    if request.method == "POST" and form.is_valid():
        offer = access_offer_by_id(actor, offer_id)  # a fresh copy: the form changed the instance
        offer_update(actor=actor, offer=offer, **_offer_values(form))
        messages.success(request, _("Offer saved."))
        return redirect("services:offer_list")
    return render(
        request,
        "services/offer_form.html",
        {"form": form, "offer": offer, "errors": error_summary(form) if form.is_bound else []},
        status=400 if form.is_bound and form.errors else 200,
    )
