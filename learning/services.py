"""Writes for learning and development: booking, the waiting list, the register, certificates.

Places are counted on the session row (`places_taken`), changed only here, only under
`select_for_update` on that row, and bounded by a database check (`session_never_overbooked`):
two people booking the last place at once are serialised by the lock, and the second one joins
the waiting list. Bookings of other members are invisible to the booker (row-level security),
so the waiting list is served in the provider's scope, where every booking of its sessions is
visible: `session_waitlist_promote` runs as a provider-scoped task after a place frees.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from audit.models import AuditAction, AuditObjectType
from audit.services import audit_record
from kernel.errors import NotPermitted, RuleBroken
from learning.models import (
    HOLDS_PLACE,
    OFFER_VALID_DAYS,
    Booking,
    BookingStatus,
    Course,
    CourseSession,
)
from learning.task_names import TASK_PROMOTE_WAITING_LIST
from members.actor import Actor
from members.models import Membership
from members.permissions import Perm
from notifications.services import email_enqueue
from outbox.services import outbox_enqueue

logger = logging.getLogger(__name__)


class LearningError(RuleBroken):
    """A rule was broken; the message is safe to show to the user."""

    code = "learning_rule"


def _lock_session(session_id: int) -> CourseSession:
    return (
        CourseSession.objects.select_for_update(of=("self",))
        .select_related("course")
        .get(pk=session_id)
    )


def _hold_place(session: CourseSession) -> bool:
    """Take a place on a locked session if one is free. The conditional, relative UPDATE is
    a second guard behind the row lock (and the check constraint a third)."""
    taken = CourseSession.objects.filter(pk=session.pk, places_taken__lt=F("capacity")).update(
        places_taken=F("places_taken") + 1
    )
    if taken:
        session.places_taken += 1
    return bool(taken)


def _free_place(session: CourseSession) -> None:
    freed = CourseSession.objects.filter(pk=session.pk, places_taken__gt=0).update(
        places_taken=F("places_taken") - 1
    )
    if freed:
        session.places_taken -= 1


def _next_queue_number(session: CourseSession) -> int:
    number = session.next_queue_number
    session.next_queue_number += 1
    session.save(update_fields=["next_queue_number"])
    return number


def _enqueue_promotion(session: CourseSession) -> None:
    """Serve the waiting list in the provider's scope, after this change commits."""
    outbox_enqueue(
        task_name=TASK_PROMOTE_WAITING_LIST,
        kwargs={"session_id": session.pk},
        member_id=session.course.provider_id,
    )


@transaction.atomic
def booking_create(
    *, actor: Actor, session_id: int, attendee: User | None = None, join_waiting_list: bool = True
) -> Booking:
    """Book a place for the actor or a colleague at the same member; if the session is full,
    join the waiting list (or refuse, if join_waiting_list is False)."""
    if actor.member_id is None or not actor.can(Perm.BOOK_LEARNING) or actor.user is None:
        raise NotPermitted("book_learning is needed")
    attendee = attendee or actor.user
    if attendee.pk != actor.user.pk:
        colleague = Membership.objects.filter(
            member_id=actor.member_id, user=attendee, deactivated_at__isnull=True
        ).exists()
        if not colleague:
            raise LearningError("You can book only for yourself or a colleague.")
    session = _lock_session(session_id)
    _check_bookable(session, staff=True)
    if Booking.objects.filter(
        member_id=actor.member_id,
        session=session,
        attendee_user=attendee,
        status__in=[BookingStatus.CONFIRMED, BookingStatus.WAITING, BookingStatus.OFFERED],
    ).exists():
        raise LearningError("This person already has a place or is on the waiting list.")
    booking = Booking(
        member_id=actor.member_id,
        provider_id=session.course.provider_id,
        session=session,
        attendee_user=attendee,
        booked_by=actor.user,
        price=session.cost_per_place,
    )
    return _place_or_queue(booking, session, join_waiting_list=join_waiting_list, actor=actor)


