from __future__ import annotations

import pytest
from django.test import Client

from devdata.seeds.applications import seed_applications_demo
from services.models import ServiceTranslation

pytestmark = pytest.mark.django_db


def test_demo_translations_are_shown_and_seeding_twice_changes_nothing(
    client: Client, service, offers
) -> None:
    assert seed_applications_demo() == 5
    assert seed_applications_demo() == 5
    assert ServiceTranslation.objects.count() == 5
    client.post("/i18n/setlang/", {"language": "so", "next": "/"})
    body = client.get("/services/").content.decode()
    assert "Caawimaad shaqo raadis iyo CV" in body
    client.post(f"/apply/{service.slug}/landlord/", {"landlord": str(offers[0].member_id)})
    client.post(f"/apply/{service.slug}/eligibility/", {"age": "30"})
    page = client.get(f"/apply/{service.slug}/questions/").content.decode()
    assert "Shaqo noocee ah ayaad raadinaysaa?" in page
