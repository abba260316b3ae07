"""Charlie (every role at member B) is refused member A's records on every API URL: the same
404 as for a record that does not exist, never the data. Forged member ids in bodies do nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from learning.models import Booking
from referrals.models import Referral, ReferralStatus
from tests.api.conftest import World, error_of, read_as, rows_as

pytestmark = pytest.mark.django_db

MISSING = 2**40


def _assert_refused_like_missing(
    client: Any, method: str, name: str, pk: int, data: Any = None
) -> None:
    url = reverse(name, args=[pk])
    missing = reverse(name, args=[MISSING])
    theirs = getattr(client, method)(url, data or {}, format="json")
    nothing = getattr(client, method)(missing, data or {}, format="json")
    assert theirs.status_code == 404, theirs.content
    assert nothing.status_code == 404
    assert theirs.json() == nothing.json()
    assert error_of(theirs)["code"] == "not_found"


@pytest.mark.ownership("api:referral-detail", "api:referral-list")
def test_it_checks_ownership_of_referrals(cast: Any, world: World, api: Any) -> None:
    charlie = api(cast.charlie)
    _assert_refused_like_missing(charlie, "get", "api:referral-detail", world.referral.pk)
    listed = charlie.get(reverse("api:referral-list")).json()["results"]
    refs = {r["reference"] for r in listed}
    # B delivers the outgoing one, so B sees it; never A's own inbox.
    assert world.referral.reference not in refs
    assert refs <= {world.outgoing.reference}


@pytest.mark.parametrize(
    ("name", "data"),
    [
        pytest.param(name, data, marks=pytest.mark.ownership(name), id=name)
        for name, data in [
            ("api:referral-accept", None),
            ("api:referral-decline", {"reason": "no_capacity"}),
            ("api:referral-start", None),
            ("api:referral-record-contact", {}),
            ("api:referral-record-outcome", {"type": "no_outcome", "achieved_on": "2026-01-01"}),
            ("api:referral-close", None),
        ]
    ],
)
def test_it_checks_ownership_of_referral_steps(
    cast: Any, world: World, api: Any, name: str, data: Any
) -> None:
    _assert_refused_like_missing(api(cast.charlie), "post", name, world.referral.pk, data)
    assert read_as(world.member_a, Referral, pk=world.referral.pk).status == ReferralStatus.ROUTED


@pytest.mark.ownership("api:referral-reroute")
def test_it_checks_ownership_of_reroute(cast: Any, world: World, api: Any) -> None:
    """Routing by hand is the coordinator's: member staff (even with every member role) are
    refused before anything is looked up."""
    response = api(cast.charlie).post(
        reverse("api:referral-reroute", args=[world.referral.pk]),
        {"provider": world.member_b.pk, "reason": "mine now"},
        format="json",
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert read_as(world.member_a, Referral, pk=world.referral.pk).provider_id == world.member_a.pk


@pytest.mark.ownership("api:outcome-list", "api:outcome-detail")
def test_it_checks_ownership_of_outcomes(cast: Any, world: World, api: Any) -> None:
    charlie = api(cast.charlie)
    _assert_refused_like_missing(charlie, "get", "api:outcome-detail", world.outcome.pk)
    assert charlie.get(reverse("api:outcome-list")).json()["results"] == []


@pytest.mark.ownership("api:participation-list", "api:participation-detail")
def test_it_checks_ownership_of_participation(cast: Any, world: World, api: Any) -> None:
    charlie = api(cast.charlie)
    _assert_refused_like_missing(charlie, "get", "api:participation-detail", world.participation.pk)
    assert charlie.get(reverse("api:participation-list")).json()["results"] == []


@pytest.mark.ownership("api:spend-list", "api:spend-detail")
def test_it_checks_ownership_of_spend(cast: Any, world: World, api: Any) -> None:
    charlie = api(cast.charlie)
    _assert_refused_like_missing(charlie, "get", "api:spend-detail", world.spend.pk)
    assert charlie.get(reverse("api:spend-list")).json()["results"] == []


@pytest.mark.ownership("api:contract-list", "api:contract-detail")
def test_it_checks_ownership_of_contracts(cast: Any, world: World, api: Any) -> None:
    """A let contract that B neither leads nor joined is not B's business."""
    charlie = api(cast.charlie)
    _assert_refused_like_missing(charlie, "get", "api:contract-detail", world.contract.pk)
    assert charlie.get(reverse("api:contract-list")).json()["results"] == []


@pytest.mark.ownership(
    "api:booking-list", "api:booking-detail", "api:booking-cancel", "api:booking-accept-offer"
)
def test_it_checks_ownership_of_bookings(cast: Any, world: World, api: Any) -> None:
    charlie = api(cast.charlie)
    _assert_refused_like_missing(charlie, "get", "api:booking-detail", world.booking.pk)
    _assert_refused_like_missing(charlie, "post", "api:booking-cancel", world.booking.pk)
    _assert_refused_like_missing(charlie, "post", "api:booking-accept-offer", world.booking.pk)
    assert charlie.get(reverse("api:booking-list")).json()["results"] == []
    assert read_as(world.member_a, Booking, pk=world.booking.pk).status == "confirmed"


