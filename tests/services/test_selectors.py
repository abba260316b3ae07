"""Catalogue reads: search, needs filters, eligibility and who may receive an application."""

from __future__ import annotations

import pytest

from services.models import ServiceStatus, ServiceTranslation
from services.selectors import (
    CatalogueFilters,
    service_candidate_members,
    service_eligibility_check,
    service_localise,
    service_search,
)
from tests.factories import MemberFactory, OfferFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def slugs(filters: CatalogueFilters) -> set[str]:
    return {s.slug for s in service_search(filters=filters)}


def test_search_finds_words_in_name_and_summary(service, offers) -> None:
    other = ServiceFactory(slug="digital", name="Digital skills", summary="Email and forms.")
    assert slugs(CatalogueFilters(query="search")) == {service.slug}
    assert slugs(CatalogueFilters(query="email")) == {other.slug}


def test_paused_services_are_not_listed(service, offers) -> None:
    service.status = ServiceStatus.PAUSED
    service.save()
    assert slugs(CatalogueFilters()) == set()


def test_filter_by_language_staff_speak(service, offers, member_a) -> None:
    assert slugs(CatalogueFilters(language="so")) == {service.slug}
    assert slugs(CatalogueFilters(language="pl")) == set()


def test_filter_by_area_counts_remote_delivery_as_reaching_everywhere(service, member_a) -> None:
    OfferFactory(member=member_a, service=service, areas=["B10"], delivery_modes=["in_person"])
    assert slugs(CatalogueFilters(district="B10")) == {service.slug}
    assert slugs(CatalogueFilters(district="M14")) == set()
    remote = ServiceFactory(slug="remote")
    OfferFactory(member=member_a, service=remote, areas=["B10"], delivery_modes=["phone"])
    assert slugs(CatalogueFilters(district="M14")) == {"remote"}


def test_inactive_offers_do_not_count(service, member_a) -> None:
    OfferFactory(member=member_a, service=service, languages=["pl"], is_active=False)
    assert slugs(CatalogueFilters(language="pl")) == set()


def test_eligibility_explains_each_reason(service) -> None:
    service.eligibility = {
        "tenant_of_member": True,
        "min_age": 18,
        "employment_statuses": ["employed"],
    }
    result = service_eligibility_check(
        service=service, age=16, employment_status="unemployed", tenant_of_member=False
    )
    assert not result.eligible
    assert len(result.reasons) == 3
    ok = service_eligibility_check(
        service=service, age=18, employment_status="employed", tenant_of_member=True
    )
    assert ok.eligible and ok.reasons == []


def test_candidates_are_the_landlord_and_providers_speaking_the_language_in_the_area(
    service, offers, member_a, member_b
) -> None:
    elsewhere = MemberFactory(slug="far-away")
    OfferFactory(
        member=elsewhere,
        service=service,
        areas=["M14"],
        languages=["so"],
        delivery_modes=["in_person"],
    )
    somali = service_candidate_members(
        service=service, district="E1", language="so", landlord=member_a
    )
    assert somali == sorted([member_a, member_b], key=lambda m: m.name)
    urdu = service_candidate_members(service=service, district="E1", language="ur", landlord=None)
    assert urdu == [member_a]
    # Nobody in the area speaks Polish: every provider in the area, with an interpreter.
    polish = service_candidate_members(service=service, district="E1", language="pl", landlord=None)
    assert set(polish) == {member_a, member_b}


def test_service_words_are_shown_in_the_residents_language_with_english_fallback(service) -> None:
    ServiceTranslation.objects.create(service=service, language="pl", name="Pomoc w szukaniu pracy")
    polish = service_localise([service], "pl")[0]
    assert polish.display_name == "Pomoc w szukaniu pracy"
    assert polish.display_summary == service.summary  # not translated: English
    assert service_localise([service], "ar")[0].display_name == service.name
