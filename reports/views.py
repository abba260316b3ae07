"""Reports pages: the list of every quarter's reports with downloads, the coordinator's
on-demand draft, and downloads served only through an access check (never a public path)."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from members.permissions import Perm
from outbox.services import outbox_enqueue
from reports import selectors
from reports.forms import GenerateDraftForm
from reports.services import report_record_download

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
@require_GET
def report_list_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    if not selectors.can_see_reports(actor):
        raise PermissionDenied
    with selectors.reports_scope(actor, "reports list"):
        reports = selectors.report_list(actor)
        quarters = [
            {"label": period, "reports": list(items)}
            for period, items in groupby(
                reports, key=lambda r: r.snapshot.get("period", {}).get("label", "")
            )
        ]
    return render(
        request,
        "reports/list.html",
        {"quarters": quarters, "can_generate": actor.can(Perm.GENERATE_REPORTS)},
    )


@login_required
@require_GET
def download(request: HttpRequest, report_id: int, fmt: str) -> FileResponse:
    actor = request.actor  # type: ignore[attr-defined]
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


@login_required
@require_http_methods(["GET", "POST"])
def generate_draft(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.can(Perm.GENERATE_REPORTS):
        raise PermissionDenied
    form = GenerateDraftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        start, end = form.cleaned_data["period"]
        outbox_enqueue(
            task_name="reports.generate_on_demand",
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
