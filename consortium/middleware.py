"""The portal's own middleware: the cache rule for every response, and the domain-error backstop.

DomainErrorMiddleware: pages that let a domain error escape answer with the portal's page for its
kind, never a 500. Views normally catch a service's refusal and show its message on the form; this
is the backstop, the one place pages map the family (kernel/errors.py). The API maps it in
api/errors.py.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from kernel.errors import DomainError, NotPermitted


class PrivateByDefaultMiddleware:
    """Every response is `Cache-Control: private, no-store` unless its view declared it public
    and the visitor is not signed in: the one place the portal decides what may be cached.

    Personal data (a referral, the inbox, the audit log, the API) must never sit in a shared
    proxy or the browser's disk cache, and a page cannot forget it because no page decides it.
    Only the public Open Referral feed says `public` (services/feeds.py); static files are served
    by WhiteNoise above this middleware and keep their long cache headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        declared_public = "public" in response.get("Cache-Control", "")
        if declared_public and not signed_in:
            return response
        if declared_public:
            del response["Cache-Control"]  # what a signed-in visitor sees is theirs alone
        patch_cache_control(response, private=True, no_store=True)
        return response


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotPermitted):
            raise PermissionDenied(exception.message) from exception  # the portal's 403 page
        if isinstance(exception, DomainError):
            return render(
                request, "refused.html", {"message": exception.message}, status=exception.status
            )
        return None
