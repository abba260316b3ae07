"""Email builders for procurement (run inside the recipient member's scope)."""

from __future__ import annotations

from django.urls import reverse

from members.models import Member, Membership
from members.permissions import MEMBER_ROLE_PERMS, Perm
from notifications.registry import EmailContent, Recipient, email_kind
from procurement.models import Contract


def procurement_recipients(member_id: int) -> list[Recipient]:
    """Active staff of the member who manage procurement; the member's own address if none."""
    roles = [role for role, perms in MEMBER_ROLE_PERMS.items() if Perm.MANAGE_PROCUREMENT in perms]
    memberships = (
        Membership.objects.for_member(member_id)
        .filter(member_id=member_id, deactivated_at__isnull=True, roles__role__in=roles)
        .select_related("user")
        .distinct()
    )
    recipients = [
        Recipient(email=m.user.email, language=m.user.preferred_language, name=m.user.full_name)
        for m in memberships
        if m.user.is_active
    ]
    if not recipients:
        member = Member.objects.get(pk=member_id)
        if member.email:
            recipients.append(Recipient(email=member.email))
    return recipients


@email_kind("procurement_renewal_reminder")
def build_renewal_reminder(*, contract_id: int, days: int, member_id: int) -> EmailContent:
    contract = Contract.objects.select_related("lead_member").get(pk=contract_id)
    recipient_member = member_id
    return EmailContent(
        recipients=procurement_recipients(recipient_member),
        context={
            "contract": contract,
            "days": days,
            "is_lead": contract.lead_member_id == recipient_member,
            "path": reverse("procurement:contract_detail", args=[contract.pk]),
        },
    )
