"""The portal's URLs plus pages guarded by members.pages.staff_page, to test the guard itself."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from members.actor import Actor, MemberActor
from members.pages import staff_page
from members.permissions import Perm
from members.scoping import current_scope

SEEN: dict[str, object] = {}


@require_GET
@staff_page(Perm.VIEW_REFERRALS, member=True)
def member_page(request: HttpRequest, actor: MemberActor, pk: int) -> HttpResponse:
    SEEN.update(actor=actor, scope=current_scope(), pk=pk)
    return HttpResponse("member page")


@staff_page(Perm.VIEW_CONSORTIUM_QUEUES, member=False)
def consortium_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    SEEN.update(actor=actor)
    return HttpResponse("consortium page")


@staff_page(Perm.VIEW_ALL_REPORTS, Perm.VIEW_MEMBER_REPORTS, member=False)
def either_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    return HttpResponse("either page")


@staff_page(Perm.VIEW_ALL_REPORTS, Perm.VIEW_MEMBER_REPORTS, member=False, refusal=404)
def hidden_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    return HttpResponse("hidden page")


urlpatterns = [
    path("__pages__/member/<int:pk>/", member_page, name="member_page"),
    path("__pages__/consortium/", consortium_page, name="consortium_page"),
    path("__pages__/either/", either_page, name="either_page"),
    path("__pages__/hidden/", hidden_page, name="hidden_page"),
    path("", include("consortium.urls")),
]
