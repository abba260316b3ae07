"""Issue 14, finding 2: an Idempotency-Key is the caller's and is bound to the request body
(IETF httpapi idempotency-key draft): the same key and body replay the stored response, the
same key with another body answers 422, and another caller's key never finds this caller's
application."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from referrals.models import Application, Resident
from tests.api.conftest import World, error_of, rows_as

pytestmark = pytest.mark.django_db

URL = "/api/v1/applications/"


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


def body(world: World, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "service": "job-search",
        "landlord": world.member_a.pk,
        "full_name": "Amina Begum",
        "email": "amina@example.org",
        "postcode": "e1 6an",
        "contact_method": "email",
        "preferred_language": "en",
        "share_with": [world.member_a.pk, world.member_b.pk],
        "consent": True,
    }
    values.update(changes)
    return values


def post(client: APIClient, data: dict[str, Any], key: str) -> Any:
    return client.post(URL, data, format="json", HTTP_IDEMPOTENCY_KEY=key)


def applications(world: World) -> list[Application]:
    return rows_as(world.member_a, Application, idempotency_key__startswith="api-")


def test_the_same_key_and_body_replay_the_stored_response(world: World) -> None:
    client = APIClient()
    first = post(client, body(world), "replay-key-1")
    assert first.status_code == 201, first.content
    # The same content with the keys in another order is the same request.
    reordered = dict(reversed(list(body(world).items())))
    again = post(client, reordered, "replay-key-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert len(applications(world)) == 1


def test_the_same_key_with_another_body_is_a_422_and_stores_nothing(world: World) -> None:
    client = APIClient()
    first = post(client, body(world), "reused-key-2")
    assert first.status_code == 201
    other = post(
        client, body(world, full_name="Someone Else", email="else@example.org"), "reused-key-2"
    )
    assert other.status_code == 422, other.content
    error = error_of(other)
    assert error["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in error["message"]
    assert first.json()["reference"] not in other.content.decode()
    assert len(applications(world)) == 1
    residents = rows_as(world.member_a, Resident, email="else@example.org")
    assert residents == []


def test_the_same_key_with_another_landlord_is_a_422_too(world: World) -> None:
    client = APIClient()
    assert post(client, body(world), "reused-key-3").status_code == 201
    other = post(
        client,
        body(world, landlord=world.member_b.pk, share_with=[world.member_b.pk]),
        "reused-key-3",
    )
    assert other.status_code == 422, other.content
    assert error_of(other)["code"] == "idempotency_key_reused"
    assert rows_as(world.member_b, Application, idempotency_key__startswith="api-") == []


def test_another_signed_in_caller_with_the_same_key_gets_their_own_application(
    world: World, cast: Any, api: Any
) -> None:
    """The probe's case: a second caller reusing a key with another person's application got
    201 and the first application's reference, and theirs was dropped."""
    first = post(api(cast.alice), body(world), "shared-key-4")
    assert first.status_code == 201
    second = post(
        api(cast.bob),
        body(world, full_name="Tomasz Nowak", email="tomasz@example.org"),
        "shared-key-4",
    )
    assert second.status_code == 201, second.content
    assert second.json()["reference"] != first.json()["reference"]
    assert len(applications(world)) == 2
    # Even with the identical body, another caller's key is not this caller's.
    third = post(api(cast.charlie), body(world), "shared-key-4")
    assert third.status_code == 201
    assert third.json()["reference"] not in {first.json()["reference"], second.json()["reference"]}


def test_it_checks_ownership_an_anonymous_caller_never_gets_a_signed_in_callers_application(
    world: World, cast: Any, api: Any
) -> None:
    first = post(api(cast.alice), body(world), "owned-key-5")
    assert first.status_code == 201
    anonymous = post(APIClient(), body(world), "owned-key-5")
    assert anonymous.status_code == 201
    assert anonymous.json()["reference"] != first.json()["reference"]


def test_an_anonymous_key_reused_with_another_persons_details_is_refused(world: World) -> None:
    """Anonymous callers share one namespace (they have no identity to scope by): the body
    binding is what stops one from receiving another's application."""
    assert post(APIClient(), body(world), "anon-key-6").status_code == 201
    other = post(
        APIClient(), body(world, full_name="Tomasz Nowak", email="tomasz@example.org"), "anon-key-6"
    )
    assert other.status_code == 422
    assert error_of(other)["code"] == "idempotency_key_reused"


def test_a_form_encoded_repeat_is_fingerprinted_too(world: World) -> None:
    client = APIClient()
    data = {**body(world), "share_with": [str(world.member_a.pk)], "consent": "true"}
    first = client.post(URL, data, HTTP_IDEMPOTENCY_KEY="form-key-7")
    assert first.status_code == 201, first.content
    again = client.post(URL, data, HTTP_IDEMPOTENCY_KEY="form-key-7")
    assert again.json() == first.json()
    changed = client.post(URL, {**data, "full_name": "Else"}, HTTP_IDEMPOTENCY_KEY="form-key-7")
    assert changed.status_code == 422


def test_a_json_body_nested_2000_deep_is_a_400(world: World) -> None:
    """Issue 14, finding 3c: the parser refuses it, for every endpoint, in the error format."""
    deep = "[" * 2000 + "]" * 2000
    raw = json.dumps(body(world))[:-1] + f', "answers": {{"q": {deep}}}}}'
    response = APIClient().post(
        URL, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="deep-key-8"
    )
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "parse_error" and "nested too deeply" in error["message"]


@pytest.mark.parametrize("depth", [33, 200, 900, 5000])
def test_deep_json_is_refused_on_authenticated_endpoints_too(
    world: World, cast: Any, api: Any, depth: int
) -> None:
    raw = '{"a":' * depth + "1" + "}" * depth
    response = api(cast.alice).post(
        f"/api/v1/referrals/{world.referral.pk}/decline/", raw, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "parse_error"


def test_json_at_the_depth_limit_is_parsed() -> None:
    from api.parsers import MAX_DEPTH, json_depth_exceeds

    nested: Any = 1
    for _ in range(MAX_DEPTH):
        nested = {"a": nested}
    assert not json_depth_exceeds(nested, MAX_DEPTH)
    assert json_depth_exceeds({"a": nested}, MAX_DEPTH)
