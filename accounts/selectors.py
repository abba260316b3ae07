"""Reads about people who sign in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.mfa.models import Authenticator

if TYPE_CHECKING:
    from accounts.models import User

# Recovery codes are a fallback, not a second factor on their own: MFA counts as set up once the
# person has an authenticator app (TOTP) or a security key / passkey (WebAuthn).
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def user_has_second_factor(user: User) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).exists()
