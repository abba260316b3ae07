"""Admin for consortium administrators: the course catalogue (consortium-level rows).

Bookings are not here: places are counted under a row lock by learning.services, and an edit
that bypassed it could overbook a session."""

from __future__ import annotations

from django.contrib import admin

from learning.models import Course, CourseSession
from members.admin import ModelAdmin


@admin.register(Course)
class CourseAdmin(ModelAdmin):
    list_display = ["title", "provider", "audience", "is_published"]
    list_filter = ["audience", "is_published"]
    search_fields = ["title"]


@admin.register(CourseSession)
class CourseSessionAdmin(ModelAdmin):
    list_display = ["course", "starts_at", "capacity", "places_taken", "cost_per_place"]
    readonly_fields = ["places_taken", "next_queue_number"]
