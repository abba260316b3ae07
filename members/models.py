"""Members (the tenants), the base for everything a member owns, and who works where."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.managers import MemberScopedManager, parties_q


class Member(models.Model):
    """A member housing association: one tenant of the portal."""

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=40, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    # Postcode districts where the member has homes, e.g. ["B10", "B11"].
    areas = models.JSONField(default=list, blank=True)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    description = models.TextField(blank=True)
    is_synthetic = models.BooleanField(
        default=False, help_text="Demo data: a fictional association, not a real one."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MemberOwnedModel(models.Model):
    """Base for every row that belongs to a member (layer 1 of isolation).

    `party_fields` names the member keys that make a row visible: one for most rows, two for a
    row with two parties (a referral: the resident's own member and the provider). The managers
    and the PostgreSQL policies are both built from it, so the rule is stated once.
    """

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")

    # For Django admin (under an audited consortium scope) and data migrations only.
    unscoped_objects = models.Manager()
    # The default (see Meta.default_manager_name): fails closed with no member scope.
    objects = MemberScopedManager()

    party_fields: ClassVar[tuple[str, ...]] = ("member",)
    # Extra SQL that also makes a row visible, e.g. a user's own membership row.
    rls_extra_condition: ClassVar[str] = ""
    # Rows anyone may read (e.g. which members offer a service) but only their member may change.
    public_read: ClassVar[bool] = False

    class Meta:
        abstract = True
        # Related managers (member.x_set) and Django internals use the fail-closed manager too.
        default_manager_name = "objects"
        base_manager_name = "unscoped_objects"

    @classmethod
    def visibility_q(cls, member_id: int | None) -> Q:
        return parties_q(cls, member_id)

    def is_party(self, member_id: int) -> bool:
        return any(getattr(self, f"{field}_id") == member_id for field in self.party_fields)


class MemberRole(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    SERVICE_LEAD = "service_lead", _("Service lead")
    MEMBER_ADMIN = "member_admin", _("Member administrator")
    DATA_PROTECTION_OFFICER = "dpo", _("Data protection officer")
    BOARD = "board", _("Board member")


class ConsortiumRole(models.TextChoices):
    COORDINATOR = "coordinator", _("Consortium coordinator")
    ADMINISTRATOR = "administrator", _("Consortium administrator")
    BOARD = "board", _("Consortium board member")


class Membership(MemberOwnedModel):
    """A person's employment at one member. A person works for at most one member."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="membership"
    )
    job_title = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A leaver is deactivated, not deleted: their records keep pointing at them.
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    rls_extra_condition = "user_id = NULLIF(current_setting('app.user_id', true), '')::bigint"

    class Meta(MemberOwnedModel.Meta):
        indexes = [models.Index(fields=["member", "deactivated_at"], name="membership_active")]

    def __str__(self) -> str:
        return f"{self.user} at member {self.member_id}"

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None


class MembershipRole(MemberOwnedModel):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=MemberRole.choices)
    granted_at = models.DateTimeField(default=timezone.now)

    rls_extra_condition = (
        "membership_id IN (SELECT id FROM members_membership WHERE user_id = "
        "NULLIF(current_setting('app.user_id', true), '')::bigint)"
    )

    class Meta(MemberOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["member", "membership", "role"], name="membershiprole_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} ({self.membership_id})"


class ConsortiumRoleAssignment(models.Model):
    """A consortium-level role. Not member-owned: the consortium is above the members."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consortium_roles"
    )
    role = models.CharField(max_length=20, choices=ConsortiumRole.choices)
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(revoked_at__isnull=True),
                name="consortiumrole_unique_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} ({self.user_id})"


class Invitation(MemberOwnedModel):
    """An invitation to join as staff. Staff cannot sign up on their own.

    Member staff invitations are made by that member's administrator (member set, member roles);
    the consortium administrator invites member administrators and consortium roles. The token is
    stored hashed; only the emailed link carries it. Invitations to consortium roles alone have
    no member and are visible only under the consortium scope.
    """

    member = models.ForeignKey(  # type: ignore[assignment]
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    email = models.EmailField()
    member_roles = models.JSONField(default=list, blank=True)
    consortium_roles = models.JSONField(default=list, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(MemberOwnedModel.Meta):
        indexes = [models.Index(fields=["member", "email"], name="invitation_member_email")]

    def __str__(self) -> str:
        return f"Invitation {self.pk}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )
