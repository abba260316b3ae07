from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list_view, name="list"),
    path("generate/", views.generate_draft, name="generate"),
    path("costs/", views.delivery_cost_list, name="costs"),
    path("costs/add/", views.delivery_cost_add, name="cost_add"),
    path("costs/<int:cost_id>/", views.delivery_cost_edit, name="cost_edit"),
    path("social-value/", views.social_value_table, name="social_value"),
    path("targets/", views.target_list, name="targets"),
    path("targets/<slug:figure_key>/", views.target_edit, name="target_edit"),
    # Before the download pattern, which would otherwise take "correct" for a file format.
    path("<int:report_id>/correct/", views.report_correct, name="correct"),
    path("<int:report_id>/<str:fmt>/", views.download, name="download"),
]
