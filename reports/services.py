"""Writes for reports: generate (idempotent), publish (frozen, checksummed), correct.

Generation runs inside an explicit consortium scope (the caller's: a Celery task decorated with
@consortium_task, or report_generate_as_coordinator for the on-demand page). It takes a
PostgreSQL advisory lock keyed on scope and period, so two workers (a beat run and the catch-up,
or a redelivered message) never compute the same report at once, and the unique constraint
backs it up. All rows are written in one transaction: a worker killed mid-report leaves
nothing behind, and the redelivered task starts again from scratch.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit.models import AuditAction, AuditObjectType
from audit.services import audit_record
from consortium.decimals import decimal_parse_for
from kernel.calendar import Quarter
from kernel.errors import DomainError, NotPermitted, RuleBroken
from members.actor import Actor
from members.models import Member
from members.permissions import Perm
from members.scoping import consortium_scope, current_scope
from notifications.services import email_enqueue
from referrals.models import OutcomeType
from reports.models import (
    DeliveryCost,
    FileFormat,
    Report,
    ReportFile,
    ReportKind,
    ReportStatus,
    SocialValueRate,
    SocialValueTable,
    Target,
    TargetDirection,
)
from reports.registry import all_figures
from reports.selectors import report_correction
from reports.snapshot import snapshot_build
from services.models import Service

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


class ReportError(RuleBroken):
    """A request the report services refuse, with a message fit to show."""

    code = "report_rule"


class ReportAlreadyCorrected(ReportError):
    """The report has a correction already: a further correction corrects that version."""

    def __init__(self, correction: Report) -> None:
        super().__init__(
            f"This report has already been corrected by version {correction.version}; "
            "correct that version instead."
        )
        self.correction = correction


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
    """Serialise work on one scope and period until the transaction ends."""
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
        object_type=AuditObjectType.REPORT,
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
        object_type=AuditObjectType.REPORT,
        object_id=report.pk,
        reason="published",
    )
    return report


@transaction.atomic
def report_correct(*, report: Report, note: str, actor: User | None = None) -> Report:
    """A corrected version of a published report: recomputed now, saying what changed. The
    original stays as it was. A version is corrected once (ReportAlreadyCorrected otherwise):
    a further correction corrects the latest version, so the versions form one chain."""
    note = note.strip()
    if not note:
        raise ReportError("Say what the correction changes.")
    _require_consortium_scope()
    # The lock report_generate takes for this scope and period, taken first: two corrections of
    # one report (a double submit, two coordinators) queue here, and the second sees the first.
    _advisory_lock("report", report.member_id, report.period_start, report.period_end, report.kind)
    report = Report.objects.get(pk=report.pk)
    if report.status != ReportStatus.PUBLISHED:
        raise ReportError("Only a published report is corrected; regenerate a draft instead.")
    later = report_correction(report)
    if later is not None:
        raise ReportAlreadyCorrected(later)
    corrected = report_generate(
        scope_member_id=report.member_id,
        period=(report.period_start, report.period_end),
        kind=report.kind,
        actor=actor,
        corrects=report,
        correction_note=note,
    )
    # The note stays on the report; the audit row carries ids only (it never copies free text).
    audit_record(
        actor_id=actor.pk if actor else None,
        member_id=report.member_id,
        action=AuditAction.CHANGE,
        object_type=AuditObjectType.REPORT,
        object_id=report.pk,
        reason=f"corrected by report {corrected.pk} (v{corrected.version})",
    )
    return corrected


@transaction.atomic
def report_correct_and_publish(*, report: Report, note: str, actor: User | None = None) -> Report:
    """What the correction page queues: the corrected version, published at once, so its board
    is emailed with the note (report_publish). Safe to run twice: a second run with the same
    note finds the correction the first made and makes no other; a different note for a report
    corrected meanwhile is refused (ReportAlreadyCorrected), never applied to the wrong version."""
    try:
        corrected = report_correct(report=report, note=note, actor=actor)
    except ReportAlreadyCorrected as exc:
        if exc.correction.correction_note != note.strip():
            raise
        corrected = exc.correction
    return report_publish(report=corrected, actor=actor)


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
        object_type=AuditObjectType.REPORT_FILE,
        object_id=report_file.pk,
        reason=f"downloaded {report_file.format}",
    )


# --- Inputs to the figures: delivery costs, social value tables, targets ---------------------


class ReportInputError(DomainError):
    """Input the reports services refuse, with a message fit to show."""

    code = "invalid_input"


class DeliveryCostDuplicate(ReportInputError):
    """A cost for this member, service and quarter exists: edit that one instead."""

    def __init__(self, existing_id: int) -> None:
        super().__init__("A cost for this service and quarter is already recorded.")
        self.existing_id = existing_id


def _member_with(actor: Actor, perm: Perm) -> int:
    """The actor's own member (never one a client sent), if the actor holds the permission."""
    if actor.member_id is None or not actor.can(perm):
        raise NotPermitted(f"{perm} is needed")
    return actor.member_id


