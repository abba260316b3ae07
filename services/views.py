from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from services.models import ServiceKind
from services.selectors import service_list_open


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    """The public list of shared services: where a resident starts."""
    services = service_list_open()
    kind = request.GET.get("kind", "")
    if kind:
        services = services.filter(kind__slug=kind)
    return render(
        request,
        "services/catalogue.html",
        {"services": services, "kinds": ServiceKind.objects.all(), "selected_kind": kind},
    )
