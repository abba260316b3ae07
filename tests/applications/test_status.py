"""Checking an application without an account: reference + emailed one-time code; withdrawal;
a signed-in resident's list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from applications.models import StatusCheckCode
from applications.services import status_code_issue, status_code_verify
from members.scoping import member_scope
from referrals.models import Application, Referral, ReferralStatus
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(member_a):  # noqa: ANN001, ANN201
    return ReferralFactory(member=member_a)


def code_from_mail() -> str:
    match = re.search(r"\b(\d{6})\b", mail.outbox[-1].body)
    assert match
    return match.group(1)


def test_a_code_is_emailed_and_stored_only_as_a_hash(referral) -> None:
    assert status_code_issue(reference=referral.reference)
    code = code_from_mail()
    with member_scope(referral.member_id):
        stored = StatusCheckCode.objects.get()
    assert code not in stored.code_hash
    assert mail.outbox[-1].to == [referral.application.resident.email]


def test_the_right_code_opens_the_application_once(referral) -> None:
    status_code_issue(reference=referral.reference)
    code = code_from_mail()
    grant = status_code_verify(reference=referral.reference, code=code)
    assert grant is not None and grant.application_id == referral.application_id
    assert status_code_verify(reference=referral.reference, code=code) is None


def test_an_expired_code_does_not_work(referral) -> None:
    status_code_issue(reference=referral.reference)
    code = code_from_mail()
    with member_scope(referral.member_id):
        StatusCheckCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert status_code_verify(reference=referral.reference, code=code) is None


def test_five_wrong_codes_lock_the_code(referral) -> None:
    status_code_issue(reference=referral.reference)
    code = code_from_mail()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert status_code_verify(reference=referral.reference, code=wrong) is None
    assert status_code_verify(reference=referral.reference, code=code) is None


def test_codes_per_application_are_limited(referral) -> None:
    sent = [status_code_issue(reference=referral.reference) for _ in range(5)]
    assert sent == [True, True, True, False, False]


def test_an_unknown_reference_sends_nothing(db) -> None:  # noqa: ANN001
    assert status_code_issue(reference="HC-ZZZZ-ZZZZ") is False
    assert mail.outbox == []


@pytest.mark.ownership(
    "applications:status_start",
    "applications:status_code",
    "applications:status_detail",
    "applications:status_withdraw",
)
def test_it_checks_ownership_another_reference_with_a_wrong_code_reveals_nothing(
    client: Client, member_a, member_b, charlie
) -> None:
    mine = ReferralFactory(member=member_b)
    theirs = ReferralFactory(member=member_a)
    client.force_login(charlie)
    # A code for charlie's own application...
    client.post("/apply/status/", {"reference": mine.reference})
    own_code = code_from_mail()
    # ...is no use against another application's reference.
    response = client.post("/apply/status/", {"reference": theirs.reference})
    assert response.status_code == 302
    response = client.post("/apply/status/code/", {"code": own_code})
    assert response.status_code == 400
    assert theirs.application.resident.full_name not in response.content.decode()
    for url in ("/apply/status/application/", "/apply/status/withdraw/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/apply/status/"
    response = client.post("/apply/status/withdraw/")
    assert response.status_code == 302
    with member_scope(member_a.pk):
        assert Application.objects.get(pk=theirs.application_id).withdrawn_at is None


def test_the_resident_checks_status_and_withdraws(client: Client, referral) -> None:
    response = client.post(
        "/apply/status/", {"reference": referral.reference.lower().replace("-", " ")}
    )
    assert response.status_code == 302
    response = client.post("/apply/status/code/", {"code": code_from_mail()})
    assert response["Location"] == "/apply/status/application/"
    page = client.get("/apply/status/application/")
    assert referral.reference in page.content.decode()
    assert client.post("/apply/status/withdraw/").status_code == 302
    with member_scope(referral.member_id):
        application = Application.objects.get(pk=referral.application_id)
        refreshed = Referral.objects.get(pk=referral.pk)
    assert application.withdrawn_at is not None
    assert refreshed.status == ReferralStatus.WITHDRAWN and refreshed.withdrawn_at is not None


def test_an_unknown_reference_gets_the_same_answer_as_a_known_one(client: Client, referral) -> None:
    known = client.post("/apply/status/", {"reference": referral.reference})
    unknown = Client().post("/apply/status/", {"reference": "HC-ZZZZ-ZZZZ"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_a_badly_formed_reference_says_how_to_fix_it(client: Client, db) -> None:  # noqa: ANN001
    response = client.post("/apply/status/", {"reference": "<b>nope</b>"})
    assert response.status_code == 400
    assert "like HC-7KQ4-M2XD" in response.content.decode()
    assert "<b>nope" not in response.content.decode()


def test_verifying_links_the_resident_account_and_lists_it_in_mine(
    client: Client, referral
) -> None:
    from accounts.models import User

    status_code_issue(reference=referral.reference)
    status_code_verify(reference=referral.reference, code=code_from_mail())
    user = User.objects.get(email=referral.application.resident.email)
    client.force_login(user)
    page = client.get("/apply/mine/")
    assert page.status_code == 200
    assert referral.reference in page.content.decode()


@pytest.mark.ownership("applications:mine")
def test_it_checks_ownership_mine_lists_only_your_own_applications(
    client: Client, resident, member_a, charlie
) -> None:
    from tests.factories import ApplicationFactory

    own = ApplicationFactory(member=member_a, resident=resident)
    client.force_login(charlie)
    page = client.get("/apply/mine/")
    assert own.reference not in page.content.decode()
    response = client.post("/apply/mine/", {"reference": own.reference})
    assert response.status_code == 404
    with member_scope(member_a.pk):
        assert Application.objects.get(pk=own.pk).withdrawn_at is None


def test_a_signed_in_resident_withdraws_from_mine(
    client: Client, resident, resident_user, member_a
) -> None:
    from tests.factories import ApplicationFactory

    own = ApplicationFactory(member=member_a, resident=resident)
    client.force_login(resident_user)
    assert own.reference in client.get("/apply/mine/").content.decode()
    assert client.post("/apply/mine/", {"reference": own.reference}).status_code == 302
    with member_scope(member_a.pk):
        assert Application.objects.get(pk=own.pk).withdrawn_at is not None


def test_old_codes_are_purged_and_fresh_ones_kept(referral) -> None:
    from applications.tasks import purge_status_codes

    status_code_issue(reference=referral.reference)
    status_code_issue(reference=referral.reference)
    with member_scope(referral.member_id):
        first = StatusCheckCode.objects.order_by("pk").first()
        assert first is not None
        StatusCheckCode.objects.filter(pk=first.pk).update(
            expires_at=timezone.now() - timedelta(days=2)
        )
    assert purge_status_codes.apply().get() == 1
    with member_scope(referral.member_id):
        assert StatusCheckCode.objects.count() == 1
