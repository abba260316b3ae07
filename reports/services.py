"""Writes for reports: generate (idempotent), publish (frozen, checksummed), correct.

Generation runs inside an explicit consortium scope (the caller's: a Celery task decorated with
@consortium_task, or report_generate_as_coordinator for the on-demand page). It takes a
PostgreSQL advisory lock keyed on scope and period, so two workers (a beat run and the catch-up,
or a redelivered message) never compute the same report at once, and the unique constraint
backs it up. All rows are written in one transaction: a worker killed mid-report leaves
nothing behind, and the redelivered task starts again from scratch.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from consortium.periods import Quarter
from members.models import Member
from members.scoping import current_scope
from notifications.services import email_enqueue
from reports.models import FileFormat, Report, ReportFile, ReportKind, ReportStatus
from reports.snapshot import snapshot_build

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


class ReportError(Exception):
    """A request the report services refuse, with a message fit to show."""


# Test-only hook, called between computing the snapshot and storing it (the worker-kill test
# uses it to make a report slow). None in production.
after_snapshot_hook: Callable[[Report], None] | None = None


@dataclass(frozen=True)
class ReportPeriod:
    start: date
    end: date

    @classmethod
    def of(cls, period: Quarter | ReportPeriod | tuple[date, date]) -> ReportPeriod:
        if isinstance(period, Quarter):
            return cls(period.start, period.end)
        if isinstance(period, ReportPeriod):
            return period
        start, end = period
        if end < start:
            raise ReportError("The period must end on or after its start.")
        return cls(start, end)

    @property
    def label(self) -> str:
        quarter = Quarter.containing(self.start)
        if quarter.start == self.start and quarter.end == self.end:
            return quarter.label
        return f"{self.start:%d %b %Y} to {self.end:%d %b %Y}"


def _require_consortium_scope() -> None:
    scope = current_scope()
    if scope is None or not scope.consortium:
        raise ReportError("Reports are generated inside an explicit consortium scope.")


def _advisory_lock(*parts: object) -> None:
    """Serialise work on one scope and period until the transaction ends (PostgreSQL only;
    SQLite serialises writers anyway)."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _title(member: Member | None, period: ReportPeriod, kind: str) -> str:
    scope = member.name if member else "Consortium"
    prefix = "Draft report" if kind == ReportKind.ON_DEMAND else "Value-for-money report"
    return f"{prefix}: {scope}, {period.label}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot_bytes(snapshot: dict[str, Any]) -> bytes:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":")).encode()


def report_checksum(report: Report) -> str:
    """sha256 over the snapshot and the checksum of every stored file (in format order)."""
    parts = [_sha256(snapshot_bytes(report.snapshot))]
    for fmt, checksum in sorted(report.files.values_list("format", "checksum")):
        parts.append(f"{fmt}:{checksum}")
    return _sha256("\n".join(parts).encode())


def _render_files(report: Report) -> None:
    from reports.render import render_csv, render_pdf, render_xlsx

    renderers = {
        FileFormat.PDF: render_pdf,
        FileFormat.CSV: render_csv,
        FileFormat.XLSX: render_xlsx,
    }
    base = f"report-{report.pk}-v{report.version}"
    for fmt, render in renderers.items():
        content = render(report)
        checksum = _sha256(content)
        row = ReportFile(
            member_id=report.member_id,
            report=report,
            format=fmt,
            size=len(content),
            checksum=checksum,
        )
        # A killed worker may leave a file with no row; the name carries the checksum, so a
        # retry never overwrites a file another row points at.
        row.file.save(f"{base}-{checksum[:12]}.{fmt}", ContentFile(content), save=False)
        row.save()


