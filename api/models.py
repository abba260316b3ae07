"""Per-user API tokens.

A token belongs to a person, not to a member: it carries exactly the member scope and roles the
person has when it is used (looked up afresh on every request), so a leaver's token stops
working with their membership, and a token can never reach further than its owner. There is
deliberately no `member` column (a member key would make it member-owned and hide it from the
authentication lookup, which runs before any scope exists).

Only a SHA-256 hash of the secret is stored. The secret is 256 bits from `secrets`, so a fast
hash is enough: there is nothing to brute-force that a slow hash would protect.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for.")
    # Public part of the token: shown in lists and used to find the row; not a secret.
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_active")]

    def __str__(self) -> str:
        return f"API token {self.prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
