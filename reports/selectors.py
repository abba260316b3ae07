"""Who sees which reports. A member's board sees its own member's published reports and the
published consortium report; the consortium board and the coordinator see every report (drafts
too, for those who may generate them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from django.db.models import Q, QuerySet

from members.access import not_found
from members.actor import Actor
from members.permissions import Perm
from members.scoping import consortium_scope
from reports.models import FileFormat, Report, ReportFile, ReportStatus


def can_see_reports(actor: Actor) -> bool:
    return actor.can(Perm.VIEW_ALL_REPORTS) or (
        actor.can(Perm.VIEW_MEMBER_REPORTS) and actor.member_id is not None
    )


@contextmanager
def reports_scope(actor: Actor, reason: str) -> Iterator[None]:
    """Consortium-wide readers read inside an audited consortium scope; member boards within
    their own member scope (set by the middleware)."""
    cm: Any = (
        consortium_scope(reason=reason, user_id=actor.user_id)
        if actor.can(Perm.VIEW_ALL_REPORTS)
        else nullcontext()
    )
    with cm:
        yield


def reports_visible_to(actor: Actor) -> QuerySet[Report]:
    """Call inside reports_scope()."""
    if actor.can(Perm.VIEW_ALL_REPORTS):
        qs = Report.objects.all()
        if not actor.can(Perm.GENERATE_REPORTS):
            qs = qs.filter(status=ReportStatus.PUBLISHED)
        return qs.exclude(status=ReportStatus.GENERATING)
    if actor.can(Perm.VIEW_MEMBER_REPORTS) and actor.member_id is not None:
        return Report.objects.unscoped().filter(
            Q(member_id=actor.member_id) | Q(member__isnull=True),
            status=ReportStatus.PUBLISHED,
        )
    return Report.objects.none()


def report_list(actor: Actor) -> list[Report]:
    return list(
        reports_visible_to(actor)
        .select_related("member")
        .prefetch_related("files")
        .order_by("-period_start", "-period_end", "kind", "member__name", "-version")
    )


def access_report_file(actor: Actor, report_id: object, fmt: object) -> ReportFile:
    """The file, or the same 404 for missing, not yours and not published."""
    if fmt not in FileFormat.values:
        raise not_found()
    try:
        pk = int(str(report_id))
    except (TypeError, ValueError):
        raise not_found() from None
    report = reports_visible_to(actor).filter(pk=pk).first()
    if report is None:
        raise not_found()
    row = ReportFile.objects.unscoped().filter(report=report, format=fmt).first()
    if row is None:
        raise not_found()
    return row