@transaction.atomic
def report_generate(
    *,
    scope_member_id: int | None,
    period: Quarter | ReportPeriod | tuple[date, date],
    kind: str,
    actor: User | None = None,
    corrects: Report | None = None,
    correction_note: str = "",
) -> Report:
    """The report for this scope and period: the existing one for a quarterly report (safe to
    run twice), a new version for an on-demand draft or a correction."""
    _require_consortium_scope()
    if kind not in ReportKind.values:
        raise ReportError(f"Unknown report kind {kind!r}.")
    span = ReportPeriod.of(period)
    member = Member.objects.get(pk=scope_member_id) if scope_member_id is not None else None
    _advisory_lock("report", scope_member_id, span.start, span.end, kind)
    existing = Report.objects.filter(
        member_id=scope_member_id, period_start=span.start, period_end=span.end, kind=kind
    ).order_by("-version")
    latest = existing.first()
    if kind == ReportKind.QUARTERLY and latest is not None and corrects is None:
        return latest
    version = (latest.version + 1) if latest is not None else 1
    report = Report.objects.create(
        member=member,
        period_start=span.start,
        period_end=span.end,
        kind=kind,
        version=version,
        status=ReportStatus.GENERATING,
        title=_title(member, span, kind),
        created_by=actor,
        corrects=corrects,
        correction_note=correction_note,
    )
    report.snapshot = snapshot_build(
        member_id=scope_member_id, period_start=span.start, period_end=span.end
    )
    if after_snapshot_hook is not None:
        after_snapshot_hook(report)
    report.generated_at = timezone.now()
    report.status = ReportStatus.DRAFT
    report.save(update_fields=["snapshot", "generated_at", "status"])
    _render_files(report)
    report.checksum = report_checksum(report)
    report.save(update_fields=["checksum"])
    audit_record(
        actor_id=actor.pk if actor else None,
        member_id=scope_member_id,
        action=AuditAction.CREATE,
        object_type="report",
        object_id=report.pk,
        reason=f"generated {kind} v{version}",
    )
    logger.info("report %s generated (member %s, v%s)", report.pk, scope_member_id, version)
    return report


@transaction.atomic
def report_publish(*, report: Report, actor: User | None = None) -> Report:
    """Freeze the report and tell its board. Publishing twice does nothing the second time."""
    _require_consortium_scope()
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status == ReportStatus.PUBLISHED:
        return report
    if report.status != ReportStatus.DRAFT:
        raise ReportError("Only a generated draft can be published.")
    if report.checksum != report_checksum(report):
        raise ReportError("The report's files do not match its checksum; regenerate it.")
    report.status = ReportStatus.PUBLISHED
    report.published_at = timezone.now()
    report.published_by = actor
    report.save(update_fields=["status", "published_at", "published_by"])
    email_enqueue(
        kind="report_published",
        member_id=report.member_id,
        ids={"report_id": report.pk},
        dedupe_key=f"report_published:{report.pk}",
    )
    audit_record(
        actor_id=actor.pk if actor else None,
        member_id=report.member_id,
        action=AuditAction.CHANGE,
        object_type="report",
        object_id=report.pk,
        reason="published",
    )
    return report


@transaction.atomic
def report_correct(*, report: Report, note: str, actor: User | None = None) -> Report:
    """A corrected version of a published report: recomputed now, saying what changed. The
    original stays as it was."""
    note = note.strip()
    if not note:
        raise ReportError("Say what the correction changes.")
    if report.status != ReportStatus.PUBLISHED:
        raise ReportError("Only a published report is corrected; regenerate a draft instead.")
    return report_generate(
        scope_member_id=report.member_id,
        period=(report.period_start, report.period_end),
        kind=report.kind,
        actor=actor,
        corrects=report,
        correction_note=note,
    )


@transaction.atomic
def report_generate_and_publish(
    *, scope_member_id: int | None, quarter: Quarter, actor: User | None = None
) -> Report:
    """What beat does for each scope after a quarter ends. Safe to run twice."""
    report = report_generate(
        scope_member_id=scope_member_id, period=quarter, kind=ReportKind.QUARTERLY, actor=actor
    )
    return report_publish(report=report, actor=actor)


def report_record_download(
    *, report_file: ReportFile, actor_id: int | None, actor_member_id: int | None
) -> None:
    # A consortium report downloaded by a member's board is logged against that member (the
    # member scope may only write its own audit rows).
    audit_record(
        actor_id=actor_id,
        member_id=report_file.member_id or actor_member_id,
        action=AuditAction.EXPORT,
        object_type="report_file",
        object_id=report_file.pk,
        reason=f"downloaded {report_file.format}",
    )
