"""Email builders for referrals. Each runs inside the scope its message was queued with (the
recipient's member, or the consortium scope for the coordinator) and loads what it needs from
ids; the text is rendered in each recipient's language (notifications/services.py)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from members.models import ConsortiumRole, ConsortiumRoleAssignment, MemberRole, Membership
from notifications.registry import EmailContent, Recipient, email_kind
from referrals.models import Application, Referral, ReferralStatus, Resident

NOBODY = EmailContent(recipients=[], context={})


def _staff(member_id: int | None, roles: tuple[str, ...]) -> list[Recipient]:
    if member_id is None:
        return []
    memberships = (
        Membership.objects.for_member(member_id)
        .filter(deactivated_at__isnull=True, roles__role__in=roles, user__is_active=True)
        .select_related("user")
        .distinct()
    )
    return [
        Recipient(email=m.user.email, language=m.user.preferred_language, name=m.user.full_name)
        for m in memberships
    ]


def _coordinators() -> list[Recipient]:
    assignments = ConsortiumRoleAssignment.objects.filter(
        role=ConsortiumRole.COORDINATOR, revoked_at__isnull=True, user__is_active=True
    ).select_related("user")
    return [
        Recipient(email=a.user.email, language=a.user.preferred_language, name=a.user.full_name)
        for a in assignments
    ]


def _link(name: str, *args: object) -> str:
    return str(settings.SITE_URL or "").rstrip("/") + reverse(name, args=args)


def _envelope(referral: Referral) -> dict[str, object]:
    # Never personal data: a provider's team gets the envelope, not the resident.
    return {
        "reference": referral.reference,
        "service_name": referral.service.name,
        "area": referral.area,
        "language": referral.language,
    }


def _referral(referral_id: int) -> Referral | None:
    return Referral.objects.select_related("service", "provider").filter(pk=referral_id).first()


@email_kind("referral_new")
def referral_new_email(*, referral_id: int) -> EmailContent:
    """To the provider's caseworkers and service leads: a referral is waiting for them."""
    referral = _referral(referral_id)
    if referral is None or referral.status != ReferralStatus.ROUTED:
        return NOBODY  # moved on before the email went out
    return EmailContent(
        recipients=_staff(referral.provider_id, (MemberRole.CASEWORKER, MemberRole.SERVICE_LEAD)),
        context={
            **_envelope(referral),
            "due": referral.sla_accept_due,
            "url": _link("referrals:detail", referral.pk),
        },
    )


@email_kind("referral_withdrawn")
def referral_withdrawn_email(*, referral_id: int) -> EmailContent:
    referral = _referral(referral_id)
    if referral is None:
        return NOBODY
    return EmailContent(
        recipients=_staff(referral.provider_id, (MemberRole.CASEWORKER, MemberRole.SERVICE_LEAD)),
        context={**_envelope(referral), "url": _link("referrals:detail", referral.pk)},
    )


@email_kind("referral_sla_overdue")
def referral_sla_overdue_email(*, referral_id: int, clock: str) -> EmailContent:
    """To the provider's service leads: a referral is past its SLA."""
    referral = _referral(referral_id)
    if referral is None:
        return NOBODY
    return EmailContent(
        recipients=_staff(referral.provider_id, (MemberRole.SERVICE_LEAD,)),
        context={
            **_envelope(referral),
            "clock": clock,
            "due": referral.sla_accept_due if clock == "accept" else referral.sla_first_contact_due,
            "url": _link("referrals:detail", referral.pk),
        },
    )


@email_kind("referral_sla_escalation")
def referral_sla_escalation_email(*, referral_id: int, clock: str) -> EmailContent:
    """To the consortium coordinators: the same breach, for the consortium view."""
    referral = _referral(referral_id)
    if referral is None:
        return NOBODY
    return EmailContent(
        recipients=_coordinators(),
        context={
            **_envelope(referral),
            "clock": clock,
            "provider_name": referral.provider.short_name if referral.provider else "",
            "url": _link("referrals:coordinator"),
        },
    )


@email_kind("referral_unrouted")
def referral_unrouted_email(*, referral_id: int) -> EmailContent:
    referral = _referral(referral_id)
    if referral is None or referral.provider_id is not None:
        return NOBODY
    return EmailContent(
        recipients=_coordinators(),
        context={**_envelope(referral), "url": _link("referrals:coordinator_route", referral.pk)},
    )


@email_kind("referral_sustainment_due")
def referral_sustainment_due_email(*, referral_id: int, weeks: int) -> EmailContent:
    referral = _referral(referral_id)
    if referral is None:
        return NOBODY
    return EmailContent(
        recipients=_staff(referral.provider_id, (MemberRole.CASEWORKER, MemberRole.SERVICE_LEAD)),
        context={
            **_envelope(referral),
            "weeks": weeks,
            "url": _link("referrals:detail", referral.pk),
        },
    )


@email_kind("referral_status")
def referral_status_email(*, referral_id: int, status: str) -> EmailContent:
    """To the resident, in their language: their referral changed status. Landlord scope."""
    referral = _referral(referral_id)
    if referral is None:
        return NOBODY
    application = Application.objects.filter(pk=referral.application_id).first()
    resident = Resident.objects.filter(pk=application.resident_id).first() if application else None
    if resident is None or not resident.email:
        return NOBODY
    return EmailContent(
        recipients=[Recipient(email=resident.email, language=resident.preferred_language)],
        context={
            "reference": referral.reference,
            "service_name": referral.service.name,
            "status": status,
            # Lazy: rendered in the recipient's language by email_send.
            "status_label": ReferralStatus(status).label,
            "provider_name": referral.provider.name if referral.provider else "",
        },
    )