def _check_bookable(session: CourseSession, *, staff: bool) -> None:
    if session.cancelled_at is not None or not session.course.is_published:
        raise LearningError("This session is not open for booking.")
    if session.starts_at <= timezone.now():
        raise LearningError("This session has already started.")
    if staff and not session.course.staff_may_book:
        raise LearningError("This course is for residents: book through their application.")
    if not staff and not session.course.residents_may_book:
        raise LearningError("This course is for staff only.")


def _place_or_queue(
    booking: Booking, session: CourseSession, *, join_waiting_list: bool, actor: Actor | None
) -> Booking:
    now = timezone.now()
    if _hold_place(session):
        booking.status = BookingStatus.CONFIRMED
        booking.confirmed_at = now
    elif join_waiting_list:
        booking.status = BookingStatus.WAITING
        booking.queue_number = _next_queue_number(session)
    else:
        raise LearningError("The session is full.")
    booking.save()
    audit_record(
        actor_id=actor.user_id if actor else None,
        # The acting member (its scope is the one row-level security lets write).
        member_id=actor.member_id if actor else booking.member_id,
        action=AuditAction.CREATE,
        object_type=AuditObjectType.BOOKING,
        object_id=booking.pk,
        reason=booking.status,
    )
    return booking


def _booking_for_update(booking_id: int) -> Booking:
    return Booking.objects.select_for_update().select_related("session__course").get(pk=booking_id)


@transaction.atomic
def booking_cancel(*, actor: Actor, booking: Booking) -> Booking:
    """Cancel a booking (by its member, or by the provider). A freed place goes to the waiting
    list. Cancelling twice is harmless."""
    session = _lock_session(booking.session_id)
    booking = _booking_for_update(booking.pk)
    if actor.member_id not in (booking.member_id, booking.provider_id):
        raise NotPermitted("not a party to this booking")
    if booking.status not in (
        BookingStatus.CONFIRMED,
        BookingStatus.WAITING,
        BookingStatus.OFFERED,
    ):
        return booking
    if booking.attended is not None:
        raise LearningError("Attendance is recorded: the booking can no longer be cancelled.")
    held = booking.status in HOLDS_PLACE
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.cancelled_by = actor.user
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    if held:
        _free_place(session)
        _enqueue_promotion(session)
    audit_record(
        actor_id=actor.user_id,
        member_id=actor.member_id,
        action=AuditAction.CHANGE,
        object_type=AuditObjectType.BOOKING,
        object_id=booking.pk,
        reason="cancelled",
    )
    return booking


@transaction.atomic
def offer_accept(*, actor: Actor, booking: Booking) -> Booking:
    booking = _booking_for_update(booking.pk)
    if actor.member_id != booking.member_id:
        raise NotPermitted("only the booking member accepts an offer")
    if booking.status == BookingStatus.CONFIRMED:
        return booking
    if booking.status != BookingStatus.OFFERED:
        raise LearningError("There is no open offer on this booking.")
    if booking.offer_expires_at and booking.offer_expires_at <= timezone.now():
        raise LearningError("The offer has expired.")
    booking.status = BookingStatus.CONFIRMED
    booking.confirmed_at = timezone.now()
    booking.save(update_fields=["status", "confirmed_at"])
    return booking


