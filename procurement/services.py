"""Writes for joint procurement: the only place that changes procurement state."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.models import AuditAction, AuditObjectType
from audit.services import audit_record
from kernel.calendar import Quarter
from kernel.errors import NotPermitted, RuleBroken
from members.actor import Actor
from members.permissions import Perm
from notifications.services import email_enqueue
from procurement.imports import (
    RowError,
    SpendFileError,
    SpendRow,
    parse_amount,
    parse_quarter,
    read_rows,
)
from procurement.models import (
    OPEN_TO_JOIN,
    Contract,
    ContractDocument,
    ContractStatus,
    DocumentKind,
    JoinIntent,
    Participation,
    RenewalReminder,
    SpendRecord,
)
from procurement.uploads import BadUpload, office_check, pdf_check

logger = logging.getLogger(__name__)

# Reminders before a contract's end date, in days. Each is sent once per contract and end date.
REMINDER_THRESHOLDS = (180, 90, 30)
# Participation and spend can be recorded once a contract has been let.
LET_STATUSES = (ContractStatus.AWARDED, ContractStatus.LIVE, ContractStatus.EXPIRED)


class ProcurementError(RuleBroken):
    """A rule was broken; the message is safe to show to the user."""

    code = "procurement_rule"


def _require(actor: Actor, perm: Perm) -> int:
    if actor.member_id is None or not actor.can(perm):
        raise NotPermitted(f"{perm} is needed")
    return actor.member_id


# --- Contracts --------------------------------------------------------------------------------


@transaction.atomic
def contract_save(*, actor: Actor, contract: Contract | None = None, **fields: object) -> Contract:
    """Create a contract led by the actor's member, or change one it leads."""
    member_id = _require(actor, Perm.MANAGE_PROCUREMENT)
    if contract is None:
        contract = Contract(lead_member_id=member_id, created_by=actor.user)
    elif contract.lead_member_id != member_id:
        raise NotPermitted("only the lead member changes a contract")
    for name, value in fields.items():
        setattr(contract, name, value)
    contract.full_clean()
    contract.save()
    audit_record(
        actor_id=actor.user_id,
        member_id=member_id,
        action=AuditAction.CHANGE,
        object_type=AuditObjectType.CONTRACT,
        object_id=contract.pk,
    )
    return contract


# --- Documents --------------------------------------------------------------------------------

_MAGIC = {
    DocumentKind.PDF: (b"%PDF-",),
    # DOCX and XLSX are ZIP containers; the part names tell them apart.
    DocumentKind.DOCX: (b"PK\x03\x04",),
    DocumentKind.XLSX: (b"PK\x03\x04",),
}
_EXTENSIONS = {
    ".pdf": DocumentKind.PDF,
    ".docx": DocumentKind.DOCX,
    ".xlsx": DocumentKind.XLSX,
    ".csv": DocumentKind.CSV,
}


def document_kind_detect(content: bytes, filename: str) -> DocumentKind:
    """The file's kind from its content, which must agree with its extension and have the
    structure of that kind (procurement/uploads.py), not only its first bytes."""
    import os

    extension = os.path.splitext(filename.lower())[1]
    claimed = _EXTENSIONS.get(extension)
    if claimed is None:
        raise ProcurementError("Upload a PDF, DOCX, XLSX or CSV file.")
    if claimed == DocumentKind.CSV:
        if b"\x00" in content:
            raise ProcurementError("The file is not a CSV text file.")
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise ProcurementError("The CSV file must be UTF-8 text.") from None
        return claimed
    if not content.startswith(_MAGIC[claimed]):
        raise ProcurementError(f"The file's content is not {claimed.label}.")
    try:
        if claimed == DocumentKind.PDF:
            pdf_check(content)
        else:
            office_check(content, kind=claimed.value, label=str(claimed.label))
    except BadUpload as exc:
        raise ProcurementError(str(exc)) from None
    return claimed


