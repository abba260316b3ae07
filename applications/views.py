"""The resident's journey (HTTP in and out). One thing per page; no JavaScript needed.

Rules live in applications/services.py and services/selectors.py; these views turn requests into
forms, forms into calls, and domain errors into messages.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from applications import forms as journey_forms
from applications.journey import Journey, done_for_key
from applications.ratelimits import rate_limited
from applications.selectors import application_for_resident, applications_for_user
from applications.services import (
    ApplicationError,
    ApplicationInput,
    ApplicationNotEligible,
    Assistance,
    SharingRefused,
    application_check,
    application_submit,
    application_withdraw,
    status_code_issue,
    status_code_verify,
)
from applications.validation import postcode_district
from members.actor import MemberActor, actor_of
from members.models import Member
from members.pages import staff_page
from members.permissions import Perm
from referrals.models import ContactMethod, ReferralStatus, referral_may_be_withdrawn
from services.models import Service
from services.selectors import (
    EMPLOYMENT_STATUSES,
    service_candidate_members,
    service_eligibility_asks,
    service_eligibility_check,
    service_get_open,
    service_list_open,
    service_localise,
)

logger = logging.getLogger(__name__)

ASSISTED_KEY = "apply_assisted"
STATUS_GRANT_KEY = "status_grant"
STATUS_REFERENCE_KEY = "status_reference"
STATUS_GRANT_MINUTES = 30

STEP_TITLES = {
    "landlord": translation.gettext_lazy("Your landlord"),
    "eligibility": translation.gettext_lazy("Check you can use this service"),
    "questions": translation.gettext_lazy("About what you need"),
    "contact": translation.gettext_lazy("Your contact details"),
    "preferences": translation.gettext_lazy("Your language and support needs"),
    "equality": translation.gettext_lazy("Equality monitoring (optional)"),
    "sharing": translation.gettext_lazy("Who may receive your application"),
}


def error_summary(form: forms.BaseForm) -> list[tuple[str, str]]:
    """(anchor, message) pairs for the error summary; each link goes to its field."""
    items = []
    for name, errors in form.errors.items():
        if name == "__all__" or name not in form.fields:
            anchor = "main-content"
        else:
            bound = form[name]
            widget = bound.widget_type
            anchor = (
                f"{bound.auto_id}_0"
                if widget in ("radioselect", "checkboxselectmultiple")
                else str(bound.auto_id)
            )
        for error in errors:
            items.append((anchor, str(error)))
    return items


def _service_or_404(slug: str) -> Service:
    service = service_get_open(slug=slug)
    if service is None:
        raise Http404("No such open service.")
    return service_localise([service], translation.get_language() or "en")[0]


def _landlord(journey: Journey) -> Member | None:
    value = journey.get("landlord", "landlord")
    if not value or value == journey_forms.NONE_OF_THESE:
        return None
    return Member.objects.filter(pk=int(value)).first()


def _candidates(journey: Journey) -> list[Member]:
    return service_candidate_members(
        service=journey.service,
        district=postcode_district(journey.get("contact", "postcode", "")),
        language=journey.get("preferences", "preferred_language", ""),
        landlord=_landlord(journey),
    )


def _step_url(service: Service, step: str) -> str:
    return reverse("applications:step", args=[service.slug, step])


def _build_form(request: HttpRequest, journey: Journey, step: str) -> forms.Form:
    data = request.POST if request.method == "POST" else None
    initial = journey.data(step) or {}
    service = journey.service
    assisted = _assistance(request, service)
    if step == "landlord":
        allow_none = not service_eligibility_asks(service)["tenant_of_member"]
        return journey_forms.LandlordForm(
            data,
            initial=initial,
            members=list(Member.objects.order_by("name")),
            allow_none=allow_none,
        )
    if step == "eligibility":
        return journey_forms.EligibilityForm(
            data, initial=initial, asks=service_eligibility_asks(service)
        )
    if step == "questions":
        return journey_forms.QuestionsForm(
            data,
            initial=initial,
            service=service,
            translations=getattr(service, "question_translations", {}),
        )
    if step == "contact":
        return journey_forms.ContactForm(
            data, initial=initial or {"contact_method": ContactMethod.EMAIL}
        )
    if step == "preferences":
        spoken = assisted["language"] if assisted else translation.get_language()
        return journey_forms.PreferencesForm(
            data, initial=initial or {"preferred_language": spoken or "en"}
        )
    if step == "equality":
        return journey_forms.EqualityForm(data, initial=initial)
    if step == "sharing":
        candidates = _candidates(journey)
        initial = initial or {"members": [str(m.pk) for m in candidates]}
        if initial.get("members"):
            initial = {**initial, "members": [str(x) for x in initial["members"]]}
        return journey_forms.SharingForm(
            data, initial=initial, candidates=candidates, assisted=assisted is not None
        )
    raise Http404("No such step.")


@require_http_methods(["GET"])
def start(request: HttpRequest, service_slug: str) -> HttpResponse:
    service = _service_or_404(service_slug)
    journey = Journey(request.session, service)
    return render(
        request,
        "applications/start.html",
        {"service": service, "first_step": _step_url(service, journey.steps()[0])},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, service_slug: str, step: str) -> HttpResponse:
    service = _service_or_404(service_slug)
    journey = Journey(request.session, service)
    steps = journey.steps()
    if step not in steps:
        raise Http404("No such step.")
    # Steps are answered in order: going straight to a later one sends you to the first gap.
    missing = journey.first_incomplete()
    if missing is not None and steps.index(missing) < steps.index(step):
        return redirect(_step_url(service, missing))
    changing = request.GET.get("change") == "1"
    form = _build_form(request, journey, step)
    if request.method == "POST":
        if step == "equality" and "skip" in request.POST:
            journey.save(step, {})
            return _after_step(journey, step, changing)
        if form.is_valid():
            data = (
                form.session_data()
                if isinstance(form, journey_forms.JourneyForm)
                else dict(form.cleaned_data)
            )
            journey.save(step, data)
            refusal = _eligibility_refusal(journey, step, data)
            if refusal:
                return render(
                    request,
                    "applications/not_eligible.html",
                    {"service": service, "reasons": refusal, "back_url": _step_url(service, step)},
                )
            return _after_step(journey, step, changing)
    previous = journey.previous_step(step)
    context: dict[str, Any] = {
        "service": service,
        "form": form,
        "step": step,
        "title": STEP_TITLES[step],
        "errors": error_summary(form) if form.is_bound else [],
        "back_url": _step_url(service, previous)
        if previous
        else reverse("services:detail", args=[service.slug]),
        "step_number": steps.index(step) + 1,
        "step_count": len(steps) + 1,
        "changing": changing,
        "assisted": _assistance(request, service),
    }
    if step == "sharing":
        context["landlord"] = _landlord(journey)
    template = {
        "equality": "applications/step_equality.html",
        "sharing": "applications/step_sharing.html",
    }.get(step, "applications/step.html")
    return render(request, template, context, status=400 if form.is_bound and form.errors else 200)


def _after_step(journey: Journey, step: str, changing: bool) -> HttpResponseRedirect:
    service = journey.service
    if changing:
        # Back to "Check your answers", unless the change needs another answer first (a new
        # postcode may change who can receive the application).
        missing = journey.first_incomplete()
        if missing is not None:
            return redirect(_step_url(service, missing) + "?change=1")
        return redirect("applications:check", service.slug)
    following = journey.next_step(step)
    if following is not None:
        return redirect(_step_url(service, following))
    return redirect("applications:check", service.slug)


def _eligibility_refusal(journey: Journey, step: str, data: dict[str, Any]) -> list[str]:
    service = journey.service
    if step == "landlord":
        tenant = data.get("landlord") != journey_forms.NONE_OF_THESE
        result = service_eligibility_check(
            service=service, age=None, employment_status=None, tenant_of_member=tenant
        )
    elif step == "eligibility":
        result = service_eligibility_check(
            service=service,
            age=data.get("age"),
            employment_status=data.get("employment_status"),
            tenant_of_member=None,
        )
    else:
        return []
    return result.reasons


def _summary_rows(journey: Journey) -> list[dict[str, Any]]:
    service = journey.service
    rows: list[dict[str, Any]] = []

    def add(step: str, key: Any, value: Any) -> None:
        rows.append(
            {
                "key": key,
                "value": value,
                "url": _step_url(service, step) + "?change=1",
                "step": step,
            }
        )

    landlord = _landlord(journey)
    add("landlord", _("Your landlord"), landlord.name if landlord else _("None of these"))
    if journey.data("eligibility"):
        if journey.get("eligibility", "age") is not None:
            add("eligibility", _("Age"), journey.get("eligibility", "age"))
        status = journey.get("eligibility", "employment_status")
        if status:
            add(
                "eligibility",
                _("What describes you best"),
                dict(EMPLOYMENT_STATUSES).get(status, status),
            )
    if journey.data("questions") is not None:
        form = journey_forms.QuestionsForm(
            service=service, translations=getattr(service, "question_translations", {})
        )
        for name, field in form.fields.items():
            value = journey.get("questions", name)
            if isinstance(field, forms.ChoiceField):
                value = {str(k): v for k, v in field.choices}.get(str(value), value)  # type: ignore[misc,union-attr]
            add("questions", field.label, value if value not in (None, "") else _("Not answered"))
    contact = journey.data("contact") or {}
    add("contact", _("Full name"), contact.get("full_name"))
    add("contact", _("Email address"), contact.get("email") or _("Not given"))
    add("contact", _("Phone number"), contact.get("phone") or _("Not given"))
    add("contact", _("Postcode"), contact.get("postcode"))
    if contact.get("address"):
        add("contact", _("Postal address"), contact["address"])
    add(
        "contact",
        _("How we contact you"),
        ContactMethod(contact.get("contact_method", "email")).label,
    )
    prefs = journey.data("preferences") or {}

    add(
        "preferences",
        _("Language"),
        settings.LANGUAGE_NATIVE_NAMES.get(prefs.get("preferred_language", ""), ""),
    )
    add("preferences", _("Support needs"), prefs.get("accessibility_needs") or _("None given"))
    equality = journey.data("equality") or {}
    given = any(equality.values())
    add("equality", _("Equality monitoring"), _("Answered") if given else _("Not answered"))
    return rows


def _application_input(
    request: HttpRequest, journey: Journey, key: str, *, notice_read: bool = False
) -> ApplicationInput:
    """The journey's answers as the application service takes them. KeyError or ValueError
    when a step's stored answers are incomplete (a session from an older version of a step)."""
    contact = journey.data("contact") or {}
    prefs = journey.data("preferences") or {}
    landlord = journey.get("landlord", "landlord")
    assisted = _assistance(request, journey.service)
    # A caseworker applying with a resident is not the resident: the application is not linked
    # to the caseworker's account.
    user = request.user if request.user.is_authenticated and not assisted else None
    return ApplicationInput(
        service=journey.service,
        landlord_id=None if landlord == journey_forms.NONE_OF_THESE else int(landlord),
        full_name=contact["full_name"],
        email=contact.get("email", ""),
        phone=contact.get("phone", ""),
        postcode=contact["postcode"],
        address=contact.get("address", ""),
        contact_method=contact["contact_method"],
        preferred_language=prefs.get("preferred_language", "en"),
        accessibility_needs=prefs.get("accessibility_needs", ""),
        answers={k.removeprefix("q_"): v for k, v in (journey.data("questions") or {}).items()},
        age=journey.get("eligibility", "age"),
        employment_status=journey.get("eligibility", "employment_status", ""),
        language=translation.get_language() or "en",
        idempotency_key=key,
        shared_with_member_ids=[int(x) for x in journey.get("sharing", "members", [])],
        consent=bool(journey.get("sharing", "consent")),
        equality=journey.data("equality") or None,
        user_id=user.pk if user else None,
        assisted=Assistance(
            user_id=assisted["by"],
            member_id=assisted["member"],
            channel=assisted["channel"],
            language=assisted["language"],
            interpreter_used=assisted["interpreter_used"],
            notice_read=notice_read,
        )
        if assisted
        else None,
    )


