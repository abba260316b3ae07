"""Who sees which reports. A member's board sees its own member's published reports and the
published consortium report; the consortium board and the coordinator see every report (drafts
too, for those who may generate them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from django.db.models import Q, QuerySet

from members.access import access_member_owned_by_id, not_found
from members.actor import Actor
from members.permissions import Perm
from members.scoping import consortium_scope
from reports.models import (
    DeliveryCost,
    FileFormat,
    Report,
    ReportFile,
    ReportStatus,
    SocialValueRate,
    SocialValueTable,
    Target,
)
from reports.registry import FigureSpec, all_figures


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
    # No report is this actor's (the consortium administrator, a resident): an empty queryset
    # that needs no member scope, so a download answers the same 404 as a missing report.
    return Report.objects.unscoped().none()


def report_list(actor: Actor) -> list[Report]:
    return list(
        reports_visible_to(actor)
        .select_related("member")
        .prefetch_related("files")
        .order_by("-period_start", "-period_end", "kind", "member__name", "-version")
    )


def report_correction(report: Report) -> Report | None:
    """The version that corrects this report, if any (a version is corrected at most once)."""
    return report.corrections.order_by("version").first()


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


# --- Inputs to the figures ---------------------------------------------------------------------


def access_delivery_cost_by_id(actor: Actor, cost_id: object) -> DeliveryCost:
    """One of the actor's member's delivery costs, or the same 404 for missing and not yours."""
    return access_member_owned_by_id(actor, DeliveryCost, cost_id, select_related=("service",))


def delivery_costs_for_member(*, member_id: int) -> list[DeliveryCost]:
    return list(
        DeliveryCost.objects.for_member(member_id)
        .select_related("service")
        .order_by("-period_start", "service__name")
    )


def social_value_table_for_member(
    *, member_id: int
) -> tuple[SocialValueTable | None, list[SocialValueRate]]:
    table = SocialValueTable.objects.for_member(member_id).first()
    rates = list(SocialValueRate.objects.for_member(member_id).order_by("outcome_type"))
    return table, rates


def targets_by_figure() -> list[tuple[FigureSpec, Target | None]]:
    """Every registered figure with the consortium's target for it (None if not set)."""
    targets = {t.figure_key: t for t in Target.objects.all()}
    return [(spec, targets.get(spec.key)) for spec in all_figures()]
