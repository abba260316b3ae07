"""The texts a resident gets about their application (the status-check code is sent at once,
by applications.services.status_code_issue, not from here)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from notifications.registry import SmsContent, sms_kind
from referrals.channels import application_reach
from referrals.models import Application


@sms_kind("application_received")
def application_received_text(*, application_id: int) -> SmsContent:
    """Runs inside the application's member scope (notifications.send_resident_notice)."""
    application = Application.objects.select_related("resident").filter(pk=application_id).first()
    if application is None:
        return SmsContent(reach=None, context={})
    return SmsContent(
        reach=application_reach(application),
        context={
            "reference": application.reference,
            "status_url": str(settings.SITE_URL or "").rstrip("/")
            + reverse("applications:status_start"),
        },
    )