def _assistance(request: HttpRequest, service: Service) -> dict[str, Any] | None:
    """The caseworker's assisted application for this service, if this is one: started by
    the signed-in user, who may still work referrals."""
    assisted = request.session.get(ASSISTED_KEY)
    if not assisted or assisted.get("service") != service.slug:
        return None
    actor = actor_of(request)
    if (
        actor.user_id != assisted.get("by")
        or actor.member_id != assisted.get("member")
        or not actor.can(Perm.WORK_REFERRALS)
    ):
        return None
    return {**assisted, "language_name": settings.LANGUAGE_NATIVE_NAMES.get(assisted["language"])}


@never_cache
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, service_slug: str) -> HttpResponse:
    service = _service_or_404(service_slug)
    journey = Journey(request.session, service)
    assisted = _assistance(request, service)
    if request.method == "POST":
        submit_form = journey_forms.SubmitForm(request.POST, assisted=assisted is not None)
        key = request.POST.get("idempotency_key", "")
        done = done_for_key(request.session, key) if key else None
        if done is not None:
            # A double click, the back button or a retry: the application already exists.
            return redirect("applications:confirmation")
    else:
        submit_form = journey_forms.SubmitForm(assisted=assisted is not None)
    missing = journey.first_incomplete()
    if missing is not None:
        messages.info(request, _("Answer this question to continue your application."))
        return redirect(_step_url(service, missing))
    try:
        checked = application_check(
            data=_application_input(request, journey, journey.idempotency_key())
        )
    except ApplicationNotEligible as refusal:
        first = journey.steps()[0]
        return render(
            request,
            "applications/not_eligible.html",
            {"service": service, "reasons": refusal.reasons, "back_url": _step_url(service, first)},
        )
    except SharingRefused as refusal:
        # Who can receive it changed since the resident chose (an offer closed, say): choose
        # again, with the reason.
        journey.forget("sharing")
        messages.error(request, str(refusal))
        return redirect(_step_url(service, "sharing"))
    except ApplicationError as refusal:
        messages.error(request, str(refusal))
        return redirect("services:detail", service.slug)
    except (KeyError, ValueError, TypeError):
        # Answers stored by an older version of a step: they are asked again.
        logger.warning("application for %s had an incomplete journey", service.slug)
        journey.forget_all()
        messages.info(request, _("Answer this question to continue your application."))
        return redirect(_step_url(service, journey.steps()[0]))
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        if rate_limited(request, group="apply-submit", rate="10/h"):
            return render(request, "applications/too_many.html", status=429)
        if not submit_form.is_valid():
            errors = error_summary(submit_form)
        elif submit_form.is_spam:
            logger.info("application for %s refused: honeypot filled", service.slug)
            errors = [
                (
                    "id_website",
                    _(
                        "We could not send your application. Leave the field called "
                        "'Leave this blank' empty and try again."
                    ),
                )
            ]
        else:
            response = _submit(
                request,
                journey,
                submit_form.cleaned_data["idempotency_key"],
                notice_read=bool(submit_form.cleaned_data.get("notice_read")),
            )
            if response is not None:
                return response
            errors = [
                (
                    "main-content",
                    _("We could not send your application. Check your answers and try again."),
                )
            ]
    context = {
        "service": service,
        "rows": _summary_rows(journey),
        "sharing_text": checked.notice,
        "assisted": assisted,
        "submit_form": submit_form,
        "idempotency_key": journey.idempotency_key(),
        "errors": errors,
        "back_url": _step_url(service, "sharing"),
    }
    return render(request, "applications/check.html", context, status=400 if errors else 200)


