"""The base viewset: endpoints cannot bypass it, and the scope never outlives the request."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import QuerySet

from api.base import ScopedViewSet
from members.scoping import current_scope
from referrals.models import Referral
from tests.api.conftest import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name", ["get_queryset", "get_object", "queryset", "permission_classes", "initial"]
)
def test_a_subclass_cannot_take_over_what_the_base_owns(name: str) -> None:
    with pytest.raises(TypeError, match=name):
        type("Sneaky", (ScopedViewSet,), {name: None, "model": Referral})


def test_a_bypass_is_spelled_dangerously() -> None:
    class Deliberate(ScopedViewSet):
        model = Referral

        def dangerously_get_queryset(self) -> QuerySet[Referral]:
            return Referral.unscoped_objects.none()

    view = Deliberate()
    view.action = "list"
    assert list(view.get_queryset()) == []


def test_the_member_scope_is_reset_after_a_token_request(cast: Any, world: World, api: Any) -> None:
    assert current_scope() is None
    response = api(cast.alice).get("/api/v1/referrals/")
    assert response.status_code == 200
    assert current_scope() is None


def test_the_scope_is_reset_after_a_refused_request(cast: Any, world: World, api: Any) -> None:
    response = api(cast.alice).post("/api/v1/referrals/1/decline/", {"reason": "bad"})
    assert response.status_code == 404  # not alice's (nor anyone's): refused before validation
    assert current_scope() is None


def test_the_session_works_for_the_browser(cast: Any, world: World) -> None:
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.alice)
    assert client.get("/api/v1/referrals/").status_code == 200
    # A session-authenticated write needs the CSRF token, like any form.
    response = client.post(f"/api/v1/referrals/{world.referral.pk}/accept/")
    assert response.status_code == 403
