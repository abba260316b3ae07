"""Issuing, revoking and checking API tokens: the only place that changes ApiToken rows.

A token reads `hcp_<prefix>_<secret>`. The prefix finds the row; the secret is compared with
the stored SHA-256 hash in constant time. Issuing returns the whole token once; it is never
stored or shown again.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from api.models import ApiToken
from audit.models import AuditAction, AuditObjectType
from audit.services import audit_record
from kernel.errors import DomainError
from members.actor import Actor
from members.permissions import Perm

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "hcp"  # noqa: S105 - a label, not a secret
MAX_DAYS = 365
# Writing last_used_at on every call would turn every read into a write; once a minute is
# enough to tell a person which tokens are still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(DomainError):
    """A refusal with a message fit to show the person who asked."""

    code = "invalid_input"


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    # The whole token, shown once.
    plaintext: str


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_prefix() -> str:
    return secrets.token_hex(6)


@transaction.atomic
def api_token_issue(
    *, owner: Actor, name: str, days: int, issued_by: User | None = None
) -> IssuedToken:
    """A new token for `owner` (a staff user whose roles allow API use), valid for `days`."""
    name = " ".join(name.split())
    if owner.user is None or not owner.user.is_active:
        raise TokenError("Tokens are issued to active accounts only.")
    if not owner.can(Perm.USE_API_TOKENS):
        raise TokenError("This account's roles do not include API access.")
    if not name:
        raise TokenError("Give the token a name that says what it is for.")
    if len(name) > 100:
        raise TokenError("The name can be up to 100 characters.")
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"A token lasts between 1 and {MAX_DAYS} days.")
    prefix = _new_prefix()
    while ApiToken.objects.filter(prefix=prefix).exists():  # 2^48 values: practically never
        prefix = _new_prefix()
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=owner.user,
        name=name,
        prefix=prefix,
        secret_hash=secret_hash(secret),
        created_at=now,
        created_by=issued_by or owner.user,
        expires_at=now + timedelta(days=days),
    )
    audit_record(
        actor_id=(issued_by or owner.user).pk,
        member_id=owner.member_id,
        action=AuditAction.CREATE,
        object_type=AuditObjectType.API_TOKEN,
        object_id=token.pk,
        reason=f"API token {prefix} issued for {days} days",
    )
    logger.info("api token %s issued to user %s", prefix, owner.user_id)
    return IssuedToken(token=token, plaintext=f"{TOKEN_PREFIX}_{prefix}_{secret}")


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Actor) -> ApiToken:
    """Revoke one of the actor's own tokens. Revoking twice is harmless."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != actor.user_id:
        raise TokenError("You can revoke only your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor_id=actor.user_id,
            member_id=actor.member_id,
            action=AuditAction.CHANGE,
            object_type=AuditObjectType.API_TOKEN,
            object_id=token.pk,
            reason=f"API token {token.prefix} revoked",
        )
        logger.info("api token %s revoked", token.prefix)
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active token this string is, or None: the same None for a malformed token, an unknown
    prefix, a wrong secret, an expired or revoked token and an inactive user."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    _, prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None:
        # Spend the same time as a real comparison, so timing does not reveal prefixes.
        hmac.compare_digest(secret_hash(secret), secret_hash(""))
        return None
    if not hmac.compare_digest(token.secret_hash, secret_hash(secret)):
        return None
    now = timezone.now()
    if token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
