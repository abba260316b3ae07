"""Residents, their applications, and the referrals that carry them between members.

A referral has two parties: `member`, the resident's own landlord (who owns the record), and
`provider`, the member that delivers the service. Both see it (party_fields); what each sees of
it is decided in referrals/selectors.py.
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member, MemberOwnedModel
from services.models import Service

# No 0/O, 1/I/L, U: a reference read aloud over the phone is heard right (Crockford base 32).
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".replace("0", "").replace("1", "")


def new_reference() -> str:
    """Like "HC-7KQ4-M2XD": 8 random characters, 30^8 (6.5e11) possibilities, not guessable."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"HC-{chars[:4]}-{chars[4:]}"


class ContactMethod(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")


class Resident(MemberOwnedModel):
    """A resident of a member (the member is their landlord). Personal data: audited access."""

    full_name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    postcode_district = models.CharField(max_length=5, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    preferred_language = models.CharField(max_length=10, default="en")
    contact_method = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.EMAIL
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident_records",
    )
    is_synthetic = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(MemberOwnedModel.Meta):
        indexes = [models.Index(fields=["member", "email"], name="resident_member_email")]

    def __str__(self) -> str:
        return f"Resident {self.pk}"


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests")
    PUBLIC_TASK = "public_task", _("Public task")


class Application(MemberOwnedModel):
    """What a resident submitted, with the data-sharing notice they were shown. Immutable once
    submitted except for withdrawal."""

    reference = models.CharField(max_length=16, unique=True, default=new_reference)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="applications")
    answers = models.JSONField(default=dict, blank=True)
    accessibility_needs = models.TextField(blank=True)
    language = models.CharField(max_length=10, default="en")
    submitted_at = models.DateTimeField(default=timezone.now)
    # One per form rendering: a double click, the back button or a retry submits it once.
    idempotency_key = models.CharField(max_length=64)
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices)
    # The exact text shown, and the members it named: routing never goes outside them.
    data_sharing_text = models.TextField()
    shared_with_member_ids = models.JSONField(default=list)
    consent_given_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta(MemberOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["member", "idempotency_key"], name="application_idempotency"
            )
        ]

    def __str__(self) -> str:
        return self.reference


class ReferralStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ROUTED = "routed", _("Sent to a provider")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_PROGRESS = "in_progress", _("In progress")
    OUTCOME_RECORDED = "outcome_recorded", _("Outcome recorded")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = ReferralStatus
# The one place the allowed transitions are stated (referrals/services.py enforces them).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.ROUTED, S.WITHDRAWN}),
    S.ROUTED: frozenset({S.ACCEPTED, S.DECLINED, S.ROUTED, S.WITHDRAWN}),
    S.DECLINED: frozenset({S.ROUTED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.IN_PROGRESS, S.OUTCOME_RECORDED, S.WITHDRAWN}),
    S.IN_PROGRESS: frozenset({S.OUTCOME_RECORDED, S.WITHDRAWN}),
    S.OUTCOME_RECORDED: frozenset({S.OUTCOME_RECORDED, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
OPEN_STATUSES = frozenset(
    {S.SUBMITTED, S.ROUTED, S.DECLINED, S.ACCEPTED, S.IN_PROGRESS, S.OUTCOME_RECORDED}
)


class Referral(MemberOwnedModel):
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="referral"
    )
    reference = models.CharField(max_length=16, unique=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=S.SUBMITTED)
    # Copied from the application so a provider can decide without personal data.
    area = models.CharField(max_length=5, blank=True)
    language = models.CharField(max_length=10, default="en")
    need_summary = models.CharField(max_length=300, blank=True)

    # Who did each step and when: performance is reported from these, not from `status`.
    submitted_at = models.DateTimeField(default=timezone.now)
    routed_at = models.DateTimeField(null=True, blank=True)
    unrouted_since = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_count = models.PositiveSmallIntegerField(default=0)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    in_progress_at = models.DateTimeField(null=True, blank=True)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    sla_accept_due = models.DateTimeField(null=True, blank=True)
    sla_first_contact_due = models.DateTimeField(null=True, blank=True)
    sla_accept_breached = models.BooleanField(default=False)
    sla_first_contact_breached = models.BooleanField(default=False)
    # Bumped on every change: a member's system polls `?since=` cheaply.
    updated_at = models.DateTimeField(default=timezone.now)
    is_synthetic = models.BooleanField(default=False)

    party_fields: ClassVar[tuple[str, ...]] = ("member", "provider")

    class Meta(MemberOwnedModel.Meta):
        indexes = [
            models.Index(fields=["provider", "status", "-submitted_at"], name="referral_inbox"),
            models.Index(fields=["member", "-submitted_at"], name="referral_outgoing"),
            models.Index(fields=["provider", "updated_at"], name="referral_provider_since"),
            models.Index(fields=["member", "updated_at"], name="referral_member_since"),
            models.Index(fields=["member", "service", "submitted_at"], name="referral_reporting"),
        ]

    def __str__(self) -> str:
        return self.reference


class RoutingDecision(MemberOwnedModel):
    """Why a referral went where it did (or why it went nowhere)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="decisions")
    provider = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    # Empty for the routing engine; a coordinator for a manual route.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reasons = models.JSONField(default=list)
    note = models.CharField(max_length=500, blank=True)

    party_fields: ClassVar[tuple[str, ...]] = ("member", "provider")

    class Meta(MemberOwnedModel.Meta):
        indexes = [models.Index(fields=["member", "referral"], name="routingdecision_referral")]


class OutcomeType(models.TextChoices):
    JOB_STARTED = "job_started", _("Job started")
    JOB_SUSTAINED_13 = "job_sustained_13", _("Job sustained 13 weeks")
    JOB_SUSTAINED_26 = "job_sustained_26", _("Job sustained 26 weeks")
    APPRENTICESHIP = "apprenticeship", _("Apprenticeship started")
    TRAINING_STARTED = "training_started", _("Training started")
    TRAINING_COMPLETED = "training_completed", _("Training completed")
    QUALIFICATION = "qualification", _("Qualification gained")
    VOLUNTEERING = "volunteering", _("Volunteering started")
    NO_OUTCOME = "no_outcome", _("No outcome")


class Outcome(MemberOwnedModel):
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="outcomes")
    provider = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=20, choices=OutcomeType.choices)
    achieved_on = models.DateField()
    hours_per_week = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    qualification_level = models.PositiveSmallIntegerField(null=True, blank=True)
    no_outcome_reason = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_synthetic = models.BooleanField(default=False)

    party_fields: ClassVar[tuple[str, ...]] = ("member", "provider")

    class Meta(MemberOwnedModel.Meta):
        indexes = [
            models.Index(fields=["member", "achieved_on"], name="outcome_member_date"),
            models.Index(fields=["provider", "achieved_on"], name="outcome_provider_date"),
        ]

    @property
    def is_full_time(self) -> bool | None:
        if self.hours_per_week is None:
            return None
        return self.hours_per_week >= 30
