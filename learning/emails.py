"""Email builders for learning (run inside the booking member's scope)."""

from __future__ import annotations

from django.urls import reverse

from learning.models import Booking
from notifications.registry import EmailContent, Recipient, email_kind


@email_kind("learning_place_offered")
def build_place_offered(*, booking_id: int) -> EmailContent:
    booking = Booking.objects.select_related("session__course", "booked_by", "attendee_user").get(
        pk=booking_id
    )
    people = {booking.booked_by}
    if booking.attendee_user is not None:
        people.add(booking.attendee_user)
    return EmailContent(
        recipients=[
            Recipient(email=u.email, language=u.preferred_language, name=u.full_name)
            for u in people
            if u.is_active
        ],
        context={
            "booking": booking,
            "session": booking.session,
            "course": booking.session.course,
            "path": reverse("learning:booking_detail", args=[booking.pk]),
        },
    )
