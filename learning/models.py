"""Learning and development: courses one member opens to the staff and residents of all members.

`Course` and `CourseSession` are the consortium's catalogue: not member-owned (their provider is
named `provider`, not `member`), readable by every member's staff, changed only by the provider
(checked in services). A `Booking` is member-owned by the booking member, with the provider as the
second party so that it can take the register. The session keeps a counter of places held
(`places_taken`), changed only under a row lock and bounded by a database check: other members'
bookings are invisible under row-level security, so counting them is not possible, and the
counter is what makes "never overbooked" hold even when the last place is booked twice at once.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member, MemberOwnedModel

# How long a place offered from the waiting list is held before it goes to the next person.
OFFER_VALID_DAYS = 3


class Audience(models.TextChoices):
    STAFF = "staff", _("Staff")
    RESIDENTS = "residents", _("Residents")
    BOTH = "both", _("Staff and residents")


class Course(models.Model):
    provider = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField()
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.STAFF)
    # Residents' places come through the application journey for this learning service.
    service = models.ForeignKey(
        "services.Service", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    qualification = models.CharField(max_length=200, blank=True)
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def staff_may_book(self) -> bool:
        return self.audience in (Audience.STAFF, Audience.BOTH)

    @property
    def residents_may_book(self) -> bool:
        return self.audience in (Audience.RESIDENTS, Audience.BOTH)


class CourseSession(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue = models.CharField(
        max_length=300, blank=True, help_text=_("Address, or blank if online.")
    )
    online_url = models.URLField(blank=True)
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    cost_per_place = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    # Places held by confirmed bookings and open offers. Changed only by learning.services,
    # under select_for_update on this row.
    places_taken = models.PositiveIntegerField(default=0)
    next_queue_number = models.PositiveIntegerField(default=1)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(places_taken__lte=F("capacity")), name="session_never_overbooked"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="session_capacity_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(cost_per_place__gte=0), name="session_cost_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} ({self.starts_at:%Y-%m-%d})"

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.places_taken, 0)

    @property
    def is_online(self) -> bool:
        return bool(self.online_url) and not self.venue


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Place confirmed")
    WAITING = "waiting", _("On the waiting list")
    OFFERED = "offered", _("Place offered")
    CANCELLED = "cancelled", _("Cancelled")
    OFFER_EXPIRED = "offer_expired", _("Offer expired")


ACTIVE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.WAITING, BookingStatus.OFFERED)
HOLDS_PLACE = (BookingStatus.CONFIRMED, BookingStatus.OFFERED)


class Booking(MemberOwnedModel):
    """A place (or a waiting-list entry) booked by a member for one of its staff or residents.

    The booking member pays the place cost (`price`, fixed at booking) to the provider: the
    recharge. A booking cancelled before the session is not charged."""

    provider = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(CourseSession, on_delete=models.PROTECT, related_name="+")
    attendee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attendee_resident = models.ForeignKey(
        "referrals.Resident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=15, choices=BookingStatus.choices)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    queue_number = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attended = models.BooleanField(null=True, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    party_fields = ("member", "provider")

    class Meta(MemberOwnedModel.Meta):
        ordering = ["created_at"]
        constraints = [
            # A staff place names the person; a resident's place comes from a referral (the
            # provider cannot read the resident's record until the referral flow shares it).
            models.CheckConstraint(
                condition=(Q(attendee_user__isnull=False) & Q(referral__isnull=True))
                | (Q(attendee_user__isnull=True) & Q(referral__isnull=False)),
                name="booking_staff_or_referral",
            ),
            models.UniqueConstraint(
                fields=["member", "session", "attendee_user"],
                condition=Q(status__in=["confirmed", "waiting", "offered"]),
                name="booking_one_active_per_staff",
            ),
            models.UniqueConstraint(
                fields=["member", "session", "referral"],
                condition=Q(status__in=["confirmed", "waiting", "offered"]),
                name="booking_one_active_per_referral",
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(attended=True),
                name="booking_completed_needs_attendance",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "session", "status"], name="booking_provider_session"),
            models.Index(fields=["member", "status"], name="booking_member_status"),
        ]

    def __str__(self) -> str:
        return f"Booking {self.pk}"

    @property
    def reference(self) -> str:
        return f"LD-{self.pk:06d}"

    @property
    def is_chargeable(self) -> bool:
        return self.status == BookingStatus.CONFIRMED
