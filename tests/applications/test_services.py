"""application_submit and application_withdraw as services, and the equality aggregate."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from applications.models import EqualityMonitoring
from applications.selectors import equality_aggregate
from applications.services import (
    ApplicationError,
    ApplicationInput,
    ApplicationNotEligible,
    SharingRefused,
    application_submit,
    application_withdraw,
)
from members.scoping import consortium_scope, member_scope
from outbox.models import OutboxMessage
from referrals.models import Application, Referral, ReferralStatus
from referrals.task_names import TASK_ROUTE
from tests.applications.conftest import idempotency_key, walk

pytestmark = pytest.mark.django_db


def data(service: Any, landlord_id: int | None, **overrides: Any) -> ApplicationInput:
    values: dict[str, Any] = {
        "service": service,
        "landlord_id": landlord_id,
        "full_name": "Tomasz Nowak",
        "email": "tomasz@example.org",
        "postcode": "E1 6AN",
        "contact_method": "email",
        "preferred_language": "pl",
        "idempotency_key": "k" * 32,
        "shared_with_member_ids": [landlord_id] if landlord_id else [],
        "consent": True,
        "age": 34,
        "equality": {"ethnicity": "white_other", "disability": "", "sex": ""},
    }
    values.update(overrides)
    return ApplicationInput(**values)


def count(model: Any) -> int:
    with consortium_scope(reason="test: count"):
        return int(model.objects.count())


def test_submit_stores_everything_in_the_landlords_scope(
    service, offers, member_a, member_b
) -> None:
    application = application_submit(
        data=data(service, member_a.pk, shared_with_member_ids=[member_b.pk])
    )
    assert application.member_id == member_a.pk
    assert application.shared_with_member_ids == sorted([member_a.pk, member_b.pk])
    with member_scope(member_a.pk):
        referral = Referral.objects.get(application=application)
        assert EqualityMonitoring.objects.get(application=application).ethnicity == "white_other"
    assert referral.status == ReferralStatus.SUBMITTED and referral.language == "pl"
    route = OutboxMessage.objects.get(task_name=TASK_ROUTE)
    assert route.kwargs == {"referral_id": referral.pk} and route.scope_member_id == member_a.pk
    assert route.dedupe_key == f"route:{referral.pk}"


def test_submitting_the_same_key_twice_returns_the_same_application(
    service, offers, member_a
) -> None:
    first = application_submit(data=data(service, member_a.pk))
    second = application_submit(data=data(service, member_a.pk))
    assert first.pk == second.pk
    assert count(Application) == 1 and count(Referral) == 1
    assert OutboxMessage.objects.filter(task_name=TASK_ROUTE).count() == 1


def test_a_returning_resident_is_found_by_email_within_the_member(
    service, offers, member_a
) -> None:
    application_submit(data=data(service, member_a.pk))
    application_submit(
        data=data(service, member_a.pk, idempotency_key="x" * 32, phone="07700900123")
    )
    with member_scope(member_a.pk):
        residents = {a.resident_id for a in Application.objects.all()}
        assert len(residents) == 1


def test_a_forged_member_id_is_a_clear_error_and_stores_nothing(service, offers) -> None:
    with pytest.raises(ApplicationError):
        application_submit(data=data(service, 987654))
    assert count(Application) == 0 and count(EqualityMonitoring) == 0


def nothing_stored() -> bool:
    return count(Application) == 0 and count(Referral) == 0 and not OutboxMessage.objects.exists()


# Every rule is the service's: whichever way an application comes in (the web journey, the API,
# a future caseworker's form), these refusals hold and store nothing.


def test_an_ineligible_resident_is_refused_with_the_reason(service, offers, member_a) -> None:
    with pytest.raises(ApplicationNotEligible) as refused:
        application_submit(data=data(service, member_a.pk, age=15))
    assert refused.value.reasons == ["You need to be 16 or older to use this service."]
    assert nothing_stored()


def test_a_question_the_service_asks_must_be_answered(service, offers, member_a) -> None:
    with pytest.raises(ApplicationError, match="who can use this service"):
        application_submit(data=data(service, member_a.pk, age=None))
    assert nothing_stored()


def test_no_landlord_is_refused_where_the_service_is_for_tenants(service, offers, member_b) -> None:
    with pytest.raises(ApplicationNotEligible, match="residents of the member housing"):
        application_submit(data=data(service, None, shared_with_member_ids=[member_b.pk]))
    assert nothing_stored()


def test_a_member_that_cannot_deliver_to_the_resident_is_refused(
    service, offers, member_a, member_b
) -> None:
    """Member B serves E1 only: it cannot receive an application from N1."""
    with pytest.raises(SharingRefused) as refused:
        application_submit(
            data=data(service, member_a.pk, postcode="N1 9GU", shared_with_member_ids=[member_b.pk])
        )
    assert refused.value.answer == "members"
    assert nothing_stored()


def test_no_consent_is_refused(service, offers, member_a) -> None:
    with pytest.raises(SharingRefused) as refused:
        application_submit(data=data(service, member_a.pk, consent=False))
    assert refused.value.answer == "consent"
    assert nothing_stored()


def test_the_stored_notice_names_every_receiving_member_in_the_residents_language(
    service, offers, member_a, member_b
) -> None:
    application = application_submit(
        data=data(service, member_a.pk, shared_with_member_ids=[member_b.pk], language="en")
    )
    notice = application.data_sharing_text
    assert "Job search and CV help" in notice
    assert f"- {member_a.name}" in notice and f"- {member_b.name}" in notice
    assert f"{member_a.name}, your landlord, keeps the record" in notice


def test_no_equality_answers_stores_no_equality_row(service, offers, member_a) -> None:
    application_submit(
        data=data(service, member_a.pk, equality={"ethnicity": "", "disability": "", "sex": ""})
    )
    assert count(EqualityMonitoring) == 0


def test_withdrawal_of_an_accepted_referral_withdraws_it(service, offers, member_a) -> None:
    application = application_submit(data=data(service, member_a.pk))
    with member_scope(member_a.pk):
        Referral.objects.filter(application=application).update(status=ReferralStatus.ACCEPTED)
    application_withdraw(application=application)
    application_withdraw(application=application)  # twice is harmless
    with member_scope(member_a.pk):
        referral = Referral.objects.get(application=application)
    assert referral.status == ReferralStatus.WITHDRAWN


def test_withdrawal_by_status_check_is_the_referral_lifecycles_withdrawal(
    service, offers, member_a, member_b
) -> None:
    """The same event, audit and emails as a signed-in resident's withdrawal."""
    from outbox.models import OutboxMessage
    from referrals.models import ReferralEvent, ReferralEventKind

    application = application_submit(data=data(service, member_a.pk))
    with member_scope(member_a.pk):
        Referral.objects.filter(application=application).update(
            status=ReferralStatus.ROUTED, provider=member_b
        )
    application_withdraw(application=application)
    with member_scope(member_a.pk):
        referral = Referral.objects.get(application=application)
        events = list(
            ReferralEvent.objects.filter(referral=referral, kind=ReferralEventKind.TRANSITION)
        )
    assert referral.withdrawn_at is not None
    assert [e.to_status for e in events] == [ReferralStatus.WITHDRAWN]
    assert OutboxMessage.objects.filter(dedupe_key=f"referral_withdrawn:{referral.pk}").exists()


