"""The consortium's data sharing agreement and each member's signature of it.

- SharingAgreement: one published version (text, version label, the date it takes effect and the
  end of its grace period). It belongs to the consortium, not to a member: every member reads the
  same text. Published means final; a change is a new version.
- AgreementSignature: a member's signature of one version, by its data protection officer. It is
  member-owned (the member key, fail-closed managers, row-level security), one per member and
  version, and final too.

Both are append-only: the models refuse changes and deletions, and members/rls.py revokes UPDATE
and DELETE from the application role. What the signatures decide (who may receive shared data)
is read in dataprotection/selectors.py.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from members.models import MemberOwnedModel


class AgreementImmutable(RuntimeError):
    """A published agreement or a signature was about to be changed or deleted."""


class _Final(models.Model):
    """Rows that are written once: saving an existing row or deleting one raises."""

    append_only: ClassVar[bool] = True

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AgreementImmutable(f"{type(self).__name__} rows cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AgreementImmutable(f"{type(self).__name__} rows cannot be deleted.")


class SharingAgreement(_Final):
    """One published version of the data sharing agreement between the members."""

    # The coordinator's label, shown as typed ("v2"): members' staff see it on the banner.
    version = models.CharField(max_length=20, unique=True)
    text = models.TextField()
    # SHA-256 of the text as published: what every signature of this version signed.
    text_sha256 = models.CharField(max_length=64)
    # The first day (Europe/London) this version governs sharing.
    effective_from = models.DateField(unique=True)
    # Members that signed the version before this one still receive shared data until the end of
    # this day; empty means no grace period.
    grace_until = models.DateField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(grace_until__isnull=True) | Q(grace_until__gte=F("effective_from")),
                name="sharingagreement_grace_after_effective",
            )
        ]

    def __str__(self) -> str:
        return f"Data sharing agreement {self.version}"


class AgreementSignature(_Final, MemberOwnedModel):
    """A member's signature of one version: who signed for it, when, and which version."""

    agreement = models.ForeignKey(
        SharingAgreement, on_delete=models.PROTECT, related_name="signatures"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The signer's name and job title as they were when signing (a record, not a live profile).
    signer_name = models.CharField(max_length=200)
    signer_job_title = models.CharField(max_length=120, blank=True)
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta(MemberOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["member", "agreement"], name="agreementsignature_once_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"Signature of agreement {self.agreement_id} by member {self.member_id}"