@transaction.atomic
def delivery_cost_save(
    *,
    actor: Actor,
    service: Service,
    quarter: Quarter,
    amount: Decimal,
    note: str = "",
    cost: DeliveryCost | None = None,
) -> DeliveryCost:
    """Record (or correct) what the actor's member spent delivering a service in a quarter."""
    member_id = _member_with(actor, Perm.MANAGE_DELIVERY_COSTS)
    if amount < 0:
        raise ReportInputError("A cost cannot be negative.")
    if cost is not None and cost.member_id != member_id:
        raise NotPermitted("not this member's cost")
    clash = (
        DeliveryCost.objects.for_member(member_id)
        .filter(service=service, period_start=quarter.start)
        .exclude(pk=cost.pk if cost is not None else None)
        .values_list("pk", flat=True)
        .first()
    )
    if clash is not None:
        raise DeliveryCostDuplicate(clash)
    created = cost is None
    row = cost or DeliveryCost(member_id=member_id)
    row.service = service
    row.period_start = quarter.start
    row.amount = amount
    row.note = note
    row.entered_at = timezone.now()
    row.entered_by = actor.user
    try:
        # A savepoint: a concurrent insert of the same quarter becomes the same clear refusal.
        with transaction.atomic():
            row.save()
    except IntegrityError:
        existing = (
            DeliveryCost.objects.for_member(member_id)
            .filter(service=service, period_start=quarter.start)
            .values_list("pk", flat=True)
            .first()
        )
        if existing is None:
            raise  # not the one-per-quarter constraint: a bug, not bad input
        raise DeliveryCostDuplicate(existing) from None
    audit_record(
        actor_id=actor.user_id,
        member_id=member_id,
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        object_type=AuditObjectType.DELIVERY_COST,
        object_id=row.pk,
    )
    return row


SOCIAL_VALUE_COLUMNS = ("outcome_type", "value_gbp", "deadweight_percent", "source")
SOCIAL_VALUE_MAX_ROWS = 200
SOCIAL_VALUE_MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class ImportRowError:
    line: int  # 0: the file as a whole
    reason: str


@dataclass(frozen=True)
class SocialValueRow:
    line: int
    outcome_type: str
    value_gbp: Decimal
    deadweight_pct: Decimal
    source: str


@dataclass
class SocialValueImportResult:
    rows: int = 0
    errors: list[ImportRowError] = field(default_factory=list)
    table: SocialValueTable | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def _social_value_outcome(text: str) -> str:
    wanted = text.strip().lower()
    for value, label in OutcomeType.choices:
        if value == OutcomeType.NO_OUTCOME:
            continue
        if wanted in (value, str(label).lower()):
            return value
    raise ValueError(f"the outcome type {text!r} is not one the portal records")