def _submit(
    request: HttpRequest, journey: Journey, key: str, *, notice_read: bool
) -> HttpResponse | None:
    data = _application_input(request, journey, key, notice_read=notice_read)
    try:
        application = application_submit(data=data)
    except ApplicationError as error:
        messages.error(request, str(error))
        return None
    journey.finish(
        key=key,
        reference=application.reference,
        contact_method=data.contact_method,
        has_email=bool(data.email),
        assisted=data.assisted is not None,
    )
    if data.assisted is not None:
        request.session.pop(ASSISTED_KEY, None)
    return redirect("applications:confirmation")


@never_cache
@require_http_methods(["GET"])
def confirmation(request: HttpRequest) -> HttpResponse:
    done = _last_done(request)
    if done is None:
        return redirect("service_catalogue")
    return render(
        request,
        "applications/confirmation.html",
        {"done": done, "reference": done["reference"], "service": _done_service(done)},
    )


@never_cache
@require_http_methods(["GET"])
def letter(request: HttpRequest) -> HttpResponse:
    """A letter to print for a resident without email (or given to them at a visit): the
    reference and what happens next, nothing else about them."""
    done = _last_done(request)
    if done is None:
        return redirect("service_catalogue")
    return render(
        request,
        "applications/letter.html",
        {
            "reference": done["reference"],
            "service": _done_service(done),
            "today": timezone.localdate(),
        },
    )


