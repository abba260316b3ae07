"""Generation, publication, corrections, the beat tasks and the PDF parsed back to text."""

from __future__ import annotations

import subprocess
import tempfile
from datetime import date

import pytest

from members.scoping import consortium_scope, member_scope
from outbox.models import OutboxMessage
from reports.models import Report, ReportKind, ReportStatus
from reports.services import (
    ReportError,
    report_checksum,
    report_correct,
    report_generate,
    report_publish,
)
from reports.task_names import TASK_GENERATE_QUARTERLY
from reports.tasks import catch_up, first_working_day_after, generate_quarterly, quarter_end
from tests.reports.conftest import Q1, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_referrals(member_a, member_b, make_referral):  # noqa: ANN001, ANN201
    for i in range(7):
        make_referral(
            member_a,
            provider=member_b,
            submitted_at=at(2026, 5, 1 + i),
            routed_at=at(2026, 5, 1 + i),
            accepted_at=at(2026, 5, 2 + i),
        )


def test_generation_needs_an_explicit_consortium_scope(member_a) -> None:
    with member_scope(member_a.pk), pytest.raises(ReportError):
        report_generate(scope_member_id=member_a.pk, period=Q1, kind=ReportKind.QUARTERLY)


def test_running_the_quarterly_task_twice_makes_one_report(member_a, five_referrals) -> None:
    first = generate_quarterly(quarter=Q1.key, member_id=None)
    second = generate_quarterly(quarter=Q1.key, member_id=None)
    assert first == second
    with consortium_scope(reason="test"):
        reports = Report.objects.filter(member__isnull=True, period_start=Q1.start)
        assert reports.count() == 1
        report = reports.get()
        assert report.status == ReportStatus.PUBLISHED
        assert sorted(report.files.values_list("format", flat=True)) == ["csv", "pdf", "xlsx"]
        assert report.checksum == report_checksum(report)


def test_consortium_report_uniqueness_holds_for_a_null_member(member_a) -> None:
    from django.db import IntegrityError, transaction

    with consortium_scope(reason="test"):
        Report.objects.create(
            member=None,
            period_start=Q1.start,
            period_end=Q1.end,
            kind="quarterly",
            version=1,
            title="a",
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            Report.objects.create(
                member=None,
                period_start=Q1.start,
                period_end=Q1.end,
                kind="quarterly",
                version=1,
                title="b",
            )


def test_publishing_freezes_the_report_and_emails_the_board(
    member_a, board_member, five_referrals
) -> None:
    with consortium_scope(reason="test"):
        report = report_generate(scope_member_id=member_a.pk, period=Q1, kind="quarterly")
        published = report_publish(report=report)
        again = report_publish(report=published)
        assert again.published_at == published.published_at
        messages = OutboxMessage.objects.filter(dedupe_key=f"report_published:{report.pk}")
        assert messages.count() == 1
        assert messages.get().kwargs == {
            "kind": "report_published",
            "ids": {"report_id": report.pk},
        }
        from reports.emails import report_published

        content = report_published(report_id=report.pk)
        assert [r.email for r in content.recipients] == [board_member.email]


def test_a_correction_is_a_new_version_and_the_original_is_untouched(
    member_a, five_referrals
) -> None:
    with consortium_scope(reason="test"):
        original = report_publish(
            report=report_generate(scope_member_id=None, period=Q1, kind="quarterly")
        )
        checksum = original.checksum
        with pytest.raises(ReportError):
            report_correct(report=original, note="   ")
        fixed = report_correct(report=original, note="Two outcomes were recorded late.")
        assert (fixed.version, fixed.corrects_id) == (2, original.pk)
        original.refresh_from_db()
        assert original.checksum == checksum == report_checksum(original)


def test_beat_acts_on_the_first_working_day_after_the_quarter(member_a) -> None:
    # Q4 2025-26 ends on Tuesday 31 March 2026; 1 April is a Wednesday.
    from kernel.calendar import Quarter

    assert first_working_day_after(Quarter(2025, 4)) == date(2026, 4, 1)
    # Q3 ends on 31 December 2026; 1 January is a bank holiday, so Monday 4 January 2027.
    assert first_working_day_after(Quarter(2026, 3)) == date(2027, 1, 4)
    assert quarter_end(today="2026-04-02") == 0
    queued = quarter_end(today="2026-04-01")
    assert queued == 2  # the consortium and member A
    with consortium_scope(reason="test"):
        keys = set(
            OutboxMessage.objects.filter(task_name=TASK_GENERATE_QUARTERLY).values_list(
                "dedupe_key", flat=True
            )
        )
    assert keys == {
        "report:2025Q4:consortium:2026-04-01",
        f"report:2025Q4:{member_a.pk}:2026-04-01",
    }


def test_catch_up_queues_only_quarters_without_a_published_report(member_a) -> None:
    generate_quarterly(quarter="2025Q4", member_id=None)
    queued = catch_up(today="2026-04-10")
    # 5 quarters x 2 scopes, less the consortium report already published for 2025Q4.
    assert queued == 9


def test_the_pdf_read_back_as_text_carries_the_figures_from_the_database(
    member_a, five_referrals
) -> None:
    with consortium_scope(reason="test"):
        report = report_generate(scope_member_id=None, period=Q1, kind="quarterly")
        pdf = report.files.get(format="pdf")
        with pdf.file.open("rb") as fh, tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
            tmp.write(fh.read())
            tmp.flush()
            text = subprocess.run(
                ["pdftotext", "-layout", tmp.name, "-"], capture_output=True, text=True, check=True
            ).stdout
        csv_file = report.files.get(format="csv").file
        csv_text = csv_file.open("rb").read().decode("utf-8-sig")
        csv_file.close()
    assert "Value-for-money report" in text
    assert "2026-27 Q1" in text
    assert "Referral funnel" in text
    funnel = next(f for f in report.snapshot["figures"] if f["key"] == "referral_funnel")
    assert funnel["current"] == 7
    received_line = next(line for line in text.splitlines() if line.strip().startswith("Received"))
    assert received_line.split()[-1] == "7"
    assert "Page 3 of" in text
    assert "referral_funnel" in csv_text and ",Received,2026-27 Q1,count,7," in csv_text


def test_a_published_report_cannot_be_changed(member_a, five_referrals) -> None:
    from reports.models import ReportFrozen

    with consortium_scope(reason="test"):
        report = report_publish(
            report=report_generate(scope_member_id=None, period=Q1, kind="quarterly")
        )
        report.snapshot = {"figures": []}
        with pytest.raises(ReportFrozen):
            report.save()
