"""Certificates of completion, rendered to PDF with WeasyPrint when asked for (never stored:
the booking is the record, so the certificate always matches it)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from kernel.pdf_fetch import refusing_url_fetcher
from learning.models import Booking


class NotCompleted(Exception):
    pass


def certificate_pdf(*, booking: Booking) -> bytes:
    if booking.completed_at is None:
        raise NotCompleted
    from weasyprint import HTML

    if booking.attendee_user is not None:
        attendee = booking.attendee_user.full_name or booking.attendee_user.email
    elif booking.attendee_resident is not None:
        attendee = booking.attendee_resident.full_name
    else:
        raise NotCompleted  # a resident's name is not known to this booking yet
    html = render_to_string(
        "learning/certificate.html",
        {
            "booking": booking,
            "attendee": attendee,
            "course": booking.session.course,
            "session": booking.session,
            "provider": booking.session.course.provider,
            "portal_name": getattr(settings, "PORTAL_NAME", "Consortium portal"),
        },
    )
    return HTML(string=html, url_fetcher=refusing_url_fetcher()).write_pdf()
