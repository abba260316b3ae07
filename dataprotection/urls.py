from django.urls import path

from dataprotection import views

app_name = "dataprotection"
urlpatterns = [
    path("", views.agreement, name="agreement"),
    path("agreements/<int:agreement_id>/", views.version, name="version"),
    path("agreements/<int:agreement_id>/sign/", views.sign, name="sign"),
    path("consortium/", views.consortium, name="consortium"),
    path("consortium/publish/", views.publish, name="publish"),
]