def _social_value_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line, {column: text}) per non-empty data row; the header is line 1."""
    if len(data) > SOCIAL_VALUE_MAX_BYTES:
        raise ReportInputError("The file is too large for a social value table (over 512 KB).")
    if b"\x00" in data[:4096]:
        raise ReportInputError("The file is not a CSV text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReportInputError("The CSV file must be saved as UTF-8.") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ReportInputError(f"The CSV file could not be read: {exc}.") from None
    if not rows:
        raise ReportInputError("The file is empty.")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [column for column in SOCIAL_VALUE_COLUMNS if column not in header]
    if missing:
        raise ReportInputError(
            "The first row must name the columns outcome_type, value_gbp, deadweight_percent "
            f"and source (missing: {', '.join(missing)})."
        )
    out = []
    for line, row in enumerate(rows[1:], start=2):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        out.append(
            (line, {col: cells[i] if i < len(cells) else "" for i, col in enumerate(header)})
        )
    if not out:
        raise ReportInputError("The file has a header but no rows.")
    if len(out) > SOCIAL_VALUE_MAX_ROWS:
        raise ReportInputError(f"The file has more than {SOCIAL_VALUE_MAX_ROWS} rows.")
    return out


def social_value_rows_check(data: bytes) -> tuple[list[SocialValueRow], list[ImportRowError]]:
    """Every row checked before anything is written: the good rows, or each bad row's line
    number and reason."""
    try:
        rows = _social_value_rows(data)
    except ReportInputError as exc:
        return [], [ImportRowError(line=0, reason=str(exc))]
    good: list[SocialValueRow] = []
    errors: list[ImportRowError] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        reasons: list[str] = []
        outcome_type = None
        try:
            outcome_type = _social_value_outcome(cells.get("outcome_type", ""))
        except ValueError as exc:
            reasons.append(str(exc))
        value = deadweight = None
        try:
            value = decimal_parse_for(
                SocialValueRate, "value_gbp", cells.get("value_gbp", ""), "value"
            )
            if value < 0:
                reasons.append("the value cannot be negative")
        except ValueError as exc:
            reasons.append(str(exc))
        try:
            deadweight = decimal_parse_for(
                SocialValueRate, "deadweight_pct", cells.get("deadweight_percent", ""), "deadweight"
            )
            if not Decimal(0) <= deadweight <= Decimal(100):
                reasons.append("the deadweight must be between 0 and 100 per cent")
        except ValueError as exc:
            reasons.append(str(exc))
        source = cells.get("source", "")
        if not source:
            reasons.append("the source is missing (say where the value comes from)")
        elif len(source) > 300:
            reasons.append("the source is longer than 300 characters")
        if outcome_type is not None:
            earlier = seen.get(outcome_type)
            if earlier is not None:
                reasons.append(f"the same outcome type is already on line {earlier}")
            else:
                seen[outcome_type] = line
        if reasons:
            errors.append(ImportRowError(line=line, reason="; ".join(reasons)))
        elif outcome_type is not None and value is not None and deadweight is not None:
            good.append(SocialValueRow(line, outcome_type, value, deadweight, source))
    return good, errors


def social_value_table_import(
    *, actor: Actor, data: bytes, name: str, licence_note: str
) -> SocialValueImportResult:
    """Replace the actor's member's social value table with the file's rows: all or nothing.

    The portal ships no values (HACT's licence forbids building them into tools): the member
    loads the table it holds a licence for, and the note says where it comes from."""
    member_id = _member_with(actor, Perm.LOAD_SOCIAL_VALUE_TABLE)
    good, errors = social_value_rows_check(data)
    result = SocialValueImportResult(errors=errors)
    if errors:
        logger.info("social value import refused: member %s, %s bad rows", member_id, len(errors))
        return result
    sources = sorted({row.source for row in good})
    source_note = f"{licence_note.strip()}\n\nSources named in the file: {'; '.join(sources)}"
    with transaction.atomic():
        table, _created = SocialValueTable.objects.for_member(member_id).update_or_create(
            member_id=member_id,
            defaults={
                "name": name.strip(),
                "source_note": source_note,
                "is_illustrative": False,
                "loaded_at": timezone.now(),
                "loaded_by": actor.user,
            },
        )
        SocialValueRate.objects.for_member(member_id).delete()
        SocialValueRate.objects.for_member(member_id).bulk_create(
            [
                SocialValueRate(
                    member_id=member_id,
                    table=table,
                    outcome_type=row.outcome_type,
                    value_gbp=row.value_gbp,
                    deadweight_pct=row.deadweight_pct,
                )
                for row in good
            ]
        )
        audit_record(
            actor_id=actor.user_id,
            member_id=member_id,
            action=AuditAction.CHANGE,
            object_type=AuditObjectType.SOCIAL_VALUE_TABLE,
            object_id=table.pk,
            reason=f"{len(good)} rates loaded",
        )
    result.rows = len(good)
    result.table = table
    return result


@transaction.atomic
def target_save(
    *,
    actor: Actor,
    figure_key: str,
    green: Decimal,
    amber: Decimal,
    direction: str,
    note: str = "",
) -> Target:
    """Set the consortium's target for one figure, inside an audited consortium scope."""
    if not actor.can(Perm.SET_REPORT_TARGETS):
        raise NotPermitted(f"{Perm.SET_REPORT_TARGETS} is needed")
    if figure_key not in {spec.key for spec in all_figures()}:
        raise ReportInputError("There is no figure with that key.")
    if direction == TargetDirection.HIGHER_IS_BETTER and green < amber:
        raise ReportInputError("When higher is better, green must be at or above amber.")
    if direction == TargetDirection.LOWER_IS_BETTER and green > amber:
        raise ReportInputError("When lower is better, green must be at or below amber.")
    with consortium_scope(reason=f"reports: set target {figure_key}", user_id=actor.user_id):
        target, created = Target.objects.update_or_create(
            figure_key=figure_key,
            defaults={
                "green": green,
                "amber": amber,
                "direction": direction,
                "note": note,
                "updated_at": timezone.now(),
                "updated_by": actor.user,
            },
        )
        audit_record(
            actor_id=actor.user_id,
            member_id=None,
            action=AuditAction.CREATE if created else AuditAction.CHANGE,
            object_type=AuditObjectType.REPORT_TARGET,
            object_id=figure_key,
        )
    return target
