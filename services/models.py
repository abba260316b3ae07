"""The catalogue of shared services and which members offer them."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import MemberOwnedModel


class ServiceKind(models.Model):
    """Employment support, learning and development, and any kind an administrator adds."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class ServiceStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAUSED = "paused", _("Paused")


class Service(models.Model):
    """A shared service. The catalogue is the consortium's, not any one member's."""

    kind = models.ForeignKey(ServiceKind, on_delete=models.PROTECT, related_name="services")
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=160)
    summary = models.CharField(max_length=300, help_text="One plain-language sentence.")
    description = models.TextField(help_text="Plain language: what happens, who it is for.")
    # Machine-readable eligibility, e.g. {"tenant_of_member": true, "min_age": 16,
    # "employment_statuses": ["unemployed", "part_time"]}.
    eligibility = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.OPEN
    )
    # SLA targets in UK working days.
    sla_accept_days = models.PositiveSmallIntegerField(default=2)
    sla_first_contact_days = models.PositiveSmallIntegerField(default=5)
    # The routing rules applied in order (referrals/routing.py names them).
    routing_rules = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind__order", "name"]

    def __str__(self) -> str:
        return self.name


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    YES_NO = "yes_no", _("Yes or no")
    CHOICE = "choice", _("One of several choices")
    NUMBER = "number", _("Number")


class ServiceQuestion(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=60)
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    hint = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=12, choices=QuestionKind.choices, default=QuestionKind.TEXT)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["service", "order"]
        constraints = [
            models.UniqueConstraint(fields=["service", "key"], name="servicequestion_unique_key")
        ]

    def __str__(self) -> str:
        return self.key


class ServiceTranslation(models.Model):
    """A service's own words (name, summary, description, questions) in one language, edited by
    a consortium administrator in the admin. Blank fields fall back to English."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=10)
    name = models.CharField(max_length=160, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    # {"question_key": {"text": "...", "hint": "...", "choices": ["...", ...]}}; choices are
    # shown in place of the English ones, position for position (the stored answer is English).
    questions = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "language"], name="servicetranslation_unique_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id} ({self.language})"


class DeliveryMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")
    ONLINE = "online", _("Online")


class Offer(MemberOwnedModel):
    """A member delivers a service: how much, where, in which languages, how."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="offers")
    capacity_per_month = models.PositiveIntegerField(default=10)
    # Postcode districts served, e.g. ["B10", "B11"]; empty means "anywhere".
    areas = models.JSONField(default=list, blank=True)
    # Language codes staff can work in, e.g. ["en", "ur", "bn"].
    languages = models.JSONField(default=list, blank=True)
    delivery_modes = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    # Where in-person sessions happen (WGS84 decimal degrees), entered by the service lead; both
    # or neither. Published as the in-person location's position in the Open Referral feed.
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The directory is public (ORUK feed, routing, the resident's consent page); changes are not.
    public_read = True

    class Meta(MemberOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["member", "service"], name="offer_unique_per_member"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="offer_position_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return f"Offer {self.pk}"


class Weekday(models.IntegerChoices):
    """Python's numbering (Monday is 0); `code` is the iCalendar BYDAY code HSDS uses."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")

    @property
    def code(self) -> str:
        return ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[self.value]


class OpeningHours(MemberOwnedModel):
    """One weekly session of an offer: on this weekday, from `opens_at` to `closes_at`, in UK
    local time (Europe/London). A day may have several sessions (morning and afternoon). The
    offer's service lead enters them on the offer's form; the row belongs to the offer's member.
    """

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    # Public like the offer it describes (the directory); only the member changes it.
    public_read = True

    class Meta(MemberOwnedModel.Meta):
        verbose_name = verbose_name_plural = "opening hours"
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "offer", "weekday", "opens_at"], name="openinghours_unique"
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="openinghours_closes_after_opening"
            ),
        ]

    def __str__(self) -> str:
        return f"{Weekday(self.weekday).label} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"
