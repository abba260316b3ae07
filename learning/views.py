"""HTTP in and out for learning and development."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from audit.models import AuditAction, AuditObjectType
from audit.services import audit_record
from kernel.calendar import current_quarter
from learning import selectors, services
from learning.certificates import NotCompleted, certificate_pdf
from learning.models import BookingStatus, Course, CourseSession
from members.actor import MemberActor
from members.pages import staff_page
from members.permissions import Perm

BOOK = Perm.BOOK_LEARNING
MANAGE = Perm.MANAGE_LEARNING


@require_http_methods(["GET"])
@staff_page(BOOK, member=True)
def course_list(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    audience = request.GET.get("audience") or None
    if audience not in (None, "staff", "residents"):
        audience = None
    return render(
        request,
        "learning/course_list.html",
        {"courses": selectors.course_catalogue(audience=audience), "audience": audience},
    )


@require_http_methods(["GET"])
@staff_page(BOOK, member=True)
def course_detail(request: HttpRequest, actor: MemberActor, course_id: int) -> HttpResponse:
    course = selectors.access_course_by_id(actor, course_id)
    return render(
        request,
        "learning/course_detail.html",
        {"course": course, "sessions": selectors.upcoming_sessions(course)},
    )


class BookingForm(forms.Form):
    attendee = forms.ChoiceField(
        label=gettext_lazy("Who is the place for?"),
        help_text=gettext_lazy("You can book for yourself or a colleague at your association."),
    )

    def __init__(self, *args: Any, colleagues: Any, me: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(me.pk), _("Myself"))]
        choices += [
            (str(m.user_id), m.user.full_name or m.user.email)
            for m in colleagues
            if m.user_id != me.pk
        ]
        self.fields["attendee"].choices = choices  # type: ignore[attr-defined]
        self.initial.setdefault("attendee", str(me.pk))


@require_http_methods(["GET", "POST"])
@staff_page(BOOK, member=True)
def session_book(request: HttpRequest, actor: MemberActor, session_id: int) -> HttpResponse:
    session = selectors.access_session_by_id(actor, session_id)
    colleagues = list(selectors.colleagues_for_booking(member_id=actor.member_id))
    form = BookingForm(request.POST or None, colleagues=colleagues, me=actor.user)
    if request.method == "POST" and form.is_valid():
        attendee = next(
            (m.user for m in colleagues if str(m.user_id) == form.cleaned_data["attendee"]),
            actor.user,
        )
        try:
            booking = services.booking_create(actor=actor, session_id=session.pk, attendee=attendee)
        except services.LearningError as exc:
            form.add_error(None, str(exc))
        else:
            if booking.status == BookingStatus.CONFIRMED:
                messages.success(request, _("The place is booked."))
            else:
                messages.info(
                    request,
                    _(
                        "The session is full: you are on the waiting list. We will email you "
                        "if a place becomes free."
                    ),
                )
            return redirect("learning:booking_detail", booking.pk)
    return render(request, "learning/session_book.html", {"session": session, "form": form})


@require_http_methods(["GET"])
@staff_page(BOOK, member=True)
def booking_list(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    bookings = selectors.bookings_for_member(member_id=actor.member_id)
    quarter = current_quarter()
    return render(
        request,
        "learning/booking_list.html",
        {
            "bookings": bookings,
            "waiting": [b for b in bookings if b.status == BookingStatus.WAITING],
            "quarter": quarter,
        },
    )


@require_http_methods(["GET"])
@staff_page(BOOK, member=True)
def booking_detail(request: HttpRequest, actor: MemberActor, booking_id: int) -> HttpResponse:
    booking = selectors.access_booking_by_id(actor, booking_id)
    return render(
        request,
        "learning/booking_detail.html",
        {"booking": booking, "is_booker": booking.member_id == actor.member_id},
    )


@require_POST
@staff_page(BOOK, member=True)
def booking_cancel(request: HttpRequest, actor: MemberActor, booking_id: int) -> HttpResponse:
    booking = selectors.access_booking_by_id(actor, booking_id)
    try:
        services.booking_cancel(actor=actor, booking=booking)
    except services.LearningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The booking is cancelled."))
    return redirect("learning:booking_detail", booking.pk)


@require_POST
@staff_page(BOOK, member=True)
def offer_accept(request: HttpRequest, actor: MemberActor, booking_id: int) -> HttpResponse:
    booking = selectors.access_booking_by_id(actor, booking_id)
    if booking.member_id != actor.member_id:
        raise PermissionDenied
    try:
        services.offer_accept(actor=actor, booking=booking)
    except services.LearningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The place is yours."))
    return redirect("learning:booking_detail", booking.pk)


@require_http_methods(["GET"])
@staff_page(BOOK, member=True)
def certificate(request: HttpRequest, actor: MemberActor, booking_id: int) -> HttpResponse:
    booking = selectors.access_booking_by_id(actor, booking_id)
    try:
        pdf = certificate_pdf(booking=booking)
    except NotCompleted:
        messages.error(request, _("A certificate is available once the course is completed."))
        return redirect("learning:booking_detail", booking.pk)
    audit_record(
        actor_id=actor.user_id,
        member_id=actor.member_id,
        action=AuditAction.EXPORT,
        object_type=AuditObjectType.CERTIFICATE,
        object_id=booking.pk,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{booking.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET"])
@staff_page(MANAGE, member=True)
def provider_sessions(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    member_id = actor.member_id
    return render(
        request,
        "learning/provider_sessions.html",
        {
            "sessions": selectors.sessions_provided_by(member_id=member_id),
            "courses": Course.objects.filter(provider_id=member_id).order_by("title"),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_page(MANAGE, member=True)
def session_register(request: HttpRequest, actor: MemberActor, session_id: int) -> HttpResponse:
    session = selectors.access_provided_session_by_id(actor, session_id)
    provider_id = actor.member_id
    if request.method == "POST":
        try:
            booking_id = int(request.POST.get("booking", ""))
        except ValueError:
            return HttpResponseBadRequest("Choose a booking.")
        outcome = request.POST.get("outcome")
        if outcome not in ("completed", "attended", "absent"):
            return HttpResponseBadRequest("Choose attended, completed or did not attend.")
        booking = (
            selectors.session_register(session=session, provider_id=provider_id)
            .filter(pk=booking_id)
            .first()
        )
        if booking is None:
            raise PermissionDenied
        try:
            services.attendance_record(
                actor=actor,
                booking=booking,
                attended=outcome != "absent",
                completed=outcome == "completed",
            )
        except services.LearningError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Saved."))
        return redirect("learning:session_register", session.pk)
    bookings = list(selectors.session_register(session=session, provider_id=provider_id))
    return render(
        request,
        "learning/session_register.html",
        {
            "session": session,
            "places": [
                b for b in bookings if b.status in (BookingStatus.CONFIRMED, BookingStatus.OFFERED)
            ],
            "waiting": sorted(
                (b for b in bookings if b.status == BookingStatus.WAITING),
                key=lambda b: (b.queue_number or 0, b.pk),
            ),
            "other": [
                b
                for b in bookings
                if b.status
                not in (BookingStatus.CONFIRMED, BookingStatus.OFFERED, BookingStatus.WAITING)
            ],
        },
    )


@require_http_methods(["GET"])
@staff_page(BOOK, member=True)
def recharges(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    """What the member owes providers and is owed, this quarter (its own bookings both ways)."""
    quarter = current_quarter()
    rows = selectors.learning_recharges(period_start=quarter.start, period_end=quarter.end)
    member_id = actor.member_id
    return render(
        request,
        "learning/recharges.html",
        {
            "quarter": quarter,
            "paying": [r for r in rows if r["member"] == member_id and r["provider"] != member_id],
            "receiving": [
                r for r in rows if r["provider"] == member_id and r["member"] != member_id
            ],
        },
    )


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["title", "description", "audience", "qualification", "service", "is_published"]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class SessionForm(forms.ModelForm):
    class Meta:
        model = CourseSession
        fields = ["starts_at", "ends_at", "venue", "online_url", "capacity", "cost_per_place"]
        widgets = {
            "starts_at": DateTimeInput(format="%Y-%m-%dT%H:%M"),
            "ends_at": DateTimeInput(format="%Y-%m-%dT%H:%M"),
        }


@require_http_methods(["GET", "POST"])
@staff_page(MANAGE, member=True)
def course_create(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in CourseForm.Meta.fields}
        course = services.course_save(actor=actor, **fields)
        messages.success(request, _("Course saved. Now add its sessions."))
        return redirect("learning:session_create", course.pk)
    return render(request, "learning/course_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@staff_page(MANAGE, member=True)
def session_create(request: HttpRequest, actor: MemberActor, course_id: int) -> HttpResponse:
    course = selectors.access_course_by_id(actor, course_id)
    if course.provider_id != actor.member_id:
        raise Http404
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in SessionForm.Meta.fields}
        try:
            services.session_save(actor=actor, course=course, **fields)
        except services.LearningError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Session added."))
            return redirect("learning:provider_sessions")
    return render(request, "learning/session_form.html", {"form": form, "course": course})
