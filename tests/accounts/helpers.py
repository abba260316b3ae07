"""Helpers shared by the accounts and members tests."""

from __future__ import annotations

import re
import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings

from accounts.models import User
from members.actor import Actor
from members.scoping import user_scope
from members.selectors import actor_for_user
from tests.factories import UserFactory, consortium_role_grant

PASSWORD = "correct horse battery staple"


def actor_of(user: User) -> Actor:
    """The actor as the middleware would load it (row-level security needs the user scope)."""
    with user_scope(user.pk):
        return actor_for_user(user)


def consortium_admin_create(email: str = "admin@consortium.example") -> User:
    user = UserFactory(email=email, full_name="Ada Administrator", is_staff=True)
    consortium_role_grant(user, "administrator")
    return user


def totp_code(secret: str = settings.DEMO_TOTP_SECRET) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def link_in(body: str) -> str:
    match = re.search(r"https?://\S+", body)
    assert match, body
    return match.group(0)
