"""The agreement and its signatures in the admin: read-only, since they are final once written
and change only through dataprotection/services.py (publish a new version, sign one)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dataprotection.models import AgreementSignature, SharingAgreement
from members.admin import ModelAdmin, ReadOnlyAdmin


@admin.register(SharingAgreement)
class SharingAgreementAdmin(ModelAdmin):
    list_display = ("version", "effective_from", "grace_until", "published_at")
    readonly_fields = ("text_sha256",)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AgreementSignature)
class AgreementSignatureAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "member", "signer_name", "signed_at")
    list_select_related = ("agreement", "member")
