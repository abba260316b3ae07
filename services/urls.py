from django.urls import URLPattern, URLResolver, path

from services import views

app_name = "services"
urlpatterns: list[URLPattern | URLResolver] = [
    path("offers/", views.offer_list, name="offer_list"),
    path("offers/new/", views.offer_new, name="offer_new"),
    path("offers/<int:offer_id>/", views.offer_edit, name="offer_edit"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/eligibility/", views.eligibility, name="eligibility"),
]
