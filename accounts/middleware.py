"""Every staff role needs a second factor (TOTP or a security key) before anything else.

Residents (no roles) never do. allauth already asks for the second factor at sign-in for anyone
who has one; this middleware makes sure staff have one, by sending a staff user without it to
set it up, whatever page they asked for.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from accounts.selectors import user_has_second_factor

# What a staff user without MFA may still open: setting it up (allauth asks to confirm the
# password again for it), signing out, changing language, and pages that need no account.
ALLOWED_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_add_webauthn",
        "mfa_list_webauthn",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "account_logout",
        "set_language",
        "health",
        "health_live",
        "health_ready",
    }
)
ALLOWED_PREFIXES = ("/static/", "/health/", "/i18n/")


class RequireStaffMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Set by members.middleware.MemberScopeMiddleware, which runs just before this one.
        actor = getattr(request, "actor", None)
        if (
            actor is None
            or actor.user is None
            or not actor.is_staff_member
            or self._is_allowed(request)
            or user_has_second_factor(actor.user)
        ):
            return self.get_response(request)
        messages.info(
            request,
            _("Your role needs two-step verification: set it up with an authenticator app."),
        )
        return HttpResponseRedirect(reverse("mfa_activate_totp"))

    @staticmethod
    def _is_allowed(request: HttpRequest) -> bool:
        if request.path.startswith(ALLOWED_PREFIXES):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.url_name in ALLOWED_URL_NAMES
