from django.contrib import admin
from django.urls import include, path

from consortium import views
from services import views as service_views

urlpatterns = [
    path("", views.home, name="home"),
    # /health/ is readiness too, for the monitors that already ask it.
    path("health/", views.health_ready, name="health"),
    path("health/live/", views.health_live, name="health_live"),
    path("health/ready/", views.health_ready, name="health_ready"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("services/", service_views.catalogue, name="service_catalogue"),
    path("services/", include("services.urls")),
    path("openreferral/", include("services.feeds")),
    path("apply/", include("applications.urls")),
    path("referrals/", include("referrals.urls")),
    path("members/", include("members.urls")),
    path("procurement/", include("procurement.urls")),
    path("learning/", include("learning.urls")),
    path("reports/", include("reports.urls")),
    path("data-protection/", include("dataprotection.urls")),
    path("api/", include("api.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler500 = "consortium.views.server_error"
