"""The emails a resident gets about their application."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from notifications.registry import EmailContent, Recipient, email_kind
from referrals.models import Application
from services.selectors import service_localise


@email_kind("application_received")
def application_received(*, application_id: int) -> EmailContent:
    """Runs inside the application's member scope (notifications.send_email)."""
    application = Application.objects.select_related("resident", "service").get(pk=application_id)
    service = service_localise([application.service], application.language)[0]
    return EmailContent(
        recipients=[
            Recipient(
                email=application.resident.email,
                language=application.language or settings.LANGUAGE_CODE,
                name=application.contact_full_name or application.resident.full_name,
            )
        ],
        context={
            "reference": application.reference,
            "service_name": service.display_name,  # type: ignore[attr-defined]
            "status_url": str(settings.SITE_URL or "").rstrip("/")
            + reverse("applications:status_start"),
        },
    )
