from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from consortium.health import health_report
from members.models import Member
from services.selectors import service_list_open


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "home.html",
        {"member_count": Member.objects.count(), "services": service_list_open()[:6]},
    )


@require_GET
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    member = Member.objects.filter(pk=actor.member_id).first() if actor.member_id else None
    return render(request, "dashboard.html", {"actor": actor, "member": member})
