"""Reports through the API: the list a person may see and access-checked downloads, through the
reports app's own selectors (who sees what) and audit service (each download is recorded)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, renderers, serializers
from rest_framework.decorators import action
from rest_framework.request import Request

from api.base import ScopedViewSet, parse_id
from api.errors import errors
from members.actor import Actor
from reports import selectors
from reports.models import FileFormat, Report
from reports.services import report_record_download

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ReportSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(source="scope_label", read_only=True)
    formats = serializers.SerializerMethodField(help_text="Formats you can download.")

    class Meta:
        model = Report
        fields = [
            "id",
            "title",
            "scope",
            "member",
            "kind",
            "status",
            "version",
            "period_start",
            "period_end",
            "published_at",
            "checksum",
            "corrects",
            "correction_note",
            "formats",
        ]
        read_only_fields = fields

    def get_formats(self, report: Report) -> list[str]:
        return sorted(f.format for f in report.files.all())


class FileRenderer(renderers.BaseRenderer):
    """Lets a client that asks for the file's own type (Accept: application/pdf) get it; errors
    are still JSON."""

    media_type = "*/*"
    format = "file"
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return renderers.JSONRenderer().render(data)


@extend_schema_view(
    list=extend_schema(responses={200: ReportSerializer(many=True), **errors(400)}),
    retrieve=extend_schema(responses={200: ReportSerializer, **errors(404)}),
)
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Value-for-money reports: your member's and the consortium's published reports (member
    boards), every report (consortium board and coordinator)."""

    model = Report
    serializer_class = ReportSerializer
    perms = {"*": None}
    # The consortium board and the coordinator have no member.
    actions_without_member = frozenset({"list", "retrieve", "download"})
    ordering = ["-id"]
    ordering_fields = ["id", "period_start"]

    def safely_get_queryset(self, actor: Actor) -> QuerySet[Report]:
        if not selectors.can_see_reports(actor):
            raise exceptions.PermissionDenied("Your roles do not include reports.")
        # Consortium-wide readers read under an audited consortium scope (the reports app's rule).
        self.dangerously_enter_scope(selectors.reports_scope(actor, f"API: reports {self.action}"))
        return (
            selectors.reports_visible_to(actor).select_related("member").prefetch_related("files")
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "file_format", enum=FileFormat.values, required=True, description="pdf, csv or xlsx"
            )
        ],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
            **errors(400, 404),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, FileRenderer])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        """Download one format of a report (each download is written to the audit log)."""
        report_id = parse_id(pk)
        fmt = request.query_params.get("file_format", "")
        if fmt not in FileFormat.values:
            raise exceptions.ValidationError({"file_format": ["Choose pdf, csv or xlsx."]})
        if not selectors.can_see_reports(self.actor):
            raise exceptions.PermissionDenied("Your roles do not include reports.")
        self.dangerously_enter_scope(selectors.reports_scope(self.actor, "API: report download"))
        report_file = selectors.access_report_file(self.actor, report_id, fmt)
        report_record_download(
            report_file=report_file,
            actor_id=self.actor.user_id,
            actor_member_id=self.actor.member_id,
        )
        report = report_file.report
        response = FileResponse(
            report_file.file.open("rb"),
            as_attachment=True,
            filename=f"vfm-report-{report.pk}-v{report.version}.{report_file.format}",
            content_type=CONTENT_TYPES[report_file.format],
        )
        response["Cache-Control"] = "private, no-store"
        return response
