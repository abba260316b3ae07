"""HTTP in and out for joint procurement. Reads through selectors, writes through services."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.models import AuditAction, AuditObjectType
from audit.services import audit_record
from kernel.calendar import current_quarter
from members.actor import Actor, MemberActor
from members.pages import staff_page
from members.permissions import Perm
from members.scoping import consortium_scope
from procurement import selectors, services
from procurement.forms import (
    ContractForm,
    DocumentForm,
    IntentForm,
    ParticipationForm,
    SpendForm,
    SpendImportForm,
)
from procurement.models import Participation, SpendRecord

logger = logging.getLogger(__name__)


# Everyone at a member who manages procurement sees the contracts; nobody else needs them.
VIEW = Perm.MANAGE_PROCUREMENT


@require_http_methods(["GET"])
@staff_page(VIEW, member=True)
def contract_list(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    quarter = current_quarter()
    contracts = selectors.contract_list_for_member(member_id=actor.member_id)
    own = selectors.member_savings_by_quarter(member_id=actor.member_id, quarters=quarter.last(5))
    first = (
        Participation.objects.filter(member_id=actor.member_id)
        .order_by("start_date")
        .values_list("start_date", flat=True)
        .first()
    )
    own_cumulative = None
    if first and first <= quarter.end:
        own_cumulative = selectors.participations_with_savings(
            period_start=first,
            period_end=quarter.end,
            queryset=Participation.objects.filter(member_id=actor.member_id),
        ).aggregate(total_saving=Sum("saving"))["total_saving"]
    totals = selectors.consortium_savings_totals(quarter=quarter, user_id=actor.user_id)
    return render(
        request,
        "procurement/contract_list.html",
        {
            "contracts": contracts,
            "quarter": quarter,
            "own_by_quarter": own,
            "own_cumulative": own_cumulative,
            "totals": totals,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_page(VIEW, member=True)
def contract_create(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    form = ContractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_save(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Contract created."))
            return redirect("procurement:contract_detail", contract.pk)
    return render(request, "procurement/contract_form.html", {"form": form, "contract": None})


@require_http_methods(["GET", "POST"])
@staff_page(VIEW, member=True)
def contract_edit(request: HttpRequest, actor: MemberActor, contract_id: int) -> HttpResponse:
    contract = selectors.access_contract_by_id(actor, contract_id)
    if not contract.is_lead:  # type: ignore[attr-defined]
        raise PermissionDenied
    form = ContractForm(request.POST or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_save(actor=actor, contract=contract, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Contract saved."))
            return redirect("procurement:contract_detail", contract.pk)
    return render(request, "procurement/contract_form.html", {"form": form, "contract": contract})


@require_http_methods(["GET"])
@staff_page(VIEW, member=True)
def contract_detail(request: HttpRequest, actor: MemberActor, contract_id: int) -> HttpResponse:
    contract = selectors.access_contract_by_id(actor, contract_id)
    insider = contract.is_lead or contract.is_participant  # type: ignore[attr-defined]
    quarter = current_quarter()
    participation = selectors.member_participation(contract=contract, member_id=actor.member_id)
    own_saving = None
    if participation is not None:
        row = selectors.participations_with_savings(
            period_start=quarter.start,
            period_end=quarter.end,
            queryset=Participation.objects.filter(pk=participation.pk),
        ).first()
        own_saving = getattr(row, "saving", 0)
    return render(
        request,
        "procurement/contract_detail.html",
        {
            "contract": contract,
            "insider": insider,
            "participation": participation,
            "own_saving": own_saving,
            "quarter": quarter,
            "documents": contract.documents.all() if insider else [],
            "totals": selectors.contract_totals(
                contract=contract, quarter=quarter, user_id=actor.user_id
            )
            if insider
            else None,
            "spend": SpendRecord.objects.filter(member_id=actor.member_id, contract=contract)
            if participation
            else [],
        },
    )


@require_http_methods(["GET", "POST"])
@staff_page(VIEW, member=True)
def participation_edit(request: HttpRequest, actor: MemberActor, contract_id: int) -> HttpResponse:
    contract = selectors.access_contract_by_id(actor, contract_id)
    existing = selectors.member_participation(contract=contract, member_id=actor.member_id)
    initial = (
        {
            "baseline_annual_cost": existing.baseline_annual_cost,
            "contracted_annual_cost": existing.contracted_annual_cost,
            "start_date": existing.start_date,
            "end_date": existing.end_date,
        }
        if existing
        else {"start_date": contract.start_date}
    )
    form = ParticipationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.participation_save(actor=actor, contract=contract, **form.cleaned_data)
        except services.ProcurementError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your participation is saved."))
            return redirect("procurement:contract_detail", contract.pk)
    return render(
        request, "procurement/participation_form.html", {"form": form, "contract": contract}
    )


@require_http_methods(["GET", "POST"])
@staff_page(VIEW, member=True)
def intent(request: HttpRequest, actor: MemberActor, contract_id: int) -> HttpResponse:
    contract = selectors.access_contract_by_id(actor, contract_id)
    form = IntentForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "withdraw":
            services.intent_withdraw(actor=actor, contract=contract)
            messages.success(request, _("You no longer intend to join."))
            return redirect("procurement:contract_detail", contract.pk)
        if form.is_valid():
            try:
                services.intent_declare(actor=actor, contract=contract, **form.cleaned_data)
            except services.ProcurementError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The lead member can now see you intend to join."))
                return redirect("procurement:contract_detail", contract.pk)
    return render(request, "procurement/intent_form.html", {"form": form, "contract": contract})


@require_http_methods(["GET"])
@staff_page(VIEW, member=True)
def pipeline(request: HttpRequest, actor: MemberActor, contract_id: int) -> HttpResponse:
    contract = selectors.access_contract_by_id(actor, contract_id, participants_only=True)
    if not contract.is_lead:  # type: ignore[attr-defined]
        raise PermissionDenied
    intents = selectors.contract_pipeline(contract=contract, lead_member_id=actor.member_id)
    return render(request, "procurement/pipeline.html", {"contract": contract, "intents": intents})


@require_http_methods(["GET", "POST"])
@staff_page(VIEW, member=True)
def document_upload(request: HttpRequest, actor: MemberActor, contract_id: int) -> HttpResponse:
    contract = selectors.access_contract_by_id(actor, contract_id, participants_only=True)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_upload(
                actor=actor,
                contract=contract,
                title=form.cleaned_data["title"],
                uploaded=form.cleaned_data["file"],
            )
        except services.ProcurementError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, _("Document uploaded."))
            return redirect("procurement:contract_detail", contract.pk)
    return render(request, "procurement/document_form.html", {"form": form, "contract": contract})


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


@require_http_methods(["GET"])
@staff_page(VIEW, member=True)
def document_download(request: HttpRequest, actor: MemberActor, document_id: int) -> FileResponse:
    document = selectors.access_document_by_id(actor, document_id)
    audit_record(
        actor_id=actor.user_id,
        member_id=actor.member_id,
        action=AuditAction.VIEW,
        object_type=AuditObjectType.CONTRACT_DOCUMENT,
        object_id=document.pk,
    )
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=CONTENT_TYPES[document.kind],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET"])
@staff_page(VIEW, member=True)
def spend_list(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    records = selectors.spend_list_for_member(member_id=actor.member_id)
    return render(request, "procurement/spend_list.html", {"records": records})


def _participating(actor: MemberActor) -> Any:
    return selectors.contracts_participating(member_id=actor.member_id)


@require_http_methods(["GET", "POST"])
@staff_page(VIEW, member=True)
def spend_create(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    form = SpendForm(request.POST or None, contracts=_participating(actor))
    if request.method == "POST" and form.is_valid():
        try:
            services.spend_record_save(actor=actor, **form.cleaned_data)
        except services.ProcurementError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Spend saved."))
            return redirect("procurement:spend_list")
    return render(request, "procurement/spend_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@staff_page(VIEW, member=True)
def spend_import(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    form = SpendImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = services.spend_import(actor=actor, uploaded=upload, filename=upload.name)
        if result.ok:
            messages.success(
                request,
                _("Imported: %(created)s new, %(updated)s updated.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("procurement:spend_list")
    status = 400 if result is not None and not result.ok else 200
    return render(
        request, "procurement/spend_import.html", {"form": form, "result": result}, status=status
    )


@require_http_methods(["GET"])
@staff_page(Perm.VIEW_MEMBER_COSTS, member=False)
def consortium_overview(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The coordinator sees every member's savings: an audited consortium scope."""
    quarter = current_quarter()
    with consortium_scope(reason="procurement: coordinator overview", user_id=actor.user_id):
        by_member = list(
            selectors.procurement_savings_by_member(
                period_start=quarter.start, period_end=quarter.end
            )
        )
        by_contract = list(
            selectors.procurement_savings_by_contract(
                period_start=quarter.start, period_end=quarter.end
            )
        )
    return render(
        request,
        "procurement/consortium_overview.html",
        {"quarter": quarter, "by_member": by_member, "by_contract": by_contract},
    )
