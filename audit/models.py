"""The append-only audit log: who saw or changed which record, when and why.

The application role may only INSERT and SELECT this table on PostgreSQL (members/rls.py revokes
UPDATE and DELETE for models marked `append_only`), and the model refuses both in Python too.
Rows carry ids and a short reason, never personal data.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from members.models import Member, MemberOwnedModel


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    EXPORT = "export", "Exported"
    CONSORTIUM_SCOPE = "consortium_scope", "Entered consortium scope"
    SIGN_IN = "sign_in", "Signed in"
    ACCESS_DENIED = "access_denied", "Access refused"


class AuditObjectType(models.TextChoices):
    """What kind of record an event is about: one spelling each, the record's name in snake_case
    (audit/migrations/0003 rewrote the few stored as `app.model`)."""

    # Members, staff and access
    MEMBERSHIP = "membership", "Staff membership"
    INVITATION = "invitation", "Invitation"
    API_TOKEN = "api_token", "API token"
    AUDIT_LOG = "audit_log", "Audit log"
    # Residents and referrals
    RESIDENT = "resident", "Resident"
    APPLICATION = "application", "Application"
    REFERRAL = "referral", "Referral"
    REFERRAL_CONTACT = "referral_contact", "Resident's contact details on a referral"
    REFERRAL_INBOX = "referral_inbox", "Referral inbox"
    # Data protection
    SHARING_AGREEMENT = "sharing_agreement", "Data sharing agreement"
    SHARING_AGREEMENT_SIGNATURE = "sharing_agreement_signature", "Data sharing agreement signature"
    # The catalogue
    OFFER = "offer", "Service offer"
    # Procurement
    CONTRACT = "contract", "Contract"
    CONTRACT_DOCUMENT = "contract_document", "Contract document"
    PARTICIPATION = "participation", "Contract participation"
    SPEND_IMPORT = "spend_import", "Spend import"
    # Learning
    BOOKING = "booking", "Course booking"
    CERTIFICATE = "certificate", "Course certificate"
    # Reports
    REPORT = "report", "Report"
    REPORT_FILE = "report_file", "Report file"
    DELIVERY_COST = "delivery_cost", "Delivery cost"
    SOCIAL_VALUE_TABLE = "social_value_table", "Social value table"
    REPORT_TARGET = "report_target", "Report target"


class AppendOnlyError(RuntimeError):
    pass


class AuditEvent(MemberOwnedModel):
    # The member whose records were touched; empty for consortium-level events. No index of
    # its own: audit_member_at and audit_member_object both start with it.
    member = models.ForeignKey(  # type: ignore[assignment]
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=30, choices=AuditAction.choices)
    # Blank for events about no one record (entering a consortium scope).
    object_type = models.CharField(max_length=60, blank=True, choices=AuditObjectType.choices)
    object_id = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    append_only: ClassVar[bool] = True

    class Meta(MemberOwnedModel.Meta):
        indexes = [
            models.Index(fields=["member", "at"], name="audit_member_at"),
            models.Index(fields=["member", "object_type", "object_id"], name="audit_member_object"),
        ]
        ordering = ["-at"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Audit events cannot be deleted.")
