"""The staff workspace: HTTP in and out. Rules live in selectors (who sees what) and services
(what changes); a refused change becomes a message on the page, never a 500.

Each page works as a plain HTML form; with JavaScript, htmx swaps only the part that changed
(the inbox results when filtering, the notes list when adding a note).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.models import AuditAction, AuditEvent, AuditObjectType
from audit.services import audit_record
from dataprotection.selectors import consortium_overview
from kernel.tabular import CsvWriter
from members.actor import Actor, MemberActor
from members.pages import staff_page
from members.permissions import Perm
from members.scoping import consortium_scope
from referrals import selectors, services
from referrals.forms import (
    AuditSearchForm,
    ContactForm,
    DeclineForm,
    InboxSearchForm,
    NoteForm,
    OutcomeForm,
    ReferralFilter,
    RouteForm,
)
from referrals.models import CaseNote, Referral, ReferralStatus, RoutingDecision
from referrals.selectors import PAGE_SIZE, Tab

S = ReferralStatus


def _htmx(request: HttpRequest) -> bool:
    """Whether htmx asked for the page (django_htmx's middleware sets `request.htmx`)."""
    return bool(getattr(request, "htmx", False))


# --- the inbox -----------------------------------------------------------------------------------


class CappedPaginator(Paginator):
    """Counts up to selectors.COUNT_CAP rows, not the whole list: a member with 80,000 referrals
    does not pay for counting them on every page. Past the cap the page says so."""

    def __init__(self, object_list: Any, per_page: int, *, counted: QuerySet[Any]) -> None:
        super().__init__(object_list, per_page)
        # What to count: the list before its display columns are joined in.
        self.counted = counted

    @cached_property
    def count(self) -> int:
        return selectors.capped_count(self.counted)

    @property
    def is_capped(self) -> bool:
        return self.count > selectors.COUNT_CAP


@require_GET
@staff_page(Perm.VIEW_REFERRALS, member=True)
def inbox(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    tab = request.GET.get("tab", Tab.INCOMING)
    if tab not in Tab.ALL:
        tab = Tab.INCOMING
    now = timezone.now()
    data = request.GET.copy()
    data.pop("q", None)  # a search term comes only from the session (inbox_search), never a URL
    term = request.session.get(_search_key(actor), "")
    if term:
        data["q"] = term
    filterset = ReferralFilter(
        data,
        queryset=selectors.referral_inbox(
            actor=actor, tab=tab, now=now, open_only=not request.GET.get("status")
        ),
        member_id=actor.member_id,
        request=request,
    )
    filtered = filterset.is_bound and filterset.is_valid()
    # The tab counts are on the full page only (the htmx partial does not show them). With no
    # filter (sorting aside) the list is its tab, already counted: not counted twice.
    counts = None if _htmx(request) else selectors.inbox_counts(actor=actor, now=now)
    narrowed = filtered and any(
        value not in (None, "")
        for name, value in filterset.form.cleaned_data.items()
        if name != "sort"
    )
    resorted = filtered and filterset.form.cleaned_data.get("sort") not in (None, "", "newest")
    # Neither narrowed nor sorted otherwise: the tab's own list, as referral_inbox returned it,
    # which inbox_values reads with a prepared statement.
    queryset = filterset.qs if (narrowed or resorted) else filterset.queryset
    paginator = CappedPaginator(selectors.inbox_values(queryset), PAGE_SIZE, counted=queryset)
    if counts is not None and not narrowed:
        paginator.count = counts[tab]
    page = paginator.get_page(request.GET.get("page"))
    rows = selectors.inbox_rows(page.object_list, actor.member_id, now, tab=tab)
    if any(row.name for row in rows) or filterset.name_searched:
        audit_record(
            actor_id=actor.user_id,
            member_id=actor.member_id,
            action=AuditAction.VIEW,
            object_type=AuditObjectType.REFERRAL_INBOX,
            object_id=tab,
            reason="inbox: residents' names listed"
            + (" (search by name)" if filterset.name_searched else ""),
        )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("q", None)
    context = {
        "search_form": InboxSearchForm(
            initial={"q": term, "tab": tab, "filters": query.urlencode()}
        ),
        "searching": bool(term),
        "tab": tab,
        "tabs": [
            (Tab.INCOMING, _("Incoming")),
            (Tab.OUTGOING, _("Outgoing")),
            (Tab.OVERDUE, _("Overdue")),
        ],
        "counts": counts,
        "count_cap": selectors.COUNT_CAP,
        "filter": filterset,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
    }
    if _htmx(request):
        return render(request, "referrals/_inbox_results.html", context)
    return render(request, "referrals/inbox.html", context)


def _search_key(actor: Actor) -> str:
    # Keyed by member: a person with roles at two members never carries a search across.
    return f"referrals.inbox_search.{actor.member_id}"


@require_POST
@staff_page(Perm.VIEW_REFERRALS, member=True)
def inbox_search(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    """Post/Redirect/Get: the term is held in the session and the inbox URL never carries it."""
    form = InboxSearchForm(request.POST)
    valid = form.is_valid()
    term = form.cleaned_data["q"].strip() if valid else ""
    if "clear" in request.POST or not term:
        request.session.pop(_search_key(actor), None)
    else:
        request.session[_search_key(actor)] = term
    filters = QueryDict(form.cleaned_data["filters"] if valid else "", mutable=True)
    for personal_or_stale in ("q", "page", "tab"):
        filters.pop(personal_or_stale, None)
    tab = (
        form.cleaned_data["tab"] if valid and form.cleaned_data["tab"] in Tab.ALL else Tab.INCOMING
    )
    filters["tab"] = tab
    return redirect(f"{reverse('referrals:inbox')}?{filters.urlencode()}")


# --- the referral page ---------------------------------------------------------------------------


def _detail_context(actor: Actor, access: selectors.ReferralAccess) -> dict[str, Any]:
    return {
        "access": access,
        "referral": access.referral,
        "contact": selectors.referral_contact_for(access, actor),
        "timeline": selectors.referral_timeline(access),
        "outcomes": selectors.referral_outcomes(access.referral),
        "notes": _notes(access.referral),
        "note_form": NoteForm(),
        "contact_form": ContactForm(),
        "can_work": access.can_work and actor.can(Perm.WORK_REFERRALS),
        "can_note": actor.can(Perm.WORK_REFERRALS),
        "S": {s.name: s.value for s in S},
    }


def _notes(referral: Referral) -> list[CaseNote]:
    # Row-level security returns this member's notes only.
    return list(
        CaseNote.objects.filter(referral=referral).select_related("author").order_by("-created_at")
    )


@require_GET
@staff_page(Perm.VIEW_REFERRALS, member=True)
def detail(request: HttpRequest, actor: MemberActor, pk: int) -> HttpResponse:
    access = selectors.access_referral_by_id(actor, pk)
    return render(request, "referrals/detail.html", _detail_context(actor, access))


def _act(
    request: HttpRequest,
    actor: Actor,
    pk: int,
    action: Callable[[int, Actor], Any],
    done: str,
) -> HttpResponse:
    selectors.access_referral_by_id(actor, pk)  # the same 404 for not-a-party
    try:
        action(pk, actor)
    except services.ReferralError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("referrals:detail", pk=pk)


@require_POST
@staff_page(Perm.WORK_REFERRALS, member=True)
def accept(request: HttpRequest, actor: MemberActor, pk: int) -> HttpResponse:
    return _act(
        request,
        actor,
        pk,
        lambda rid, actor: services.referral_accept(referral_id=rid, actor=actor),
        _("Referral accepted. The resident's contact details are below."),
    )


@require_POST
@staff_page(Perm.WORK_REFERRALS, member=True)
def start(request: HttpRequest, actor: MemberActor, pk: int) -> HttpResponse:
    return _act(
        request,
        actor,
        pk,
        lambda rid, actor: services.referral_start(referral_id=rid, actor=actor),
        _("Work has started."),
    )


@require_POST
@staff_page(Perm.WORK_REFERRALS, member=True)
def close(request: HttpRequest, actor: MemberActor, pk: int) -> HttpResponse:
    return _act(
        request,
        actor,
        pk,
        lambda rid, actor: services.referral_close(referral_id=rid, actor=actor),
        _("Referral closed."),
    )


@require_POST
@staff_page(Perm.WORK_REFERRALS, member=True)
def record_contact(request: HttpRequest, actor: MemberActor, pk: int) -> HttpResponse:
    form = ContactForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _act(
        request,
        actor,
        pk,
        lambda rid, actor: services.referral_record_contact(
            referral_id=rid, actor=actor, note=note
        ),
        _("Contact recorded."),
    )


@require_http_methods(["GET", "POST"])
@staff_page(Perm.WORK_REFERRALS, member=True)
def decline(request: HttpRequest, actor: MemberActor, pk: int) -> HttpResponse:
    access = selectors.access_referral_by_id(actor, pk)
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_decline(
                referral_id=pk,
                actor=actor,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except services.ReferralError as exc:
            messages.error(request, exc.message)
            return redirect("referrals:detail", pk=pk)
        messages.success(
            request,
            _("Referral %(ref)s declined. It is being sent to the next provider.")
            % {"ref": access.referral.reference},
        )
        return redirect("referrals:inbox")
    return render(request, "referrals/decline.html", {"referral": access.referral, "form": form})


@require_http_methods(["GET", "POST"])
@staff_page(Perm.WORK_REFERRALS, member=True)
def record_outcome(request: HttpRequest, actor: MemberActor, pk: int) -> HttpResponse:
    access = selectors.access_referral_by_id(actor, pk)
    form = OutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.referral_record_outcome(
                referral_id=pk,
                actor=actor,
                type=data["type"],
                achieved_on=data["achieved_on"],
                hours_per_week=data.get("hours_per_week"),
                qualification_level=data.get("qualification_level"),
                no_outcome_reason=data.get("no_outcome_reason") or "",
            )
        except services.ReferralError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Outcome recorded."))
            return redirect("referrals:detail", pk=pk)
    return render(
        request,
        "referrals/outcome.html",
        {"referral": access.referral, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@staff_page(Perm.WORK_REFERRALS, member=True)
def add_note(request: HttpRequest, actor: MemberActor, pk: int) -> HttpResponse:
    access = selectors.access_referral_by_id(actor, pk)
    form = NoteForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.referral_note_add(referral_id=pk, actor=actor, body=form.cleaned_data["body"])
        except services.ReferralError as exc:
            error = exc.message
        else:
            form = NoteForm()
    else:
        error = str(form.errors["body"][0])
    if _htmx(request):
        return render(
            request,
            "referrals/_notes.html",
            {
                "referral": access.referral,
                "notes": _notes(access.referral),
                "note_form": form,
                "note_error": error,
                "can_note": True,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Note saved."))
    return redirect(reverse("referrals:detail", args=[pk]) + "#notes")


# --- the coordinator -----------------------------------------------------------------------------


@require_GET
@staff_page(Perm.VIEW_CONSORTIUM_QUEUES, member=False)
def coordinator(request: HttpRequest, actor: Actor) -> HttpResponse:
    with consortium_scope(reason="coordinator: referral queues", user_id=actor.user_id):
        context = {
            "awaiting": list(selectors.awaiting_routing()[:200]),
            "awaiting_after_minutes": settings.ROUTING_SWEEP_AFTER_SECONDS // 60,
            "unrouted": list(selectors.unrouted_queue()[:200]),
            "overdue": list(selectors.overdue_across_members()[:200]),
            "load": selectors.provider_load(),
            "now": timezone.now(),
            # Members the data sharing agreement keeps from receiving referrals, and why.
            "sharing": consortium_overview(),
        }
    return render(request, "referrals/coordinator.html", context)


@require_http_methods(["GET", "POST"])
@staff_page(Perm.ROUTE_REFERRALS, member=False)
def coordinator_route(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    with consortium_scope(reason=f"coordinator: route referral {pk}", user_id=actor.user_id):
        referral = (
            Referral.objects.select_related("service", "member", "provider", "application")
            .filter(pk=pk)
            .first()
        )
        if referral is None:
            raise Http404
        choices = selectors.route_choices(referral)
        form = RouteForm(request.POST or None, choices=choices)
        if request.method == "POST" and form.is_valid():
            try:
                services.referral_reroute(
                    referral_id=pk,
                    provider_id=form.cleaned_data["provider"],
                    actor=actor,
                    reason=form.cleaned_data["reason"],
                )
            except services.ReferralError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, _("Referral %(ref)s routed.") % {"ref": referral.reference}
                )
                return redirect("referrals:coordinator")
        decisions = [
            (d, selectors._reason_dicts(d.reasons))
            for d in RoutingDecision.objects.filter(referral=referral)
            .select_related("provider", "decided_by")
            .order_by("-decided_at")
        ]
        context = {"referral": referral, "form": form, "decisions": decisions}
        return render(request, "referrals/route.html", context, status=400 if form.errors else 200)


# --- the DPO's audit log -------------------------------------------------------------------------

EXPORT_LIMIT = 50_000


def _audit_queryset(actor: Actor, form: AuditSearchForm) -> Any:
    events = AuditEvent.objects.filter(member_id=actor.member_id).select_related("actor")
    if not form.is_valid():
        return events.none()
    data = form.cleaned_data
    tz = timezone.get_current_timezone()
    if data["date_from"]:
        events = events.filter(at__gte=datetime.combine(data["date_from"], time.min, tzinfo=tz))
    if data["date_to"]:
        events = events.filter(at__lte=datetime.combine(data["date_to"], time.max, tzinfo=tz))
    if data["action"]:
        events = events.filter(action=data["action"])
    if data["object_type"]:
        events = events.filter(object_type=data["object_type"])
    if data["object_id"]:
        events = events.filter(object_id=data["object_id"].strip())
    if data["actor"]:
        events = events.filter(actor__email__iexact=data["actor"])
    return events.order_by("-at", "-id")


@require_GET
@staff_page(Perm.VIEW_AUDIT_LOG, member=True)
def audit_log(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    form = AuditSearchForm(request.GET)
    page = Paginator(_audit_queryset(actor, form), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "referrals/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_GET
@staff_page(Perm.VIEW_AUDIT_LOG, member=True)
def audit_export(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    form = AuditSearchForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Correct the search before exporting."))
        return redirect("referrals:audit_log")
    writer = CsvWriter()  # escapes every cell (the actor's email too) against formula injection
    writer.writerow(["at", "actor", "action", "object_type", "object_id", "reason"])
    # Built inside the request's scope (row-level security), not streamed after it ends.
    count = 0
    for event in _audit_queryset(actor, form)[:EXPORT_LIMIT]:
        writer.writerow(
            [
                event.at.isoformat(),
                event.actor.email if event.actor else "",
                event.action,
                event.object_type,
                event.object_id,
                event.reason,
            ]
        )
        count += 1
    audit_record(
        actor_id=actor.user_id,
        member_id=actor.member_id,
        action=AuditAction.EXPORT,
        object_type=AuditObjectType.AUDIT_LOG,
        reason=f"DPO exported {count} audit events",
    )
    response = HttpResponse(writer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
