"""Django admin for consortium administrators only, behind allauth's sign-in (with MFA), and
every admin request inside an audited consortium scope.

The admin has its own sign-in form, which would skip the second factor: it is replaced by a
redirect to allauth's. Only active consortium administrators (ConsortiumRole.ADMINISTRATOR, with
is_staff) who have a second factor get in; anyone else signed in gets 403.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from members.scoping import consortium_scope


def is_consortium_administrator(request: HttpRequest) -> bool:
    from accounts.selectors import user_has_second_factor
    from members.models import ConsortiumRole

    user = request.user
    if not (user.is_active and user.is_authenticated and user.is_staff):
        return False
    actor = getattr(request, "actor", None)
    if actor is None or ConsortiumRole.ADMINISTRATOR not in actor.consortium_roles:
        return False
    return user_has_second_factor(user)


class ConsortiumAdminSite(AdminSite):
    site_header = _("Consortium portal administration")
    site_title = _("Consortium portal admin")
    index_title = _("Catalogue, members and records")

    def has_permission(self, request: HttpRequest) -> bool:
        return is_consortium_administrator(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.user.is_authenticated:
            # Signed in but not an administrator: the allauth sign-in would only send them back.
            raise PermissionDenied
        next_url = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")

    def logout(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        return HttpResponseRedirect(reverse("account_logout"))

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def scoped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            if not self.has_permission(request):
                return inner(request, *args, **kwargs)  # redirects to the sign-in
            with consortium_scope(reason="django admin", user_id=request.user.pk):
                return inner(request, *args, **kwargs)

        return scoped


class ConsortiumAdminConfig(AdminConfig):
    default_site = "consortium.admin_site.ConsortiumAdminSite"