def _last_done(request: HttpRequest) -> dict[str, Any] | None:
    """This session's last submission (the confirmation and the letter show only that)."""
    key = request.session.get("apply_last")
    return done_for_key(request.session, key) if key else None


def _done_service(done: dict[str, Any]) -> Service | None:
    service = service_get_open(slug=done["service"])
    if service is None:
        return None
    return service_localise([service], translation.get_language() or "en")[0]


# --- A caseworker applies with a resident ------------------------------------------------------


@staff_page(Perm.WORK_REFERRALS, member=True)
@never_cache
@require_http_methods(["GET", "POST"])
def assisted_start(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    """The same journey as the resident's own, made by a caseworker with the resident (on the
    phone, at a visit, by video call): it records who assisted, how and in which language."""
    services = list(service_list_open().order_by("name"))
    form = journey_forms.AssistedStartForm(request.POST or None, services=services)
    if request.method == "POST" and form.is_valid():
        service = next(s for s in services if s.slug == form.cleaned_data["service"])
        journey = Journey(request.session, service)
        journey.forget_all()  # a new resident: nothing of an earlier application carries over
        request.session[ASSISTED_KEY] = {
            "service": service.slug,
            "by": actor.user_id,
            "member": actor.member_id,
            "channel": form.cleaned_data["channel"],
            "language": form.cleaned_data["language"],
            "interpreter_used": form.cleaned_data["interpreter_used"],
        }
        return redirect(_step_url(service, journey.steps()[0]))
    return render(
        request,
        "applications/assisted_start.html",
        {"form": form, "errors": error_summary(form) if form.is_bound else []},
        status=400 if form.is_bound and form.errors else 200,
    )


# --- Status check -----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def status_start(request: HttpRequest) -> HttpResponse:
    form = journey_forms.StatusStartForm(request.POST or None)
    if request.method == "POST":
        if rate_limited(request, group="status-start", rate="10/15m"):
            return render(request, "applications/too_many.html", status=429)
        if form.is_valid() and not form.cleaned_data.get("website"):
            reference = form.cleaned_data["reference"]
            if not rate_limited(
                request, group="status-reference", key=lambda *_: reference, rate="5/h"
            ):
                status_code_issue(reference=reference)
            # The same answer whether or not the reference exists.
            request.session[STATUS_REFERENCE_KEY] = reference
            request.session.pop(STATUS_GRANT_KEY, None)
            return redirect("applications:status_code")
    return render(
        request,
        "applications/status_start.html",
        {"form": form, "errors": error_summary(form) if form.is_bound else []},
        status=400 if form.is_bound and form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def status_code(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(STATUS_REFERENCE_KEY)
    if not reference:
        return redirect("applications:status_start")
    form = journey_forms.StatusCodeForm(request.POST or None)
    if request.method == "POST":
        if rate_limited(request, group="status-code", rate="20/15m"):
            return render(request, "applications/too_many.html", status=429)
        if form.is_valid():
            grant = status_code_verify(reference=reference, code=form.cleaned_data["code"])
            if grant is not None:
                request.session.cycle_key()
                request.session[STATUS_GRANT_KEY] = {
                    "application_id": grant.application_id,
                    "member_id": grant.member_id,
                    "until": (timezone.now() + timedelta(minutes=STATUS_GRANT_MINUTES)).isoformat(),
                }
                request.session.pop(STATUS_REFERENCE_KEY, None)
                return redirect("applications:status_detail")
            form.add_error(
                "code",
                _(
                    "The code is wrong or has expired. Check the latest email we sent, "
                    "or ask for a new code."
                ),
            )
    return render(
        request,
        "applications/status_code.html",
        {
            "form": form,
            "reference": reference,
            "errors": error_summary(form) if form.is_bound else [],
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _granted(request: HttpRequest) -> tuple[int, int] | None:
    grant = request.session.get(STATUS_GRANT_KEY)
    if not grant:
        return None
    try:
        until = datetime.fromisoformat(grant["until"])
        if until < timezone.now():
            request.session.pop(STATUS_GRANT_KEY, None)
            return None
        return int(grant["application_id"]), int(grant["member_id"])
    except (KeyError, TypeError, ValueError):
        return None


RESIDENT_STATUS = {
    ReferralStatus.SUBMITTED: translation.gettext_lazy(
        "Received: we are finding the right association to help you"
    ),
    ReferralStatus.ROUTED: translation.gettext_lazy(
        "Sent to an association, waiting for them to accept it"
    ),
    ReferralStatus.DECLINED: translation.gettext_lazy("Being passed to another association"),
    ReferralStatus.ACCEPTED: translation.gettext_lazy("Accepted: the association will contact you"),
    ReferralStatus.IN_PROGRESS: translation.gettext_lazy("In progress"),
    ReferralStatus.OUTCOME_RECORDED: translation.gettext_lazy("Finished"),
    ReferralStatus.CLOSED: translation.gettext_lazy("Closed"),
    ReferralStatus.WITHDRAWN: translation.gettext_lazy("Withdrawn"),
}


def _decorate(view: Any) -> Any:
    referral = view.referral
    view.status_label = (
        RESIDENT_STATUS.get(referral.status, referral.status)
        if referral
        else RESIDENT_STATUS[ReferralStatus.SUBMITTED]
    )
    view.can_withdraw = view.application.withdrawn_at is None and (
        referral is None or referral_may_be_withdrawn(referral.status)
    )
    view.service = service_localise([view.application.service], translation.get_language() or "en")[
        0
    ]
    return view


@never_cache
@require_http_methods(["GET"])
def status_detail(request: HttpRequest) -> HttpResponse:
    granted = _granted(request)
    if granted is None:
        return redirect("applications:status_start")
    view = application_for_resident(application_id=granted[0], member_id=granted[1])
    if view is None:
        return redirect("applications:status_start")
    return render(request, "applications/status_detail.html", {"view": _decorate(view)})


@never_cache
@require_http_methods(["GET", "POST"])
def status_withdraw(request: HttpRequest) -> HttpResponse:
    granted = _granted(request)
    if granted is None:
        return redirect("applications:status_start")
    view = application_for_resident(application_id=granted[0], member_id=granted[1])
    if view is None:
        return redirect("applications:status_start")
    view = _decorate(view)
    if request.method == "POST" and view.can_withdraw:
        application_withdraw(application=view.application)
        messages.success(request, _("Your application has been withdrawn."))
        return redirect("applications:status_detail")
    return render(request, "applications/status_withdraw.html", {"view": view})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def mine(request: HttpRequest) -> HttpResponse:
    """A signed-in resident's applications, across members."""
    user_id = int(str(request.user.pk))
    views = [_decorate(v) for v in applications_for_user(user_id=user_id)]
    if request.method == "POST":
        reference = request.POST.get("reference", "")
        target = next(
            (v for v in views if v.application.reference == reference and v.can_withdraw), None
        )
        if target is None:
            raise Http404("No such application of yours.")
        application_withdraw(application=target.application, user_id=user_id)
        messages.success(request, _("Your application has been withdrawn."))
        return redirect("applications:mine")
    return render(request, "applications/mine.html", {"views": views})
