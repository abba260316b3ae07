"""Pages where a staff user creates and revokes their own API tokens.

Only after multi-factor authentication: the account must have a second factor and this session
must have passed it (allauth records each authentication method in the session). Creating a
token, like any new credential, also needs the second factor to have been given recently: at
sign-in, or again through allauth's re-authentication page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.authentication import get_authentication_records
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.selectors import user_has_second_factor
from api.forms import ConfirmForm, TokenCreateForm
from api.selectors import access_api_token_by_id, api_tokens_for_user
from api.services import TokenError, api_token_issue, api_token_revoke
from members.actor import Actor
from members.pages import staff_page
from members.permissions import Perm


def _mfa_records(request: HttpRequest) -> list[dict[str, Any]]:
    records = get_authentication_records(request, request.user)
    return [record for record in records if record.get("method") == "mfa"]


def session_passed_mfa(request: HttpRequest) -> bool:
    return bool(_mfa_records(request))


def mfa_is_recent(request: HttpRequest) -> bool:
    timeout = account_settings.REAUTHENTICATION_TIMEOUT
    return any(time.time() - float(r.get("at", 0)) < timeout for r in _mfa_records(request))


def _ask_for_mfa(request: HttpRequest) -> HttpResponse:
    return redirect(reverse("mfa_reauthenticate") + "?" + urlencode({"next": request.path}))


def token_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A staff page (allowed API use by their roles) past MFA in this session."""

    @never_cache
    @wraps(view)
    def past_mfa(request: HttpRequest, actor: Actor, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_has_second_factor(request.user):  # type: ignore[arg-type]
            return redirect("mfa_activate_totp")
        if not session_passed_mfa(request):
            # Signed in without the second factor (e.g. by emailed code): ask for it now.
            return _ask_for_mfa(request)
        return view(request, actor, *args, **kwargs)

    return staff_page(Perm.USE_API_TOKENS, member=False)(past_mfa)


@require_http_methods(["GET"])
@token_page
def token_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(
        request, "api/token_list.html", {"tokens": api_tokens_for_user(user_id=actor.user_id or 0)}
    )


@require_http_methods(["GET", "POST"])
@token_page
def token_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    if request.method == "POST" and not mfa_is_recent(request):
        return _ask_for_mfa(request)
    form = TokenCreateForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_token_issue(
                owner=actor, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except TokenError as exc:
            error = str(exc)
        else:
            # Shown on this response only: never stored, never put in the session.
            return render(
                request,
                "api/token_created.html",
                {"token": issued.token, "plaintext": issued.plaintext},
                status=201,
            )
    return render(
        request,
        "api/token_create.html",
        {"form": form, "error": error},
        status=400 if (form.is_bound and (form.errors or error)) else 200,
    )


@require_http_methods(["GET", "POST"])
@token_page
def token_revoke(request: HttpRequest, actor: Actor, token_id: int) -> HttpResponse:
    token = access_api_token_by_id(actor, token_id)
    if request.method == "POST" and ConfirmForm(request.POST).is_valid():
        api_token_revoke(token=token, actor=actor)
        messages.success(
            request, _("Token %(prefix)s revoked. It no longer works.") % {"prefix": token.prefix}
        )
        return redirect("api:token_list")
    return render(request, "api/token_revoke.html", {"token": token})
