from django.urls import path

from members import views

app_name = "members"
urlpatterns = [
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/invite/", views.invitation_create_view, name="invitation_create"),
    path("staff/<int:membership_id>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:membership_id>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path(
        "invitations/accept/<str:token>/",
        views.invitation_accept_view,
        name="invitation_accept",
    ),
    path("consortium/invitations/", views.consortium_invitations, name="consortium_invitations"),
    path(
        "consortium/invitations/<int:invitation_id>/revoke/",
        views.consortium_invitation_revoke,
        name="consortium_invitation_revoke",
    ),
]
