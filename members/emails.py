"""Email builders for members: the invitation to join as staff."""

from __future__ import annotations

from django.conf import settings

from members.models import ConsortiumRole, Invitation, Member, MemberRole
from notifications.registry import EmailContent, Recipient, email_kind


@email_kind("invitation")
def invitation_email(*, invitation_id: int) -> EmailContent:
    # Runs in the invitation's member scope, or the consortium scope for consortium roles.
    invitation = Invitation.objects.get(pk=invitation_id)
    if not invitation.is_open:
        # Revoked before the email went out: send nothing.
        return EmailContent(recipients=[], context={})
    from members.services import invitation_accept_url

    member = Member.objects.filter(pk=invitation.member_id).first()
    member_labels = dict(MemberRole.choices)
    consortium_labels = dict(ConsortiumRole.choices)
    roles = [str(member_labels.get(r, r)) for r in invitation.member_roles] + [
        str(consortium_labels.get(r, r)) for r in invitation.consortium_roles
    ]
    return EmailContent(
        # The invitee has no account yet, so no language preference: the portal's default.
        recipients=[Recipient(email=invitation.email, language=settings.LANGUAGE_CODE)],
        context={
            "member_name": member.name if member else "",
            "roles": roles,
            "accept_url": invitation_accept_url(invitation),
            "expires_at": invitation.expires_at,
            "portal_name": settings.PORTAL_NAME,
        },
    )