@pytest.mark.ownership("api:auditevent-list", "api:auditevent-detail")
def test_it_checks_ownership_of_the_audit_log(cast: Any, world: World, api: Any) -> None:
    from audit.models import AuditEvent

    api(cast.alice).post(reverse("api:referral-accept", args=[world.referral.pk]))
    event = max(rows_as(world.member_a, AuditEvent, member=world.member_a), key=lambda e: e.pk)
    charlie = api(cast.charlie)  # B's DPO among charlie's roles
    _assert_refused_like_missing(charlie, "get", "api:auditevent-detail", event.pk)
    ids = {e["id"] for e in charlie.get(reverse("api:auditevent-list")).json()["results"]}
    assert event.pk not in ids


@pytest.mark.ownership("api:offer-list", "api:offer-detail")
def test_it_checks_ownership_of_offers(cast: Any, world: World, api: Any) -> None:
    """Offers are the public directory (readable), but only their own member changes them."""
    from services.models import Offer

    offer_a = read_as(world.member_a, Offer, member=world.member_a)
    charlie = api(cast.charlie)
    # Offers are the shared directory: charlie reads A's, in the list and alone, and changes none.
    listed = charlie.get(reverse("api:offer-list"))
    assert listed.status_code == 200
    assert offer_a.pk in {o["id"] for o in listed.json()["results"]}
    assert charlie.get(reverse("api:offer-detail", args=[offer_a.pk])).status_code == 200
    _assert_refused_like_missing(
        charlie, "patch", "api:offer-detail", offer_a.pk, {"capacity_per_month": 0}
    )
    assert read_as(world.member_a, Offer, pk=offer_a.pk).capacity_per_month == 20


@pytest.mark.ownership(
    "api:member-list", "api:member-detail", "api:service-list", "api:service-detail"
)
def test_it_checks_ownership_of_the_directory(cast: Any, world: World, api: Any) -> None:
    """Members and services are the public directory: their public facts only, no staff or
    records, and nothing can be changed."""
    charlie = api(cast.charlie)
    listed = charlie.get(reverse("api:member-list")).json()["results"]
    assert world.member_a.pk in {m["id"] for m in listed}
    assert all(set(m) == set(listed[0]) for m in listed)  # every member shows the same facts
    member = charlie.get(reverse("api:member-detail", args=[world.member_a.pk])).json()
    assert set(member) == {
        "id",
        "name",
        "short_name",
        "slug",
        "areas",
        "website",
        "email",
        "phone",
        "description",
        "receives_shared_data",  # whether it signed the data sharing agreement: no records
    }
    assert (
        charlie.patch(
            reverse("api:member-detail", args=[world.member_a.pk]), {"name": "x"}, format="json"
        ).status_code
        == 405
    )
    services = charlie.get(reverse("api:service-list")).json()["results"]
    assert all("offers" not in s for s in services)
    service_id = services[0]["id"]
    assert charlie.delete(reverse("api:service-detail", args=[service_id])).status_code == 405


@pytest.mark.ownership("api:course-list", "api:course-detail")
def test_it_checks_ownership_of_courses(cast: Any, world: World, api: Any) -> None:
    """Published courses are every member's to book; a draft is its provider's alone."""
    from learning.models import Course

    draft = Course.objects.create(
        provider=world.member_a, title="Draft", description="-", is_published=False
    )
    charlie = api(cast.charlie)
    _assert_refused_like_missing(charlie, "get", "api:course-detail", draft.pk)
    titles = {c["title"] for c in charlie.get(reverse("api:course-list")).json()["results"]}
    assert "Draft" not in titles
    assert api(cast.alice).get(reverse("api:course-detail", args=[draft.pk])).status_code == 200


@pytest.mark.ownership("api:application-list")
def test_it_checks_ownership_of_applications(cast: Any, world: World, api: Any) -> None:
    """Applications can only be created through the API, never listed or read back."""
    charlie = api(cast.charlie)
    assert charlie.get(reverse("api:application-list")).status_code == 405


def test_forged_member_ids_in_bodies_are_ignored(cast: Any, world: World, api: Any) -> None:
    """A body that names another member changes nothing: the member comes from the token."""
    from procurement.models import Participation

    response = api(cast.alice).post(
        reverse("api:participation-list"),
        {
            "contract": world.contract.pk,
            "member": world.member_b.pk,
            "member_id": world.member_b.pk,
            "baseline_annual_cost": "1000.00",
            "contracted_annual_cost": "900.00",
            "start_date": "2025-04-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    for member in (world.member_a, world.member_b):
        rows = rows_as(member, Participation, contract=world.contract, member=member)
        assert len(rows) == (1 if member == world.member_a else 0)
    response = api(cast.alice).post(
        reverse("api:referral-decline", args=[world.referral.pk]),
        {"reason": "no_capacity", "provider": world.member_b.pk, "member": world.member_b.pk},
        format="json",
    )
    assert response.status_code == 200
    assert read_as(world.member_a, Referral, pk=world.referral.pk).member_id == world.member_a.pk
