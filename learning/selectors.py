"""Reads for learning and development, including the figures the value-for-money reports use.

Booking figures read through `Booking.objects`, so they follow the caller's scope: a member scope
sees the bookings the member made and the bookings on the courses it provides; a consortium
scope (the reports) sees all. A place counts in the period in which its session starts.
"""

from __future__ import annotations

from datetime import date

from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from kernel.calendar import period_bounds
from learning.models import Booking, BookingStatus, Course, CourseSession
from members.access import access_member_owned_by_id, not_found
from members.actor import Actor
from members.models import Member

MONEY = DecimalField(max_digits=14, decimal_places=2)
CHARGEABLE = Q(status=BookingStatus.CONFIRMED)


def _in_period(period_start: date, period_end: date, prefix: str = "session__") -> Q:
    start, end = period_bounds(period_start, period_end)
    return Q(**{f"{prefix}starts_at__gte": start, f"{prefix}starts_at__lt": end})


# --- Figures for the reports -------------------------------------------------------------------


def learning_places_by_member(*, period_start: date, period_end: date) -> QuerySet:
    """Per booking member: `member`, `member__short_name`, `places` (confirmed places),
    `attended_places`, `completed_places`, `no_shows`, `cancelled`, `waiting`,
    `staff_places`, `resident_places`, `cost` (what it pays)."""
    return (
        Booking.objects.filter(_in_period(period_start, period_end))
        .values("member", "member__short_name")
        .order_by("member")
        .annotate(
            places=Count("id", filter=CHARGEABLE),
            attended_places=Count("id", filter=CHARGEABLE & Q(attended=True)),
            completed_places=Count("id", filter=CHARGEABLE & Q(completed_at__isnull=False)),
            no_shows=Count("id", filter=CHARGEABLE & Q(attended=False)),
            cancelled=Count("id", filter=Q(status=BookingStatus.CANCELLED)),
            waiting=Count("id", filter=Q(status=BookingStatus.WAITING)),
            staff_places=Count("id", filter=CHARGEABLE & Q(attendee_user__isnull=False)),
            resident_places=Count("id", filter=CHARGEABLE & Q(referral__isnull=False)),
            cost=Coalesce(Sum("price", filter=CHARGEABLE), Value(0, output_field=MONEY)),
        )
    )


def learning_places_by_provider(*, period_start: date, period_end: date) -> QuerySet:
    """Per provider: `provider`, `provider__short_name`, `places`, `attended_places`,
    `completed_places`, `income` (recharges due to it), `booking_members` (distinct
    members that booked)."""
    return (
        Booking.objects.filter(_in_period(period_start, period_end))
        .values("provider", "provider__short_name")
        .order_by("provider")
        .annotate(
            places=Count("id", filter=CHARGEABLE),
            attended_places=Count("id", filter=CHARGEABLE & Q(attended=True)),
            completed_places=Count("id", filter=CHARGEABLE & Q(completed_at__isnull=False)),
            income=Coalesce(Sum("price", filter=CHARGEABLE), Value(0, output_field=MONEY)),
            booking_members=Count("member", filter=CHARGEABLE, distinct=True),
        )
    )


def learning_session_capacity(*, period_start: date, period_end: date) -> dict[str, int]:
    """Places offered and taken on sessions starting in the period (sessions are not
    member-owned: the same in every scope)."""
    return CourseSession.objects.filter(
        _in_period(period_start, period_end, prefix=""), cancelled_at__isnull=True
    ).aggregate(
        sessions=Count("id"),
        capacity=Coalesce(Sum("capacity"), 0),
        places_taken=Coalesce(Sum("places_taken"), 0),
    )


def learning_recharges(*, period_start: date, period_end: date) -> QuerySet:
    """Who pays whom: one row per (booking member, provider) with `places` and `amount`.
    A member booking its own course is a row with member == provider (no money moves)."""
    return (
        Booking.objects.filter(CHARGEABLE, _in_period(period_start, period_end))
        .values("member", "member__short_name", "provider", "provider__short_name")
        .order_by("member", "provider")
        .annotate(places=Count("id"), amount=Sum("price"))
    )


