"""Completes an invitation when the invited person has just made their account."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.signals import user_signed_up
from django.contrib import messages
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.adapter import INVITATION_EMAIL_SESSION_KEY, INVITATION_SESSION_KEY
from accounts.models import User

logger = logging.getLogger(__name__)


@receiver(user_signed_up, dispatch_uid="accounts.invitation_complete")
def invitation_complete_on_signup(
    sender: Any, request: HttpRequest, user: User, **kwargs: Any
) -> None:
    from members.services import InvitationError, invitation_accept

    invitation_id = request.session.pop(INVITATION_SESSION_KEY, None)
    request.session.pop(INVITATION_EMAIL_SESSION_KEY, None)
    if not invitation_id:
        return
    try:
        invitation_accept(invitation_id=int(invitation_id), user=user)
    except InvitationError as exc:
        # Revoked or expired while the form was open: the account exists but has no role.
        logger.warning("invitation %s not accepted at sign-up: %s", invitation_id, exc.code)
        messages.error(request, exc.message)
