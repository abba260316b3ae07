"""Write referrals' histories as referrals/services.py would have written them, at chosen times.

The demo needs a year and a half of referrals in every state, and the real services stamp every
step with `timezone.now()` and write one row at a time (about 40 ms a step here): driving 1,500
referrals through them would take minutes. So this module takes each step the services take and
writes the same rows (the status change and its ReferralEvent, the audit row with the service's
own words, the routing decision with the engine's reasons, the SLA and sustainment flags the beat
sweeps set, the outbox messages still held) with the time the step happened, and saves them in
bulk. Routing is the real engine (referrals.routing.route, a pure function) over the real offers,
with each provider's load counted as the history unfolds.

tests/devdata/test_lifecycle.py drives the same paths through the real services and checks that
the rows are the same shape: the same events, audit reasons, routing reasons and outbox messages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import models

from accounts.models import User
from applications.models import EqualityMonitoring
from audit.models import AuditAction, AuditEvent, AuditObjectType
from dataprotection.selectors import SharingGate, SharingRecord
from kernel.calendar import LONDON, due_at
from members.models import Member
from notifications.task_names import (
    TASK_SEND_EMAIL,
    TASK_SEND_EMAIL_CONSORTIUM,
    TASK_SEND_RESIDENT_NOTICE,
)
from outbox.models import OutboxMessage
from referrals import routing
from referrals.models import (
    ALLOWED_TRANSITIONS,
    Application,
    Outcome,
    OutcomeType,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralStatus,
    Resident,
    RoutingDecision,
)
from referrals.task_names import TASK_ROUTE
from services.models import Offer, Service

S = ReferralStatus
# The beat's SLA sweep runs every quarter of an hour; its sustainment sweep at 06:40
# (referrals/schedule.py). A flag is set at the first sweep after the deadline.
SLA_SWEEP_MINUTES = 15
SUSTAINMENT_SWEEP = time(6, 40)
# outbox_prune keeps relayed messages 30 days: older steps have none left, as in a live portal.
OUTBOX_KEEP = timedelta(days=30)
RELAY_DELAY = timedelta(seconds=2)
BATCH = 2000


def _sustain_ids(outcome: Outcome, weeks: int) -> dict[str, Any]:
    return {"referral_id": outcome.referral.pk, "weeks": weeks}


def _sustain_key(outcome: Outcome, weeks: int) -> str:
    return f"sustain:{weeks}:{outcome.pk}"


def _next_sweep(after: datetime) -> datetime:
    local = after.astimezone(LONDON).replace(second=0, microsecond=0)
    minutes = SLA_SWEEP_MINUTES - local.minute % SLA_SWEEP_MINUTES
    return local + timedelta(minutes=minutes)


@dataclass
class Story:
    """One referral, its application and resident, as they stand after the steps so far."""

    resident: Resident
    application: Application
    referral: Referral
    equality: EqualityMonitoring | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    declined_by: set[int] = field(default_factory=set)

    @property
    def status(self) -> str:
        return self.referral.status


class Lifecycle:
    """The steps of referrals/services.py, each at a given time. Call save() once at the end."""

    def __init__(
        self,
        *,
        offers: list[Offer],
        services: list[Service],
        members: list[Member],
        now: datetime,
        sharing: SharingRecord | None = None,
    ) -> None:
        self.now = now
        # Who signed the data sharing agreement when: each day's gate, as routing saw it then.
        self.sharing = sharing or SharingRecord()
        self._gates: dict[date, SharingGate] = {}
        self.services = {s.pk: s for s in services}
        self.names = {m.pk: m.short_name for m in members}
        self.offers: dict[int, dict[int, Offer]] = {}
        for offer in offers:
            self.offers.setdefault(offer.service_id, {})[offer.member_id] = offer
        # (service, provider, (year, month)) -> referrals routed there that month, as the engine's
        # capacity rule counts them (referrals.routing.provider_load_this_month).
        self.load: Counter[tuple[int, int, tuple[int, int]]] = Counter()
        self.stories: list[Story] = []
        self._events: list[ReferralEvent] = []
        self._decisions: list[RoutingDecision] = []
        # Rows that need the primary keys of the rows above: built once those are saved.
        self._later: list[Callable[[], AuditEvent | OutboxMessage]] = []

    # --- what a resident submits (applications/services.py: _create) ----------------------------

    def submit(self, story: Story, at: datetime) -> Story:
        referral, application = story.referral, story.application
        application.submitted_at = at
        application.consent_given_at = at
        referral.submitted_at = referral.updated_at = at
        referral.status = S.SUBMITTED
        self.stories.append(story)
        self._audit(
            at,
            None,
            referral.member_id,
            AuditObjectType.APPLICATION,
            application,
            "resident application",
            action=AuditAction.CREATE,
        )
        self._outbox(
            at,
            TASK_ROUTE,
            lambda: {"referral_id": referral.pk},
            referral.member_id,
            lambda: f"route:{referral.pk}",
        )
        self._notice(
            at,
            "application_received",
            referral.member_id,
            lambda: {"application_id": application.pk},
            lambda: f"application_received:{application.pk}",
        )
        return story

    # --- routing (referral_route, referral_reroute, _send_to) ------------------------------------

    def route(self, story: Story, at: datetime) -> int | None:
        """The engine's choice, recorded as referral_route records it. Returns the provider."""
        referral = story.referral
        if referral.status not in (S.SUBMITTED, S.DECLINED):
            raise ValueError(f"routing leaves a {referral.status} referral alone")
        # referral_snapshot_contact, called first, copies the accessibility needs.
        if not referral.accessibility_needs and story.application.accessibility_needs:
            referral.accessibility_needs = story.application.accessibility_needs[:500]
        service = self.services[referral.service_id]
        result = routing.route(
            routing.RoutingContext(
                referral_id=0,
                service_id=referral.service_id,
                landlord_id=referral.member_id,
                district=referral.area,
                language=referral.language,
                consented_member_ids=frozenset(
                    int(m) for m in story.application.shared_with_member_ids
                ),
                declined_member_ids=frozenset(story.declined_by),
                sharing_blocked=self.gate(at).blocked,
            ),
            self._candidates(referral.service_id, story, at),
            routing.rules_for(service.routing_rules),
        )
        self._decisions.append(
            RoutingDecision(
                member_id=referral.member_id,
                referral=referral,
                provider_id=result.provider_id,
                decided_at=at,
                reasons=[r.as_dict() for r in result.reasons],
                note=result.summary[:500],
            )
        )
        if result.provider_id is not None:
            self._send_to(story, result.provider_id, at, actor=None, reason="engine")
            self._audit(
                at,
                None,
                referral.member_id,
                AuditObjectType.REFERRAL,
                referral,
                f"routed to member {result.provider_id} by the engine",
            )
        else:
            referral.provider_id = None
            referral.unrouted_since = referral.unrouted_since or at
            referral.updated_at = at
            self._audit(
                at,
                None,
                referral.member_id,
                AuditObjectType.REFERRAL,
                referral,
                "no member fits: unrouted queue",
            )
            since = referral.unrouted_since
            self._email(
                at,
                "referral_unrouted",
                None,
                lambda: {"referral_id": referral.pk},
                lambda: f"referral_unrouted:{referral.pk}:{since.timestamp()}",
            )
        return result.provider_id

    def gate(self, at: datetime) -> SharingGate:
        """The data sharing gate of the day `at` falls on (dataprotection.selectors)."""
        day = at.astimezone(LONDON).date()
        if day not in self._gates:
            self._gates[day] = self.sharing.gate(day)
        return self._gates[day]

    def route_choices(self, story: Story, at: datetime) -> list[int]:
        """Whom a coordinator may choose at `at` (selectors.route_choices): consented, offering,
        not declined, not the current provider, not gated by the data sharing agreement."""
        consented = {int(m) for m in story.application.shared_with_member_ids}
        offering = {
            m for m, o in self.offers.get(story.referral.service_id, {}).items() if o.is_active
        }
        current = {story.referral.provider_id} if story.referral.provider_id else set()
        allowed = (consented & offering) - story.declined_by - current
        return sorted(allowed - set(self.gate(at).blocked))

    def route_by_hand(
        self, story: Story, at: datetime, *, provider_id: int, coordinator: User, reason: str
    ) -> None:
        """referral_reroute: the coordinator's choice, with the reason they gave."""
        referral = story.referral
        if provider_id not in self.route_choices(story, at):
            raise ValueError("the coordinator may not route there")
        name = self.names[provider_id]
        self._decisions.append(
            RoutingDecision(
                member_id=referral.member_id,
                referral=referral,
                provider_id=provider_id,
                decided_at=at,
                decided_by=coordinator,
                reasons=[
                    routing.Reason(
                        provider_id,
                        name,
                        "manual",
                        "chosen",
                        f"{name} chosen by the coordinator: {reason}",
                    ).as_dict()
                ],
                note=reason[:500],
            )
        )
        self._send_to(story, provider_id, at, actor=coordinator, reason="manual", note=reason)
        # Under the coordinator's consortium scope the audit row is the landlord's.
        self._audit(
            at,
            coordinator,
            referral.member_id,
            AuditObjectType.REFERRAL,
            referral,
            f"routed by hand to member {provider_id}",
        )

    def _candidates(self, service_id: int, story: Story, at: datetime) -> list[routing.Candidate]:
        offers = self.offers.get(service_id, {})
        consented = {int(m) for m in story.application.shared_with_member_ids}
        month = self._month(at)
        return [
            routing.Candidate(
                member_id=pk,
                name=self.names[pk],
                offer=offers.get(pk),
                routed_this_month=self.load[(service_id, pk, month)] if pk in offers else 0,
            )
            for pk in sorted(set(offers) | consented)
            if pk in self.names
        ]

    @staticmethod
    def _month(at: datetime) -> tuple[int, int]:
        local = at.astimezone(LONDON)
        return (local.year, local.month)

    def _send_to(
        self,
        story: Story,
        provider_id: int,
        at: datetime,
        *,
        actor: User | None,
        reason: str,
        note: str = "",
    ) -> None:
        referral = story.referral
        self._transition(
            story, S.ROUTED, at, actor=actor, reason=reason, note=note, provider_id=provider_id
        )
        service = self.services[referral.service_id]
        referral.provider_id = provider_id
        referral.routed_at = at
        referral.unrouted_since = None
        referral.accepted_at = None
        referral.accepted_by = None
        referral.sla_accept_due = due_at(at, service.sla_accept_days)
        referral.sla_accept_breached = False
        self.load[(referral.service_id, provider_id, self._month(at))] += 1
        self._email(
            at,
            "referral_new",
            provider_id,
            lambda: {"referral_id": referral.pk},
            lambda: f"referral_new:{referral.pk}:{provider_id}:{at.timestamp()}",
        )

    # --- the provider's steps ---------------------------------------------------------------------

    def accept(self, story: Story, at: datetime, worker: User) -> None:
        referral = story.referral
        self._flag_accept_clock(story, until=at)
        self._transition(story, S.ACCEPTED, at, actor=worker)
        referral.accepted_at = at
        referral.accepted_by = worker
        if referral.sla_accept_due and at > referral.sla_accept_due:
            referral.sla_accept_breached = True
        service = self.services[referral.service_id]
        referral.sla_first_contact_due = due_at(at, service.sla_first_contact_days)
        self._audit(
            at, worker, referral.provider_id, AuditObjectType.REFERRAL, referral, "accepted"
        )
        self._email_resident(story, at)

    def decline(self, story: Story, at: datetime, worker: User, *, reason: str, note: str) -> None:
        referral = story.referral
        self._flag_accept_clock(story, until=at)
        self._transition(story, S.DECLINED, at, actor=worker, reason=reason, note=note)
        referral.declined_at = at
        referral.declined_by = worker
        referral.decline_count += 1
        assert referral.provider_id is not None  # noqa: S101 - only a provider declines
        story.declined_by.add(referral.provider_id)
        # The engine's load count leaves out declined referrals (provider_load_this_month).
        if referral.routed_at is not None:
            self.load[
                (referral.service_id, referral.provider_id, self._month(referral.routed_at))
            ] -= 1
        self._audit(
            at,
            worker,
            referral.provider_id,
            AuditObjectType.REFERRAL,
            referral,
            f"declined: {reason}",
        )
        count = referral.decline_count
        self._outbox(
            at,
            TASK_ROUTE,
            lambda: {"referral_id": referral.pk},
            referral.member_id,
            lambda: f"route:{referral.pk}:decline:{count}",
        )

    def contact(self, story: Story, at: datetime, worker: User, note: str) -> None:
        referral = story.referral
        self._flag_contact_clock(story, until=at)
        self._event(story, ReferralEventKind.CONTACT, at, actor=worker, note=note)
        if referral.first_contact_at is None:
            referral.first_contact_at = at
            if referral.sla_first_contact_due and at > referral.sla_first_contact_due:
                referral.sla_first_contact_breached = True
        referral.updated_at = at
        self._audit(
            at, worker, referral.provider_id, AuditObjectType.REFERRAL, referral, "contact recorded"
        )

    def start(self, story: Story, at: datetime, worker: User) -> None:
        self._flag_contact_clock(story, until=at)
        self._transition(story, S.IN_PROGRESS, at, actor=worker)
        story.referral.in_progress_at = at
        self._audit(
            at,
            worker,
            story.referral.provider_id,
            AuditObjectType.REFERRAL,
            story.referral,
            "work started",
        )

    def record_outcome(
        self,
        story: Story,
        at: datetime,
        worker: User,
        *,
        type: str,  # noqa: A002 - the outcome's type, named as in the model
        achieved_on: date,
        hours_per_week: Decimal | None = None,
        qualification_level: int | None = None,
        no_outcome_reason: str = "",
    ) -> Outcome:
        referral = story.referral
        if achieved_on > at.astimezone(LONDON).date():
            raise ValueError("an outcome is not recorded before it happens")
        if referral.status == S.CLOSED:
            if type not in (OutcomeType.JOB_SUSTAINED_13, OutcomeType.JOB_SUSTAINED_26):
                raise ValueError("a closed referral takes only a sustained job")
            referral.updated_at = at
        else:
            self._flag_contact_clock(story, until=at)
            self._transition(story, S.OUTCOME_RECORDED, at, actor=worker, reason=type)
            referral.outcome_recorded_at = referral.outcome_recorded_at or at
        if referral.provider_id is None:
            raise ValueError("only a provider records an outcome")
        outcome = Outcome(
            member_id=referral.member_id,
            provider_id=referral.provider_id,
            referral=referral,
            service_id=referral.service_id,
            type=type,
            achieved_on=achieved_on,
            hours_per_week=hours_per_week if type == OutcomeType.JOB_STARTED else None,
            qualification_level=qualification_level if type == OutcomeType.QUALIFICATION else None,
            no_outcome_reason=no_outcome_reason[:300] if type == OutcomeType.NO_OUTCOME else "",
            recorded_at=at,
            recorded_by=worker,
            is_synthetic=True,
        )
        story.outcomes.append(outcome)
        self._audit(
            at,
            worker,
            referral.provider_id,
            AuditObjectType.REFERRAL,
            referral,
            f"outcome recorded: {type}",
        )
        return outcome

    def close(self, story: Story, at: datetime, worker: User) -> None:
        if not story.outcomes:
            raise ValueError("a referral closes only once an outcome is recorded")
        self._transition(story, S.CLOSED, at, actor=worker)
        story.referral.closed_at = at
        story.referral.closed_by = worker
        self._audit(
            at,
            worker,
            story.referral.provider_id,
            AuditObjectType.REFERRAL,
            story.referral,
            "closed",
        )
        self._email_resident(story, at)

    # --- the resident (applications.services.application_withdraw) --------------------------------

    def withdraw(self, story: Story, at: datetime) -> None:
        """The resident withdraws with their reference and an emailed code (no account)."""
        referral, application = story.referral, story.application
        self._flag_accept_clock(story, until=at)
        self._flag_contact_clock(story, until=at)
        application.withdrawn_at = at
        self._transition(story, S.WITHDRAWN, at, actor=None, reason="resident")
        referral.withdrawn_at = at
        self._audit(
            at,
            None,
            referral.member_id,
            AuditObjectType.REFERRAL,
            referral,
            "withdrawn by the resident",
        )
        self._email_resident(story, at)
        if referral.provider_id:
            self._email(
                at,
                "referral_withdrawn",
                referral.provider_id,
                lambda: {"referral_id": referral.pk},
                lambda: f"referral_withdrawn:{referral.pk}",
            )
        self._audit(
            at,
            None,
            referral.member_id,
            AuditObjectType.APPLICATION,
            application,
            "withdrawn by the resident",
        )

    # --- what the beat's sweeps have done by now --------------------------------------------------

    def sweep(self, story: Story) -> None:
        """The SLA flags and sustainment reminders referral_sla_sweep and
        referral_sustainment_sweep would have set by `now` on a referral left as it is."""
        self._flag_accept_clock(story, until=self.now)
        self._flag_contact_clock(story, until=self.now)
        today = self.now.astimezone(LONDON).date()
        for outcome in story.outcomes:
            if outcome.type != OutcomeType.JOB_STARTED:
                continue
            for weeks, field_name, sustained in (
                (13, "sustain_13_reminded_at", OutcomeType.JOB_SUSTAINED_13),
                (26, "sustain_26_reminded_at", OutcomeType.JOB_SUSTAINED_26),
            ):
                day = outcome.achieved_on + timedelta(weeks=weeks)
                swept = datetime.combine(day, SUSTAINMENT_SWEEP, tzinfo=LONDON)
                if day > today or swept > self.now:
                    continue
                recorded = [
                    o.recorded_at for o in story.outcomes if o.type == sustained and o.recorded_at
                ]
                if recorded and min(recorded) <= swept:
                    continue  # recorded before the reminder fell due: none was sent
                setattr(outcome, field_name, swept)
                self._event(
                    story,
                    ReferralEventKind.REMINDER,
                    swept,
                    reason=f"sustained_{weeks}",
                    provider_id=outcome.provider_id,
                )
                self._email(
                    swept,
                    "referral_sustainment_due",
                    outcome.provider_id,
                    partial(_sustain_ids, outcome, weeks),
                    partial(_sustain_key, outcome, weeks),
                )

    def _flag_accept_clock(self, story: Story, *, until: datetime) -> None:
        referral = story.referral
        due = referral.sla_accept_due
        if referral.status != S.ROUTED or due is None or referral.sla_accept_breached:
            return
        swept = _next_sweep(due)
        if swept <= until:
            referral.sla_accept_breached = True
            self._breach(story, "accept", swept)

    def _flag_contact_clock(self, story: Story, *, until: datetime) -> None:
        referral = story.referral
        due = referral.sla_first_contact_due
        if (
            referral.status not in (S.ACCEPTED, S.IN_PROGRESS)
            or referral.first_contact_at is not None
            or due is None
            or referral.sla_first_contact_breached
        ):
            return
        swept = _next_sweep(due)
        if swept <= until:
            referral.sla_first_contact_breached = True
            self._breach(story, "first_contact", swept)

    def _breach(self, story: Story, clock: str, at: datetime) -> None:
        referral = story.referral
        provider_id = referral.provider_id
        self._event(story, ReferralEventKind.SLA_BREACH, at, reason=clock)
        self._email(
            at,
            "referral_sla_overdue",
            provider_id,
            lambda: {"referral_id": referral.pk, "clock": clock},
            lambda: f"sla:{clock}:{referral.pk}:{provider_id}",
        )
        self._email(
            at,
            "referral_sla_escalation",
            None,
            lambda: {"referral_id": referral.pk, "clock": clock},
            lambda: f"sla-escalation:{clock}:{referral.pk}:{provider_id}",
        )
        self._audit(
            at, None, referral.member_id, AuditObjectType.REFERRAL, referral, f"SLA missed: {clock}"
        )

    # --- the rows ---------------------------------------------------------------------------------

    def _transition(
        self,
        story: Story,
        to: str,
        at: datetime,
        *,
        actor: User | None,
        reason: str = "",
        note: str = "",
        provider_id: int | None = None,
    ) -> None:
        referral = story.referral
        if to not in ALLOWED_TRANSITIONS[referral.status]:
            raise ValueError(f"a {referral.status} referral cannot become {to}")
        self._events.append(
            ReferralEvent(
                member_id=referral.member_id,
                provider_id=provider_id if provider_id is not None else referral.provider_id,
                referral=referral,
                kind=ReferralEventKind.TRANSITION,
                from_status=referral.status,
                to_status=to,
                at=at,
                actor=actor,
                reason=reason,
                note=note[:500],
            )
        )
        referral.status = to
        referral.updated_at = at

    def _event(
        self,
        story: Story,
        kind: str,
        at: datetime,
        *,
        actor: User | None = None,
        reason: str = "",
        note: str = "",
        provider_id: int | None = None,
    ) -> None:
        referral = story.referral
        self._events.append(
            ReferralEvent(
                member_id=referral.member_id,
                provider_id=provider_id if provider_id is not None else referral.provider_id,
                referral=referral,
                kind=kind,
                at=at,
                actor=actor,
                reason=reason,
                note=note.strip()[:500],
            )
        )

    def _audit(
        self,
        at: datetime,
        actor: User | None,
        member_id: int | None,
        object_type: AuditObjectType,
        obj: models.Model,
        reason: str,
        *,
        action: str = AuditAction.CHANGE,
    ) -> None:
        actor_id = actor.pk if actor else None
        self._later.append(
            lambda: AuditEvent(
                at=at,
                actor_id=actor_id,
                member_id=member_id,
                action=action,
                object_type=object_type,
                object_id=str(obj.pk),
                reason=reason[:300],
            )
        )

    def _email_resident(self, story: Story, at: datetime) -> None:
        referral = story.referral
        status = referral.status
        self._notice(
            at,
            "referral_status",
            referral.member_id,
            lambda: {"referral_id": referral.pk, "status": status},
            lambda: f"referral_status:{referral.pk}:{status}:{at.timestamp()}",
        )

    def _notice(
        self,
        at: datetime,
        kind: str,
        member_id: int,
        ids: Callable[[], dict[str, Any]],
        dedupe: Callable[[], str],
    ) -> None:
        """A notice to the resident, as resident_notify queues it (by email or text, chosen
        when sent)."""
        self._outbox(
            at, TASK_SEND_RESIDENT_NOTICE, lambda: {"kind": kind, "ids": ids()}, member_id, dedupe
        )

    def _email(
        self,
        at: datetime,
        kind: str,
        member_id: int | None,
        ids: Callable[[], dict[str, Any]],
        dedupe: Callable[[], str],
    ) -> None:
        task = TASK_SEND_EMAIL if member_id else TASK_SEND_EMAIL_CONSORTIUM
        self._outbox(at, task, lambda: {"kind": kind, "ids": ids()}, member_id, dedupe)

    def _outbox(
        self,
        at: datetime,
        task: str,
        kwargs: Callable[[], dict[str, Any]],
        member_id: int | None,
        dedupe: Callable[[], str],
    ) -> None:
        """A message as outbox_enqueue stores it, already relayed and consumed (the live portal
        did both seconds after the step). Only the last 30 days: outbox_prune removed older ones."""
        if self.now - at > OUTBOX_KEEP:
            return
        self._later.append(
            lambda: OutboxMessage(
                task_name=task,
                kwargs=kwargs(),
                scope_member_id=member_id,
                dedupe_key=dedupe(),
                created_at=at,
                available_at=at,
                relayed_at=at + RELAY_DELAY,
                consumed_at=at + RELAY_DELAY,
                attempts=1,
            )
        )

    def save(self) -> int:
        """Write every row, parents first. Returns how many referrals were written."""
        stories = self.stories
        Resident.objects.bulk_create([s.resident for s in stories], batch_size=BATCH)
        Application.objects.bulk_create([s.application for s in stories], batch_size=BATCH)
        Referral.objects.bulk_create([s.referral for s in stories], batch_size=BATCH)
        EqualityMonitoring.objects.bulk_create(
            [s.equality for s in stories if s.equality is not None], batch_size=BATCH
        )
        Outcome.objects.bulk_create([o for s in stories for o in s.outcomes], batch_size=BATCH)
        RoutingDecision.objects.bulk_create(self._decisions, batch_size=BATCH)
        ReferralEvent.objects.bulk_create(self._events, batch_size=BATCH)
        later = [build() for build in self._later]
        AuditEvent.unscoped_objects.bulk_create(
            [row for row in later if isinstance(row, AuditEvent)], batch_size=BATCH
        )
        # A dedupe key is unique: the same business event enqueued twice is one message.
        messages: dict[str | None, OutboxMessage] = {}
        for row in later:
            if isinstance(row, OutboxMessage):
                messages.setdefault(row.dedupe_key, row)
        OutboxMessage.objects.bulk_create(list(messages.values()), batch_size=BATCH)
        return len(stories)
