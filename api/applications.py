"""The public application endpoint: what a resident's own system (or a member's front desk
tool) sends instead of the web journey.

Each answer is cleaned by the journey's own forms (applications/forms.py), so a mistake is named
per field; the service's rules (eligibility, who may receive it, consent) are the web journey's
too, checked by `application_submit`, so no rule is restated here. Repeating a request with the
same `Idempotency-Key` header returns the same application and the same response.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

from api.base import ScopedViewSet
from api.errors import errors
from api.serializers import LANGUAGE_CODES, form_errors
from applications import forms as journey_forms
from applications.services import ApplicationInput, SharingRefused, application_submit
from members.actor import Actor
from members.models import Member
from referrals.models import Application, ContactMethod
from services.selectors import service_eligibility_asks, service_get_open

IDEMPOTENCY_HEADER = "Idempotency-Key"


class EqualityInputSerializer(serializers.Serializer):
    ethnicity = serializers.CharField(required=False, allow_blank=True, max_length=40)
    disability = serializers.CharField(required=False, allow_blank=True, max_length=40)
    sex = serializers.CharField(required=False, allow_blank=True, max_length=40)


class ApplicationCreateSerializer(serializers.Serializer):
    service = serializers.SlugField(max_length=80, help_text="The slug of an open service.")
    landlord = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The member the resident rents from; null for none of them (only where the "
        "service allows it).",
    )
    age = serializers.IntegerField(
        required=False, allow_null=True, help_text="When the service asks."
    )
    employment_status = serializers.CharField(
        required=False, allow_blank=True, max_length=30, help_text="When the service asks."
    )
    answers = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text="The service's own questions, by key (see /api/v1/services/).",
    )
    full_name = serializers.CharField(max_length=1000)
    email = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=254,
        default="",
        help_text="Optional where a phone number (contact by phone or text) or a postal address "
        "(contact by letter) is given.",
    )
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
    postcode = serializers.CharField(max_length=20)
    address = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        default="",
        help_text="A postal address: needed when contact_method is post.",
    )
    contact_method = serializers.ChoiceField(choices=ContactMethod.choices)
    preferred_language = serializers.ChoiceField(choices=LANGUAGE_CODES)
    accessibility_needs = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, default=""
    )
    equality = EqualityInputSerializer(required=False, allow_null=True, default=None)
    share_with = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        max_length=20,
        help_text="Members that may receive the application: from those able to deliver the "
        "service to this resident (and the landlord). Routing never goes outside them.",
    )
    consent = serializers.BooleanField(help_text="The resident agreed to share with those members.")


class ApplicationCreatedSerializer(serializers.ModelSerializer):
    service: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Application
        fields = ["reference", "service", "submitted_at"]
        read_only_fields = fields


def _idempotency_key(request: Request) -> str:
    """The stored key: the client's key scoped to the caller (IETF httpapi idempotency-key
    draft, section 2.2: a key is unique per client, not across clients).

    A signed-in caller (token or session) is its user: one caller's key never finds another
    caller's application. An anonymous caller has no identity to scope by: its client address
    is shared behind NAT and changes when a phone retries on another network (so scoping by it
    would either still be shared or duplicate a retried application). Anonymous keys share one
    namespace instead, and every key is bound to the request body (_request_fingerprint), so
    the stored response goes only to a request with byte-for-byte the same content, whose
    sender already holds every detail of that application; anything else is refused with 422.
    """
    raw = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not 8 <= len(raw) <= 255 or not raw.isprintable():
        raise exceptions.ValidationError(
            {IDEMPOTENCY_HEADER: ["Send a unique Idempotency-Key header (8 to 255 characters)."]}
        )
    user = request.user
    caller = f"user:{user.pk}" if user is not None and user.is_authenticated else "anonymous"
    # Namespaced and hashed: an API key can never collide with a web form's key.
    return "api-" + hashlib.sha256(f"{caller}\n{raw}".encode()).hexdigest()[:60]


def _request_fingerprint(request: Request) -> str:
    """A digest of the parsed request body, independent of key order and whitespace."""
    body: Any = request.data
    if hasattr(body, "lists"):  # a form-encoded QueryDict: every value of every key
        body = dict(body.lists())
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _checked(
    form: Any, errors_out: dict[str, Any], rename: dict[str, str] | None = None
) -> dict[str, Any]:
    if form.is_valid():
        return dict(form.cleaned_data)
    errors_out.update(form_errors(form, rename))
    return {}


@extend_schema_view(
    create=extend_schema(
        request=ApplicationCreateSerializer,
        responses={201: ApplicationCreatedSerializer, **errors(400, 422)},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                location=OpenApiParameter.HEADER,
                required=True,
                description="A unique key per application, scoped to the caller: a repeat with "
                "the same body returns the same response; the same key with a different body "
                "answers 422 (`idempotency_key_reused`).",
            )
        ],
        auth=[],
    )
)
class ApplicationViewSet(mixins.CreateModelMixin, ScopedViewSet):
    """A resident's application for a shared service (no account needed)."""

    model = Application
    serializer_class = ApplicationCreateSerializer
    # Residents apply without an account, as on the web.
    dangerously_public_actions = frozenset({"create"})
    throttle_classes = [AnonRateThrottle, UserRateThrottle, ScopedRateThrottle]
    throttle_scope = "applications"

    def safely_get_queryset(self, actor: Actor) -> Any:
        return Application.objects.none()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = _idempotency_key(request)
        fingerprint = _request_fingerprint(request)
        body = ApplicationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        service = service_get_open(slug=data["service"])
        if service is None:
            raise exceptions.ValidationError({"service": ["No open service has that slug."]})
        asks = service_eligibility_asks(service)
        problems: dict[str, Any] = {}
        members = list(Member.objects.order_by("name"))
        landlord_choice = str(data["landlord"]) if data["landlord"] else journey_forms.NONE_OF_THESE
        _checked(
            journey_forms.LandlordForm(
                {"landlord": landlord_choice},
                members=members,
                allow_none=not asks["tenant_of_member"],
            ),
            problems,
        )
        eligibility = {}
        if asks["age"] or asks["employment_status"]:
            eligibility = _checked(
                journey_forms.EligibilityForm(
                    {
                        "age": data.get("age"),
                        "employment_status": data.get("employment_status", ""),
                    },
                    asks=asks,
                ),
                problems,
            )
        questions = journey_forms.QuestionsForm(
            {f"q_{k}": v for k, v in data["answers"].items() if isinstance(v, str | int)},
            service=service,
            translations={},
        )
        answers = _checked(questions, problems, {n: f"answers.{n[2:]}" for n in questions.fields})
        contact = _checked(
            journey_forms.ContactForm(
                {
                    k: data.get(k, "")
                    for k in (
                        "full_name",
                        "email",
                        "phone",
                        "postcode",
                        "address",
                        "contact_method",
                    )
                }
            ),
            problems,
        )
        prefs = _checked(
            journey_forms.PreferencesForm(
                {
                    "preferred_language": data["preferred_language"],
                    "accessibility_needs": data["accessibility_needs"],
                }
            ),
            problems,
        )
        equality = _checked(
            journey_forms.EqualityForm(data.get("equality") or {}),
            problems,
            {
                "ethnicity": "equality.ethnicity",
                "disability": "equality.disability",
                "sex": "equality.sex",
            },
        )
        if problems:
            raise exceptions.ValidationError(problems)
        user = request.user if request.user and request.user.is_authenticated else None
        try:
            application = application_submit(
                data=ApplicationInput(
                    service=service,
                    landlord_id=data["landlord"],
                    full_name=contact["full_name"],
                    email=contact.get("email", ""),
                    phone=contact.get("phone", ""),
                    postcode=contact["postcode"],
                    address=contact.get("address", ""),
                    contact_method=contact["contact_method"],
                    preferred_language=prefs["preferred_language"],
                    accessibility_needs=prefs.get("accessibility_needs", ""),
                    answers={k.removeprefix("q_"): v for k, v in answers.items()},
                    age=eligibility.get("age"),
                    employment_status=eligibility.get("employment_status", ""),
                    # No page was shown: the notice is kept in the resident's own language.
                    language=prefs["preferred_language"],
                    idempotency_key=key,
                    shared_with_member_ids=data["share_with"],
                    consent=data["consent"],
                    equality=equality if any(equality.values()) else None,
                    user_id=user.pk if user else None,
                    request_fingerprint=fingerprint,
                )
            )
        except SharingRefused as exc:
            field = {"members": "share_with"}.get(exc.answer, exc.answer)
            raise exceptions.ValidationError({field: [str(exc)]}) from exc
        application.service = service
        return Response(
            ApplicationCreatedSerializer(application).data, status=status.HTTP_201_CREATED
        )