def learning_recharge_balance_by_member(*, period_start: date, period_end: date) -> QuerySet:
    """Every member with `paid` (to other members), `received` (from other members) and `net`
    (received - paid), for sessions starting in the period."""
    chargeable = Booking.objects.filter(CHARGEABLE, _in_period(period_start, period_end)).exclude(
        member=F("provider")
    )

    def total(field: str) -> Subquery:
        return Subquery(
            chargeable.filter(**{field: OuterRef("pk")})
            .order_by()
            .values(field)
            .annotate(total=Sum("price"))
            .values("total")[:1],
            output_field=MONEY,
        )

    zero = Value(0, output_field=MONEY)
    return (
        Member.objects.annotate(
            paid=Coalesce(total("member"), zero), received=Coalesce(total("provider"), zero)
        )
        .annotate(net=F("received") - F("paid"))
        .order_by("name")
    )


# --- Pages -------------------------------------------------------------------------------------


def course_catalogue(*, audience: str | None = None) -> QuerySet[Course]:
    now = timezone.now()
    courses = (
        Course.objects.filter(is_published=True)
        .select_related("provider")
        .annotate(
            upcoming=Count(
                "sessions",
                filter=Q(sessions__starts_at__gt=now, sessions__cancelled_at__isnull=True),
            )
        )
        .order_by("title")
    )
    if audience:
        courses = courses.filter(audience__in=[audience, "both"])
    return courses


def access_course_by_id(actor: Actor, course_id: object) -> Course:
    """Published courses are open to every member's staff; providers see their own drafts."""
    try:
        pk = int(str(course_id))
    except (TypeError, ValueError):
        raise not_found() from None
    course = Course.objects.select_related("provider").filter(pk=pk).first()
    if course is None or not (course.is_published or course.provider_id == actor.member_id):
        raise not_found()
    return course


def access_session_by_id(actor: Actor, session_id: object) -> CourseSession:
    try:
        pk = int(str(session_id))
    except (TypeError, ValueError):
        raise not_found() from None
    session = CourseSession.objects.select_related("course__provider").filter(pk=pk).first()
    if session is None:
        raise not_found()
    access_course_by_id(actor, session.course_id)
    return session


def access_provided_session_by_id(actor: Actor, session_id: object) -> CourseSession:
    """A session of a course the actor's member provides (the register); 404 otherwise."""
    session = access_session_by_id(actor, session_id)
    if session.course.provider_id != actor.member_id:
        raise not_found()
    return session


def access_booking_by_id(actor: Actor, booking_id: object) -> Booking:
    """A booking the actor's member made or provides; the same 404 otherwise."""
    return access_member_owned_by_id(
        actor,
        Booking,
        booking_id,
        select_related=(
            "session__course__provider",
            "attendee_user",
            "attendee_resident",
            "member",
            "booked_by",
        ),
    )


def upcoming_sessions(course: Course) -> QuerySet[CourseSession]:
    return course.sessions.filter(starts_at__gt=timezone.now(), cancelled_at__isnull=True)


def bookings_for_member(*, member_id: int) -> QuerySet[Booking]:
    return (
        Booking.objects.for_member(member_id)
        .filter(member_id=member_id)
        .select_related("session__course__provider", "attendee_user", "attendee_resident")
        .order_by("-session__starts_at", "pk")
    )


def sessions_provided_by(*, member_id: int) -> QuerySet[CourseSession]:
    return (
        CourseSession.objects.filter(course__provider_id=member_id)
        .select_related("course")
        .order_by("-starts_at")
    )


def session_register(*, session: CourseSession, provider_id: int) -> QuerySet[Booking]:
    """Every booking on a session the member provides, places first, then the waiting list."""
    return (
        Booking.objects.for_member(provider_id)
        .filter(session=session, provider_id=provider_id)
        .select_related("member", "attendee_user", "attendee_resident")
        .order_by("status", "queue_number", "created_at")
    )


def colleagues_for_booking(*, member_id: int) -> QuerySet:
    from members.models import Membership

    return (
        Membership.objects.for_member(member_id)
        .filter(member_id=member_id, deactivated_at__isnull=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
