"""What the API shows and accepts. Serializers validate the shape of input; the rules live in the
services (and the forms the pages use, which the API reuses rather than restating them)."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import AuditEvent
from dataprotection.selectors import sharing_gate
from learning.models import Booking, Course, CourseSession
from members.models import Member
from procurement.models import Contract, Participation, SpendRecord
from referrals.models import (
    DeclineReason,
    Outcome,
    OutcomeType,
    Referral,
    ReferralContact,
)
from services.models import Offer, Service, ServiceQuestion


def form_errors(
    form: django_forms.BaseForm, rename: dict[str, str] | None = None
) -> dict[str, Any]:
    """A Django form's errors as DRF field errors, with the API's field names."""
    rename = rename or {}
    out: dict[str, Any] = {}
    for name, errors in form.errors.items():
        key = "non_field_errors" if name == "__all__" else rename.get(name, name)
        out.setdefault(key, []).extend(str(e) for e in errors)
    return out


# --- Members, services, offers -------------------------------------------------------------------


class MemberRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = ["id", "short_name"]


class MemberSerializer(serializers.ModelSerializer):
    website = serializers.CharField(read_only=True, help_text="May be empty.")
    email = serializers.CharField(read_only=True, help_text="May be empty.")
    receives_shared_data = serializers.SerializerMethodField(
        help_text="Whether the member may receive residents' applications and referrals today: "
        "false until it signs the data sharing agreement in force. A member that is false is "
        "refused in an application's share_with, and routing never sends it a referral."
    )

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "short_name",
            "slug",
            "areas",
            "website",
            "email",
            "phone",
            "description",
            "receives_shared_data",
        ]

    def get_receives_shared_data(self, member: Member) -> bool:
        # The view reads the gate once for the whole page (MemberViewSet.get_serializer_context).
        gate = self.context.get("sharing_gate") or sharing_gate()
        return bool(gate.allows(member.pk))


class ServiceQuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceQuestion
        fields = ["key", "order", "text", "hint", "kind", "choices", "required"]


class ServiceSerializer(serializers.ModelSerializer):
    kind: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    questions = ServiceQuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "slug",
            "name",
            "summary",
            "description",
            "kind",
            "status",
            "eligibility",
            "sla_accept_days",
            "sla_first_contact_days",
            "questions",
        ]


class OfferSerializer(serializers.ModelSerializer):
    member = MemberRefSerializer(read_only=True)
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all())
    areas = serializers.ListField(
        child=serializers.CharField(max_length=8),
        max_length=100,
        required=False,
        default=list,
        help_text='Postcode districts served, e.g. ["E1", "B10"]; empty means anywhere.',
    )
    languages = serializers.ListField(child=serializers.CharField(max_length=10), min_length=1)
    delivery_modes = serializers.ListField(child=serializers.CharField(max_length=20), min_length=1)

    class Meta:
        model = Offer
        fields = [
            "id",
            "member",
            "service",
            "capacity_per_month",
            "areas",
            "languages",
            "delivery_modes",
            "is_active",
            "updated_at",
        ]
        read_only_fields = ["id", "member", "updated_at"]
        extra_kwargs = {"capacity_per_month": {"min_value": 0, "max_value": 10000}}


class OfferUpdateSerializer(OfferSerializer):
    service = serializers.PrimaryKeyRelatedField(read_only=True)


# --- Referrals and outcomes ----------------------------------------------------------------------


class ServiceRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "slug", "name"]


class ReferralSerializer(serializers.ModelSerializer):
    service = ServiceRefSerializer(read_only=True)
    member = MemberRefSerializer(
        read_only=True, help_text="The resident's landlord (owns the record)."
    )
    provider = MemberRefSerializer(
        read_only=True, allow_null=True, help_text="The member delivering it."
    )
    direction = serializers.SerializerMethodField(
        help_text="`incoming`: your member delivers it; `outgoing`: your member's resident, "
        "delivered elsewhere."
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "reference",
            "status",
            "direction",
            "service",
            "member",
            "provider",
            "area",
            "language",
            "need_summary",
            "accessibility_needs",
            "submitted_at",
            "routed_at",
            "accepted_at",
            "declined_at",
            "decline_count",
            "first_contact_at",
            "in_progress_at",
            "outcome_recorded_at",
            "closed_at",
            "withdrawn_at",
            "sla_accept_due",
            "sla_first_contact_due",
            "sla_accept_breached",
            "sla_first_contact_breached",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["incoming", "outgoing"]))
    def get_direction(self, referral: Referral) -> str:
        member_id = self.context.get("member_id")
        return (
            "incoming"
            if referral.provider_id == member_id and referral.status != "declined"
            else "outgoing"
        )


class ReferralContactSerializer(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="May be empty.")

    class Meta:
        model = ReferralContact
        fields = [
            "full_name",
            "email",
            "phone",
            "postcode",
            "date_of_birth",
            "preferred_language",
            "contact_method",
            "sms_failed_at",
        ]
        extra_kwargs = {
            "sms_failed_at": {
                "help_text": "When GOV.UK Notify refused texts to this phone number (null: "
                "none refused): call instead."
            }
        }


class OutcomeSerializer(serializers.ModelSerializer):
    referral_reference = serializers.CharField(source="referral.reference", read_only=True)

    class Meta:
        model = Outcome
        fields = [
            "id",
            "referral",
            "referral_reference",
            "member",
            "provider",
            "service",
            "type",
            "achieved_on",
            "hours_per_week",
            "qualification_level",
            "no_outcome_reason",
            "recorded_at",
        ]
        read_only_fields = fields


class ReferralDetailSerializer(ReferralSerializer):
    contact = serializers.SerializerMethodField(
        help_text="The resident's contact details: only for the provider once it has accepted "
        "(each showing is written to the audit log); otherwise null."
    )
    outcomes = serializers.SerializerMethodField()

    class Meta(ReferralSerializer.Meta):
        fields = [*ReferralSerializer.Meta.fields, "contact", "outcomes"]
        read_only_fields = fields

    @extend_schema_field(ReferralContactSerializer(allow_null=True))
    def get_contact(self, referral: Referral) -> dict[str, Any] | None:
        contact = self.context.get("contact")
        return ReferralContactSerializer(contact).data if contact is not None else None

    @extend_schema_field(OutcomeSerializer(many=True))
    def get_outcomes(self, referral: Referral) -> list[dict[str, Any]]:
        return OutcomeSerializer(self.context.get("outcomes", []), many=True).data  # type: ignore[return-value]


class DeclineSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DeclineReason.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RerouteSerializer(serializers.Serializer):
    provider = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The member to send it to."
    )
    reason = serializers.CharField(max_length=500, help_text="Why it is routed by hand (audited).")


class RecordOutcomeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=OutcomeType.choices)
    achieved_on = serializers.DateField()
    hours_per_week = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True, default=None
    )
    qualification_level = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=32767
    )
    no_outcome_reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )


class RecordContactSerializer(serializers.Serializer):
    contacted_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


# --- Procurement ---------------------------------------------------------------------------------


class ContractSerializer(serializers.ModelSerializer):
    lead_member = MemberRefSerializer(read_only=True)
    is_lead = serializers.BooleanField(read_only=True)
    is_participant = serializers.BooleanField(read_only=True)
    has_intent = serializers.BooleanField(read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "reference",
            "title",
            "description",
            "category",
            "supplier",
            "lead_member",
            "status",
            "start_date",
            "end_date",
            "is_lead",
            "is_participant",
            "has_intent",
        ]
        read_only_fields = fields


MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


class ParticipationSerializer(serializers.ModelSerializer):
    contract = serializers.IntegerField(source="contract_id", min_value=1, max_value=2**63 - 1)
    baseline_annual_cost = serializers.DecimalField(**MONEY)  # type: ignore[arg-type]
    contracted_annual_cost = serializers.DecimalField(**MONEY)  # type: ignore[arg-type]
    end_date = serializers.DateField(required=False, allow_null=True, default=None)

    class Meta:
        model = Participation
        fields = [
            "id",
            "contract",
            "baseline_annual_cost",
            "contracted_annual_cost",
            "start_date",
            "end_date",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]


class SpendRecordSerializer(serializers.ModelSerializer):
    contract = serializers.IntegerField(source="contract_id", min_value=1, max_value=2**63 - 1)
    quarter = serializers.CharField(
        write_only=True,
        max_length=12,
        help_text="Financial-year quarter, e.g. `2026Q1` (April to June 2026).",
    )
    amount = serializers.DecimalField(**MONEY)  # type: ignore[arg-type]

    class Meta:
        model = SpendRecord
        fields = ["id", "contract", "quarter", "quarter_start", "amount", "source", "recorded_at"]
        read_only_fields = ["id", "quarter_start", "source", "recorded_at"]


# --- Learning ------------------------------------------------------------------------------------


class CourseSessionSerializer(serializers.ModelSerializer):
    places_left = serializers.IntegerField(read_only=True)
    # Blank for a session in a venue: not a "uri" then, so a plain string in the schema.
    online_url = serializers.CharField(
        read_only=True, help_text="Link to join; empty if in person."
    )

    class Meta:
        model = CourseSession
        fields = [
            "id",
            "starts_at",
            "ends_at",
            "venue",
            "online_url",
            "capacity",
            "places_left",
            "cost_per_place",
            "cancelled_at",
        ]
        read_only_fields = fields


class CourseSerializer(serializers.ModelSerializer):
    provider = MemberRefSerializer(read_only=True)
    upcoming_sessions = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = [
            "id",
            "title",
            "description",
            "audience",
            "qualification",
            "provider",
            "upcoming_sessions",
        ]
        read_only_fields = fields

    @extend_schema_field(CourseSessionSerializer(many=True))
    def get_upcoming_sessions(self, course: Course) -> list[dict[str, Any]]:
        sessions = getattr(course, "upcoming_list", [])
        return CourseSessionSerializer(sessions, many=True).data  # type: ignore[return-value]


class BookingSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    session = serializers.IntegerField(source="session_id", min_value=1, max_value=2**63 - 1)
    course = serializers.IntegerField(source="session.course_id", read_only=True)
    attendee = serializers.IntegerField(
        source="attendee_user_id",
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="A colleague's user id; empty books for yourself.",
    )
    join_waiting_list = serializers.BooleanField(write_only=True, required=False, default=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "reference",
            "member",
            "provider",
            "session",
            "course",
            "attendee",
            "status",
            "price",
            "queue_number",
            "created_at",
            "confirmed_at",
            "offer_expires_at",
            "cancelled_at",
            "attended",
            "join_waiting_list",
        ]
        read_only_fields = [
            "id",
            "member",
            "provider",
            "status",
            "price",
            "queue_number",
            "created_at",
            "confirmed_at",
            "offer_expires_at",
            "cancelled_at",
            "attended",
        ]


# --- Audit ---------------------------------------------------------------------------------------


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "action", "object_type", "object_id", "reason"]
        read_only_fields = fields


LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
