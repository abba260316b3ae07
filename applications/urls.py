from django.urls import URLPattern, URLResolver, path

from applications import views

app_name = "applications"
urlpatterns: list[URLPattern | URLResolver] = [
    path("mine/", views.mine, name="mine"),
    path("status/", views.status_start, name="status_start"),
    path("status/code/", views.status_code, name="status_code"),
    path("status/application/", views.status_detail, name="status_detail"),
    path("status/withdraw/", views.status_withdraw, name="status_withdraw"),
    path("done/", views.confirmation, name="confirmation"),
    path("done/letter/", views.letter, name="letter"),
    path("with-a-resident/", views.assisted_start, name="assisted_start"),
    path("<slug:service_slug>/", views.start, name="start"),
    path("<slug:service_slug>/check/", views.check, name="check"),
    path("<slug:service_slug>/<slug:step>/", views.step, name="step"),
]
