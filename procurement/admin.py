"""Admin for consortium administrators: contracts and their documents (consortium-level rows).

Members' figures (participation, spend, intents) are deliberately not here: they change only
through procurement.services, and they are private to each member and the coordinator."""

from __future__ import annotations

from django.contrib import admin

from members.admin import ModelAdmin
from procurement.models import Contract, ContractDocument


@admin.register(Contract)
class ContractAdmin(ModelAdmin):
    list_display = ["reference", "title", "category", "lead_member", "status", "end_date"]
    list_filter = ["status", "category"]
    search_fields = ["reference", "title", "supplier"]


@admin.register(ContractDocument)
class ContractDocumentAdmin(ModelAdmin):
    list_display = ["title", "contract", "kind", "size", "uploaded_at"]
    readonly_fields = ["file", "kind", "size", "original_name", "uploaded_by", "uploaded_at"]
