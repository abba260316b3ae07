"""Django admin registrations for consortium administrators (consortium/admin_site.py).

Every admin request runs inside an audited consortium scope, and the admin classes read through
the explicitly named `unscoped_objects` manager. The services catalogue (kinds, services, their
questions, offers) is editable here so an administrator can add a service without code changes.
Referrals and the records around them are read-only: they change only through their services.

This module holds the member registrations and the base classes each app's own admin.py uses.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from consortium.admin_site import is_consortium_administrator
from members.models import (
    ConsortiumRoleAssignment,
    Invitation,
    Member,
    Membership,
    MembershipRole,
)


class ConsortiumAdministratorPermissions:
    """Consortium administrators manage what the admin shows; Django's per-model permissions are
    not used (roles give permissions, in members/permissions.py, and the site admits only
    administrators: consortium/admin_site.py)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_consortium_administrator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_consortium_administrator(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_consortium_administrator(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_consortium_administrator(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_consortium_administrator(request)


class ModelAdmin(ConsortiumAdministratorPermissions, admin.ModelAdmin):
    pass


class TabularInline(ConsortiumAdministratorPermissions, admin.TabularInline):
    pass


class UnscopedAdmin(ModelAdmin):
    """Reads every member's rows: the admin site has already entered the consortium scope."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = self.model.unscoped_objects.all()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset


class ReadOnlyAdmin(UnscopedAdmin):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(ModelAdmin):
    list_display = ("name", "short_name", "slug", "is_synthetic")
    search_fields = ("name", "short_name", "slug")
    prepopulated_fields = {"slug": ("short_name",)}


class MembershipRoleInline(TabularInline):
    # Read-only, like the membership itself.
    model = MembershipRole

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    extra = 0
    fields = ("role", "granted_at")
    readonly_fields = ("granted_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return MembershipRole.unscoped_objects.all()


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    # Staff change through the member administrator's pages (members/services.py), which keep
    # the rules (one member administrator at least, sessions ended for leavers).
    list_display = ("id", "user", "member", "job_title", "deactivated_at")
    list_filter = ("member", "deactivated_at")
    list_select_related = ("user", "member")
    inlines = [MembershipRoleInline]


@admin.register(ConsortiumRoleAssignment)
class ConsortiumRoleAssignmentAdmin(ModelAdmin):
    list_display = ("user", "role", "granted_at", "revoked_at")
    list_filter = ("role",)
    raw_id_fields = ("user",)


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("id", "member", "member_roles", "consortium_roles", "created_at", "expires_at")
    list_filter = ("member",)
    exclude = ("token_hash",)
