"""The other endpoints: happy paths, roles, bad input; the applications endpoint is public,
idempotent and throttled."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from learning.models import Booking
from members.scoping import consortium_scope
from procurement.models import SpendRecord
from referrals.models import Application, Referral
from reports.models import Report, ReportFile
from services.models import Offer, Service
from tests.api.conftest import World, error_of, read_as, rows_as
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_the_member_directory(cast: Any, world: World, api: Any) -> None:
    body = api(cast.coordinator).get("/api/v1/members/").json()
    assert {m["slug"] for m in body["results"]} >= {"aldgate", "brixton"}


def test_services_with_their_questions(cast: Any, world: World, api: Any) -> None:
    body = api(cast.alice).get("/api/v1/services/", {"status": "open"}).json()
    job = next(s for s in body["results"] if s["slug"] == "job-search")
    assert job["kind"] == "employment" and "questions" in job


# --- offers --------------------------------------------------------------------------------------


def test_a_service_lead_adds_and_changes_an_offer(cast: Any, world: World, api: Any) -> None:
    other = ServiceFactory(slug="cv-clinic", name="CV clinic")
    client = api(cast.alice)
    created = client.post(
        "/api/v1/offers/",
        {
            "service": other.pk,
            "capacity_per_month": 12,
            "areas": ["e1", "E2"],
            "languages": ["en", "bn"],
            "delivery_modes": ["phone"],
            "member": world.member_b.pk,
        },
    )
    assert created.status_code == 201, created.content
    offer = created.json()
    assert offer["member"]["id"] == world.member_a.pk and offer["areas"] == ["E1", "E2"]
    changed = client.patch(f"/api/v1/offers/{offer['id']}/", {"capacity_per_month": 3})
    assert changed.status_code == 200, changed.content
    assert read_as(world.member_a, Offer, pk=offer["id"]).capacity_per_month == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"areas": ["not a district"]}, "areas"),
        ({"languages": ["xx"]}, "languages"),
        ({"capacity_per_month": -1}, "capacity_per_month"),
        ({"delivery_modes": []}, "delivery_modes"),
    ],
)
def test_bad_offers_are_a_400(
    cast: Any, world: World, api: Any, body: dict[str, Any], field: str
) -> None:
    other = ServiceFactory(slug="cv-clinic", name="CV clinic")
    data = {
        "service": other.pk,
        "capacity_per_month": 5,
        "areas": [],
        "languages": ["en"],
        "delivery_modes": ["phone"],
        **body,
    }
    response = api(cast.alice).post("/api/v1/offers/", data)
    assert response.status_code == 400
    assert any(name.split(".")[0] == field for name in error_of(response)["fields"])
    assert not rows_as(world.member_a, Offer, service=other)


def test_a_second_offer_of_the_same_service_is_refused(cast: Any, world: World, api: Any) -> None:
    service = Service.objects.get(slug="job-search")
    response = api(cast.alice).post(
        "/api/v1/offers/",
        {
            "service": service.pk,
            "capacity_per_month": 5,
            "languages": ["en"],
            "delivery_modes": ["phone"],
        },
    )
    assert response.status_code == 400
    assert "service" in error_of(response)["fields"]


def test_only_service_leads_write_offers(cast: Any, world: World, api: Any) -> None:
    response = api(cast.bob).post("/api/v1/offers/", {})
    assert response.status_code == 403


# --- outcomes, procurement -----------------------------------------------------------------------


def test_outcomes_of_your_referrals(cast: Any, world: World, api: Any) -> None:
    body = api(cast.dpo).get("/api/v1/outcomes/", {"type": "training_started"}).json()
    assert [o["id"] for o in body["results"]] == [world.outcome.pk]


def test_contracts_and_participation(cast: Any, world: World, api: Any) -> None:
    client = api(cast.bob)
    contracts = client.get("/api/v1/contracts/").json()["results"]
    assert contracts[0]["reference"] == "JP-2026-001" and contracts[0]["is_lead"]
    response = client.post(
        "/api/v1/participations/",
        {
            "contract": world.contract.pk,
            "baseline_annual_cost": "120000.00",
            "contracted_annual_cost": "90000.00",
            "start_date": "2025-04-01",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["id"] == world.participation.pk  # one per contract: updated


def test_participation_rules_are_the_services(cast: Any, world: World, api: Any) -> None:
    response = api(cast.bob).post(
        "/api/v1/participations/",
        {
            "contract": world.contract.pk,
            "baseline_annual_cost": "1",
            "contracted_annual_cost": "1",
            "start_date": "2026-04-01",
            "end_date": "2025-04-01",
        },
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "procurement_rule"


def test_a_contract_you_cannot_see_is_a_field_error(cast: Any, world: World, api: Any) -> None:
    response = api(cast.charlie).post(
        "/api/v1/spend/", {"contract": world.contract.pk, "quarter": "2025Q1", "amount": "5"}
    )
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"contract": ["No such contract."]}


def test_recording_spend_for_a_quarter(cast: Any, world: World, api: Any) -> None:
    client = api(cast.bob)
    response = client.post(
        "/api/v1/spend/", {"contract": world.contract.pk, "quarter": "2025Q2", "amount": "1500.50"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["quarter_start"] == "2025-07-01"
    assert read_as(world.member_a, SpendRecord, pk=response.json()["id"]).amount == Decimal(
        "1500.50"
    )
    bad = client.post(
        "/api/v1/spend/", {"contract": world.contract.pk, "quarter": "Q9", "amount": "1"}
    )
    assert bad.status_code == 400 and "quarter" in error_of(bad)["fields"]


def test_procurement_needs_the_procurement_role(cast: Any, world: World, api: Any) -> None:
    assert api(cast.dpo).get("/api/v1/participations/").status_code == 403
    assert api(cast.dpo).get("/api/v1/spend/").status_code == 403


# --- learning -----------------------------------------------------------------------------------


def test_booking_and_cancelling_a_place(cast: Any, world: World, api: Any) -> None:
    client = api(cast.bob)
    courses = client.get("/api/v1/courses/").json()["results"]
    assert courses[0]["upcoming_sessions"][0]["id"] == world.session.pk
    booked = client.post("/api/v1/bookings/", {"session": world.session.pk})
    assert booked.status_code == 201, booked.content
    assert booked.json()["status"] == "confirmed"
    again = client.post("/api/v1/bookings/", {"session": world.session.pk})
    assert again.status_code == 409
    cancelled = client.post(f"/api/v1/bookings/{booked.json()['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_booking_for_someone_at_another_member_is_refused(
    cast: Any, world: World, api: Any
) -> None:
    response = api(cast.bob).post(
        "/api/v1/bookings/", {"session": world.session.pk, "attendee": cast.charlie.pk}
    )
    assert response.status_code == 409
    assert not rows_as(world.member_a, Booking, attendee_user=cast.charlie)


def test_accepting_an_offer_twice_changes_nothing(cast: Any, world: World, api: Any) -> None:
    response = api(cast.alice).post(f"/api/v1/bookings/{world.booking.pk}/accept-offer/")
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    cancelled = api(cast.alice).post(f"/api/v1/bookings/{world.booking.pk}/cancel/")
    assert cancelled.status_code == 200
    refused = api(cast.alice).post(f"/api/v1/bookings/{world.booking.pk}/accept-offer/")
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "learning_rule"


# --- audit ---------------------------------------------------------------------------------------


def test_the_dpo_reads_the_members_audit_log(cast: Any, world: World, api: Any) -> None:
    api(cast.alice).post(reverse("api:referral-accept", args=[world.referral.pk]))
    body = api(cast.dpo).get("/api/v1/audit-events/", {"object_type": "referral"}).json()
    assert [e["object_id"] for e in body["results"]] == [str(world.referral.pk)]
    assert api(cast.alice).get("/api/v1/audit-events/").status_code == 403
    assert api(cast.bob).get("/api/v1/audit-events/").status_code == 403


# --- reports -------------------------------------------------------------------------------------


@pytest.fixture
def report_a(world: World, settings: Any, tmp_path: Any) -> Report:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": None},
        },
    }
    with consortium_scope(reason="test report"):
        report = Report.objects.create(
            member=world.member_a,
            period_start=date(2025, 4, 1),
            period_end=date(2025, 6, 30),
            kind="quarterly",
            status="published",
            title="Aldgate 2025-26 Q1",
        )
        row = ReportFile(member=world.member_a, report=report, format="csv", size=4, checksum="x")
        row.file.save("a.csv", ContentFile(b"a,b\n"), save=False)
        row.save()
    return report


@pytest.mark.ownership("api:report-list", "api:report-detail", "api:report-download")
def test_it_checks_ownership_of_reports(cast: Any, report_a: Report, api: Any) -> None:
    charlie = api(cast.charlie)  # B's board member among his roles
    assert charlie.get("/api/v1/reports/").json()["results"] == []
    for url in (
        f"/api/v1/reports/{report_a.pk}/",
        f"/api/v1/reports/{report_a.pk}/download/?file_format=csv",
    ):
        response = charlie.get(url)
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_a_board_member_downloads_their_report(cast: Any, report_a: Report) -> None:
    client = APIClient()
    client.force_login(cast.board_member)
    listed = client.get("/api/v1/reports/").json()["results"]
    assert [(r["id"], r["formats"]) for r in listed] == [(report_a.pk, ["csv"])]
    response = client.get(f"/api/v1/reports/{report_a.pk}/download/", {"file_format": "csv"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"a,b\n"
    assert rows_as(report_a.member, AuditEvent, action="export")
    assert (
        client.get(f"/api/v1/reports/{report_a.pk}/download/", {"file_format": "pdf"}).status_code
        == 404
    )
    assert client.get(f"/api/v1/reports/{report_a.pk}/download/").status_code == 400


def test_staff_without_a_reports_role_are_refused(cast: Any, report_a: Report, api: Any) -> None:
    assert api(cast.alice).get("/api/v1/reports/").status_code == 403


# --- applications -------------------------------------------------------------------------------


def application_body(world: World, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
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
    body.update(changes)
    return body


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


def test_anyone_may_apply_and_a_repeat_is_the_same_response(world: World) -> None:
    client = APIClient()
    first = client.post(
        "/api/v1/applications/", application_body(world), HTTP_IDEMPOTENCY_KEY="key-0001"
    )
    assert first.status_code == 201, first.content
    again = client.post(
        "/api/v1/applications/", application_body(world), HTTP_IDEMPOTENCY_KEY="key-0001"
    )
    assert again.status_code == 201 and again.json() == first.json()
    apps = rows_as(world.member_a, Application, reference=first.json()["reference"])
    assert len(apps) == 1
    assert sorted(apps[0].shared_with_member_ids) == sorted([world.member_a.pk, world.member_b.pk])
    assert rows_as(world.member_a, Referral, reference=first.json()["reference"])


def test_a_resident_with_only_a_phone_applies_without_an_email(world: World) -> None:
    body = application_body(world, email="", phone="07700 900 321", contact_method="text")
    response = APIClient().post("/api/v1/applications/", body, HTTP_IDEMPOTENCY_KEY="key-0003")
    assert response.status_code == 201, response.content
    [application] = rows_as(world.member_a, Application, reference=response.json()["reference"])
    assert (application.contact_email, application.contact_phone) == ("", "07700900321")


def test_an_application_needs_an_idempotency_key(world: World) -> None:
    response = APIClient().post("/api/v1/applications/", application_body(world))
    assert response.status_code == 400
    assert "Idempotency-Key" in error_of(response)["fields"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"postcode": "nowhere"}, "postcode"),
        ({"full_name": "12345"}, "full_name"),
        ({"contact_method": "phone"}, "phone"),
        ({"email": "", "contact_method": "email"}, "email"),
        ({"email": "", "contact_method": "post"}, "address"),
        ({"landlord": 2**40}, "landlord"),
        ({"share_with": [2**40]}, "share_with"),
        ({"consent": False}, "consent"),
        ({"service": "no-such-service"}, "service"),
        ({"equality": {"ethnicity": "martian"}}, "equality.ethnicity"),
    ],
)
def test_bad_applications_are_a_400_and_store_nothing(
    world: World, changes: dict[str, Any], field: str
) -> None:
    response = APIClient().post(
        "/api/v1/applications/", application_body(world, **changes), HTTP_IDEMPOTENCY_KEY="key-0002"
    )
    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]
    assert not rows_as(world.member_a, Application, idempotency_key__startswith="api-")


def test_applications_are_throttled(world: World, monkeypatch: Any) -> None:
    from rest_framework.throttling import ScopedRateThrottle

    rates = {**ScopedRateThrottle.THROTTLE_RATES, "applications": "2/hour"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    client = APIClient()
    codes = [
        client.post("/api/v1/applications/", {}, HTTP_IDEMPOTENCY_KEY=f"key-000{i}").status_code
        for i in range(3)
    ]
    assert codes == [400, 400, 429]
