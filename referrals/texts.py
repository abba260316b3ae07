"""Text builders for referrals: what a resident's text about their referral needs, and how the
resident is reached (referrals.channels). Run in the landlord's scope, which holds the record."""

from __future__ import annotations

from notifications.registry import SmsContent, sms_kind
from referrals.channels import application_reach
from referrals.models import Application, Referral, ReferralStatus

NOBODY = SmsContent(reach=None, context={})


@sms_kind("referral_status")
def referral_status_text(*, referral_id: int, status: str) -> SmsContent:
    """The referral changed status: the reference, the new status and, once accepted, which
    association will be in touch (its short name: an organisation, not a person)."""
    referral = Referral.objects.select_related("provider").filter(pk=referral_id).first()
    if referral is None:
        return NOBODY
    application = (
        Application.objects.select_related("resident").filter(pk=referral.application_id).first()
    )
    if application is None:
        return NOBODY
    return SmsContent(
        reach=application_reach(application),
        context={
            "reference": referral.reference,
            "status": status,
            # Lazy: rendered in the resident's language.
            "status_label": ReferralStatus(status).label,
            "provider_name": referral.provider.short_name if referral.provider else "",
        },
    )