def test_a_closed_referral_stays_closed_when_the_application_is_withdrawn(
    service, offers, member_a
) -> None:
    application = application_submit(data=data(service, member_a.pk))
    with member_scope(member_a.pk):
        Referral.objects.filter(application=application).update(status=ReferralStatus.CLOSED)
    application_withdraw(application=application)
    with member_scope(member_a.pk):
        assert Referral.objects.get(application=application).status == ReferralStatus.CLOSED
        assert Application.objects.get(pk=application.pk).withdrawn_at is not None


def test_equality_counts_under_five_are_suppressed(service, offers, member_a) -> None:
    for i in range(6):
        application_submit(
            data=data(service, member_a.pk, idempotency_key=f"{i}" * 20, email=f"p{i}@example.org")
        )
    application_submit(
        data=data(
            service, member_a.pk, idempotency_key="z" * 20, equality={"ethnicity": "other_arab"}
        )
    )
    with consortium_scope(reason="test: equality report"):
        counts = equality_aggregate(field="ethnicity")
    assert counts == {"other_arab": "<5", "white_other": "6"}


def test_none_of_these_is_offered_where_the_service_allows_and_a_provider_owns_it(
    client: Client, service, offers, member_b
) -> None:
    service.eligibility = {"min_age": 16}
    service.save()
    page = client.get(f"/apply/{service.slug}/landlord/").content.decode()
    assert "None of these" in page
    walk(
        client,
        service,
        type("NoLandlord", (), {"pk": "none"})(),
        sharing={"members": [str(member_b.pk)], "consent": "on"},
    )
    response = client.post(
        f"/apply/{service.slug}/check/", {"idempotency_key": idempotency_key(client, service)}
    )
    assert response.status_code == 302
    with member_scope(member_b.pk):
        application = Application.objects.get()
    assert application.member_id == member_b.pk
    assert application.shared_with_member_ids == [member_b.pk]
