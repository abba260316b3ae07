from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list_view, name="list"),
    path("generate/", views.generate_draft, name="generate"),
    path("<int:report_id>/<str:fmt>/", views.download, name="download"),
]