@transaction.atomic
def document_upload(
    *, actor: Actor, contract: Contract, title: str, uploaded: UploadedFile
) -> ContractDocument:
    member_id = _require(actor, Perm.MANAGE_PROCUREMENT)
    from procurement.selectors import contract_is_participant

    if contract.lead_member_id != member_id and not contract_is_participant(
        contract=contract, member_id=member_id
    ):
        raise NotPermitted("only the lead and participants add documents")
    size = uploaded.size or 0
    if size <= 0:
        raise ProcurementError("The file is empty.")
    if size > settings.MAX_UPLOAD_BYTES:
        limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024) or 1
        raise ProcurementError(f"The file must be smaller than {limit} MB.")
    uploaded.seek(0)
    # The whole file (at most MAX_UPLOAD_BYTES): its structure is checked, not only its start.
    content = uploaded.read()
    uploaded.seek(0)
    kind = document_kind_detect(content, uploaded.name or "")
    document = ContractDocument(
        contract=contract,
        title=title.strip()[:200] or (uploaded.name or "")[:200],
        original_name=(uploaded.name or "document")[-200:],
        kind=kind,
        size=size,
        uploaded_by_member_id=member_id,
        uploaded_by=actor.user,
    )
    document.file.save("upload", uploaded, save=False)

    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    audit_record(
        actor_id=actor.user_id,
        member_id=member_id,
        action=AuditAction.CREATE,
        object_type=AuditObjectType.CONTRACT_DOCUMENT,
        object_id=document.pk,
    )
    return document


# --- Participation and intent ---------------------------------------------------------------


@transaction.atomic
def participation_save(
    *,
    actor: Actor,
    contract: Contract,
    baseline_annual_cost: Decimal,
    contracted_annual_cost: Decimal,
    start_date: date,
    end_date: date | None,
) -> Participation:
    member_id = _require(actor, Perm.MANAGE_PROCUREMENT)
    if contract.status not in LET_STATUSES:
        raise ProcurementError(
            "You can record your participation once the contract has been awarded."
        )
    if end_date is not None and end_date < start_date:
        raise ProcurementError("The end date must be on or after the start date.")
    participation = (
        Participation.objects.select_for_update()
        .filter(member_id=member_id, contract=contract)
        .first()
    ) or Participation(member_id=member_id, contract=contract)
    participation.baseline_annual_cost = baseline_annual_cost
    participation.contracted_annual_cost = contracted_annual_cost
    participation.start_date = start_date
    participation.end_date = end_date
    participation.updated_by = actor.user
    participation.save()
    # Joining fulfils an intent: it leaves the lead's pipeline.
    JoinIntent.objects.filter(
        member_id=member_id, contract=contract, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now())
    audit_record(
        actor_id=actor.user_id,
        member_id=member_id,
        action=AuditAction.CHANGE,
        object_type=AuditObjectType.PARTICIPATION,
        object_id=participation.pk,
    )
    return participation


@transaction.atomic
def intent_declare(
    *,
    actor: Actor,
    contract: Contract,
    estimated_annual_spend: Decimal | None = None,
    note: str = "",
) -> JoinIntent:
    member_id = _require(actor, Perm.MANAGE_PROCUREMENT)
    if contract.status not in OPEN_TO_JOIN:
        raise ProcurementError("This procurement is no longer taking new members.")
    if contract.lead_member_id == member_id:
        raise ProcurementError("Your association leads this procurement.")
    intent, _created = JoinIntent.objects.select_for_update().get_or_create(
        member_id=member_id,
        contract=contract,
        defaults={"lead_member_id": contract.lead_member_id, "created_by": actor.user},
    )
    intent.estimated_annual_spend = estimated_annual_spend
    intent.note = note.strip()[:500]
    intent.withdrawn_at = None
    intent.save()
    return intent


@transaction.atomic
def intent_withdraw(*, actor: Actor, contract: Contract) -> None:
    member_id = _require(actor, Perm.MANAGE_PROCUREMENT)
    JoinIntent.objects.filter(
        member_id=member_id, contract=contract, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now())


# --- Spend ----------------------------------------------------------------------------------


