"""The API and the data sharing agreement: the member directory says who may receive shared
data today, and an application that names a gated member in share_with is refused, as the web
page refuses it (both ask services.selectors.service_candidate_members)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from referrals.models import Application
from tests.api.conftest import World, error_of, rows_as
from tests.api.test_endpoints import application_body
from tests.dataprotection.conftest import day, publish, sign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


@pytest.fixture
def only_a_signed(cast: Any) -> Any:
    agreement = publish(cast.coordinator, "v1", day(-3))
    sign(cast.dpo, agreement, day(-3))
    return agreement


def test_the_member_directory_says_who_receives_shared_data(
    cast: Any, world: World, api: Any, only_a_signed: Any
) -> None:
    body = api(cast.alice).get("/api/v1/members/").json()
    receives = {m["slug"]: m["receives_shared_data"] for m in body["results"]}
    assert receives == {"aldgate": True, "brixton": False}
    one = api(cast.alice).get(f"/api/v1/members/{world.member_b.pk}/").json()
    assert one["receives_shared_data"] is False


def test_with_nothing_in_force_every_member_receives(cast: Any, world: World, api: Any) -> None:
    body = api(cast.alice).get("/api/v1/members/").json()
    assert all(m["receives_shared_data"] for m in body["results"])


def test_an_application_shared_with_a_gated_member_is_refused(
    world: World, only_a_signed: Any
) -> None:
    client = APIClient()
    refused = client.post(
        "/api/v1/applications/", application_body(world), HTTP_IDEMPOTENCY_KEY="gate-0001"
    )
    assert refused.status_code == 400
    assert "share_with" in error_of(refused)["fields"]
    assert rows_as(world.member_a, Application, idempotency_key="gate-0001") == []
    accepted = client.post(
        "/api/v1/applications/",
        application_body(world, share_with=[world.member_a.pk]),
        HTTP_IDEMPOTENCY_KEY="gate-0002",
    )
    assert accepted.status_code == 201, accepted.content
