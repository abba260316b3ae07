"""The catalogue in the admin: kinds, services and their questions, offers and translations,
editable by a consortium administrator so a service is added without code changes."""

from __future__ import annotations

from django.contrib import admin

from members.admin import ModelAdmin, TabularInline, UnscopedAdmin
from services.models import (
    Offer,
    Service,
    ServiceKind,
    ServiceQuestion,
    ServiceTranslation,
)


@admin.register(ServiceTranslation)
class ServiceTranslationAdmin(admin.ModelAdmin):
    """A consortium administrator edits a service's words in each language here."""

    list_display = ("service", "language", "name")
    list_filter = ("language",)
    search_fields = ("service__name", "name")
    autocomplete_fields = ()


class ServiceQuestionInline(TabularInline):
    model = ServiceQuestion
    extra = 1


@admin.register(ServiceKind)
class ServiceKindAdmin(ModelAdmin):
    list_display = ("name", "slug", "order")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Service)
class ServiceAdmin(ModelAdmin):
    list_display = ("name", "kind", "status")
    list_filter = ("kind", "status")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ServiceQuestionInline]


@admin.register(ServiceQuestion)
class ServiceQuestionAdmin(ModelAdmin):
    list_display = ("service", "order", "key", "kind", "required")
    list_filter = ("service",)


@admin.register(Offer)
class OfferAdmin(UnscopedAdmin):
    list_display = ("service", "member", "capacity_per_month", "is_active")
    list_filter = ("member", "service", "is_active")
    list_select_related = ("service", "member")
