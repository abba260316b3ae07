"""Publishing and signing: what is refused, what is a no-op, what is final, what is audited."""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest
from django.db import IntegrityError

from audit.models import AuditAction, AuditEvent
from dataprotection.models import AgreementImmutable, AgreementSignature, SharingAgreement
from dataprotection.services import (
    AgreementInvalid,
    AgreementNotFound,
    AgreementSuperseded,
    agreement_publish,
    agreement_sign,
)
from kernel.errors import NotPermitted, RuleBroken
from members.scoping import consortium_scope, member_scope
from tests.dataprotection.conftest import TODAY, day, noon, publish, sign
from tests.members.test_rls import app_role_connection, set_scope
from tests.referrals.conftest import actor_of

pytestmark = pytest.mark.django_db


def _signatures(member: Any) -> list[AgreementSignature]:
    with member_scope(member.pk):
        return list(AgreementSignature.objects.order_by("pk"))


# --- Publishing ----------------------------------------------------------------------------------


def test_publish_stores_the_version_with_its_checksum_and_grace_and_audits_it(
    coordinator: Any,
) -> None:
    agreement = publish(
        coordinator, "v1", day(7), grace_days=30, text="  Clause 1.\r\nClause 2.   \r\n\r\n"
    )
    assert agreement.text == "Clause 1.\nClause 2."
    assert len(agreement.text_sha256) == 64
    assert agreement.grace_until == day(37)
    assert agreement.published_by == coordinator
    with consortium_scope(reason="test: read the audit log"):
        event = AuditEvent.objects.get(object_type="sharing_agreement")
    assert event.actor_id == coordinator.pk and event.member_id is None
    assert event.action == AuditAction.CREATE and event.object_id == str(agreement.pk)
    assert "published data sharing agreement v1" in event.reason


@pytest.mark.parametrize(
    ("version", "effective_offset", "grace", "message"),
    [
        ("v 2", 1, 0, "letters, digits"),
        ("", 1, 0, "letters, digits"),
        ("v2", -1, 0, "cannot be in the past"),
        ("v2", 800, 0, "within two years"),
        ("v2", 1, -1, "0 to 365"),
        ("v2", 1, 366, "0 to 365"),
        ("v2", 5, 0, "must take effect after it"),  # v1 takes effect on day 5
        ("V1", 9, 0, "already published"),
    ],
)
def test_publish_refuses_what_cannot_be_published(
    coordinator: Any, version: str, effective_offset: int, grace: int, message: str
) -> None:
    publish(coordinator, "v1", day(5))
    with pytest.raises(AgreementInvalid, match=message):
        agreement_publish(
            actor=actor_of(coordinator),
            version=version,
            text="Text.",
            effective_from=day(effective_offset),
            grace_days=grace,
        )
    assert SharingAgreement.objects.count() == 1


def test_only_the_coordinator_publishes(alice: Any, dpo: Any, bob: Any, coordinator: Any) -> None:
    for user in (alice, dpo, bob):
        with pytest.raises(NotPermitted):
            agreement_publish(
                actor=actor_of(user), version="v1", text="T", effective_from=TODAY, grace_days=0
            )
    with pytest.raises(AgreementInvalid, match="Enter the text"):
        agreement_publish(
            actor=actor_of(coordinator), version="v1", text=" \n ", effective_from=TODAY,
            grace_days=0,
        )  # fmt: skip
    assert not SharingAgreement.objects.exists()


# --- Signing -------------------------------------------------------------------------------------


def test_a_dpo_signs_for_their_own_member_and_it_is_audited(
    coordinator: Any, dpo: Any, member_a: Any, member_b: Any
) -> None:
    agreement = publish(coordinator, "v1", day(0))
    signature = sign(dpo, agreement)
    assert signature.member_id == member_a.pk
    assert signature.signed_by == dpo and signature.signer_name == "Dana Patel"
    assert [s.pk for s in _signatures(member_a)] == [signature.pk]
    assert _signatures(member_b) == []
    with member_scope(member_a.pk):
        event = AuditEvent.objects.get(object_type="sharing_agreement_signature")
    assert (event.actor_id, event.member_id, event.object_id) == (
        dpo.pk,
        member_a.pk,
        str(signature.pk),
    )
    assert event.reason == "signed data sharing agreement v1 for the member"


