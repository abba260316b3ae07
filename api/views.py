"""The API's endpoints: HTTP in and out. Objects come from the access helpers and selectors of
each app; every change is made by that app's services, the same ones the pages call."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from api import filters as api_filters
from api import serializers as s
from api.base import ScopedViewSet, parse_id, require_member
from api.errors import errors
from audit.models import AuditEvent
from dataprotection.selectors import sharing_gate
from kernel.calendar import Quarter
from learning.models import Booking, Course, CourseSession
from learning.selectors import access_booking_by_id, access_course_by_id, course_catalogue
from learning.services import booking_cancel, booking_create, offer_accept
from members.access import access_member_owned_by_id
from members.actor import Actor
from members.models import Member
from members.permissions import Perm
from procurement.models import Contract, Participation, SpendRecord
from procurement.selectors import access_contract_by_id, contract_list_for_member
from procurement.services import participation_save, spend_record_save
from referrals.models import Outcome, Referral, ReferralStatus
from referrals.selectors import (
    access_referral_by_id,
    referral_contact_for,
    referral_outcomes,
    referrals_of_either_party,
)
from referrals.services import (
    referral_accept,
    referral_close,
    referral_decline,
    referral_record_contact,
    referral_record_outcome,
    referral_reroute,
    referral_start,
)
from services.forms import OfferForm
from services.models import Offer, Service
from services.services import offer_create, offer_update


def _list_schema(serializer: Any, *, extra: tuple[int, ...] = ()) -> Any:
    return extend_schema(responses={200: serializer(many=True), **errors(400, *extra)})


def _retrieve_schema(serializer: Any) -> Any:
    return extend_schema(responses={200: serializer, **errors(404)})


# --- Members and the catalogue -------------------------------------------------------------------


@extend_schema_view(
    list=_list_schema(s.MemberSerializer), retrieve=_retrieve_schema(s.MemberSerializer)
)
class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The directory of member associations (public facts only: no staff, no records)."""

    model = Member
    serializer_class = s.MemberSerializer
    actions_without_member = frozenset({"list", "retrieve"})
    ordering = ["name", "id"]
    ordering_fields = ["name", "id"]

    def safely_get_queryset(self, actor: Actor) -> QuerySet[Member]:
        return Member.objects.all()

    def get_serializer_context(self) -> dict[str, Any]:
        # receives_shared_data: the data sharing agreement's gate, read once per request (not
        # while drf-spectacular builds the schema, which reads no data).
        context = dict(super().get_serializer_context())
        if not getattr(self, "swagger_fake_view", False):
            context["sharing_gate"] = sharing_gate()
        return context


@extend_schema_view(
    list=_list_schema(s.ServiceSerializer), retrieve=_retrieve_schema(s.ServiceSerializer)
)
class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The consortium's shared services, with their questions and eligibility rules."""

    model = Service
    serializer_class = s.ServiceSerializer
    filterset_class = api_filters.ServiceFilter
    actions_without_member = frozenset({"list", "retrieve"})
    ordering = ["id"]
    ordering_fields = ["id", "name"]

    def safely_get_queryset(self, actor: Actor) -> QuerySet[Service]:
        return Service.objects.select_related("kind").prefetch_related("questions")


