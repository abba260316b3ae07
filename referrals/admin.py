"""Referrals and the records around them in the admin: read-only, since they change only through
their services (referrals/services.py)."""

from __future__ import annotations

from django.contrib import admin

from members.admin import ReadOnlyAdmin
from referrals.models import Application, Outcome, Referral, RoutingDecision


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("reference", "member", "service")
    list_select_related = ("member", "service")


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ("reference", "member", "provider", "service", "status")
    list_filter = ("status", "service")
    list_select_related = ("member", "service")


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(ReadOnlyAdmin):
    list_display = ("id", "member")


@admin.register(Outcome)
class OutcomeAdmin(ReadOnlyAdmin):
    list_display = ("id", "member")
