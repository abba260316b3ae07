"""A term of demo courses with bookings from many members (synthetic, deterministic, idempotent).

Called by devdata/demo.py: seed_demo() after the members and staff exist:
`seed_learning_demo(rng)`. Sessions are anchored on the current financial quarter (the term)
and keyed by course and start, so a second run in the same quarter adds nothing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from kernel.calendar import LONDON, current_quarter
from learning.models import Audience, Booking, BookingStatus, Course, CourseSession
from members.models import Member, Membership
from members.scoping import consortium_scope

# title, audience, cost per place, capacity, qualification
COURSES = [
    ("Safeguarding adults: level 2", Audience.STAFF, "45.00", 16, ""),
    ("Damp and mould: spotting and reporting", Audience.STAFF, "30.00", 20, ""),
    ("Trauma-informed housing management", Audience.STAFF, "85.00", 12, ""),
    ("Mental health first aid", Audience.BOTH, "120.00", 12, "MHFA England certificate"),
    ("Food hygiene level 2", Audience.BOTH, "25.00", 15, "Level 2 Food Hygiene"),
    ("Digital skills: getting online", Audience.RESIDENTS, "0.00", 10, ""),
    ("CSCS card preparation", Audience.RESIDENTS, "60.00", 12, "CSCS Green Card"),
    ("Tenancy sustainment for new officers", Audience.STAFF, "55.00", 2, ""),
]


def seed_learning_demo(rng: random.Random, *, today: date | None = None) -> int:
    """Create the demo term; returns how many sessions were created (0 on a second run)."""
    term = current_quarter(today)
    now = timezone.now()
    created = 0
    with consortium_scope(reason="demo: seed learning"), transaction.atomic():
        members = list(Member.objects.filter(is_synthetic=True).order_by("slug"))
        if len(members) < 3:
            return 0
        staff: dict[int, list[User]] = {}
        for membership in (
            Membership.objects.filter(member__in=members, deactivated_at__isnull=True)
            .select_related("user")
            .order_by("user__email")
        ):
            staff.setdefault(membership.member_id, []).append(membership.user)
        for index, (title, audience, cost, capacity, qualification) in enumerate(COURSES):
            provider = members[(index * 5) % len(members)]
            course, _ = Course.objects.get_or_create(
                provider=provider,
                title=title,
                defaults={
                    "audience": audience,
                    "qualification": qualification,
                    "is_synthetic": True,
                    "description": "A synthetic demo course. "
                    + "Practical, plain-language training delivered by a member association.",
                },
            )
            for number in range(3):
                day = term.start + timedelta(days=10 + index * 3 + number * 27)
                starts = datetime.combine(day, time(10, 0), tzinfo=LONDON)
                online = number == 1
                session, was_created = CourseSession.objects.get_or_create(
                    course=course,
                    starts_at=starts,
                    defaults={
                        "ends_at": starts + timedelta(hours=3),
                        "venue": "" if online else f"Community room, {provider.short_name}",
                        "online_url": "https://meet.example/demo" if online else "",
                        "capacity": capacity,
                        "cost_per_place": Decimal(cost),
                    },
                )
                if not was_created:
                    continue
                created += 1
                if not course.staff_may_book:
                    continue  # residents' places come through referrals
                _book_session(rng, session, members, staff, past=starts < now)
    return created


def _book_session(
    rng: random.Random,
    session: CourseSession,
    members: list[Member],
    staff: dict[int, list[User]],
    *,
    past: bool,
) -> None:
    wanted = rng.randint(session.capacity // 2, session.capacity + 3)
    candidates = [(m, u) for m in members for u in staff.get(m.pk, [])]
    rng.shuffle(candidates)
    queue = 1
    for member, user in candidates[:wanted]:
        booking = Booking(
            member=member,
            provider_id=session.course.provider_id,
            session=session,
            attendee_user=user,
            booked_by=user,
            price=session.cost_per_place,
            created_at=session.starts_at - timedelta(days=rng.randint(5, 30)),
        )
        if session.places_taken < session.capacity:
            booking.status = BookingStatus.CONFIRMED
            booking.confirmed_at = booking.created_at
            session.places_taken += 1
            if past:
                booking.attended = rng.random() < 0.88
                booking.attendance_recorded_at = session.ends_at
                if booking.attended and rng.random() < 0.9:
                    booking.completed_at = session.ends_at
        elif not past:
            booking.status = BookingStatus.WAITING
            booking.queue_number = queue
            queue += 1
        else:
            continue
        booking.save()
    session.next_queue_number = queue
    session.save(update_fields=["places_taken", "next_queue_number"])
