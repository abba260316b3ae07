"""The kind of record an audit event is about has one spelling (audit.models.AuditObjectType):
the migration that moved the `app.model` spellings to it, and the DPO's search offering the kinds
as a choice."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from audit.models import AuditAction, AuditEvent, AuditObjectType
from members.scoping import member_scope
from tests.factories import MemberFactory

BEFORE = [("audit", "0002_member_index_covered_by_composites")]
AFTER = [("audit", "0003_object_type_choices")]
# What 0003 rewrites, and spellings it must leave alone.
OLD_TO_NEW = {
    "procurement.contract": AuditObjectType.CONTRACT,
    "procurement.contractdocument": AuditObjectType.CONTRACT_DOCUMENT,
    "procurement.participation": AuditObjectType.PARTICIPATION,
    "procurement.spendimport": AuditObjectType.SPEND_IMPORT,
    "reports.deliverycost": AuditObjectType.DELIVERY_COST,
    "reports.socialvaluetable": AuditObjectType.SOCIAL_VALUE_TABLE,
    "reports.target": AuditObjectType.REPORT_TARGET,
    "learning.booking": AuditObjectType.BOOKING,
    "learning.certificate": AuditObjectType.CERTIFICATE,
}
KEPT = [AuditObjectType.REFERRAL, AuditObjectType.REPORT_FILE, ""]


def _migrate(targets: list[tuple[str, str]]) -> None:
    MigrationExecutor(connection).migrate(targets)


def _stored(member_id: int) -> dict[str, str]:
    with member_scope(member_id):
        return dict(
            AuditEvent.objects.filter(member_id=member_id).values_list("object_id", "object_type")
        )


@pytest.mark.django_db(transaction=True)
def test_app_model_spellings_are_rewritten_and_the_rest_kept() -> None:
    member = MemberFactory()
    spellings = [*OLD_TO_NEW, *KEPT]
    try:
        _migrate(BEFORE)
        with member_scope(member.pk):  # the application's own way in: RLS admits the member
            for i, spelling in enumerate(spellings):
                AuditEvent.unscoped_objects.create(
                    member_id=member.pk,
                    action=AuditAction.VIEW,
                    object_type=spelling,
                    object_id=str(i),
                    reason=f"row {i}",
                )
        _migrate(AFTER)
        expected = [*OLD_TO_NEW.values(), *KEPT]
        assert _stored(member.pk) == {str(i): str(kind) for i, kind in enumerate(expected)}
        with member_scope(member.pk):
            reasons = set(AuditEvent.objects.values_list("reason", flat=True))
        assert reasons == {f"row {i}" for i in range(len(spellings))}

        _migrate(BEFORE)  # and back: the old spellings return
        assert _stored(member.pk) == {str(i): str(s) for i, s in enumerate(spellings)}
    finally:
        _migrate(AFTER)


def test_every_stored_kind_is_a_choice_of_the_field() -> None:
    field = AuditEvent._meta.get_field("object_type")
    assert field.choices == AuditObjectType.choices
    assert all("." not in kind for kind in AuditObjectType.values)  # one spelling: no app.model


@pytest.mark.django_db
def test_the_dpo_picks_the_record_type_from_a_list(client, charlie) -> None:
    client.force_login(charlie)
    page = client.get(reverse("referrals:audit_log")).content.decode()
    assert '<select name="object_type"' in page
    assert '<option value="referral_contact">' in page
    refused = client.get(reverse("referrals:audit_log"), {"object_type": "procurement.contract"})
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
