"""Residents, their applications, and the referrals that carry them between members.

A referral has two parties: `member`, the resident's own landlord (who owns the record), and
`provider`, the member that delivers the service. Both see it (party_fields); what each sees of
it is decided in referrals/selectors.py.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

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
    POST = "post", _("Letter")


class AssistedChannel(models.TextChoices):
    """How a caseworker made an application with a resident."""

    PHONE = "phone", _("By phone")
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("By video call")


class Resident(MemberOwnedModel):
    """A resident of a member (the member is their landlord). Personal data: audited access."""

    full_name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    postcode_district = models.CharField(max_length=5, blank=True)
    # A postal address, for a resident who is contacted by letter.
    address = models.TextField(blank=True, db_default="")
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
    # GOV.UK Notify refused texts to this number (notifications/sms.py: not a mobile, not a
    # valid number). The failure belongs to the number, so it stops counting as soon as the
    # resident's number is another one, and a text that goes through clears it
    # (referrals.services.resident_sms_result_record; referrals.channels reads it).
    sms_failed_at = models.DateTimeField(null=True, blank=True)
    sms_failure_reason = models.CharField(max_length=30, blank=True)
    sms_failed_phone = models.CharField(max_length=40, blank=True)

    # A resident signed in by emailed code sees their own records (/apply/mine/).
    rls_extra_condition = "user_id = NULLIF(current_setting('app.user_id', true), '')::bigint"

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
    # The contact details as submitted with this application (a snapshot). Whoever typed an
    # email address has not proven they own it, so an application never rewrites the Resident
    # row: these are what this application's referral shows its provider, and they reach the
    # Resident record only once the address is proven (applications.services:
    # resident_contact_adopt).
    contact_full_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_postcode = models.CharField(max_length=10, blank=True)
    contact_postcode_district = models.CharField(max_length=5, blank=True)
    contact_preferred_language = models.CharField(max_length=10, blank=True)
    contact_method = models.CharField(max_length=10, choices=ContactMethod.choices, blank=True)
    contact_address = models.TextField(blank=True, db_default="")
    # When the Resident record took these details (the address proven, or a caseworker of the
    # owning member confirmed them); null while they are only this application's.
    contact_adopted_at = models.DateTimeField(null=True, blank=True)
    # A fingerprint of the API request body that created it (blank for the web journey): the
    # same Idempotency-Key with another body is refused, not answered with this application.
    request_fingerprint = models.CharField(max_length=64, blank=True)
    # Made by a caseworker with the resident (on the phone, in person, by video), not by the
    # resident alone: who, for which member, how, in which language, and when they read the
    # data-sharing notice to the resident (data_sharing_text is the text they read).
    assisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assisted_by_member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # db_default: bulk loaders (devdata/scale.py) copy rows without these columns.
    assisted_channel = models.CharField(
        max_length=10, choices=AssistedChannel.choices, blank=True, db_default=""
    )
    assisted_language = models.CharField(max_length=10, blank=True, db_default="")
    interpreter_used = models.BooleanField(default=False, db_default=False)
    notice_read_at = models.DateTimeField(null=True, blank=True)

    rls_extra_condition = (
        "resident_id IN (SELECT id FROM referrals_resident WHERE user_id = "
        "NULLIF(current_setting('app.user_id', true), '')::bigint)"
    )

    class Meta(MemberOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["member", "idempotency_key"], name="application_idempotency"
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_assisted(self) -> bool:
        # The member is always recorded (the user may be deleted later); unlike the char
        # fields it is never an unsaved DatabaseDefault.
        return self.assisted_by_member_id is not None


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
    # A closed referral changes status no more; a job outcome's 13- and 26-week sustainment
    # checks are still recorded on it (referral_record_outcome), without a transition.
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
OPEN_STATUSES = frozenset(
    {S.SUBMITTED, S.ROUTED, S.DECLINED, S.ACCEPTED, S.IN_PROGRESS, S.OUTCOME_RECORDED}
)


def referral_may_be_withdrawn(status: str) -> bool:
    """Whether the resident may still withdraw, by whichever path they take (the one rule)."""
    return S.WITHDRAWN in ALLOWED_TRANSITIONS.get(status, frozenset())


# Statuses in which the provider has taken the referral on (it sees full contact details).
TAKEN_ON_STATUSES = frozenset({S.ACCEPTED, S.IN_PROGRESS, S.OUTCOME_RECORDED, S.CLOSED})


class DeclineReason(models.TextChoices):
    NO_CAPACITY = "no_capacity", _("No capacity")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")
    COULD_NOT_CONTACT = "could_not_contact", _("Could not contact the resident")
    OTHER = "other", _("Other")


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
    # Made by a caseworker with the resident (Application.assisted_*): part of the envelope,
    # so the inbox and the reports tell assisted from self-service without the application.
    assisted = models.BooleanField(default=False, db_default=False)
    # Part of the minimal envelope a provider sees before accepting (copied at routing).
    accessibility_needs = models.CharField(max_length=500, blank=True)
    # The resident's own sign-in, if they have one: lets them read and withdraw their referral
    # with no member scope (see rls_extra_condition). Filled from the application on creation.
    resident_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

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
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sla_accept_due = models.DateTimeField(null=True, blank=True)
    sla_first_contact_due = models.DateTimeField(null=True, blank=True)
    sla_accept_breached = models.BooleanField(default=False)
    sla_first_contact_breached = models.BooleanField(default=False)
    # Bumped on every change: a member's system polls `?since=` cheaply.
    updated_at = models.DateTimeField(default=timezone.now)
    is_synthetic = models.BooleanField(default=False)

    party_fields: ClassVar[tuple[str, ...]] = ("member", "provider")
    # A signed-in resident reads (and withdraws) their own referrals, with no member scope.
    rls_extra_condition: ClassVar[str] = (
        "resident_user_id = NULLIF(current_setting('app.user_id', true), '')::bigint"
    )

    class Meta(MemberOwnedModel.Meta):
        indexes = [
            models.Index(fields=["provider", "status", "-submitted_at"], name="referral_inbox"),
            models.Index(
                fields=["provider", "-routed_at"],
                name="referral_provider_routed",
                condition=models.Q(provider__isnull=False),
            ),
            models.Index(
                fields=["member", "unrouted_since"],
                name="referral_unrouted",
                condition=models.Q(unrouted_since__isnull=False),
            ),
            models.Index(fields=["member", "-submitted_at"], name="referral_outgoing"),
            # Every referral a provider delivers, newest first: the API's list of both parties
            # (selectors.EitherPartyQuerySet) walks it, and referral_outgoing, a page at a time.
            models.Index(
                fields=["provider", "-submitted_at", "-id"], name="referral_provider_list"
            ),
            models.Index(
                fields=["member", "status", "-submitted_at"], name="referral_outgoing_status"
            ),
            # The inbox's default lists (open work, newest first): read in index order and
            # stopped after a page, however many referrals a member has (selectors.INBOX_OPEN,
            # selectors.OUTGOING_OPEN must match these conditions for the planner to use them).
            # INCLUDE: the columns the row-level security policy and the list's other conditions
            # read, so counting a tab (up to selectors.COUNT_CAP) is an index-only scan.
            models.Index(
                fields=["provider", "-submitted_at", "-id"],
                include=["member", "resident_user", "status"],
                name="referral_inbox_open",
                condition=models.Q(
                    status__in=["routed", "accepted", "in_progress", "outcome_recorded"]
                ),
            ),
            # Referrals the routing engine has not decided yet (it sets a provider or
            # unrouted_since): the routing sweep and the coordinator's console read only these.
            # Few rows at any time, so the member key in front costs the cross-member read nothing.
            models.Index(
                fields=["member", "submitted_at"],
                name="referral_awaiting_routing",
                condition=models.Q(status="submitted", unrouted_since__isnull=True),
            ),
            # The overdue tab and the SLA sweep: only referrals whose clock is running.
            models.Index(
                fields=["provider", "sla_accept_due"],
                name="referral_accept_clock",
                condition=models.Q(status="routed"),
            ),
            models.Index(
                fields=["provider", "sla_first_contact_due"],
                name="referral_contact_clock",
                condition=models.Q(
                    status__in=["accepted", "in_progress"], first_contact_at__isnull=True
                ),
            ),
            # Outgoing: open referrals another member delivers (the landlord's own work is
            # left out of the index, so counting and paging never step over it).
            models.Index(
                fields=["member", "-submitted_at", "-id"],
                include=["provider", "resident_user", "status"],
                name="referral_outgoing_open",
                condition=models.Q(
                    status__in=[
                        "submitted",
                        "routed",
                        "declined",
                        "accepted",
                        "in_progress",
                        "outcome_recorded",
                    ]
                )
                & ~models.Q(provider=models.F("member")),
            ),
            models.Index(fields=["provider", "updated_at"], name="referral_provider_since"),
            models.Index(fields=["member", "updated_at"], name="referral_member_since"),
            models.Index(fields=["member", "service", "submitted_at"], name="referral_reporting"),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and self.resident_user_id is None and self.application_id:
            # Read under the landlord's scope, which is where referrals are created.
            self.resident_user_id = (
                Application.objects.for_member(self.member_id)
                .filter(pk=self.application_id)
                .values_list("resident__user_id", flat=True)
                .first()
            )
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReferralContact(MemberOwnedModel):
    """The resident's contact details as they were when the referral was sent (a snapshot).

    Apart from the referral on purpose: the provider's database role can read this row only once
    it has accepted (rls_extra_condition), so the minimal envelope before acceptance is enforced
    by PostgreSQL, not only by the views. Owned by the resident's landlord.
    """

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="contact")
    full_name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    address = models.TextField(blank=True, db_default="")
    date_of_birth = models.DateField(null=True, blank=True)
    preferred_language = models.CharField(max_length=10, default="en")
    contact_method = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.EMAIL
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Texts to this snapshot's number fail (copied from the resident's record, which the
    # provider cannot read): its caseworker is told to call instead.
    sms_failed_at = models.DateTimeField(null=True, blank=True)
    sms_failure_reason = models.CharField(max_length=30, blank=True)

    # Correlated EXISTS (a primary-key probe per row), not "referral_id IN (SELECT ...)": the
    # IN form made PostgreSQL hash every accepted referral of the provider on each read
    # (165,000 rows, 0.7 s, at 1,000,000 referrals), even to show a page of 50.
    rls_extra_condition: ClassVar[str] = (
        "EXISTS (SELECT 1 FROM referrals_referral r WHERE r.id = referral_id "
        "AND r.provider_id = NULLIF(current_setting('app.member_id', true), '')::bigint "
        "AND r.accepted_at IS NOT NULL AND r.status <> 'withdrawn')"
    )

    def __str__(self) -> str:
        return f"Contact for referral {self.referral_id}"


class ReferralEventKind(models.TextChoices):
    TRANSITION = "transition", _("Status changed")
    CONTACT = "contact", _("Resident contacted")
    SLA_BREACH = "sla_breach", _("SLA missed")
    REMINDER = "reminder", _("Reminder sent")


class ReferralEvent(MemberOwnedModel):
    """One step in a referral's life: the timeline, and the history reports are drawn from.

    Two parties: the resident's landlord (`member`) and the provider at the time of the event.
    A provider that declined keeps seeing its own step, not what happened after it.
    """

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    provider = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(
        max_length=20, choices=ReferralEventKind.choices, default=ReferralEventKind.TRANSITION
    )
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices, blank=True)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=30, blank=True)
    note = models.CharField(max_length=500, blank=True)

    party_fields: ClassVar[tuple[str, ...]] = ("member", "provider")

    class Meta(MemberOwnedModel.Meta):
        indexes = [
            models.Index(fields=["member", "referral", "at"], name="referralevent_referral"),
            models.Index(fields=["provider", "kind", "at"], name="referralevent_provider"),
        ]


class CaseNote(MemberOwnedModel):
    """A caseworker's note on a referral, private to the member that wrote it (`member`).

    Either party may write notes; neither sees the other's.
    """

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(MemberOwnedModel.Meta):
        indexes = [
            models.Index(fields=["member", "referral", "created_at"], name="casenote_referral")
        ]

    def __str__(self) -> str:
        return f"Note {self.pk}"


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

    def __str__(self) -> str:
        return f"Routing decision {self.pk}"


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
    # When the 13- and 26-week sustainment reminders for a job start were sent (beat task).
    sustain_13_reminded_at = models.DateTimeField(null=True, blank=True)
    sustain_26_reminded_at = models.DateTimeField(null=True, blank=True)

    party_fields: ClassVar[tuple[str, ...]] = ("member", "provider")
    # The resident sees the outcomes of their own referrals.
    rls_extra_condition: ClassVar[str] = (
        "referral_id IN (SELECT r.id FROM referrals_referral r WHERE r.resident_user_id = "
        "NULLIF(current_setting('app.user_id', true), '')::bigint)"
    )

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
