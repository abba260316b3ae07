from __future__ import annotations

from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import SimpleRouter

from api import applications, reports, token_views, views

app_name = "api"

router = SimpleRouter()
router.register("members", views.MemberViewSet, basename="member")
router.register("services", views.ServiceViewSet, basename="service")
router.register("offers", views.OfferViewSet, basename="offer")
router.register("referrals", views.ReferralViewSet, basename="referral")
router.register("outcomes", views.OutcomeViewSet, basename="outcome")
router.register("contracts", views.ContractViewSet, basename="contract")
router.register("participations", views.ParticipationViewSet, basename="participation")
router.register("spend", views.SpendViewSet, basename="spend")
router.register("courses", views.CourseViewSet, basename="course")
router.register("bookings", views.BookingViewSet, basename="booking")
router.register("audit-events", views.AuditEventViewSet, basename="auditevent")
router.register("applications", applications.ApplicationViewSet, basename="application")
router.register("reports", reports.ReportViewSet, basename="report")

# Swagger UI and ReDoc come from drf-spectacular-sidecar, served by the portal itself. They style
# their own markup at run time (inline styles) and ReDoc runs its search in a blob: worker, so
# only these two pages relax the policy, and only for styles and workers: scripts stay 'self'.
DOCS_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        csp_override(DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path(
        "redoc/",
        csp_override(DOCS_CSP)(
            SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")
        ),
        name="redoc",
    ),
    path("tokens/", token_views.token_list, name="token_list"),
    path("tokens/new/", token_views.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke/", token_views.token_revoke, name="token_revoke"),
]