@transaction.atomic
def spend_record_save(
    *, actor: Actor, contract: Contract, quarter: Quarter, amount: Decimal, source: str = "form"
) -> SpendRecord:
    member_id = _require(actor, Perm.MANAGE_PROCUREMENT)
    from procurement.selectors import contract_is_participant

    if not contract_is_participant(contract=contract, member_id=member_id):
        raise ProcurementError("Record your participation in this contract first.")
    record, _created = SpendRecord.objects.update_or_create(
        member_id=member_id,
        contract=contract,
        quarter_start=quarter.start,
        defaults={"amount": amount, "recorded_by": actor.user, "source": source},
    )
    return record


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def spend_import(*, actor: Actor, uploaded: IO[bytes], filename: str) -> ImportResult:
    """Check every row, then write them all in one transaction, or write nothing and return
    each bad row with its line number and reason."""
    member_id = _require(actor, Perm.MANAGE_PROCUREMENT)
    result = ImportResult()
    try:
        rows = read_rows(uploaded, filename)
    except SpendFileError as exc:
        result.errors.append(RowError(line=0, reason=str(exc)))
        return result
    from procurement.selectors import contracts_participating

    contracts = {c.reference.upper(): c for c in contracts_participating(member_id=member_id)}
    good: list[SpendRow] = []
    seen: dict[tuple[str, Quarter], int] = {}
    for line, cells in rows:
        reasons = []
        reference = cells.get("contract", "").strip().upper()
        contract = contracts.get(reference)
        if not reference:
            reasons.append("the contract reference is missing")
        elif contract is None:
            reasons.append(f"{reference} is not a contract your association takes part in")
        quarter = None
        try:
            quarter = parse_quarter(cells.get("quarter", ""))
        except ValueError as exc:
            reasons.append(str(exc))
        amount = None
        try:
            amount = parse_amount(cells.get("amount", ""))
        except ValueError as exc:
            reasons.append(str(exc))
        if quarter is not None and reference:
            earlier = seen.get((reference, quarter))
            if earlier is not None:
                reasons.append(f"the same contract and quarter are already on line {earlier}")
            else:
                seen[(reference, quarter)] = line
        if reasons:
            result.errors.append(RowError(line=line, reason="; ".join(reasons)))
        elif quarter is not None and amount is not None:
            good.append(SpendRow(line, reference, quarter, amount))
    if result.errors:
        logger.info("spend import refused: member %s, %s bad rows", member_id, len(result.errors))
        return result
    with transaction.atomic():
        for row in good:
            _record, created = SpendRecord.objects.update_or_create(
                member_id=member_id,
                contract=contracts[row.contract_reference],
                quarter_start=row.quarter.start,
                defaults={"amount": row.amount, "recorded_by": actor.user, "source": "import"},
            )
            if created:
                result.created += 1
            else:
                result.updated += 1
        audit_record(
            actor_id=actor.user_id,
            member_id=member_id,
            action=AuditAction.CREATE,
            object_type=AuditObjectType.SPEND_IMPORT,
            reason=f"{result.created} created, {result.updated} updated",
        )
    return result


# --- Renewal reminders and expiry --------------------------------------------------------------


@transaction.atomic
def contracts_expire(*, today: date) -> int:
    """Live or awarded contracts past their end date become expired. Safe to run twice."""
    return Contract.objects.filter(
        status__in=[ContractStatus.AWARDED, ContractStatus.LIVE], end_date__lt=today
    ).update(status=ContractStatus.EXPIRED)


def renewal_reminders_send(*, today: date) -> int:
    """Queue reminders for contracts ending within a threshold. Runs in a consortium scope (it
    reads every member's participation). Safe to run twice: one RenewalReminder per contract,
    threshold and end date, and the emails carry dedupe keys. A contract first seen inside
    several thresholds gets one reminder, for the nearest."""
    sent = 0
    horizon = today + timedelta(days=max(REMINDER_THRESHOLDS))
    contracts = Contract.objects.filter(
        status__in=[ContractStatus.AWARDED, ContractStatus.LIVE],
        end_date__isnull=False,
        end_date__gte=today,
        end_date__lte=horizon,
    )
    for contract in contracts:
        if contract.end_date is None:  # excluded by the filter; narrows the type
            continue
        days_left = (contract.end_date - today).days
        crossed = [t for t in REMINDER_THRESHOLDS if days_left <= t]
        if not crossed:
            continue
        nearest = min(crossed)
        with transaction.atomic():
            already = set(
                RenewalReminder.objects.filter(
                    contract=contract, end_date=contract.end_date
                ).values_list("threshold_days", flat=True)
            )
            if nearest in already:
                continue
            for threshold in crossed:
                if threshold not in already:
                    RenewalReminder.objects.get_or_create(
                        contract=contract, threshold_days=threshold, end_date=contract.end_date
                    )
            member_ids = {contract.lead_member_id} | set(
                Participation.objects.filter(contract=contract)
                .filter(_active_on(today))
                .values_list("member_id", flat=True)
            )
            for member_id in sorted(member_ids):
                email_enqueue(
                    kind="procurement_renewal_reminder",
                    member_id=member_id,
                    ids={"contract_id": contract.pk, "days": nearest, "member_id": member_id},
                    dedupe_key=f"procurement-renewal:{contract.pk}:{contract.end_date}:"
                    f"{nearest}:{member_id}",
                )
                sent += 1
    logger.info("procurement renewal reminders queued: %s", sent)
    return sent


def _active_on(day: date) -> Q:
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))
