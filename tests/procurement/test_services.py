"""Visibility per member, intents and the pipeline, documents, renewal reminders."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from kernel.calendar import Quarter
from members.scoping import consortium_scope, member_scope
from outbox.models import OutboxMessage
from procurement import selectors, services
from procurement.models import ContractStatus, RenewalReminder
from tests.factories import MemberFactory
from tests.learning.conftest import actor_of
from tests.procurement.conftest import contract_make, participation_make
from tests.procurement.files import pdf_bytes

pytestmark = [pytest.mark.django_db]


def test_a_member_sees_contracts_it_leads_joins_or_may_join_only(member_a, member_b, charlie):
    contract_make(member_b, "JP-B")
    joined = contract_make(member_a, "JP-A1")
    private = contract_make(member_a, "JP-A2")
    planned = contract_make(member_a, "JP-A3", status=ContractStatus.PLANNED)
    participation_make(member_b, joined)
    participation_make(member_a, private)
    with member_scope(member_b.pk):
        visible = {
            c.reference: c for c in selectors.contract_list_for_member(member_id=member_b.pk)
        }
        actor = actor_of(charlie)
        with pytest.raises(Http404):
            selectors.access_contract_by_id(actor, private.pk)
        with pytest.raises(Http404):
            selectors.access_contract_by_id(actor, planned.pk, participants_only=True)
        assert selectors.access_contract_by_id(actor, joined.pk).is_participant
    assert set(visible) == {"JP-B", "JP-A1", "JP-A3"}
    assert visible["JP-B"].is_lead and not visible["JP-B"].is_participant


def test_another_members_figures_stay_private(member_a, member_b):
    contract = contract_make(member_a)
    participation_make(member_a, contract, "50000", "40000")
    participation_make(member_b, contract, "90000", "70000")
    with member_scope(member_b.pk):
        assert selectors.member_participation(contract=contract, member_id=member_a.pk) is None
        rows = list(
            selectors.procurement_savings_by_member(
                period_start=date(2026, 4, 1), period_end=date(2027, 3, 31)
            )
        )
        totals = selectors.consortium_savings_totals(quarter=Quarter(2026, 1), user_id=None)
    assert [r["member"] for r in rows] == [member_b.pk]
    # With two members, B could subtract its own saving from the total and learn A's.
    assert totals["quarter"] == {"members": 2, "disclosed": False}


def test_consortium_totals_include_every_member_once_three_take_part(member_a, member_b):
    contract = contract_make(member_a)
    member_c = MemberFactory(slug="c", name="C HA", short_name="C")
    participation_make(member_a, contract, "50000", "40000")
    participation_make(member_b, contract, "90000", "70000")
    participation_make(member_c, contract, "36500", "36500")
    with member_scope(member_b.pk):
        totals = selectors.consortium_savings_totals(quarter=Quarter(2026, 1), user_id=None)
        per_contract = selectors.contract_totals(
            contract=contract, quarter=Quarter(2026, 1), user_id=None
        )
    assert totals["quarter"]["disclosed"] and totals["quarter"]["members"] == 3
    assert round(totals["quarter"]["saving"]) == round((10000 + 20000) * 91 / 365)
    assert per_contract["participants"] == 3
    assert round(per_contract["quarter_saving"]) == round(30000 * 91 / 365)


def test_the_lead_sees_the_pipeline_of_members_intending_to_join(
    member_a, member_b, alice, charlie
):
    contract = contract_make(member_a, status=ContractStatus.TENDERING)
    with member_scope(member_b.pk):
        services.intent_declare(actor=actor_of(charlie), contract=contract, note="About 40 homes")
    with member_scope(member_a.pk):
        pipeline = list(selectors.contract_pipeline(contract=contract, lead_member_id=member_a.pk))
        with pytest.raises(services.ProcurementError):
            services.intent_declare(actor=actor_of(alice), contract=contract)
    assert [(i.member_id, i.note) for i in pipeline] == [(member_b.pk, "About 40 homes")]
    with member_scope(member_b.pk):
        assert (
            list(selectors.contract_pipeline(contract=contract, lead_member_id=member_b.pk)) == []
        )
        services.intent_withdraw(actor=actor_of(charlie), contract=contract)
    with member_scope(member_a.pk):
        assert not selectors.contract_pipeline(
            contract=contract, lead_member_id=member_a.pk
        ).exists()


def test_participation_needs_an_awarded_contract(member_b, charlie, member_a):
    contract = contract_make(member_a, status=ContractStatus.PLANNED)
    with member_scope(member_b.pk), pytest.raises(services.ProcurementError):
        services.participation_save(
            actor=actor_of(charlie),
            contract=contract,
            baseline_annual_cost=1,
            contracted_annual_cost=1,
            start_date=date(2026, 4, 1),
            end_date=None,
        )


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("terms.pdf", pdf_bytes(), "pdf"),
        ("spec.docx", docx_bytes(), "docx"),
        ("prices.csv", b"item,price\nbrick,1.20\n", "csv"),
    ],
)
def test_documents_are_typed_by_content_and_stored_privately(
    member_a, alice, settings, tmp_path, name, data, kind
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": None},
        },
    }
    contract = contract_make(member_a)
    with member_scope(member_a.pk):
        document = services.document_upload(
            actor=actor_of(alice),
            contract=contract,
            title="Terms",
            uploaded=SimpleUploadedFile(name, data),
        )
    assert document.kind == kind
    assert document.file.name.startswith(f"procurement/{contract.pk}/")
    assert name not in document.file.name
    assert (tmp_path / document.file.name).read_bytes() == data


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "not PDF"),
        ("fake.docx", b"%PDF-1.7", "not Word"),
        ("virus.exe", b"MZ", "PDF, DOCX, XLSX or CSV"),
        ("binary.csv", b"a,b\x00\x01", "CSV"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_documents_of_the_wrong_type_are_refused(member_a, alice, name, data, message):
    contract = contract_make(member_a)
    with member_scope(member_a.pk), pytest.raises(services.ProcurementError, match=message):
        services.document_upload(
            actor=actor_of(alice),
            contract=contract,
            title="x",
            uploaded=SimpleUploadedFile(name, data),
        )


def test_documents_over_the_size_limit_are_refused(member_a, alice, settings):
    settings.MAX_UPLOAD_BYTES = 1024
    contract = contract_make(member_a)
    upload = SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 2000)
    with member_scope(member_a.pk), pytest.raises(services.ProcurementError, match="smaller"):
        services.document_upload(
            actor=actor_of(alice), contract=contract, title="x", uploaded=upload
        )


def test_renewal_reminders_go_once_per_threshold_to_lead_and_participants(
    member_a, member_b, alice, charlie
):
    today = date(2026, 11, 1)
    contract = contract_make(member_a, end_date=today + timedelta(days=85))
    participation_make(member_b, contract, start=date(2025, 4, 1))
    with consortium_scope(reason="test"):
        assert services.renewal_reminders_send(today=today) == 2
        assert services.renewal_reminders_send(today=today) == 0
        assert services.renewal_reminders_send(today=today + timedelta(days=1)) == 0
        # Crossing the next threshold sends the next reminder.
        assert services.renewal_reminders_send(today=today + timedelta(days=56)) == 2
    thresholds = sorted(RenewalReminder.objects.values_list("threshold_days", flat=True))
    assert thresholds == [30, 90, 180]
    messages = OutboxMessage.objects.filter(kwargs__kind="procurement_renewal_reminder")
    assert sorted((m.scope_member_id, m.kwargs["ids"]["days"]) for m in messages) == sorted(
        [(member_a.pk, 90), (member_b.pk, 90), (member_a.pk, 30), (member_b.pk, 30)]
    )


def test_contracts_past_their_end_date_expire(member_a):
    ended = contract_make(member_a, "JP-OLD", end_date=date(2026, 10, 31))
    running = contract_make(member_a, "JP-NOW", end_date=date(2026, 11, 1))
    planned = contract_make(member_a, "JP-PLAN", status=ContractStatus.PLANNED, end_date=None)
    assert services.contracts_expire(today=date(2026, 11, 1)) == 1
    assert services.contracts_expire(today=date(2026, 11, 1)) == 0
    statuses = {
        c.reference: c.status for c in (ended, running, planned) if c.refresh_from_db() is None
    }
    assert statuses == {"JP-OLD": "expired", "JP-NOW": "live", "JP-PLAN": "planned"}


def test_the_daily_task_expires_and_reminds(member_a):
    from procurement.tasks import renewal_reminders

    contract_make(member_a, "JP-SOON", end_date=date.today() + timedelta(days=20))  # noqa: DTZ011
    assert renewal_reminders() == 1
    assert renewal_reminders() == 0
