"""Input for the staff workspace: validated here, then handed to a service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction, AuditObjectType
from referrals.models import DeclineReason, OutcomeType, Referral, ReferralStatus
from referrals.selectors import overdue_q, sees_in_full_q
from services.models import Service

S = ReferralStatus


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why are you declining?"),
        choices=DeclineReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason for declining.")},
    )
    note = forms.CharField(
        label=_("More detail (optional, required for “Other”)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Seen by the resident's landlord. Do not include personal details."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reason") == DeclineReason.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why you are declining."))
        return data


class ContactForm(forms.Form):
    note = forms.CharField(
        label=_("How did you contact the resident? (optional)"),
        required=False,
        max_length=500,
        widget=forms.TextInput,
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Add a case note"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only staff at your association can read your notes."),
        error_messages={"required": _("Write the note before saving it.")},
    )


class OutcomeForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Outcome"),
        choices=OutcomeType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the kind of outcome.")},
    )
    achieved_on = forms.DateField(
        label=_("Date of the outcome"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Enter the date of the outcome."),
            "invalid": _("Enter a real date, for example 27 3 2026."),
        },
    )
    hours_per_week = forms.DecimalField(
        label=_("Hours per week (for a job start)"),
        required=False,
        min_value=0.5,
        max_value=80,
        max_digits=4,
        decimal_places=1,
        help_text=_("30 hours or more counts as full time."),
    )
    qualification_level = forms.IntegerField(
        label=_("Qualification level (for a qualification)"),
        required=False,
        min_value=1,
        max_value=8,
        help_text=_("From 1 (for example GCSE grades 3 to 1) to 8 (doctorate)."),
    )
    no_outcome_reason = forms.CharField(
        label=_("Why was there no outcome? (for “No outcome”)"),
        required=False,
        max_length=300,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("type")
        if kind == OutcomeType.JOB_STARTED and data.get("hours_per_week") is None:
            self.add_error("hours_per_week", _("Enter the hours per week of the job."))
        if kind == OutcomeType.QUALIFICATION and data.get("qualification_level") is None:
            self.add_error("qualification_level", _("Enter the level of the qualification."))
        if kind == OutcomeType.NO_OUTCOME and not (data.get("no_outcome_reason") or "").strip():
            self.add_error("no_outcome_reason", _("Say why there was no outcome."))
        achieved = data.get("achieved_on")
        if achieved and achieved > timezone.localdate():
            self.add_error("achieved_on", _("The date of the outcome cannot be in the future."))
        return data


class RouteForm(forms.Form):
    """The coordinator routes by hand. The provider choices are computed per referral (consent,
    offer, not declined), so a forged member id is refused as an invalid choice."""

    provider = forms.TypedChoiceField(
        label=_("Send to"), coerce=int, error_messages={"required": _("Choose a member.")}
    )
    reason = forms.CharField(
        label=_("Why are you routing it by hand?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded with the routing decision and in the audit log."),
        error_messages={"required": _("Say why you are routing this referral by hand.")},
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provider = self.fields["provider"]
        assert isinstance(provider, forms.TypedChoiceField)  # noqa: S101 - narrows the type
        provider.choices = [("", _("Choose a member")), *choices]


SLA_CHOICES = [
    ("overdue", _("Overdue")),
    ("due_soon", _("Due within a day")),
    ("on_track", _("On track")),
    ("breached", _("Missed at some point")),
]
SORTS = {
    "newest": ("-submitted_at", "-id"),
    "oldest": ("submitted_at", "id"),
    "sla": ("sla_accept_due", "id"),
    "reference": ("reference",),
    "status": ("status", "-submitted_at", "-id"),
}


class InboxSearchForm(forms.Form):
    """The inbox's search by reference or name. It is posted, never put in a URL: a resident's
    name in a query string lands in browser history, proxies and access logs."""

    q = forms.CharField(label=_("Reference or name"), max_length=200, required=False)
    tab = forms.CharField(required=False, widget=forms.HiddenInput)
    # The page's other filters (status, sort...), put back on the redirect: none is personal.
    filters = forms.CharField(required=False, widget=forms.HiddenInput)


class ReferralFilter(django_filters.FilterSet):
    # Filled from the session by the inbox view (InboxSearchForm), never from the query string.
    q = django_filters.CharFilter(label=_("Reference or name"), method="search")
    service = django_filters.ModelChoiceFilter(
        label=_("Service"), queryset=Service.objects.order_by("name"), empty_label=_("Any")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[("all", _("Any, including closed")), *ReferralStatus.choices],
        empty_label=_("Open"),
        method="status_is",
    )
    sla = django_filters.ChoiceFilter(
        label=_("SLA"), choices=SLA_CHOICES, method="sla_state", empty_label=_("Any")
    )
    area = django_filters.CharFilter(label=_("Area"), method="area_is")
    language = django_filters.ChoiceFilter(
        label=_("Language"), choices=settings.LANGUAGES, empty_label=_("Any")
    )
    applied = django_filters.ChoiceFilter(
        label=_("How they applied"),
        choices=[("assisted", _("With a caseworker")), ("online", _("Online by the resident"))],
        method="applied_how",
        empty_label=_("Any"),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("sla", _("SLA due")),
            ("reference", _("Reference")),
            ("status", _("Status")),
        ],
        method="sort_by",
        empty_label=None,
    )

    class Meta:
        model = Referral
        fields = ["q", "service", "status", "sla", "area", "language", "applied", "sort"]

    def __init__(self, *args: Any, member_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member_id = member_id
        self.name_searched = False

    def search(self, queryset: QuerySet[Referral], name: str, value: str) -> QuerySet[Referral]:
        value = value.strip()
        if not value:
            return queryset
        by_reference = Q(reference__iexact=value) | Q(reference__icontains=value.upper())
        if len(value) < 2:
            return queryset.filter(by_reference)
        # Names only over referrals this member may see in full (selectors.sees_in_full).
        self.name_searched = True
        by_name = Q(contact__full_name__icontains=value) & sees_in_full_q(self.member_id)
        return queryset.filter(by_reference | by_name)

    def status_is(self, queryset: QuerySet[Referral], name: str, value: str) -> QuerySet[Referral]:
        # The view widens the base list beyond open referrals when a status is chosen.
        return queryset if value == "all" else queryset.filter(status=value)

    def sla_state(self, queryset: QuerySet[Referral], name: str, value: str) -> QuerySet[Referral]:
        now = timezone.now()
        soon = now + timedelta(days=1)
        if value == "overdue":
            return queryset.filter(overdue_q(now))
        if value == "due_soon":
            return queryset.filter(
                Q(status=S.ROUTED, sla_accept_due__gte=now, sla_accept_due__lt=soon)
                | Q(
                    status__in=(S.ACCEPTED, S.IN_PROGRESS),
                    first_contact_at__isnull=True,
                    sla_first_contact_due__gte=now,
                    sla_first_contact_due__lt=soon,
                )
            )
        if value == "on_track":
            return queryset.exclude(overdue_q(now))
        if value == "breached":
            return queryset.filter(Q(sla_accept_breached=True) | Q(sla_first_contact_breached=True))
        return queryset

    def applied_how(
        self, queryset: QuerySet[Referral], name: str, value: str
    ) -> QuerySet[Referral]:
        return queryset.filter(assisted=value == "assisted") if value else queryset

    def area_is(self, queryset: QuerySet[Referral], name: str, value: str) -> QuerySet[Referral]:
        value = value.strip().upper()
        return queryset.filter(area=value) if value else queryset

    def sort_by(self, queryset: QuerySet[Referral], name: str, value: str) -> QuerySet[Referral]:
        return queryset.order_by(*SORTS.get(value, SORTS["newest"]))


class AuditSearchForm(forms.Form):
    """The DPO's search over their member's audit log."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Any")), *AuditAction.choices]
    )
    object_type = forms.ChoiceField(
        label=_("Record type"), required=False, choices=[("", _("Any")), *AuditObjectType.choices]
    )
    object_id = forms.CharField(label=_("Record id"), required=False, max_length=64)
    actor = forms.EmailField(label=_("Staff email"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return data
