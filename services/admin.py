from django.contrib import admin

from services.models import ServiceTranslation


@admin.register(ServiceTranslation)
class ServiceTranslationAdmin(admin.ModelAdmin):
    """A consortium administrator edits a service's words in each language here."""

    list_display = ("service", "language", "name")
    list_filter = ("language",)
    search_fields = ("service__name", "name")
    autocomplete_fields = ()
