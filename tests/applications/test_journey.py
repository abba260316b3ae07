"""The resident's journey over HTTP: apply, idempotency, honeypot, rate limits, Redis down."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from applications.models import EqualityMonitoring
from members.scoping import consortium_scope, member_scope
from notifications.task_names import TASK_SEND_RESIDENT_NOTICE
from outbox.models import OutboxMessage
from referrals.models import Application, Referral, ReferralStatus
from referrals.task_names import TASK_ROUTE
from tests.applications.conftest import idempotency_key, walk
from tests.fixtures_services import celery_broker, free_port

pytestmark = pytest.mark.django_db


def applications_count() -> int:
    with consortium_scope(reason="test: count applications"):
        return Application.objects.count()


def test_a_resident_applies_and_gets_a_reference(client: Client, service, offers, member_a) -> None:
    walk(client, service, member_a)
    key = idempotency_key(client, service)
    response = client.post(f"/apply/{service.slug}/check/", {"idempotency_key": key, "website": ""})
    assert response.status_code == 302
    assert response["Location"] == "/apply/done/"
    page = client.get("/apply/done/")
    with member_scope(member_a.pk):
        application = Application.objects.select_related("resident").get()
        referral = Referral.objects.get(application=application)
        equality = EqualityMonitoring.objects.get(application=application)
    assert application.reference in page.content.decode()
    assert application.resident.full_name == "Amina Begum"
    assert application.resident.postcode == "E1 6AN"
    assert application.answers["work_wanted"] == "Warehouse work"
    assert application.shared_with_member_ids == [member_a.pk]
    assert member_a.name in application.data_sharing_text
    assert application.consent_given_at is not None
    assert referral.status == ReferralStatus.SUBMITTED
    assert referral.area == "E1"
    assert "Amina" not in referral.need_summary
    assert equality.ethnicity == "asian_bangladeshi"
    tasks = set(OutboxMessage.objects.values_list("task_name", flat=True))
    assert tasks == {TASK_ROUTE, TASK_SEND_RESIDENT_NOTICE}


@pytest.mark.ownership("applications:check")
def test_it_checks_ownership_a_repeated_post_creates_one_application(
    client: Client, service, offers, member_a, charlie
) -> None:
    walk(client, service, member_a)
    key = idempotency_key(client, service)
    first = client.post(f"/apply/{service.slug}/check/", {"idempotency_key": key})
    second = client.post(f"/apply/{service.slug}/check/", {"idempotency_key": key})
    assert first.status_code == second.status_code == 302
    assert second["Location"] == "/apply/done/"
    assert applications_count() == 1
    # Another person (charlie, signed in, another session) sees nothing of this journey.
    other = Client()
    other.force_login(charlie)
    page = other.get(f"/apply/{service.slug}/check/")
    assert page.status_code == 302  # sent to the first unanswered step
    assert "Amina" not in other.get(page["Location"]).content.decode()


def test_the_same_key_posted_after_the_session_was_lost_is_still_one_application(
    client: Client, service, offers, member_a
) -> None:
    walk(client, service, member_a)
    key = idempotency_key(client, service)
    client.post(f"/apply/{service.slug}/check/", {"idempotency_key": key})
    # The resident uses the back button and submits the same journey again in a new session.
    again = Client()
    walk(again, service, member_a)
    session = again.session
    session["apply"]["job-search-cv"]["key"] = key
    session.save()
    response = again.post(f"/apply/{service.slug}/check/", {"idempotency_key": key})
    assert response.status_code == 302
    assert applications_count() == 1


def test_the_application_is_stored_when_redis_is_down(
    client: Client, service, offers, member_a
) -> None:
    walk(client, service, member_a)
    key = idempotency_key(client, service)
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        response = client.post(f"/apply/{service.slug}/check/", {"idempotency_key": key})
    assert response.status_code == 302
    assert applications_count() == 1
    route = OutboxMessage.objects.get(task_name=TASK_ROUTE)
    assert route.relayed_at is None  # pending: relayed by beat when the broker is back


def test_the_rate_limit_fails_open_when_the_cache_is_down(
    client: Client, service, offers, member_a, settings
) -> None:
    walk(client, service, member_a)
    key = idempotency_key(client, service)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response = client.post(f"/apply/{service.slug}/check/", {"idempotency_key": key})
    assert response.status_code == 302
    assert applications_count() == 1


def test_a_filled_honeypot_stores_nothing(client: Client, service, offers, member_a) -> None:
    walk(client, service, member_a)
    key = idempotency_key(client, service)
    response = client.post(
        f"/apply/{service.slug}/check/", {"idempotency_key": key, "website": "http://spam.example"}
    )
    assert response.status_code == 400
    assert "Leave this blank" in response.content.decode()
    assert applications_count() == 0


def test_too_many_submissions_from_one_address_are_refused(
    client: Client, service, offers, member_a
) -> None:
    walk(client, service, member_a)
    for _ in range(10):
        client.post(f"/apply/{service.slug}/check/", {"idempotency_key": "bad"})
    response = client.post(
        f"/apply/{service.slug}/check/", {"idempotency_key": idempotency_key(client, service)}
    )
    assert response.status_code == 429
    assert applications_count() == 0


def test_answers_survive_an_error_and_the_message_says_how_to_fix_it(
    client: Client, service, offers, member_a
) -> None:
    walk(client, service, member_a)
    response = client.post(
        f"/apply/{service.slug}/contact/",
        {
            "full_name": "Amina Begum",
            "email": "not-an-email",
            "postcode": "E1 6AN",
            "contact_method": "email",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'value="Amina Begum"' in body
    assert "like name@example.com" in body
    assert 'href="#id_email"' in body  # the error summary links to the field


def test_html_and_script_are_stored_as_text_and_escaped(
    client: Client, service, offers, member_a
) -> None:
    name = '<script>alert("x")</script> Amina'
    walk(client, service, member_a, contact={"full_name": name})
    body = client.get(f"/apply/{service.slug}/check/").content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;" in body
    client.post(
        f"/apply/{service.slug}/check/", {"idempotency_key": idempotency_key(client, service)}
    )
    with member_scope(member_a.pk):
        assert Application.objects.get().resident.full_name == name


def test_a_later_step_sends_you_back_to_the_first_unanswered_one(
    client: Client, service, offers
) -> None:
    response = client.get(f"/apply/{service.slug}/contact/")
    assert response.status_code == 302
    assert response["Location"] == f"/apply/{service.slug}/landlord/"


def test_none_of_these_is_refused_where_the_service_is_for_tenants(
    client: Client, service, offers
) -> None:
    page = client.get(f"/apply/{service.slug}/landlord/")
    assert "None of these" not in page.content.decode()
    response = client.post(f"/apply/{service.slug}/landlord/", {"landlord": "none"})
    assert response.status_code == 400


def test_a_forged_landlord_id_is_a_clear_error(client: Client, service, offers) -> None:
    response = client.post(f"/apply/{service.slug}/landlord/", {"landlord": "999999"})
    assert response.status_code == 400
    assert "Select your landlord from the list" in response.content.decode()


def test_too_young_is_told_why(client: Client, service, offers, member_a) -> None:
    client.post(f"/apply/{service.slug}/landlord/", {"landlord": str(member_a.pk)})
    response = client.post(f"/apply/{service.slug}/eligibility/", {"age": "14"})
    assert response.status_code == 200
    assert "16 or older" in response.content.decode()


def test_the_confirmation_email_is_sent_in_the_residents_language(
    client: Client, service, offers, member_a
) -> None:
    from notifications.services import resident_notice_send

    walk(client, service, member_a)
    client.post(
        f"/apply/{service.slug}/preferences/?change=1",
        {"preferred_language": "pl", "accessibility_needs": ""},
    )
    client.post(f"/apply/{service.slug}/sharing/", {"members": [str(member_a.pk)], "consent": "on"})
    client.post(
        f"/apply/{service.slug}/check/", {"idempotency_key": idempotency_key(client, service)}
    )
    message = OutboxMessage.objects.get(task_name=TASK_SEND_RESIDENT_NOTICE)
    assert message.kwargs["ids"].keys() == {"application_id"}  # ids only, no personal data
    mail.outbox.clear()
    with member_scope(member_a.pk):  # as the consumer runs it
        channel = resident_notice_send(kind=message.kwargs["kind"], ids=message.kwargs["ids"])
        reference = Application.objects.get().reference
    assert channel == "email"  # the resident chose email
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert reference in sent.subject and reference in sent.body
    assert sent.to == ["amina@example.org"]
    assert "Otrzymali" in sent.subject  # Polish


def test_a_provider_that_stopped_offering_since_the_resident_chose_is_chosen_again(
    client: Client, service, offers, member_a, member_b
) -> None:
    """ "Check your answers" holds the answers against the service's rules again: B's offer
    closed after the resident ticked B, so the resident chooses again and nothing is sent."""
    walk(
        client,
        service,
        member_a,
        sharing={"members": [str(member_a.pk), str(member_b.pk)], "consent": "on"},
    )
    offers[1].is_active = False
    with member_scope(member_b.pk):
        offers[1].save(update_fields=["is_active"])

    response = client.get(f"/apply/{service.slug}/check/")

    assert response.status_code == 302
    assert response["Location"] == f"/apply/{service.slug}/sharing/"
    page = client.get(response["Location"]).content.decode()
    assert "Select housing associations from the list" in page
    assert member_b.name not in page  # no longer offered
    assert applications_count() == 0
