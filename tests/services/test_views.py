"""The public catalogue pages and a service lead's offers."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.test import Client

from members.scoping import member_scope
from services.models import Offer, OpeningHours

pytestmark = pytest.mark.django_db


def test_the_catalogue_lists_and_filters(client: Client, service, offers) -> None:
    page = client.get("/services/")
    assert service.name in page.content.decode()
    page = client.get("/services/", {"language": "pl"})
    assert service.name not in page.content.decode()
    page = client.get("/services/", {"postcode": "e1 6an"})
    assert service.name in page.content.decode()


def test_a_bad_postcode_filter_says_how_to_fix_it(client: Client, service, offers) -> None:
    page = client.get("/services/", {"postcode": "<script>x</script>"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "like E1 6AN" in body and "<script>x" not in body


def test_the_detail_page_names_who_delivers(
    client: Client, service, offers, member_a, member_b
) -> None:
    body = client.get(f"/services/{service.slug}/").content.decode()
    assert member_a.name in body and member_b.name in body
    assert "What kind of work are you looking for?" in body
    assert client.get("/services/nope/").status_code == 404


def test_the_eligibility_check_answers_yes_or_no_with_reasons(
    client: Client, service, offers
) -> None:
    url = f"/services/{service.slug}/eligibility/"
    assert client.get(url).status_code == 200
    no = client.post(url, {"tenant": "no", "age": "12"})
    assert "16 or older" in no.content.decode()
    yes = client.post(url, {"tenant": "yes", "age": "40"})
    assert "You can apply" in yes.content.decode()
    bad = client.post(url, {"tenant": "yes", "age": "forty"})
    assert bad.status_code == 400 and "like 34" in bad.content.decode()


def test_a_service_lead_adds_and_changes_their_offer(
    client: Client, service, alice, member_a
) -> None:
    client.force_login(alice)
    response = client.post(
        "/services/offers/new/",
        {
            "service": service.pk,
            "capacity_per_month": "12",
            "areas_text": "e1, E2",
            "languages": ["en", "bn"],
            "delivery_modes": ["phone"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    with member_scope(member_a.pk):
        offer = Offer.objects.get()
    assert offer.areas == ["E1", "E2"] and offer.languages == ["bn", "en"]
    response = client.post(
        f"/services/offers/{offer.pk}/",
        {
            "capacity_per_month": "5",
            "areas_text": "",
            "languages": ["en"],
            "delivery_modes": ["online"],
        },
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.capacity_per_month == 5 and offer.is_active is False and offer.areas == []


def test_a_bad_district_is_refused_with_a_message(client: Client, service, alice) -> None:
    client.force_login(alice)
    response = client.post(
        "/services/offers/new/",
        {
            "service": service.pk,
            "capacity_per_month": "1",
            "areas_text": "E1, nowhere",
            "languages": ["en"],
            "delivery_modes": ["phone"],
        },
    )
    assert response.status_code == 400
    assert "NOWHERE is not a postcode district" in response.content.decode()


@pytest.mark.ownership("services:offer_list", "services:offer_new", "services:offer_edit")
def test_it_checks_ownership_charlie_cannot_see_or_edit_member_as_offers(
    client: Client, service, offers, charlie, bob
) -> None:
    offer_a = offers[0]
    client.force_login(charlie)
    body = client.get("/services/offers/").content.decode()
    assert f"/services/offers/{offer_a.pk}/" not in body
    assert client.get(f"/services/offers/{offer_a.pk}/").status_code == 404
    response = client.post(
        f"/services/offers/{offer_a.pk}/",
        {
            "capacity_per_month": "0",
            "areas_text": "",
            "languages": ["en"],
            "delivery_modes": ["online"],
        },
    )
    assert response.status_code == 404
    offer_a.refresh_from_db()
    assert offer_a.capacity_per_month == 20
    # bob works at member A but is not a service lead: refused outright.
    client.force_login(bob)
    assert client.get("/services/offers/").status_code == 403
    assert client.get("/services/offers/new/").status_code == 403
    assert client.get(f"/services/offers/{offer_a.pk}/").status_code == 403


@pytest.mark.ownership(
    "service_catalogue",
    "services:detail",
    "services:eligibility",
    "applications:start",
    "applications:step",
    "applications:confirmation",
)
def test_it_checks_ownership_public_pages_show_no_members_private_data(
    client: Client, service, offers, charlie, resident
) -> None:
    """The catalogue and the journey's pages are public and hold no member's records: signed in
    as charlie, they show the directory only, never a resident of member A."""
    client.force_login(charlie)
    for url in (
        "/services/",
        f"/services/{service.slug}/",
        f"/services/{service.slug}/eligibility/",
        f"/apply/{service.slug}/",
        f"/apply/{service.slug}/landlord/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert resident.full_name not in response.content.decode()
        assert resident.email not in response.content.decode()
    # The confirmation page shows only this session's own submission.
    assert client.get("/apply/done/").status_code == 302


def _offer_post(service: object, **fields: object) -> dict[str, object]:
    return {
        "service": service.pk,  # type: ignore[attr-defined]
        "capacity_per_month": "12",
        "areas_text": "E1",
        "languages": ["en"],
        "delivery_modes": ["in_person", "phone"],
        "is_active": "on",
        **fields,
    }


def _hours(offer: Offer) -> list[tuple[int, str, str]]:
    with member_scope(offer.member_id):
        rows = OpeningHours.objects.filter(offer=offer)
        return [(r.weekday, f"{r.opens_at:%H:%M}", f"{r.closes_at:%H:%M}") for r in rows]


def test_a_service_lead_enters_opening_hours_and_where_they_meet_people(
    client: Client, service, alice, member_a
) -> None:
    client.force_login(alice)
    response = client.post(
        "/services/offers/new/",
        _offer_post(
            service,
            opening_hours_text="Monday to Wednesday 09:00-17:00\nsat 10:00-12:30, 13:30-16:00",
            latitude="51.515531",
            longitude="-0.0722",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with member_scope(member_a.pk):
        offer = Offer.objects.get()
        assert OpeningHours.objects.get(weekday=0).member_id == member_a.pk
    assert _hours(offer) == [
        (0, "09:00", "17:00"),
        (1, "09:00", "17:00"),
        (2, "09:00", "17:00"),
        (5, "10:00", "12:30"),
        (5, "13:30", "16:00"),
    ]
    assert (offer.latitude, offer.longitude) == (Decimal("51.515531"), Decimal("-0.072200"))
    # The form shows what was saved, in the words it reads.
    page = client.get(f"/services/offers/{offer.pk}/").content.decode()
    assert "Monday to Wednesday 09:00-17:00\nSaturday 10:00-12:30, 13:30-16:00" in page
    response = client.post(
        f"/services/offers/{offer.pk}/",
        _offer_post(service, opening_hours_text="Friday 10:00-11:00", latitude="", longitude=""),
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert _hours(offer) == [(4, "10:00", "11:00")]
    assert offer.latitude is None and offer.longitude is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"opening_hours_text": "Monday 09:00-17:00\nFunday 09:00-10:00"}, "Line 2: funday is not"),
        ({"opening_hours_text": "Monday 9am to 5pm"}, "Line 1: write a day and its hours"),
        ({"opening_hours_text": "Monday 17:00-09:00"}, "close after it opens"),
        ({"opening_hours_text": "Monday 09:00-12:00, 11:00-13:00"}, "overlaps"),
        ({"latitude": "51.5"}, "Enter both the latitude and the longitude"),
        ({"latitude": "51.5", "longitude": "0.5e9"}, "longitude in the UK"),
        ({"latitude": "-51.5", "longitude": "-0.07"}, "latitude in the UK"),
        ({"latitude": "51.5155312", "longitude": "-0.07"}, "6 decimal places or fewer"),
    ],
)
def test_opening_hours_and_a_position_it_cannot_read_are_refused_with_a_message(
    client: Client, service, alice, fields, message
) -> None:
    client.force_login(alice)
    response = client.post("/services/offers/new/", _offer_post(service, **fields))
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())


@pytest.mark.ownership("services:offer_edit")
def test_it_checks_ownership_charlie_cannot_see_or_change_member_as_opening_hours(
    client: Client, service, offers, alice, charlie
) -> None:
    offer_a = offers[0]
    client.force_login(alice)
    saved = _offer_post(service, opening_hours_text="Tuesday 09:30-12:00", latitude="51.51")
    saved["longitude"] = "-0.07"
    assert client.post(f"/services/offers/{offer_a.pk}/", saved).status_code == 302
    client.force_login(charlie)
    page = client.get(f"/services/offers/{offer_a.pk}/")
    assert page.status_code == 404 and "09:30-12:00" not in page.content.decode()
    response = client.post(
        f"/services/offers/{offer_a.pk}/",
        _offer_post(service, opening_hours_text="Sunday 01:00-02:00"),
    )
    assert response.status_code == 404
    assert _hours(offer_a) == [(1, "09:30", "12:00")]
    # Nor does charlie's own form show member A's hours.
    body = client.get("/services/offers/new/").content.decode()
    assert "09:30-12:00" not in body