@extend_schema_view(
    list=_list_schema(s.OfferSerializer),
    retrieve=_retrieve_schema(s.OfferSerializer),
    create=extend_schema(
        request=s.OfferSerializer, responses={201: s.OfferSerializer, **errors(400)}
    ),
    partial_update=extend_schema(
        request=s.OfferUpdateSerializer, responses={200: s.OfferSerializer, **errors(400, 404)}
    ),
)
class OfferViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet
):
    """Which members deliver which service (public to read). A service lead creates and changes
    their own member's offers."""

    model = Offer
    serializer_class = s.OfferSerializer
    filterset_class = api_filters.OfferFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    actions_without_member = frozenset({"list", "retrieve"})
    perms = {"create": Perm.MANAGE_OFFERS, "partial_update": Perm.MANAGE_OFFERS, "*": None}
    ordering = ["id"]
    ordering_fields = ["id", "updated_at"]

    def safely_get_queryset(self, actor: Actor) -> QuerySet[Offer]:
        # Offers are public to read (the directory); writes go through safely_get_object.
        return Offer.objects.public().select_related("member")

    def safely_get_object(self, actor: Actor, pk: int) -> Offer | None:
        if self.action == "partial_update":
            # Only the actor's own member's offer; the same 404 for anyone else's.
            return access_member_owned_by_id(actor, Offer, pk, select_related=("member",))
        return self.get_queryset().filter(pk=pk).first()

    def _form(self, data: dict[str, Any], instance: Offer | None = None) -> OfferForm:
        form_data: dict[str, Any] = {
            "capacity_per_month": data.get("capacity_per_month"),
            "areas_text": ", ".join(data.get("areas") or []),
            "languages": data.get("languages") or [],
            "delivery_modes": data.get("delivery_modes") or [],
            "is_active": data.get("is_active", True),
        }
        if instance is None:
            form_data["service"] = data["service"].pk
        form = OfferForm(form_data, instance=instance, member_id=self.actor.member_id or 0)
        if not form.is_valid():
            raise exceptions.ValidationError(s.form_errors(form, {"areas_text": "areas"}))
        return form

    @staticmethod
    def _values(form: OfferForm) -> dict[str, Any]:
        data = form.cleaned_data
        return {
            "capacity_per_month": data["capacity_per_month"],
            "areas": data["areas_text"],
            "languages": sorted(data["languages"]),
            "delivery_modes": sorted(data["delivery_modes"]),
            "is_active": data.get("is_active", False),
        }

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.OfferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        form = self._form(serializer.validated_data)
        offer = offer_create(
            actor=self.actor, service=form.cleaned_data["service"], **self._values(form)
        )
        return Response(s.OfferSerializer(offer).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        offer = self.get_object()
        current = s.OfferSerializer(offer).data
        serializer = s.OfferUpdateSerializer(offer, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        merged = {**current, **serializer.validated_data}
        form = self._form(merged, instance=self.get_object())
        offer = offer_update(actor=self.actor, offer=self.get_object(), **self._values(form))
        return Response(s.OfferSerializer(offer).data)


# --- Referrals -----------------------------------------------------------------------------------

TRANSITION_ERRORS = errors(400, 404, 409)


@extend_schema_view(
    list=_list_schema(s.ReferralSerializer),
    retrieve=_retrieve_schema(s.ReferralDetailSerializer),
)
class ReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Referrals your member is a party to: incoming (you deliver them) and outgoing (your
    residents'). Steps are actions; each runs the same service as the pages."""

    model = Referral
    serializer_class = s.ReferralSerializer
    filterset_class = api_filters.ReferralFilter
    ordering = ["-submitted_at", "-id"]
    ordering_fields = ["submitted_at", "updated_at", "id"]
    perms = {
        "*": Perm.VIEW_REFERRALS,
        "accept": Perm.WORK_REFERRALS,
        "decline": Perm.WORK_REFERRALS,
        "start": Perm.WORK_REFERRALS,
        "record_contact": Perm.WORK_REFERRALS,
        "record_outcome": Perm.WORK_REFERRALS,
        "close": Perm.WORK_REFERRALS,
        "reroute": Perm.ROUTE_REFERRALS,
    }
    # The coordinator routes by hand under an audited consortium scope.
    actions_without_member = frozenset({"reroute"})

    def safely_get_queryset(self, actor: Actor) -> QuerySet[Referral]:
        member_id = require_member(actor)
        # With no direction, both parties' referrals: a page of them is read as two index
        # walks (referrals_of_either_party); a direction filter reads one party's index anyway.
        either = not self.request.query_params.get("direction")
        return (
            (
                referrals_of_either_party(member_id)
                if either
                else Referral.objects.for_member(member_id)
            )
            .select_related("service", "provider", "member")
            # A provider that declined no longer sees it (as in access_referral_by_id).
            .exclude(
                Q(provider_id=member_id, status=ReferralStatus.DECLINED) & ~Q(member_id=member_id)
            )
        )

    def safely_get_object(self, actor: Actor, pk: int) -> Referral:
        self.access = access_referral_by_id(actor, pk)
        return self.access.referral

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "member_id": self.actor.member_id}

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        referral = self.get_object()
        context = {
            **self.get_serializer_context(),
            "contact": referral_contact_for(self.access, self.actor),
            "outcomes": referral_outcomes(referral),
        }
        return Response(s.ReferralDetailSerializer(referral, context=context).data)

    def _done(self, referral: Referral) -> Response:
        return Response(s.ReferralSerializer(referral, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: s.ReferralSerializer, **TRANSITION_ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """Accept a referral sent to your member (you then see the resident's contact details)."""
        referral = self.get_object()
        return self._done(referral_accept(referral_id=referral.pk, actor=self.actor))

    @extend_schema(
        request=s.DeclineSerializer, responses={200: s.ReferralSerializer, **TRANSITION_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        """Decline with a reason; the referral goes to the next provider (or the coordinator)."""
        referral = self.get_object()
        body = s.DeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(
            referral_decline(referral_id=referral.pk, actor=self.actor, **body.validated_data)
        )

    @extend_schema(request=None, responses={200: s.ReferralSerializer, **TRANSITION_ERRORS})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        """Mark an accepted referral as in progress."""
        referral = self.get_object()
        return self._done(referral_start(referral_id=referral.pk, actor=self.actor))

    @extend_schema(
        request=s.RecordContactSerializer,
        responses={200: s.ReferralSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="record-contact")
    def record_contact(self, request: Request, pk: str | None = None) -> Response:
        """Record that the resident was contacted (stops the first-contact SLA clock)."""
        referral = self.get_object()
        body = s.RecordContactSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(
            referral_record_contact(
                referral_id=referral.pk, actor=self.actor, **body.validated_data
            )
        )

    @extend_schema(
        request=s.RecordOutcomeSerializer, responses={201: s.OutcomeSerializer, **TRANSITION_ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="record-outcome")
    def record_outcome(self, request: Request, pk: str | None = None) -> Response:
        """Record an outcome (a job started, training completed, no outcome, ...)."""
        referral = self.get_object()
        body = s.RecordOutcomeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = referral_record_outcome(
            referral_id=referral.pk, actor=self.actor, **body.validated_data
        )
        return Response(s.OutcomeSerializer(outcome).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.ReferralSerializer, **TRANSITION_ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        """Close a referral once an outcome is recorded."""
        referral = self.get_object()
        return self._done(referral_close(referral_id=referral.pk, actor=self.actor))

    @extend_schema(
        request=s.RerouteSerializer, responses={200: s.ReferralSerializer, **TRANSITION_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def reroute(self, request: Request, pk: str | None = None) -> Response:
        """Consortium coordinators: send a referral to another member by hand, with a reason
        (within the resident's consent; audited)."""
        referral_id = parse_id(pk)
        body = s.RerouteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        self.dangerously_enter_consortium_scope(
            reason=f"API: referral {referral_id} routed by hand"
        )
        if not Referral.objects.filter(pk=referral_id).exists():
            raise exceptions.NotFound("Not found.")
        referral = referral_reroute(
            referral_id=referral_id,
            provider_id=body.validated_data["provider"],
            actor=self.actor,
            reason=body.validated_data["reason"],
        )
        return self._done(referral)


@extend_schema_view(
    list=_list_schema(s.OutcomeSerializer), retrieve=_retrieve_schema(s.OutcomeSerializer)
)
class OutcomeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Outcomes of referrals your member is a party to (as landlord or provider)."""

    model = Outcome
    serializer_class = s.OutcomeSerializer
    filterset_class = api_filters.OutcomeFilter
    perms = {"*": Perm.VIEW_REFERRALS}
    ordering = ["-id"]
    ordering_fields = ["id", "achieved_on", "recorded_at"]

    def safely_get_queryset(self, actor: Actor) -> QuerySet[Outcome]:
        return Outcome.objects.for_member(require_member(actor)).select_related("referral")


# --- Procurement ---------------------------------------------------------------------------------


@extend_schema_view(
    list=_list_schema(s.ContractSerializer), retrieve=_retrieve_schema(s.ContractSerializer)
)
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Joint contracts your member leads, takes part in, intends to join, or may still join."""

    model = Contract
    serializer_class = s.ContractSerializer
    filterset_class = api_filters.ContractFilter
    ordering = ["reference"]
    ordering_fields = ["reference", "end_date"]

    def safely_get_queryset(self, actor: Actor) -> QuerySet[Contract]:
        return contract_list_for_member(member_id=require_member(actor))

    def safely_get_object(self, actor: Actor, pk: int) -> Contract:
        return access_contract_by_id(actor, pk)


def _contract_for_body(actor: Actor, contract_id: int) -> Contract:
    """A contract named in a request body: one the member may see, or a field error (the same
    for a contract that does not exist and one that is not the member's business)."""
    try:
        return access_contract_by_id(actor, contract_id)
    except Exception as exc:  # Http404
        raise exceptions.ValidationError({"contract": ["No such contract."]}) from exc


@extend_schema_view(
    list=_list_schema(s.ParticipationSerializer),
    retrieve=_retrieve_schema(s.ParticipationSerializer),
    create=extend_schema(
        request=s.ParticipationSerializer,
        responses={201: s.ParticipationSerializer, **errors(400, 409)},
        description="Record (or change) your member's participation in a let contract: its "
        "baseline and contracted annual costs. One per contract: posting again updates it.",
    ),
)
class ParticipationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet
):
    """Your member's own participation in joint contracts (private to your member)."""

    model = Participation
    serializer_class = s.ParticipationSerializer
    filterset_class = api_filters.ParticipationFilter
    perms = {"*": Perm.MANAGE_PROCUREMENT}
    ordering = ["-id"]
    ordering_fields = ["id", "start_date"]

    def safely_get_queryset(self, actor: Actor) -> QuerySet[Participation]:
        member_id = require_member(actor)
        return Participation.objects.for_member(member_id).filter(member_id=member_id)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = s.ParticipationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        participation = participation_save(
            actor=self.actor,
            contract=_contract_for_body(self.actor, data["contract_id"]),
            baseline_annual_cost=data["baseline_annual_cost"],
            contracted_annual_cost=data["contracted_annual_cost"],
            start_date=data["start_date"],
            end_date=data.get("end_date"),
        )
        return Response(
            s.ParticipationSerializer(participation).data, status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    list=_list_schema(s.SpendRecordSerializer),
    retrieve=_retrieve_schema(s.SpendRecordSerializer),
    create=extend_schema(
        request=s.SpendRecordSerializer,
        responses={201: s.SpendRecordSerializer, **errors(400, 409)},
        description="Record what your member spent under a contract in one quarter (posting the "
        "same quarter again replaces the amount).",
    ),
)
class SpendViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet
):
    """Your member's spend under joint contracts, by financial-year quarter."""

    model = SpendRecord
    serializer_class = s.SpendRecordSerializer
    filterset_class = api_filters.SpendFilter
    perms = {"*": Perm.MANAGE_PROCUREMENT}
    ordering = ["-id"]
    ordering_fields = ["id", "quarter_start"]

    def safely_get_queryset(self, actor: Actor) -> QuerySet[SpendRecord]:
        member_id = require_member(actor)
        return SpendRecord.objects.for_member(member_id).filter(member_id=member_id)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = s.SpendRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            quarter = Quarter.from_key(data["quarter"])
        except ValueError:
            raise exceptions.ValidationError({"quarter": ["Give a quarter like 2026Q1."]}) from None
        record = spend_record_save(
            actor=self.actor,
            contract=_contract_for_body(self.actor, data["contract_id"]),
            quarter=quarter,
            amount=data["amount"],
            source="import",
        )
        return Response(s.SpendRecordSerializer(record).data, status=status.HTTP_201_CREATED)


# --- Learning ------------------------------------------------------------------------------------


def _upcoming_prefetch() -> Prefetch:
    return Prefetch(
        "sessions",
        queryset=CourseSession.objects.filter(
            starts_at__gt=timezone.now(), cancelled_at__isnull=True
        ).order_by("starts_at"),
        to_attr="upcoming_list",
    )


@extend_schema_view(
    list=_list_schema(s.CourseSerializer), retrieve=_retrieve_schema(s.CourseSerializer)
)
class CourseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Published courses any member's staff may book, with their upcoming sessions."""

    model = Course
    serializer_class = s.CourseSerializer
    filterset_class = api_filters.CourseFilter
    ordering = ["id"]
    ordering_fields = ["id", "title"]

    def safely_get_queryset(self, actor: Actor) -> QuerySet[Course]:
        return course_catalogue().prefetch_related(_upcoming_prefetch())

    def safely_get_object(self, actor: Actor, pk: int) -> Course:
        course = access_course_by_id(actor, pk)
        return (
            Course.objects.prefetch_related(_upcoming_prefetch())
            .select_related("provider")
            .get(pk=course.pk)
        )


@extend_schema_view(
    list=_list_schema(s.BookingSerializer),
    retrieve=_retrieve_schema(s.BookingSerializer),
    create=extend_schema(
        request=s.BookingSerializer,
        responses={201: s.BookingSerializer, **errors(400, 409)},
        description="Book a place on a session for yourself or a colleague; when the session "
        "is full you join the waiting list (unless join_waiting_list is false).",
    ),
)
class BookingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet
):
    """Bookings your member made, or on courses your member provides."""

    model = Booking
    serializer_class = s.BookingSerializer
    filterset_class = api_filters.BookingFilter
    perms = {"create": Perm.BOOK_LEARNING, "accept_offer": Perm.BOOK_LEARNING, "*": None}
    ordering = ["-id"]
    ordering_fields = ["id", "created_at"]

    def safely_get_queryset(self, actor: Actor) -> QuerySet[Booking]:
        return Booking.objects.for_member(require_member(actor)).select_related("session")

    def safely_get_object(self, actor: Actor, pk: int) -> Booking:
        return access_booking_by_id(actor, pk)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = s.BookingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        attendee = None
        attendee_id = data.get("attendee_user_id")
        if attendee_id is not None:
            attendee = User.objects.filter(pk=attendee_id).first()
            if attendee is None:
                raise exceptions.ValidationError(
                    {"attendee": ["You can book only for yourself or a colleague."]}
                )
        if not CourseSession.objects.filter(pk=data["session_id"]).exists():
            raise exceptions.ValidationError({"session": ["No such session."]})
        booking = booking_create(
            actor=self.actor,
            session_id=data["session_id"],
            attendee=attendee,
            join_waiting_list=data.get("join_waiting_list", True),
        )
        return Response(s.BookingSerializer(booking).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.BookingSerializer, **errors(404, 409)})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel a booking (your member's, or one on a course you provide)."""
        booking = booking_cancel(actor=self.actor, booking=self.get_object())
        return Response(s.BookingSerializer(booking).data)

    @extend_schema(request=None, responses={200: s.BookingSerializer, **errors(404, 409)})
    @action(detail=True, methods=["post"], url_path="accept-offer")
    def accept_offer(self, request: Request, pk: str | None = None) -> Response:
        """Take up a place offered from the waiting list."""
        booking = offer_accept(actor=self.actor, booking=self.get_object())
        return Response(s.BookingSerializer(booking).data)


# --- Audit ---------------------------------------------------------------------------------------


@extend_schema_view(
    list=_list_schema(s.AuditEventSerializer), retrieve=_retrieve_schema(s.AuditEventSerializer)
)
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Your member's audit log: who saw or changed which record (data protection officers)."""

    model = AuditEvent
    serializer_class = s.AuditEventSerializer
    filterset_class = api_filters.AuditEventFilter
    perms = {"*": Perm.VIEW_AUDIT_LOG}
    ordering = ["-at", "-id"]
    ordering_fields = ["at", "id"]

    def safely_get_queryset(self, actor: Actor) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.for_member(require_member(actor))
