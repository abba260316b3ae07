from __future__ import annotations

import logging
import secrets

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from consortium.health import RETRY_AFTER_SECONDS, readiness_report
from members.actor import actor_of
from members.selectors import member_count, member_of
from services.selectors import service_list_open

error_logger = logging.getLogger("consortium.errors")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "home.html",
        {"member_count": member_count(), "services": service_list_open()[:6]},
    )


@require_GET
@never_cache
def health_live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "alive"})


@require_GET
@never_cache
def health_ready(request: HttpRequest) -> JsonResponse:
    ready, report = readiness_report()
    response = JsonResponse(report, status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return render(request, "dashboard.html", {"actor": actor, "member": member_of(actor)})


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: the base layout in the visitor's language, and an error id that the log
    holds beside the traceback, so a visitor can quote it and a developer find it. The log names
    the route pattern, never the URL or the data (either could be personal)."""
    error_id = secrets.token_hex(4).upper()
    match = getattr(request, "resolver_match", None)
    route = match.route if match else "(no route)"
    error_logger.error("Error %s: %s %s", error_id, request.method, route, exc_info=True)
    context = {"error_id": error_id}
    try:
        return HttpResponseServerError(render_to_string("500.html", context, request=request))
    except Exception:  # noqa: BLE001 - the full layout failed too (a lost database): plain page
        return HttpResponseServerError(render_to_string("500_plain.html", context))
