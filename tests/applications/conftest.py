"""A shared service with questions, offered by member A (English, Urdu) and member B (English,
Somali) in E1, and a helper that walks the journey like a resident."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from services.models import ServiceQuestion
from tests.factories import OfferFactory, ServiceFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def service(db: None):  # noqa: ANN201
    service = ServiceFactory(
        slug="job-search-cv",
        name="Job search and CV help",
        eligibility={"tenant_of_member": True, "min_age": 16},
    )
    ServiceQuestion.objects.create(
        service=service,
        key="work_wanted",
        order=0,
        text="What kind of work are you looking for?",
        kind="long_text",
    )
    ServiceQuestion.objects.create(
        service=service, key="has_cv", order=1, text="Do you have a CV?", kind="yes_no"
    )
    return service


@pytest.fixture
def offers(service, member_a, member_b):  # noqa: ANN001, ANN201
    return [
        OfferFactory(member=member_a, service=service, areas=["E1"], languages=["en", "ur"]),
        OfferFactory(member=member_b, service=service, areas=["E1"], languages=["en", "so"]),
    ]


CONTACT = {
    "full_name": "Amina Begum",
    "email": "amina@example.org",
    "phone": "07700 900 123",
    "postcode": "e1 6an",
    "contact_method": "email",
}


def walk(client: Client, service: Any, landlord: Any, **overrides: Any) -> Any:
    """Answer every step; returns the response of the last step (a redirect to "check")."""
    base = f"/apply/{service.slug}"
    steps: list[tuple[str, dict[str, Any]]] = [
        ("landlord", {"landlord": str(landlord.pk)}),
        ("eligibility", {"age": "34"}),
        ("questions", {"q_work_wanted": "Warehouse work", "q_has_cv": "no"}),
        ("contact", {**CONTACT, **overrides.get("contact", {})}),
        ("preferences", {"preferred_language": "en", "accessibility_needs": ""}),
        (
            "equality",
            overrides.get(
                "equality", {"ethnicity": "asian_bangladeshi", "disability": "no", "sex": "female"}
            ),
        ),
        ("sharing", overrides.get("sharing", {"members": [str(landlord.pk)], "consent": "on"})),
    ]
    response = None
    for step, data in steps:
        response = client.post(f"{base}/{step}/", data)
        assert response.status_code == 302, (step, response.content.decode()[:3000])
    return response


def idempotency_key(client: Client, service: Any) -> str:
    page = client.get(f"/apply/{service.slug}/check/")
    assert page.status_code == 200
    return str(page.context["idempotency_key"])
