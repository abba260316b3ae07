"""Query filters (django-filter). Invalid values are a 400, never ignored silently."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django import forms
from django.db.models import QuerySet

from audit.models import AuditAction, AuditEvent
from learning.models import Audience, Booking, BookingStatus, Course
from procurement.models import (
    Contract,
    ContractCategory,
    ContractStatus,
    Participation,
    SpendRecord,
)
from referrals.models import Outcome, OutcomeType, Referral, ReferralStatus
from services.models import Offer, Service, ServiceStatus

MAX_ID = 2**63 - 1


def _actor_member_id(filterset: filters.FilterSet) -> int:
    from api.base import require_member

    view = filterset.request.parser_context["view"]
    return require_member(view.actor)


class IdFilter(filters.NumberFilter):
    """An id that fits a bigint column (anything larger is a 400, not a database error)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.extra.update(min_value=1, max_value=MAX_ID)


class ServiceFilter(filters.FilterSet):
    kind = filters.CharFilter(field_name="kind__slug", help_text="A service kind's slug.")
    status = filters.ChoiceFilter(choices=ServiceStatus.choices)

    class Meta:
        model = Service
        fields = ["kind", "status"]


class OfferFilter(filters.FilterSet):
    service = IdFilter(field_name="service_id")
    member = IdFilter(field_name="member_id")
    is_active = filters.BooleanFilter()

    class Meta:
        model = Offer
        fields: list[str] = []


class ReferralFilter(filters.FilterSet):
    direction = filters.ChoiceFilter(
        choices=[("incoming", "incoming"), ("outgoing", "outgoing")],
        method="filter_direction",
        help_text="`incoming`: your member delivers them; `outgoing`: your residents' referrals "
        "delivered by others.",
    )
    status = filters.MultipleChoiceFilter(choices=ReferralStatus.choices)
    service = filters.CharFilter(field_name="service__slug", help_text="A service's slug.")
    since = filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only referrals changed at or after this time (ISO 8601): poll with the "
        "`updated_at` of the last one you saw, and `ordering=updated_at`.",
    )
    submitted_after = filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="lt")

    class Meta:
        model = Referral
        fields: list[str] = []

    def filter_direction(
        self, queryset: QuerySet[Referral], name: str, value: str
    ) -> QuerySet[Referral]:
        member_id = _actor_member_id(self)
        if value == "incoming":
            return queryset.filter(provider_id=member_id).exclude(status=ReferralStatus.DECLINED)
        # The inbox's own definitions (referrals/selectors.py: referral_inbox).
        return queryset.filter(member_id=member_id).exclude(provider_id=member_id)


class OutcomeFilter(filters.FilterSet):
    referral = IdFilter(field_name="referral_id")
    type = filters.ChoiceFilter(choices=OutcomeType.choices)
    achieved_after = filters.DateFilter(field_name="achieved_on", lookup_expr="gte")
    achieved_before = filters.DateFilter(field_name="achieved_on", lookup_expr="lte")

    class Meta:
        model = Outcome
        fields: list[str] = []


class ContractFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ContractStatus.choices)
    category = filters.ChoiceFilter(choices=ContractCategory.choices)

    class Meta:
        model = Contract
        fields: list[str] = []


class ParticipationFilter(filters.FilterSet):
    contract = IdFilter(field_name="contract_id")

    class Meta:
        model = Participation
        fields: list[str] = []


class SpendFilter(filters.FilterSet):
    contract = IdFilter(field_name="contract_id")

    class Meta:
        model = SpendRecord
        fields: list[str] = []


class CourseFilter(filters.FilterSet):
    audience = filters.ChoiceFilter(choices=Audience.choices, field_name="audience")

    class Meta:
        model = Course
        fields: list[str] = []


class BookingFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=BookingStatus.choices)
    session = IdFilter(field_name="session_id")

    class Meta:
        model = Booking
        fields: list[str] = []


class AuditEventFilter(filters.FilterSet):
    action = filters.ChoiceFilter(choices=AuditAction.choices)
    object_type = filters.CharFilter(max_length=60)
    object_id = filters.CharFilter(max_length=64)
    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields: list[str] = []
