"""allauth adapters: no public sign-up; staff sign up only through an invitation, and staff
cannot remove their last second factor."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.selectors import SECOND_FACTOR_TYPES

# The id of the invitation whose link was opened in this session (members/views.py:
# invitation_accept). Sign-up is open only while it is set; the invited address is also stashed
# as allauth's verified email, so the account starts with that address verified.
INVITATION_SESSION_KEY = "accepted_invitation_id"
INVITATION_EMAIL_SESSION_KEY = "accepted_invitation_email"


def _current_request() -> HttpRequest | None:
    return getattr(context, "request", None)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Staff join by invitation. Residents never need a password: they sign in by emailed code
        # and their account is made by the application journey.
        return bool(request.session.get(INVITATION_SESSION_KEY))

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Staff land on their work; residents on their applications."""
        from django.urls import reverse

        from members.selectors import actor_for_user

        if request.user.is_authenticated and not actor_for_user(request.user).is_staff_member:
            return reverse("applications:mine")
        return super().get_login_redirect_url(request)

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        """allauth's own, minus its "inactive" answer.

        allauth stashes a user whose password is right but who may not sign in (a leaver) and
        sends them to /accounts/inactive/, while a wrong password gets "not correct": that
        confirms a leaver's password to whoever holds it. Here that user is dropped, so both get
        the same form error, and the failed-login rate limit (consumed in pre_authenticate) is
        only given back for a real sign-in.
        """
        from allauth.account.auth_backends import AuthenticationBackend
        from django.contrib.auth import authenticate

        self.pre_authenticate(request, **credentials)
        AuthenticationBackend.unstash_authenticated_user()
        user = authenticate(request, **credentials)
        AuthenticationBackend.unstash_authenticated_user()  # the leaver, deliberately forgotten
        if user is not None:
            self._rollback_login_failed_rl_usage()
        else:
            self.authentication_failed(request, **credentials)
        return user

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        request = _current_request()
        invited = request.session.get(INVITATION_EMAIL_SESSION_KEY) if request else None
        if invited and email.strip().lower() != invited.lower():
            # The invitation was sent to one address: the account must use that address.
            raise forms.ValidationError(
                _("Use the email address the invitation was sent to: %(email)s.")
                % {"email": invited}
            )
        return email


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff must keep a second factor: they may replace it, not remove the last one."""
        from members.selectors import actor_for_user

        if authenticator.type not in SECOND_FACTOR_TYPES:
            return True
        if not actor_for_user(authenticator.user).is_staff_member:
            return True
        return (
            Authenticator.objects.filter(
                user_id=authenticator.user_id, type__in=SECOND_FACTOR_TYPES
            )
            .exclude(pk=authenticator.pk)
            .exists()
        )
