"""The Open Referral UK feed, validated against the UK profile's JSON schemas (no network: every
$ref is resolved from the files in /work/shared/standards/openreferral-uk/schema)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

SCHEMA_DIR = Path("/work/shared/standards/openreferral-uk/schema")
REMOTE = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"


def _registry() -> Registry:
    resources = []
    for path in SCHEMA_DIR.rglob("*.json"):
        relative = path.relative_to(SCHEMA_DIR).as_posix()
        contents = json.loads(path.read_text())
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        # The schemas refer to each other by bare file name and by their published URL.
        for uri in {relative, path.name, REMOTE + relative, f"file://{path}"}:
            resources.append((uri, resource))
    return Registry().with_resources(resources)


REGISTRY = _registry() if SCHEMA_DIR.exists() else None
OPENAPI = json.loads((SCHEMA_DIR / "openapi.json").read_text()) if SCHEMA_DIR.exists() else {}


def validate(instance: Any, schema_file: str) -> None:
    schema = json.loads((SCHEMA_DIR / schema_file).read_text())
    validator = Draft202012Validator(schema, registry=REGISTRY, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def validate_page(body: dict[str, Any], item_schema: str) -> None:
    page = OPENAPI["components"]["schemas"]["Page"]
    validator = Draft202012Validator(page, format_checker=FormatChecker())
    assert not list(validator.iter_errors(body))
    for key in page["properties"]:
        assert key in body, key
    assert body["size"] == len(body["contents"])
    for item in body["contents"]:
        validate(item, item_schema)


def get(client: Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"].startswith("application/json")
    return response.json()


@pytest.fixture
def feed(service, offers, member_a):  # noqa: ANN001, ANN201
    # A resident and a referral exist: the feed must never show them.
    return ReferralFactory(member=member_a)


def test_the_index_says_which_standard(client: Client, feed) -> None:
    body = get(client, "/openreferral/")
    assert body["version"].startswith("3.")
    assert "profile" in body


def test_services_list_validates(client: Client, feed, service) -> None:
    body = get(client, "/openreferral/services")
    validate_page(body, "compiled/service_list.json")
    assert body["total_items"] == 2
    assert {item["name"] for item in body["contents"]} == {service.name}


def test_service_detail_validates_and_names_the_member_as_organisation(
    client: Client, feed, member_a
) -> None:
    first = get(client, "/openreferral/services")["contents"][0]
    body = get(client, f"/openreferral/services/{first['id']}")
    validate(body, "compiled/service.json")
    assert body["organization"]["name"] in {member_a.name, "Brixton Housing Co-op"}
    assert body["service_at_locations"]


def test_pagination_follows_the_standard(client: Client, feed) -> None:
    body = get(client, "/openreferral/services?per_page=1&page=2")
    assert body["page_number"] == 2 and body["size"] == 1 and body["total_pages"] == 2
    assert body["last_page"] is True and body["first_page"] is False
    empty = get(client, "/openreferral/services?page=9")
    assert empty["empty"] is True and empty["contents"] == []


def test_taxonomies_and_terms_validate(client: Client, feed) -> None:
    body = get(client, "/openreferral/taxonomies")
    validate_page(body, "taxonomy.json")
    taxonomy = get(client, f"/openreferral/taxonomies/{body['contents'][0]['id']}")
    validate(taxonomy, "taxonomy.json")
    terms = get(client, "/openreferral/taxonomy_terms")
    validate_page(terms, "taxonomy_term.json")
    term = get(client, f"/openreferral/taxonomy_terms/{terms['contents'][0]['id']}")
    validate(term, "taxonomy_term.json")


def test_service_at_locations_validate(client: Client, feed) -> None:
    body = get(client, "/openreferral/service_at_locations")
    validate_page(body, "compiled/service_at_location_list.json")
    one = get(client, f"/openreferral/service_at_locations/{body['contents'][0]['id']}")
    validate(one, "compiled/service_at_location.json")


def test_unknown_ids_are_404_with_cors(client: Client, feed) -> None:
    for url in (
        "/openreferral/services/not-a-uuid",
        "/openreferral/services/2f1c7a52-9b1e-4f43-a5d8-6c3d0b8e7a10",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert response["Access-Control-Allow-Origin"] == "*"


def test_only_get_is_allowed(client: Client, feed) -> None:
    assert client.post("/openreferral/services").status_code == 405


@pytest.mark.ownership(
    "openreferral:index",
    "openreferral:services",
    "openreferral:service_detail",
    "openreferral:taxonomies",
    "openreferral:taxonomy_detail",
    "openreferral:taxonomy_terms",
    "openreferral:taxonomy_term_detail",
    "openreferral:service_at_locations",
    "openreferral:service_at_location_detail",
)
def test_it_checks_ownership_the_feed_never_exposes_residents_or_referrals(
    client: Client, feed, charlie
) -> None:
    client.force_login(charlie)
    resident = feed.application.resident
    urls = ["/openreferral/", "/openreferral/services", "/openreferral/taxonomies",
            "/openreferral/taxonomy_terms", "/openreferral/service_at_locations"]  # fmt: skip
    services = get(client, "/openreferral/services")["contents"]
    urls.append(f"/openreferral/services/{services[0]['id']}")
    urls.append(
        f"/openreferral/taxonomies/{get(client, '/openreferral/taxonomies')['contents'][0]['id']}"
    )
    for listing in ("taxonomy_terms", "service_at_locations"):
        first = get(client, f"/openreferral/{listing}")["contents"][0]
        urls.append(f"/openreferral/{listing}/{first['id']}")
    for url in urls:
        text = client.get(url).content.decode()
        assert resident.full_name not in text and resident.email not in text
        assert feed.reference not in text


def test_the_validator_really_rejects_a_bad_service() -> None:
    """Guards the tests above: a service without a name, with a non-UUID id, fails."""
    with pytest.raises(AssertionError):
        validate({"id": "42", "status": "active"}, "compiled/service.json")
    with pytest.raises(AssertionError):
        validate(
            {"id": "2f1c7a52-9b1e-4f43-a5d8-6c3d0b8e7a10", "name": "x", "status": "open"},
            "compiled/service.json",
        )
