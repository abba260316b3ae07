"""The portal's URLs plus a probe that records the scope a request ran in (tests only)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from members.scoping import current_scope

SEEN: dict[str, object] = {}


def probe(request: HttpRequest) -> HttpResponse:
    SEEN["scope"] = current_scope()
    return HttpResponse("ok")


urlpatterns = [path("__scope_probe__/", probe), path("", include("consortium.urls"))]
