from django.urls import URLPattern, URLResolver, path

from procurement import views

app_name = "procurement"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.contract_list, name="contract_list"),
    path("contracts/new/", views.contract_create, name="contract_create"),
    path("contracts/<int:contract_id>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:contract_id>/edit/", views.contract_edit, name="contract_edit"),
    path(
        "contracts/<int:contract_id>/participation/",
        views.participation_edit,
        name="participation_edit",
    ),
    path("contracts/<int:contract_id>/intent/", views.intent, name="intent"),
    path("contracts/<int:contract_id>/pipeline/", views.pipeline, name="pipeline"),
    path(
        "contracts/<int:contract_id>/documents/new/",
        views.document_upload,
        name="document_upload",
    ),
    path("documents/<int:document_id>/", views.document_download, name="document_download"),
    path("spend/", views.spend_list, name="spend_list"),
    path("spend/new/", views.spend_create, name="spend_create"),
    path("spend/import/", views.spend_import, name="spend_import"),
    path("consortium/", views.consortium_overview, name="consortium_overview"),
]
