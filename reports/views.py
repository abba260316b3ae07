"""Reports pages: the list of every quarter's reports with downloads, the coordinator's
on-demand draft and correction of a published report, and downloads served only through an
access check (never a public path)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods

from kernel.calendar import Quarter
from members.actor import Actor, MemberActor
from members.pages import staff_page
from members.permissions import Perm
from members.scoping import consortium_scope
from outbox.services import outbox_enqueue
from reports import selectors
from reports.forms import (
    DeliveryCostForm,
    GenerateDraftForm,
    ReportCorrectionForm,
    SocialValueUploadForm,
    TargetForm,
)
from reports.models import DeliveryCost, Report
from reports.registry import Unit
from reports.services import (
    SOCIAL_VALUE_COLUMNS,
    DeliveryCostDuplicate,
    ReportInputError,
    delivery_cost_save,
    report_record_download,
    social_value_table_import,
    target_save,
)
from reports.task_names import TASK_CORRECT_PUBLISHED, TASK_GENERATE_ON_DEMAND

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ReportRow:
    report: Report
    corrects: Report | None  # the version this one corrects
    superseded_by: Report | None  # the version that corrects this one
    can_correct: bool


# Either reads reports (selectors.can_see_reports): a member board member always works for their
# member, since only a membership gives member roles.
READERS = (Perm.VIEW_ALL_REPORTS, Perm.VIEW_MEMBER_REPORTS)


@staff_page(*READERS, member=False)
@require_GET
def report_list_view(request: HttpRequest, actor: Actor) -> HttpResponse:
    with selectors.reports_scope(actor, "reports list"):
        reports = selectors.report_list(actor)
    # A correction and the version it corrects share a scope, so both are in the list whenever
    # either is: the version numbers and "superseded" come from the list, not more queries.
    by_pk = {report.pk: report for report in reports}
    superseded_by = {r.corrects_id: r for r in reports if r.corrects_id is not None}
    can_correct = actor.can(Perm.GENERATE_REPORTS)
    rows = [
        ReportRow(
            report=report,
            corrects=by_pk.get(report.corrects_id) if report.corrects_id else None,
            superseded_by=superseded_by.get(report.pk),
            can_correct=can_correct and report.is_published and report.pk not in superseded_by,
        )
        for report in reports
    ]
    quarters = [
        {"label": period, "rows": list(items)}
        for period, items in groupby(
            rows, key=lambda row: row.report.snapshot.get("period", {}).get("label", "")
        )
    ]
    return render(
        request,
        "reports/list.html",
        {
            "quarters": quarters,
            "can_generate": actor.can(Perm.GENERATE_REPORTS),
            "can_set_targets": actor.can(Perm.SET_REPORT_TARGETS),
            "can_manage_costs": actor.member_id is not None
            and actor.can(Perm.MANAGE_DELIVERY_COSTS),
            "can_load_social_value": actor.member_id is not None
            and actor.can(Perm.LOAD_SOCIAL_VALUE_TABLE),
        },
    )


# Someone who may read no report gets the same 404 as for a missing one.
@staff_page(*READERS, member=False, refusal=404)
@require_GET
def download(request: HttpRequest, actor: Actor, report_id: int, fmt: str) -> FileResponse:
    with selectors.reports_scope(actor, "report download"):
        report_file = selectors.access_report_file(actor, report_id, fmt)
        report_record_download(
            report_file=report_file, actor_id=actor.user_id, actor_member_id=actor.member_id
        )
        report = report_file.report
        filename = f"vfm-report-{report.pk}-v{report.version}.{report_file.format}"
    response = FileResponse(
        report_file.file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=CONTENT_TYPES[report_file.format],
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_page(Perm.GENERATE_REPORTS, member=False)
@require_http_methods(["GET", "POST"])
def generate_draft(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = GenerateDraftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        start, end = form.cleaned_data["period"]
        outbox_enqueue(
            task_name=TASK_GENERATE_ON_DEMAND,
            kwargs={
                "start": start.isoformat(),
                "end": end.isoformat(),
                "member_id": form.cleaned_data["member_id"],
                "user_id": actor.user_id,
            },
        )
        messages.success(
            request,
            _("The draft is being generated. It appears on this page in a minute or two."),
        )
        return redirect("reports:list")
    return render(request, "reports/generate.html", {"form": form})


def _correction_refusal(report: Report) -> tuple[str, Report | None]:
    """Why this report cannot be corrected ("" if it can), and the version to correct instead.
    The page says so up front; the service checks again under its lock."""
    if not report.is_published:
        return _(
            "Only a published report can be corrected. This one is a draft: generate a "
            "new draft instead."
        ), None
    later = selectors.report_correction(report)
    if later is not None:
        return (
            _("This report has already been corrected by version %(version)s.")
            % {"version": later.version},
            later,
        )
    return "", None


@staff_page(Perm.GENERATE_REPORTS, member=False)
@require_http_methods(["GET", "POST"])
def report_correct(request: HttpRequest, actor: Actor, report_id: int) -> HttpResponse:
    """The coordinator says what changed; the corrected version is computed and published by a
    task queued through the outbox (reports.correct_published), like an on-demand draft."""
    with consortium_scope(reason=f"reports: correct report {report_id}", user_id=actor.user_id):
        report = (
            selectors.reports_visible_to(actor)
            .select_related("member")
            .filter(pk=report_id)
            .first()
        )
        if report is None:
            raise Http404("Not found.")
        refusal, correct_instead = _correction_refusal(report)
    form = ReportCorrectionForm(request.POST or None)
    if request.method == "POST" and not refusal and form.is_valid():
        outbox_enqueue(
            task_name=TASK_CORRECT_PUBLISHED,
            kwargs={
                "report_id": report.pk,
                "note": form.cleaned_data["note"],
                "user_id": actor.user_id,
            },
        )
        messages.success(
            request,
            _(
                "The correction is being generated. Version %(version)s appears on this page, "
                "published, in a minute or two, and the board is emailed your note."
            )
            % {"version": report.version + 1},
        )
        return redirect("reports:list")
    if refusal:
        status = 409
    elif form.is_bound and form.errors:
        status = 400
    else:
        status = 200
    return render(
        request,
        "reports/correct.html",
        {
            "form": form,
            "report": report,
            "period_label": report.snapshot.get("period", {}).get("label", ""),
            "refusal": refusal,
            "correct_instead": correct_instead,
        },
        status=status,
    )


# --- Inputs to the figures: delivery costs, social value table, targets -----------------------


# A member's inputs: their own member is the only one they act for (a member id in the request
# is never read).
@staff_page(Perm.MANAGE_DELIVERY_COSTS, member=True)
@require_GET
def delivery_cost_list(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    costs = selectors.delivery_costs_for_member(member_id=actor.member_id)
    rows = [{"cost": c, "quarter": Quarter.containing(c.period_start)} for c in costs]
    return render(request, "reports/cost_list.html", {"rows": rows})


def _delivery_cost_form_view(
    request: HttpRequest, actor: Actor, cost: DeliveryCost | None
) -> HttpResponse:
    current = Quarter.containing(cost.period_start) if cost is not None else None
    initial = (
        {
            "service": cost.service_id,
            "quarter": current.key,
            "amount": cost.amount,
            "note": cost.note,
        }
        if cost is not None and current is not None
        else {}
    )
    form = DeliveryCostForm(request.POST or None, initial=initial, extra_quarter=current)
    duplicate_id: int | None = None
    if request.method == "POST" and form.is_valid():
        try:
            delivery_cost_save(actor=actor, cost=cost, **form.cleaned_data)
        except DeliveryCostDuplicate as exc:
            duplicate_id = exc.existing_id
            form.add_error(
                "quarter",
                _("A cost for this service and quarter is already recorded: change that one."),
            )
        except ReportInputError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Delivery cost saved."))
            return redirect("reports:costs")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "reports/cost_form.html",
        {"form": form, "cost": cost, "duplicate_id": duplicate_id},
        status=status,
    )


@staff_page(Perm.MANAGE_DELIVERY_COSTS, member=True)
@require_http_methods(["GET", "POST"])
def delivery_cost_add(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    return _delivery_cost_form_view(request, actor, None)


@staff_page(Perm.MANAGE_DELIVERY_COSTS, member=True)
@require_http_methods(["GET", "POST"])
def delivery_cost_edit(request: HttpRequest, actor: MemberActor, cost_id: int) -> HttpResponse:
    cost = selectors.access_delivery_cost_by_id(actor, cost_id)
    return _delivery_cost_form_view(request, actor, cost)


@staff_page(Perm.LOAD_SOCIAL_VALUE_TABLE, member=True)
@require_http_methods(["GET", "POST"])
def social_value_table(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    form = SocialValueUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = social_value_table_import(
            actor=actor,
            data=form.cleaned_data["file"].read(),
            name=form.cleaned_data["name"],
            licence_note=form.cleaned_data["licence_note"],
        )
        if result.ok:
            messages.success(
                request,
                _("Social value table loaded: %(rows)s rates. It replaces the previous table.")
                % {"rows": result.rows},
            )
            return redirect("reports:social_value")
    table, rates = selectors.social_value_table_for_member(member_id=actor.member_id)
    bad = (form.is_bound and bool(form.errors)) or (result is not None and not result.ok)
    return render(
        request,
        "reports/social_value.html",
        {
            "form": form,
            "result": result,
            "table": table,
            "rates": rates,
            "columns": SOCIAL_VALUE_COLUMNS,
        },
        status=400 if bad else 200,
    )


UNIT_WORDS = {
    Unit.COUNT: _lazy("people or items (a count)"),
    Unit.HOURS: _lazy("hours"),
    Unit.PERCENT: _lazy("per cent"),
    Unit.GBP: _lazy("pounds"),
}


@staff_page(Perm.SET_REPORT_TARGETS, member=False)
@require_GET
def target_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    with consortium_scope(reason="reports: view targets", user_id=actor.user_id):
        rows = selectors.targets_by_figure()
    return render(request, "reports/target_list.html", {"rows": rows})


@staff_page(Perm.SET_REPORT_TARGETS, member=False)
@require_http_methods(["GET", "POST"])
def target_edit(request: HttpRequest, actor: Actor, figure_key: str) -> HttpResponse:
    with consortium_scope(reason="reports: view targets", user_id=actor.user_id):
        found = [(s, t) for s, t in selectors.targets_by_figure() if s.key == figure_key]
    if not found:
        raise Http404("Not found.")
    spec, target = found[0]
    initial = (
        {
            "green": target.green,
            "amber": target.amber,
            "direction": target.direction,
            "note": target.note,
        }
        if target is not None
        else {}
    )
    form = TargetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            target_save(actor=actor, figure_key=spec.key, **form.cleaned_data)
        except ReportInputError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Target saved for %(title)s.") % {"title": spec.title})
            return redirect("reports:targets")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "reports/target_form.html",
        {"form": form, "spec": spec, "target": target},
        status=status,
    )