def test_a_second_signature_is_a_no_op(coordinator: Any, dpo: Any, member_a: Any) -> None:
    from tests.factories import staff_create

    agreement = publish(coordinator, "v1", day(0))
    first = sign(dpo, agreement)
    other_dpo = staff_create(member_a, "dpo2@a.example", ["dpo"], "Second Officer")
    again = sign(dpo, agreement)
    by_colleague = sign(other_dpo, agreement)
    assert again.pk == first.pk == by_colleague.pk
    assert by_colleague.signed_by == dpo  # the record of who signed stays the first
    assert len(_signatures(member_a)) == 1
    with member_scope(member_a.pk):
        audited = AuditEvent.objects.filter(object_type="sharing_agreement_signature").count()
    assert audited == 1


def test_a_signature_of_a_superseded_version_is_refused(
    coordinator: Any, dpo: Any, member_a: Any
) -> None:
    v1 = publish(coordinator, "v1", day(-30))
    v2 = publish(coordinator, "v2", day(-1), grace_days=10, today=day(-5))
    with pytest.raises(AgreementSuperseded, match="replaced by version v2") as refused:
        sign(dpo, v1)
    assert isinstance(refused.value, RuleBroken) and refused.value.status == 409
    assert refused.value.code == "agreement_superseded"
    assert _signatures(member_a) == []
    # Before v2 took effect, v1 could be signed; a signature made then still stands.
    assert sign(dpo, v1, on=day(-2)).agreement_id == v1.pk
    assert sign(dpo, v1).agreement_id == v1.pk  # and asking again is the no-op, not a refusal
    assert sign(dpo, v2).agreement_id == v2.pk


def test_an_upcoming_version_may_be_signed_before_it_takes_effect(
    coordinator: Any, dpo: Any
) -> None:
    publish(coordinator, "v1", day(-10))
    v2 = publish(coordinator, "v2", day(20))
    v3 = publish(coordinator, "v3", day(40))
    assert sign(dpo, v2).agreement_id == v2.pk
    assert sign(dpo, v3).agreement_id == v3.pk


def test_only_a_dpo_of_a_member_signs(
    coordinator: Any, alice: Any, bob: Any, board_member: Any
) -> None:
    agreement = publish(coordinator, "v1", day(0))
    for user in (alice, bob, board_member, coordinator):
        with pytest.raises(NotPermitted):
            sign(user, agreement)
    assert not AgreementSignature.unscoped_objects.exists()


def test_an_unknown_version_is_not_found(dpo: Any) -> None:
    with pytest.raises(AgreementNotFound):
        agreement_sign(actor=actor_of(dpo), agreement_id=12345)


# --- Final once written --------------------------------------------------------------------------


def test_agreements_and_signatures_cannot_be_changed_or_deleted(
    coordinator: Any, dpo: Any, member_a: Any
) -> None:
    agreement = publish(coordinator, "v1", day(0))
    signature = sign(dpo, agreement)
    agreement.text = "Something else"
    with pytest.raises(AgreementImmutable):
        agreement.save()
    with pytest.raises(AgreementImmutable):
        agreement.delete()
    with member_scope(member_a.pk):
        signature.signer_name = "Someone else"
        with pytest.raises(AgreementImmutable):
            signature.save()
        with pytest.raises(AgreementImmutable):
            signature.delete()
        # One signature per member and version, whatever the path.
        with pytest.raises(IntegrityError):
            AgreementSignature.objects.create(
                member=member_a, agreement=agreement, signed_by=dpo, signer_name="Twice"
            )


@pytest.mark.django_db(transaction=True)
def test_the_application_role_cannot_update_or_delete_them_in_the_database(
    member_a: Any, coordinator: Any, dpo: Any
) -> None:
    agreement = publish(coordinator, "v1", day(0))
    sign(dpo, agreement)
    conn = app_role_connection()
    try:
        with conn.cursor() as cursor:
            for statement in (
                "UPDATE dataprotection_sharingagreement SET text = 'tampered'",
                "DELETE FROM dataprotection_sharingagreement",
                "UPDATE dataprotection_agreementsignature SET signer_name = 'tampered'",
                "DELETE FROM dataprotection_agreementsignature",
            ):
                set_scope(cursor, member_id=member_a.pk, consortium=True)
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cursor.execute(statement)
                conn.rollback()
            # And the signature is member A's alone: another member's scope sees nothing.
            set_scope(cursor, member_id=member_a.pk + 1000)
            cursor.execute("SELECT count(*) FROM dataprotection_agreementsignature")
            assert cursor.fetchone()[0] == 0
            conn.rollback()
    finally:
        conn.close()


def test_the_demo_can_sign_in_the_past_with_its_own_clock(coordinator: Any, dpo: Any) -> None:
    agreement = publish(coordinator, "v1", day(-3))
    signature = sign(dpo, agreement, on=day(-2))
    assert signature.signed_at == noon(day(-2))
