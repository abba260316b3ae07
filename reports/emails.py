"""Email to a scope's board members when its report is published (through the outbox)."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import User
from members.models import ConsortiumRole, MemberRole, MembershipRole
from notifications.registry import EmailContent, Recipient, email_kind
from reports.models import Report


def board_recipients(member_id: int | None) -> list[Recipient]:
    if member_id is None:
        users = User.objects.filter(
            consortium_roles__role=ConsortiumRole.BOARD,
            consortium_roles__revoked_at__isnull=True,
            is_active=True,
        )
    else:
        user_ids = MembershipRole.objects.filter(
            member_id=member_id,
            role=MemberRole.BOARD,
            membership__deactivated_at__isnull=True,
        ).values("membership__user_id")
        users = User.objects.filter(pk__in=user_ids, is_active=True)
    return [
        Recipient(email=u.email, language=u.preferred_language, name=u.full_name)
        for u in users.order_by("pk").distinct()
    ]


@email_kind("report_published")
def report_published(*, report_id: int) -> EmailContent:
    report = Report.objects.select_related("member").get(pk=report_id)
    return EmailContent(
        recipients=board_recipients(report.member_id),
        context={
            "report_title": report.title,
            "scope": report.scope_label,
            "period_label": report.snapshot.get("period", {}).get("label", ""),
            "version": report.version,
            "is_correction": report.corrects_id is not None,
            "correction_note": report.correction_note,
            "reports_path": reverse("reports:list"),
        },
    )
