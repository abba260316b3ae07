"""Joint procurement: contracts the consortium buys together, who takes part, what it saves.

A contract is the consortium's, not one member's: it is shared by its participants and led by
one member. So `Contract` is not member-owned and names its lead `lead_member` (not `member`):
visibility is decided in selectors and `access_contract_by_id`, which return the same 404 for
"missing" and "not yours". What a member pays (its baseline, contracted cost and spend) is
member-owned and private to that member (and the coordinator, under an audited consortium scope).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member, MemberOwnedModel

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


class ContractCategory(models.TextChoices):
    REPAIRS_MATERIALS = "repairs_materials", _("Repairs materials")
    ENERGY = "energy", _("Energy")
    INSURANCE = "insurance", _("Insurance")
    IT = "it", _("IT")
    RECRUITMENT = "recruitment", _("Recruitment")
    FACILITIES = "facilities", _("Facilities and cleaning")
    PROFESSIONAL = "professional", _("Professional services")
    OTHER = "other", _("Other")


class ContractStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    TENDERING = "tendering", _("Tendering")
    AWARDED = "awarded", _("Awarded")
    LIVE = "live", _("Live")
    EXPIRED = "expired", _("Expired")


# Members may still say they intend to join while the procurement is being prepared.
OPEN_TO_JOIN = (ContractStatus.PLANNED, ContractStatus.TENDERING)


class Contract(models.Model):
    reference = models.CharField(
        max_length=20, unique=True, help_text=_("For example JP-2026-001.")
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=30, choices=ContractCategory.choices)
    supplier = models.CharField(max_length=200, blank=True)
    # Not `member`: the contract is shared, and a `member_id` column would make it member-owned
    # (and its row-level security would hide it from the other participants).
    lead_member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=12, choices=ContractStatus.choices, default=ContractStatus.PLANNED
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["end_date", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="contract_end_after_start",
            )
        ]
        indexes = [models.Index(fields=["status", "end_date"], name="contract_status_end")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open_to_join(self) -> bool:
        return self.status in OPEN_TO_JOIN


class DocumentKind(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "Word (DOCX)"
    XLSX = "xlsx", "Excel (XLSX)"
    CSV = "csv", "CSV"


def _document_path(instance: ContractDocument, filename: str) -> str:
    # The stored name never comes from the uploader: no path tricks, no personal data in paths.
    import uuid

    return f"procurement/{instance.contract_id}/{uuid.uuid4().hex}.{instance.kind}"


class ContractDocument(models.Model):
    """A file attached to a contract, stored privately and served only to participants."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=_document_path, max_length=255)
    original_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=DocumentKind.choices)
    size = models.PositiveIntegerField()
    uploaded_by_member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.title


class Participation(MemberOwnedModel):
    """A member takes part in a contract: what it paid before, what it pays now, since when.

    Savings accrue per day between start_date and end_date (inclusive), pro-rated over the days
    of each financial year (selectors.py does the arithmetic in SQL)."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="participations")
    baseline_annual_cost = models.DecimalField(**MONEY, validators=NON_NEGATIVE)
    contracted_annual_cost = models.DecimalField(**MONEY, validators=NON_NEGATIVE)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(MemberOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["member", "contract"], name="participation_unique"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="participation_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(baseline_annual_cost__gte=0) & Q(contracted_annual_cost__gte=0),
                name="participation_costs_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Participation {self.pk}"

    @property
    def annual_saving(self) -> Decimal:
        return self.baseline_annual_cost - self.contracted_annual_cost


class JoinIntent(MemberOwnedModel):
    """A member says it intends to join a planned procurement. Two parties: the member and the
    contract's lead, who sees the pipeline. It holds no figures, so the lead learns nothing of
    the member's costs."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="intents")
    lead_member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    estimated_annual_spend = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text=_("Optional: helps the lead size the tender. Shared with the lead member."),
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    party_fields = ("member", "lead_member")

    class Meta(MemberOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["member", "contract"], name="joinintent_unique"),
        ]
        indexes = [models.Index(fields=["lead_member", "contract"], name="joinintent_lead")]

    def __str__(self) -> str:
        return f"Intent {self.pk}"


class SpendRecord(MemberOwnedModel):
    """What a member actually spent under a contract in one financial-year quarter."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="+")
    # The first day of a financial-year quarter (1 April, 1 July, 1 October or 1 January).
    quarter_start = models.DateField()
    amount = models.DecimalField(**MONEY, validators=NON_NEGATIVE)
    source = models.CharField(
        max_length=10, choices=[("form", _("Form")), ("import", _("Import"))], default="form"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta(MemberOwnedModel.Meta):
        ordering = ["-quarter_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "contract", "quarter_start"], name="spendrecord_unique"
            ),
            models.CheckConstraint(
                condition=Q(quarter_start__day=1) & Q(quarter_start__month__in=[1, 4, 7, 10]),
                name="spendrecord_quarter_start",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="spendrecord_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Spend {self.pk}"


class RenewalReminder(models.Model):
    """One row per contract and threshold: the beat task sends each reminder once."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="reminders")
    threshold_days = models.PositiveSmallIntegerField()
    end_date = models.DateField(help_text=_("The end date the reminder was about."))
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "threshold_days", "end_date"], name="renewalreminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"Reminder {self.contract_id} {self.threshold_days}"
