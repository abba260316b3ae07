"""The portal's URLs plus one view that fails, for the error-page tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from consortium.urls import handler500
from consortium.urls import urlpatterns as portal_urlpatterns
from kernel.errors import NotPermitted, RuleBroken


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret-detail-that-must-not-reach-the-visitor")


def not_permitted(request: HttpRequest) -> HttpResponse:
    raise NotPermitted("Only a service lead can do that.")


def rule_broken(request: HttpRequest) -> HttpResponse:
    raise RuleBroken("That session is full.")


urlpatterns = [
    path("test-fault/<str:reference>/", broken),
    path("test-refusal/not-permitted/", not_permitted),
    path("test-refusal/rule-broken/", rule_broken),
    *portal_urlpatterns,
]
__all__ = ["handler500", "urlpatterns"]