def session_waitlist_promote(*, session_id: int) -> list[int]:
    """Offer free places to the waiting list, first come first served. Must run in the
    provider's scope (or a consortium scope). Idempotent: a place is offered only while one is
    free, and each offer is held against the counter, so running twice offers nothing more."""
    offered: list[int] = []
    with transaction.atomic():
        session = _lock_session(session_id)
        if session.cancelled_at is not None or session.starts_at <= timezone.now():
            return offered
        now = timezone.now()
        expired = Booking.objects.select_for_update().filter(
            session=session, status=BookingStatus.OFFERED, offer_expires_at__lte=now
        )
        for booking in expired:
            booking.status = BookingStatus.OFFER_EXPIRED
            booking.save(update_fields=["status"])
            _free_place(session)
        while session.places_taken < session.capacity:
            booking = (
                Booking.objects.select_for_update(skip_locked=True)
                .filter(session=session, status=BookingStatus.WAITING)
                .order_by("queue_number", "created_at", "pk")
                .first()
            )
            if booking is None:
                break
            _hold_place(session)
            booking.status = BookingStatus.OFFERED
            booking.offered_at = now
            # Never past the start of the session.
            booking.offer_expires_at = min(
                now + timedelta(days=OFFER_VALID_DAYS), session.starts_at
            )
            booking.save(update_fields=["status", "offered_at", "offer_expires_at"])
            email_enqueue(
                kind="learning_place_offered",
                member_id=booking.member_id,
                ids={"booking_id": booking.pk},
                dedupe_key=f"learning-offer:{booking.pk}:{booking.offered_at.isoformat()}",
            )
            offered.append(booking.pk)
    if offered:
        logger.info("session %s: offered places to bookings %s", session_id, offered)
    return offered


def sessions_with_expired_offers() -> list[tuple[int, int]]:
    """(session id, provider id) for every session with an offer past its expiry: run in a
    consortium scope by the beat task, which then promotes each in its provider's scope."""
    return list(
        Booking.objects.filter(status=BookingStatus.OFFERED, offer_expires_at__lte=timezone.now())
        .values_list("session_id", "provider_id")
        .distinct()
    )


@transaction.atomic
def attendance_record(
    *, actor: Actor, booking: Booking, attended: bool, completed: bool
) -> Booking:
    """The provider takes the register and records completion (completion needs attendance)."""
    booking = _booking_for_update(booking.pk)
    if actor.member_id != booking.provider_id or not actor.can(Perm.MANAGE_LEARNING):
        raise NotPermitted("only the provider records attendance")
    if booking.status != BookingStatus.CONFIRMED:
        raise LearningError("Only confirmed places can be marked.")
    if completed and not attended:
        raise LearningError("A person who did not attend cannot complete the course.")
    now = timezone.now()
    booking.attended = attended
    booking.attendance_recorded_at = now
    booking.completed_at = (booking.completed_at or now) if completed else None
    booking.recorded_by = actor.user
    booking.save(
        update_fields=["attended", "attendance_recorded_at", "completed_at", "recorded_by"]
    )
    return booking


# --- The provider's catalogue ---------------------------------------------------------------


def _require_provider(actor: Actor) -> int:
    if actor.member_id is None or not actor.can(Perm.MANAGE_LEARNING):
        raise NotPermitted("manage_learning is needed")
    return actor.member_id


@transaction.atomic
def course_save(*, actor: Actor, course: Course | None = None, **fields: object) -> Course:
    """Create a course the actor's member provides, or change one it provides."""
    member_id = _require_provider(actor)
    if course is None:
        course = Course(provider_id=member_id)
    elif course.provider_id != member_id:
        raise NotPermitted("only the provider changes a course")
    for name, value in fields.items():
        setattr(course, name, value)
    course.full_clean()
    course.save()
    return course


@transaction.atomic
def session_save(
    *, actor: Actor, course: Course, session: CourseSession | None = None, **fields: object
) -> CourseSession:
    """Add a session to a course the actor's member provides, or change one. Capacity never
    drops below the places already taken."""
    member_id = _require_provider(actor)
    if course.provider_id != member_id:
        raise NotPermitted("only the provider adds sessions")
    session = CourseSession(course=course) if session is None else _lock_session(session.pk)
    for name, value in fields.items():
        setattr(session, name, value)
    if session.capacity < session.places_taken:
        raise LearningError(
            f"{session.places_taken} places are already taken: the capacity cannot be lower."
        )
    if session.ends_at < session.starts_at:
        raise LearningError("The session must end after it starts.")
    if not session.venue and not session.online_url:
        raise LearningError("Give a place or an online link.")
    session.save()
    return session
