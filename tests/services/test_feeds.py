"""The Open Referral UK feed, validated against the UK profile's JSON schemas (no network: see
tests/services/openreferral.py). Each parameter of the profile, checked against the data, is in
test_openreferral_conformance.py."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from members.scoping import member_scope
from services.models import OpeningHours, ServiceTranslation
from tests.factories import OfferFactory, ReferralFactory, ServiceFactory
from tests.services.openreferral import validate, validate_page

pytestmark = pytest.mark.django_db


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
    "openreferral:openapi",
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
    urls = ["/openreferral/", "/openreferral/openapi.json", "/openreferral/services",
            "/openreferral/taxonomies", "/openreferral/taxonomy_terms",
            "/openreferral/service_at_locations"]  # fmt: skip
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
        assert charlie.email not in text  # nor any member of staff


def test_the_validator_really_rejects_a_bad_service() -> None:
    """Guards the tests above: a service without a name, with a non-UUID id, fails."""
    with pytest.raises(AssertionError):
        validate({"id": "42", "status": "active"}, "compiled/service.json")
    with pytest.raises(AssertionError):
        validate(
            {"id": "2f1c7a52-9b1e-4f43-a5d8-6c3d0b8e7a10", "name": "x", "status": "open"},
            "compiled/service.json",
        )


def test_text_the_feeds_old_name_for_search_still_searches(client: Client, feed, service) -> None:
    assert get(client, "/openreferral/services?text=cv")["total_items"] == 2
    assert get(client, "/openreferral/services?text=nothing-like-it")["total_items"] == 0
    # The profile's `search` wins when both are given.
    assert get(client, "/openreferral/services?search=cv&text=zzz")["total_items"] == 2


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


LISTS = [
    "/openreferral/services",
    "/openreferral/services?search=job+cv&day=MO&start_time=09:00&minimum_age=16",
    "/openreferral/service_at_locations",
    "/openreferral/service_at_locations?postcode=E1+6AN&end_time=18:00&taxonomy_id={taxonomy}",
    "/openreferral/taxonomy_terms",
    "/openreferral/taxonomies",
]


def test_lists_and_details_run_the_same_queries_whatever_the_page_size_and_data(
    client: Client, feed, service, offers, member_a, member_b
) -> None:
    taxonomy = get(client, "/openreferral/taxonomies")["contents"][0]["id"]
    for offer in offers:  # every list above has something to show from the start
        with member_scope(offer.member_id):
            OpeningHours.objects.create(
                member_id=offer.member_id, offer=offer, weekday=0, opens_at=time(9),
                closes_at=time(17),
            )  # fmt: skip

    def counts() -> list[int]:
        found = []
        for url in LISTS:
            joiner = "&" if "?" in url else "?"
            url = url.format(taxonomy=taxonomy)
            found += [_queries(client, f"{url}{joiner}per_page=1"), _queries(client, url)]
        first = get(client, "/openreferral/services")["contents"][0]["id"]
        sal = get(client, "/openreferral/service_at_locations")["contents"][0]["id"]
        found += [
            _queries(client, f"/openreferral/services/{first}"),
            _queries(client, f"/openreferral/service_at_locations/{sal}"),
        ]
        return found

    before = counts()
    # Much more of everything: services, offers with hours and positions, translations.
    for n in range(12):
        other = ServiceFactory(name=f"Job search and CV club {n}", eligibility={"min_age": 16})
        ServiceTranslation.objects.create(service=other, language="so", name=f"CV {n}")
        for member in (member_a, member_b):
            offer = OfferFactory(
                member=member, service=other, delivery_modes=["in_person", "phone", "online"],
                latitude=Decimal("51.5"), longitude=Decimal("-0.07"),
            )  # fmt: skip
            with member_scope(member.pk):
                for day in range(5):
                    OpeningHours.objects.create(
                        member=member, offer=offer, weekday=day, opens_at=time(9),
                        closes_at=time(17),
                    )  # fmt: skip
    after = counts()
    assert after == before
    # Four are the request's own (a test savepoint, the member scope set and reset): each list
    # or detail then costs at most three (count and page; or the ids, the offer and its hours).
    assert max(before) <= 4 + 3, before


PARAMETERS = [
    "search", "text", "page", "per_page", "taxonomy_term_id", "taxonomy_id", "minimum_age",
    "maximum_age", "start_time", "end_time", "day", "postcode", "proximity",
]  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.dictionaries(
        st.sampled_from(PARAMETERS),
        st.one_of(st.text(max_size=40), st.integers().map(str), st.floats().map(str)),
        max_size=4,
    ),
    listing=st.sampled_from(["services", "service_at_locations", "taxonomy_terms"]),
)
def test_any_value_of_any_parameter_is_answered_or_refused_never_a_server_error(
    client: Client, feed, values: dict[str, str], listing: str
) -> None:
    response = client.get(f"/openreferral/{listing}", values)
    assert response.status_code in (200, 400), (values, response.content[:500])
    body = response.json()
    if response.status_code == 400:
        assert body["parameter"] in values and body["detail"]
