"""Pages that let a domain error escape answer with the portal's page for its kind, never a 500.

Views normally catch a service's refusal and show its message on the form; this is the backstop,
the one place pages map the family (kernel/errors.py). The API maps it in api/errors.py.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kernel.errors import DomainError, NotPermitted


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
