"""A caseworker applies with a resident (phone, visit, video call): the resident's own journey
and service, recording who assisted, how, in which language, and the notice read to them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from members.scoping import consortium_scope, member_scope
from outbox.models import OutboxMessage
from referrals.models import Application, Referral
from referrals.task_names import TASK_ROUTE
from tests.applications.conftest import walk

pytestmark = pytest.mark.django_db

PHONE_ONLY = {
    "full_name": "Hodan Warsame",
    "email": "",
    "phone": "07700 900 456",
    "postcode": "E1 6AN",
    "contact_method": "text",
}
SOMALI_NOTICE_OPENING = "Codsigaaga"  # locale/so: "Your application for ... will be shared"


def start(client: Client, service: Any, **overrides: Any) -> Any:
    return client.post(
        "/apply/with-a-resident/",
        {
            "service": service.slug,
            "channel": "phone",
            "language": "so",
            "interpreter_used": "on",
            **overrides,
        },
    )


def check_page(client: Client, service: Any) -> Any:
    page = client.get(f"/apply/{service.slug}/check/")
    assert page.status_code == 200, page.content.decode()[:2000]
    return page


def applications() -> list[Application]:
    with consortium_scope(reason="test: read applications"):
        return list(Application.objects.select_related("resident"))


@pytest.mark.ownership("applications:assisted_start", "applications:letter")
def test_a_caseworker_of_another_member_applies_with_a_phone_only_resident_in_somali(
    client: Client, service, offers, member_a, member_b, charlie
) -> None:
    """Charlie (member B) helps a tenant of member A on the phone, through an interpreter."""
    client.force_login(charlie)
    response = start(client, service)
    assert response.status_code == 302
    assert response["Location"] == f"/apply/{service.slug}/landlord/"
    walk(
        client,
        service,
        member_a,
        contact=PHONE_ONLY,
        sharing={"members": [str(member_a.pk), str(member_b.pk)], "consent": "on"},
    )
    page = check_page(client, service)
    body = page.content.decode()
    assert "You are applying with a resident." in body
    assert SOMALI_NOTICE_OPENING in body  # the notice to read, in the language spoken
    key = page.context["idempotency_key"]

    refused = client.post(f"/apply/{service.slug}/check/", {"idempotency_key": key})
    assert refused.status_code == 400
    assert "Read the notice to the resident" in refused.content.decode()
    assert applications() == []

    sent = client.post(
        f"/apply/{service.slug}/check/", {"idempotency_key": key, "notice_read": "on"}
    )
    assert sent.status_code == 302 and sent["Location"] == "/apply/done/"
    [application] = applications()
    assert application.member_id == member_a.pk  # the landlord keeps the record
    assert application.assisted_by_id == charlie.pk
    assert application.assisted_by_member_id == member_b.pk
    assert (application.assisted_channel, application.assisted_language) == ("phone", "so")
    assert application.interpreter_used is True and application.notice_read_at is not None
    assert application.data_sharing_text == page.context["sharing_text"]
    assert application.data_sharing_text.startswith(SOMALI_NOTICE_OPENING)
    assert application.resident.email == "" and application.resident.phone == "07700900456"
    assert application.resident.user_id is None  # never linked to the caseworker's account
    assert application.contact_method == "text"
    with member_scope(member_a.pk):
        assert Referral.objects.get(application=application).assisted is True
        event = AuditEvent.objects.get(object_type="application", object_id=application.pk)
    assert event.actor_id == charlie.pk
    assert event.reason == "application made with the resident (phone)"
    assert OutboxMessage.objects.filter(task_name=TASK_ROUTE).count() == 1

    done = client.get("/apply/done/").content.decode()
    assert application.reference in done
    assert "Tell the resident their reference" in done
    letter = client.get("/apply/done/letter/")
    assert letter.status_code == 200 and application.reference in letter.content.decode()
    assert "Hodan" not in letter.content.decode()  # nothing about the resident but the reference

    # The next resident starts afresh: nothing of this application carries over.
    start(client, service)
    assert client.get(f"/apply/{service.slug}/check/").status_code == 302
    # Another session sees no letter: it shows only its own submission.
    assert Client().get("/apply/done/letter/").status_code == 302


def test_only_caseworkers_apply_with_residents(
    client: Client, service, offers, bob, resident_user
) -> None:
    assert client.get("/apply/with-a-resident/").status_code == 302  # sign in first
    client.force_login(bob)  # a member administrator, not a caseworker
    assert client.get("/apply/with-a-resident/").status_code == 403
    client.force_login(resident_user)
    assert client.get("/apply/with-a-resident/").status_code == 403


def test_the_start_page_says_what_is_missing(client: Client, service, offers, alice) -> None:
    client.force_login(alice)
    response = client.post("/apply/with-a-resident/", {"service": "no-such-service"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Select a service from the list" in body
    assert "Select how you are talking with the resident" in body


def test_a_session_started_by_another_caseworker_is_not_assisted(
    client: Client, service, offers, member_a, alice
) -> None:
    """The assisted flag belongs to the caseworker who set it: if someone else signs in on that
    browser, the journey is an ordinary one (their own consent), never recorded as assisted."""
    client.force_login(alice)
    start(client, service)
    client.logout()  # a new session: the flag goes with the old one
    walk(client, service, member_a)
    page = check_page(client, service)
    assert "You are applying with a resident." not in page.content.decode()


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        ({"email": "", "contact_method": "email"}, "Enter an email address"),
        ({"email": "", "phone": "", "contact_method": "text"}, "Enter a phone number"),
        ({"email": "", "contact_method": "post"}, "Enter a postal address"),
    ],
)
def test_each_way_of_contact_needs_its_detail(
    client: Client, service, offers, member_a, contact: dict[str, str], message: str
) -> None:
    client.post(f"/apply/{service.slug}/landlord/", {"landlord": str(member_a.pk)})
    client.post(f"/apply/{service.slug}/eligibility/", {"age": "40"})
    client.post(
        f"/apply/{service.slug}/questions/", {"q_work_wanted": "Care work", "q_has_cv": "yes"}
    )
    response = client.post(
        f"/apply/{service.slug}/contact/", {**PHONE_ONLY, "phone": "07700 900 456", **contact}
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_resident_contacted_by_letter_needs_no_email(
    client: Client, service, offers, member_a
) -> None:
    walk(
        client,
        service,
        member_a,
        contact={
            **PHONE_ONLY,
            "phone": "",
            "contact_method": "post",
            "address": "Flat 2\n10 Example Street\nLondon",
        },
    )
    key = check_page(client, service).context["idempotency_key"]
    client.post(f"/apply/{service.slug}/check/", {"idempotency_key": key})
    [application] = applications()
    assert application.contact_address == "Flat 2\n10 Example Street\nLondon"
    assert application.assisted_channel == "" and application.resident.email == ""
    done = client.get("/apply/done/").content.decode()
    assert "no email address to send it to" in done
