from django.urls import URLPattern, URLResolver, path

from learning import views

app_name = "learning"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.course_list, name="course_list"),
    path("courses/<int:course_id>/", views.course_detail, name="course_detail"),
    path("sessions/<int:session_id>/book/", views.session_book, name="session_book"),
    path("bookings/", views.booking_list, name="booking_list"),
    path("bookings/<int:booking_id>/", views.booking_detail, name="booking_detail"),
    path("bookings/<int:booking_id>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<int:booking_id>/accept/", views.offer_accept, name="offer_accept"),
    path("bookings/<int:booking_id>/certificate/", views.certificate, name="certificate"),
    path("provide/", views.provider_sessions, name="provider_sessions"),
    path("provide/courses/new/", views.course_create, name="course_create"),
    path(
        "provide/courses/<int:course_id>/sessions/new/",
        views.session_create,
        name="session_create",
    ),
    path("provide/sessions/<int:session_id>/", views.session_register, name="session_register"),
    path("recharges/", views.recharges, name="recharges"),
]
