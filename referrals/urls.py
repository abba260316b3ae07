from django.urls import URLPattern, URLResolver, path

from referrals import views

app_name = "referrals"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.inbox, name="inbox"),
    path("search/", views.inbox_search, name="inbox_search"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/decline/", views.decline, name="decline"),
    path("<int:pk>/contact/", views.record_contact, name="record_contact"),
    path("<int:pk>/start/", views.start, name="start"),
    path("<int:pk>/outcome/", views.record_outcome, name="record_outcome"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/notes/", views.add_note, name="add_note"),
    path("coordinator/", views.coordinator, name="coordinator"),
    path("coordinator/<int:pk>/route/", views.coordinator_route, name="coordinator_route"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
