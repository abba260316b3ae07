"""Writes about people who sign in. Staff accounts are made by accepting an invitation
(members/services.py: invitation_accept); residents' accounts by the application journey."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction

from accounts.models import User


@transaction.atomic
def resident_user_get_or_create(*, email: str, language: str) -> User:
    """The account a resident signs in with by emailed one-time code.

    A new account has no usable password (residents never need one) and its address is marked
    verified, because the caller has just proved the resident receives mail there (the
    application journey confirms the address by code). An existing account is returned as it is:
    its password, roles and verification are not the caller's to change.
    """
    email = User.objects.normalize_email(email).strip().lower()
    if not email:
        raise ValueError("An email address is required.")
    languages = {code for code, _name in settings.LANGUAGES}
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user
    user = User.objects.create_user(
        email=email,
        password=None,
        preferred_language=language if language in languages else settings.LANGUAGE_CODE,
    )
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user
