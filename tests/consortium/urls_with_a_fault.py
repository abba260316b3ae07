"""The portal's URLs plus one view that fails, for the error-page tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from consortium.urls import handler500
from consortium.urls import urlpatterns as portal_urlpatterns


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret-detail-that-must-not-reach-the-visitor")


urlpatterns = [path("test-fault/<str:reference>/", broken), *portal_urlpatterns]
__all__ = ["handler500", "urlpatterns"]
