"""Value-for-money reports: frozen snapshots of figures for one scope and period.

A report's scope is the consortium (member empty) or one member. A member's board sees its own
member's reports and the consortium report; the consortium board and the coordinator see all.
Once published a report never changes: its snapshot and files are checksummed, and a correction
is a new version that links to the one it corrects and says what changed.

Targets are set by the consortium (not member-owned). Delivery costs and social value tables are
entered by each member for itself.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member, MemberOwnedModel
from referrals.models import OutcomeType
from services.models import Service


class ReportKind(models.TextChoices):
    QUARTERLY = "quarterly", _("Quarterly")
    ON_DEMAND = "on_demand", _("On-demand draft")


class ReportStatus(models.TextChoices):
    GENERATING = "generating", _("Being generated")
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ReportFrozen(RuntimeError):
    pass


class FileFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


# Consortium-level rows (member NULL) are readable in every member scope: every board sees the
# consortium report. Writes happen under the consortium scope (reports/services.py).
_CONSORTIUM_ROWS = "member_id IS NULL"


class Report(MemberOwnedModel):
    member = models.ForeignKey(  # type: ignore[assignment]
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period_start = models.DateField()
    period_end = models.DateField(help_text="Last day of the period (inclusive).")
    kind = models.CharField(max_length=12, choices=ReportKind.choices)
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=12, choices=ReportStatus.choices, default=ReportStatus.GENERATING
    )
    title = models.CharField(max_length=200)
    # The figures as computed and suppressed, frozen: every output is rendered from this.
    snapshot = models.JSONField(default=dict, blank=True)
    # sha256 over the snapshot and every file's checksum (reports/services.py: report_checksum).
    checksum = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    generated_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    correction_note = models.TextField(blank=True, help_text="What changed, for a correction.")

    rls_extra_condition: ClassVar[str] = _CONSORTIUM_ROWS

    class Meta(MemberOwnedModel.Meta):
        constraints = [
            # NULLS NOT DISTINCT: one consortium report (member NULL) per period, kind and
            # version, exactly like one per member.
            models.UniqueConstraint(
                fields=["member", "period_start", "period_end", "kind", "version"],
                name="report_one_per_scope_period_version",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="report_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["member", "-period_start"], name="report_member_period")]
        ordering = ["-period_start", "member_id", "-version"]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def visibility_q(cls, member_id: int | None) -> Q:
        return Q(member_id=member_id) | Q(member__isnull=True)

    @property
    def is_published(self) -> bool:
        return self.status == ReportStatus.PUBLISHED

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Published reports are frozen: a correction is a new version (reports/services.py).
        if not self._state.adding and (
            type(self).unscoped_objects.filter(pk=self.pk, status=ReportStatus.PUBLISHED).exists()
        ):
            raise ReportFrozen("A published report never changes; publish a correction.")
        super().save(*args, **kwargs)

    @property
    def scope_label(self) -> str:
        return self.member.name if self.member_id and self.member else "Consortium"


class ReportFile(MemberOwnedModel):
    member = models.ForeignKey(  # type: ignore[assignment]
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="files")
    format = models.CharField(max_length=8, choices=FileFormat.choices)
    # Private default storage (var/private): served only through reports.views.download.
    file = models.FileField(upload_to="reports/%Y/")
    size = models.PositiveBigIntegerField()
    checksum = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    rls_extra_condition: ClassVar[str] = _CONSORTIUM_ROWS

    class Meta(MemberOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["member", "report", "format"],
                name="reportfile_one_per_format",
                nulls_distinct=False,
            )
        ]

    @classmethod
    def visibility_q(cls, member_id: int | None) -> Q:
        return Q(member_id=member_id) | Q(member__isnull=True)


class TargetDirection(models.TextChoices):
    HIGHER_IS_BETTER = "higher", _("Higher is better")
    LOWER_IS_BETTER = "lower", _("Lower is better")


class Target(models.Model):
    """The consortium's target for one figure: green at or beyond `green`, amber at or beyond
    `amber`, red otherwise (in the figure's direction)."""

    figure_key = models.CharField(max_length=60, unique=True)
    green = models.DecimalField(max_digits=14, decimal_places=2)
    amber = models.DecimalField(max_digits=14, decimal_places=2)
    direction = models.CharField(max_length=8, choices=TargetDirection.choices)
    note = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(direction=TargetDirection.HIGHER_IS_BETTER, green__gte=models.F("amber"))
                    | Q(direction=TargetDirection.LOWER_IS_BETTER, green__lte=models.F("amber"))
                ),
                name="target_thresholds_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"Target for {self.figure_key}"


class DeliveryCost(MemberOwnedModel):
    """What it cost a member to deliver a service in a quarter (entered by that member)."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(help_text="First day of the financial-year quarter.")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    note = models.CharField(max_length=300, blank=True)
    entered_at = models.DateTimeField(default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta(MemberOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["member", "service", "period_start"], name="deliverycost_one_per_quarter"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="deliverycost_not_negative"),
        ]


class SocialValueTable(MemberOwnedModel):
    """A member's own social value table (the portal ships none: HACT's licence forbids building
    its values into tools). One per member; loading a new one replaces the rates."""

    name = models.CharField(max_length=200)
    source_note = models.TextField(help_text="Where the values come from and under what licence.")
    is_illustrative = models.BooleanField(
        default=False, help_text="Made-up values for demonstration: reports say so."
    )
    loaded_at = models.DateTimeField(default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta(MemberOwnedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["member"], name="socialvaluetable_one")]

    def __str__(self) -> str:
        return self.name


class SocialValueRate(MemberOwnedModel):
    table = models.ForeignKey(SocialValueTable, on_delete=models.CASCADE, related_name="rates")
    outcome_type = models.CharField(max_length=20, choices=OutcomeType.choices)
    value_gbp = models.DecimalField(max_digits=12, decimal_places=2)
    deadweight_pct = models.DecimalField(max_digits=5, decimal_places=2, default=0)

    class Meta(MemberOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["member", "outcome_type"], name="socialvaluerate_one_per_type"
            ),
            models.CheckConstraint(
                condition=Q(deadweight_pct__gte=0, deadweight_pct__lte=100),
                name="socialvaluerate_deadweight_pct",
            ),
            models.CheckConstraint(condition=Q(value_gbp__gte=0), name="socialvaluerate_value"),
        ]
