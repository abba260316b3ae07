"""allauth adapters: no public sign-up for staff; sign-up happens only through an invitation."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest

INVITATION_SESSION_KEY = "accepted_invitation_id"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Staff join by invitation (members/services.py: invitation_accept puts the invitation
        # in the session). Residents never need a password: they sign in by emailed code.
        return bool(request.session.get(INVITATION_SESSION_KEY))


class MFAAdapter(DefaultMFAAdapter):
    pass
