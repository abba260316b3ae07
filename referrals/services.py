"""Every change to a referral, in one place.

Each service locks the referral row (`select_for_update`), checks the move against
ALLOWED_TRANSITIONS (referrals/models.py), records who did it and when, bumps `updated_at`,
writes the audit log, and queues its side effects (emails, re-routing) through the outbox in the
same transaction. They raise ReferralError subclasses with a message fit to show a person; the
views turn those into a message on the page.

Services run inside the caller's scope: a request's member scope, a task's member scope, or the
coordinator's audited consortium scope. Row-level security decides what they can see and write,
so a provider's service can never touch a referral it is not a party to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.models import AuditAction, AuditObjectType
from audit.services import audit_record
from dataprotection.selectors import sharing_gate
from kernel.calendar import due_at
from kernel.errors import DomainError
from members.actor import Actor
from members.models import Member
from members.permissions import Perm
from members.scoping import current_scope, member_scope
from notifications.registry import SmsRecipient
from notifications.services import email_enqueue, resident_notify
from notifications.sms import same_number
from outbox.services import outbox_enqueue
from referrals import routing
from referrals.models import (
    ALLOWED_TRANSITIONS,
    TAKEN_ON_STATUSES,
    Application,
    CaseNote,
    DeclineReason,
    Outcome,
    OutcomeType,
    Referral,
    ReferralContact,
    ReferralEvent,
    ReferralEventKind,
    ReferralStatus,
    Resident,
    RoutingDecision,
    referral_may_be_withdrawn,
)
from referrals.task_names import TASK_ROUTE
from services.models import Offer, Service

logger = logging.getLogger(__name__)
S = ReferralStatus


class ReferralError(DomainError):
    """A refusal with a message for the person who asked."""


class InvalidTransition(ReferralError):
    status = 409
    code = "invalid_transition"


class AlreadyTaken(ReferralError):
    status = 409
    code = "already_taken"


class NotAllowed(ReferralError):
    status = 403
    code = "not_allowed"


class InvalidInput(ReferralError):
    status = 400
    code = "invalid_input"


# --- helpers -------------------------------------------------------------------------------------


def _lock(referral_id: int) -> Referral:
    """The referral, locked until the transaction ends. The caller's scope decides visibility;
    a referral the caller may not see does not exist for it."""
    referral = Referral.objects.select_for_update(of=("self",)).filter(pk=referral_id).first()
    if referral is None:
        raise NotAllowed(_("That referral was not found."))
    return referral


def _require(actor: Actor, perm: Perm) -> None:
    if not actor.can(perm):
        raise NotAllowed(_("You do not have permission to do that."))


def _require_provider(referral: Referral, actor: Actor) -> None:
    _require(actor, Perm.WORK_REFERRALS)
    if actor.member_id is None or referral.provider_id != actor.member_id:
        raise NotAllowed(_("Only the member delivering this referral can do that."))


def _audit_member_id(referral: Referral) -> int | None:
    """Audit rows belong to the member whose scope did the work (row-level security allows no
    other); under the consortium scope, to the resident's landlord."""
    scope = current_scope()
    if scope is not None and scope.member_id is not None:
        return scope.member_id
    return referral.member_id


def _audit(referral: Referral, actor_id: int | None, reason: str, action: str = "") -> None:
    audit_record(
        actor_id=actor_id,
        member_id=_audit_member_id(referral),
        action=action or AuditAction.CHANGE,
        object_type=AuditObjectType.REFERRAL,
        object_id=referral.pk,
        reason=reason,
    )


def _status_label(status: str) -> str:
    return str(ReferralStatus(status).label)


def _transition(
    referral: Referral,
    to: str,
    *,
    actor_id: int | None,
    reason: str = "",
    note: str = "",
    provider_id: int | None = None,
) -> ReferralEvent:
    if to not in ALLOWED_TRANSITIONS[referral.status]:
        raise InvalidTransition(
            _("A referral that is “%(current)s” cannot become “%(target)s”.")
            % {"current": _status_label(referral.status), "target": _status_label(to)}
        )
    event = ReferralEvent.objects.create(
        member_id=referral.member_id,
        provider_id=provider_id if provider_id is not None else referral.provider_id,
        referral=referral,
        kind=ReferralEventKind.TRANSITION,
        from_status=referral.status,
        to_status=to,
        actor_id=actor_id,
        reason=reason,
        note=note[:500],
    )
    referral.status = to
    referral.updated_at = timezone.now()
    return event


def _notify_resident(referral: Referral, kind: str = "referral_status") -> None:
    # By email or text (referrals.channels), chosen when sent, in the landlord's scope: the
    # landlord holds the resident's record, which the provider making the change cannot read.
    resident_notify(
        kind=kind,
        member_id=referral.member_id,
        ids={"referral_id": referral.pk, "status": referral.status},
        dedupe_key=f"{kind}:{referral.pk}:{referral.status}:{referral.updated_at.timestamp()}",
    )


# --- routing -------------------------------------------------------------------------------------


def referral_snapshot_contact(*, referral: Referral) -> ReferralContact:
    """Copy the resident's contact details for the provider, once (landlord scope)."""
    existing = ReferralContact.objects.filter(referral=referral).first()
    if existing is not None:
        return existing
    application = Application.objects.get(pk=referral.application_id)
    # Locked: a refused text recorded at the same moment (resident_sms_result_record) either
    # lands before this reads the record, or finds this snapshot once it is committed.
    resident = Resident.objects.select_for_update().get(pk=application.resident_id)
    if referral.resident_user_id is None and resident.user_id is not None:
        # The resident signed up after applying: let them see the referral too.
        referral.resident_user_id = resident.user_id
    if not referral.accessibility_needs and application.accessibility_needs:
        referral.accessibility_needs = application.accessibility_needs[:500]
    contact = referral_contact_build(referral=referral, resident=resident, application=application)
    contact.save()
    return contact


def referral_contact_build(
    *, referral: Referral, resident: Resident, application: Application | None = None
) -> ReferralContact:
    """The snapshot of contact details a provider sees once it accepts (unsaved): the details
    submitted with this referral's application, never whatever the Resident row holds now (a
    later application with the same email must not redirect this provider). An application
    stored without a snapshot (demo and scale data) falls back to the resident's record."""
    if application is not None and application.contact_full_name:
        contact = ReferralContact(
            member_id=referral.member_id,
            referral=referral,
            full_name=application.contact_full_name,
            email=application.contact_email,
            phone=application.contact_phone,
            postcode=application.contact_postcode,
            address=application.contact_address,
            date_of_birth=resident.date_of_birth,
            preferred_language=application.contact_preferred_language
            or resident.preferred_language,
            contact_method=application.contact_method or resident.contact_method,
        )
    else:
        contact = ReferralContact(
            member_id=referral.member_id,
            referral=referral,
            full_name=resident.full_name,
            email=resident.email,
            phone=resident.phone,
            postcode=resident.postcode,
            address=resident.address,
            date_of_birth=resident.date_of_birth,
            preferred_language=resident.preferred_language,
            contact_method=resident.contact_method,
        )
    if resident.sms_failed_at is not None and same_number(resident.sms_failed_phone, contact.phone):
        contact.sms_failed_at = resident.sms_failed_at
        contact.sms_failure_reason = resident.sms_failure_reason
    return contact


def resident_sms_result_record(*, recipient: SmsRecipient, failure: str | None) -> None:
    """How a text to a resident went (notifications tells every outcome, referrals/apps.py):
    a refused number is written on the resident's record and on the contact snapshots with that
    number, which are what a provider's caseworker sees ("texts to this number fail: call
    instead"); a text that went through to a number clears both for that number. Runs in the
    landlord's scope (the text's own, or entered here for the status-check code, which is sent
    outside any scope)."""
    if recipient.resident_id is None or recipient.member_id is None:
        return
    with member_scope(recipient.member_id):
        resident = Resident.objects.select_for_update().filter(pk=recipient.resident_id).first()
        if resident is None:
            return
        contacts = ReferralContact.objects.filter(referral__application__resident_id=resident.pk)
        if failure is None:
            if (
                not resident.sms_failed_at
                and not contacts.filter(sms_failed_at__isnull=False).exists()
            ):
                return  # the usual case: nothing to clear
            failed_at, reason = None, ""
            if same_number(resident.sms_failed_phone, recipient.phone):
                resident.sms_failed_phone = ""
                resident.sms_failed_at, resident.sms_failure_reason = None, ""
        else:
            failed_at, reason = timezone.now(), failure[:30]
            resident.sms_failed_phone = recipient.phone[:40]
            resident.sms_failed_at, resident.sms_failure_reason = failed_at, reason
        resident.save(update_fields=["sms_failed_at", "sms_failure_reason", "sms_failed_phone"])
        same = [c.pk for c in contacts.only("pk", "phone") if same_number(c.phone, recipient.phone)]
        ReferralContact.objects.filter(pk__in=same).update(
            sms_failed_at=failed_at, sms_failure_reason=reason
        )
        logger.info(
            "resident %s: texts %s", resident.pk, f"refused ({reason})" if failure else "work"
        )


def _declined_member_ids(referral: Referral) -> frozenset[int]:
    return frozenset(
        pid
        for pid in ReferralEvent.objects.filter(
            referral=referral, to_status=S.DECLINED
        ).values_list("provider_id", flat=True)
        if pid is not None
    )


def _send_to(
    referral: Referral, provider_id: int, *, actor_id: int | None, reason: str = "", note: str = ""
) -> None:
    service = Service.objects.get(pk=referral.service_id)
    _transition(
        referral, S.ROUTED, actor_id=actor_id, reason=reason, note=note, provider_id=provider_id
    )
    now = referral.updated_at
    referral.provider_id = provider_id
    referral.routed_at = now
    referral.unrouted_since = None
    referral.accepted_at = None
    referral.accepted_by = None
    # The new provider's clock: a breach by an earlier provider stays in the event history.
    referral.sla_accept_due = due_at(now, service.sla_accept_days)
    referral.sla_accept_breached = False
    referral.save()
    email_enqueue(
        kind="referral_new",
        member_id=provider_id,
        ids={"referral_id": referral.pk},
        dedupe_key=f"referral_new:{referral.pk}:{provider_id}:{now.timestamp()}",
    )


@transaction.atomic
def referral_route(*, referral_id: int) -> Referral:
    """Run the routing engine for a submitted or declined referral (landlord scope).

    Idempotent: a referral that is already with a provider (or closed) is left alone.
    """
    referral = _lock(referral_id)
    if referral.status not in (S.SUBMITTED, S.DECLINED):
        logger.info("referral %s is %s: routing left it alone", referral.pk, referral.status)
        return referral
    application = Application.objects.get(pk=referral.application_id)
    referral_snapshot_contact(referral=referral)
    service = Service.objects.get(pk=referral.service_id)
    consented = frozenset(int(m) for m in application.shared_with_member_ids)
    ctx = routing.RoutingContext(
        referral_id=referral.pk,
        service_id=referral.service_id,
        landlord_id=referral.member_id,
        district=referral.area,
        language=referral.language,
        consented_member_ids=consented,
        declined_member_ids=_declined_member_ids(referral),
        sharing_blocked=sharing_gate().blocked,
    )
    result = routing.route(
        ctx,
        routing.candidates_for(referral.service_id, consented),
        routing.rules_for(service.routing_rules),
    )
    RoutingDecision.objects.create(
        member_id=referral.member_id,
        referral=referral,
        provider_id=result.provider_id,
        reasons=[r.as_dict() for r in result.reasons],
        note=result.summary[:500],
    )
    if result.provider_id is not None:
        _send_to(referral, result.provider_id, actor_id=None, reason="engine")
        _audit(referral, None, f"routed to member {result.provider_id} by the engine")
        logger.info("referral %s routed to member %s", referral.pk, result.provider_id)
    else:
        referral.provider_id = None
        referral.unrouted_since = referral.unrouted_since or timezone.now()
        referral.updated_at = timezone.now()
        referral.save()
        _audit(referral, None, "no member fits: unrouted queue")
        email_enqueue(
            kind="referral_unrouted",
            member_id=None,
            ids={"referral_id": referral.pk},
            dedupe_key=f"referral_unrouted:{referral.pk}:{referral.unrouted_since.timestamp()}",
        )
        logger.info("referral %s unrouted: no member fits", referral.pk)
    return referral


@transaction.atomic
def referral_reroute(*, referral_id: int, provider_id: int, actor: Actor, reason: str) -> Referral:
    """A coordinator routes (or re-routes) by hand, with a reason. Consortium scope.

    Still never outside the resident's consent, never to a member that declined it, and only to
    a member with an active offer of the service.
    """
    _require(actor, Perm.ROUTE_REFERRALS)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Say why you are routing this referral by hand."))
    referral = _lock(referral_id)
    if referral.status not in (S.SUBMITTED, S.DECLINED, S.ROUTED):
        raise InvalidTransition(
            _("A referral that is “%(current)s” cannot be routed again.")
            % {"current": _status_label(referral.status)}
        )
    if referral.provider_id == provider_id and referral.status == S.ROUTED:
        raise InvalidInput(_("The referral is already with that member."))
    provider = Member.objects.filter(pk=provider_id).first()
    application = Application.objects.get(pk=referral.application_id)
    if provider is None or provider_id not in {int(m) for m in application.shared_with_member_ids}:
        raise InvalidInput(_("The resident did not consent to sharing with that member."))
    if provider_id in _declined_member_ids(referral):
        raise InvalidInput(_("That member declined this referral before."))
    standing = sharing_gate().standing(provider_id)
    if not standing.receives:
        raise InvalidInput(
            _(
                "%(member)s has not signed version %(version)s of the data sharing agreement: "
                "it receives no referrals until its data protection officer signs."
            )
            % {
                "member": provider.short_name,
                "version": standing.current.version if standing.current else "",
            }
        )
    if (
        not Offer.objects.public()
        .filter(member_id=provider_id, service_id=referral.service_id, is_active=True)
        .exists()
    ):
        raise InvalidInput(_("That member does not offer this service at the moment."))
    referral_snapshot_contact(referral=referral)
    RoutingDecision.objects.create(
        member_id=referral.member_id,
        referral=referral,
        provider_id=provider_id,
        decided_by=actor.user,
        reasons=[
            routing.Reason(
                provider_id,
                provider.short_name,
                "manual",
                "chosen",
                f"{provider.short_name} chosen by the coordinator: {reason}",
            ).as_dict()
        ],
        note=reason[:500],
    )
    _send_to(referral, provider_id, actor_id=actor.user_id, reason="manual", note=reason)
    _audit(referral, actor.user_id, f"routed by hand to member {provider_id}")
    return referral


# --- provider steps ------------------------------------------------------------------------------


@transaction.atomic
def referral_accept(*, referral_id: int, actor: Actor) -> Referral:
    referral = _lock(referral_id)
    _require(actor, Perm.WORK_REFERRALS)
    if referral.accepted_by_id is not None and referral.status in TAKEN_ON_STATUSES:
        name = referral.accepted_by.full_name or _("a colleague")  # type: ignore[union-attr]
        when = date_format(timezone.localtime(referral.accepted_at), "j M Y, H:i")
        raise AlreadyTaken(
            _("This referral was already accepted by %(name)s on %(when)s.")
            % {"name": name, "when": when}
        )
    _require_provider(referral, actor)
    _transition(referral, S.ACCEPTED, actor_id=actor.user_id)
    now = referral.updated_at
    service = Service.objects.get(pk=referral.service_id)
    referral.accepted_at = now
    referral.accepted_by = actor.user
    if referral.sla_accept_due and now > referral.sla_accept_due:
        referral.sla_accept_breached = True
    referral.sla_first_contact_due = due_at(now, service.sla_first_contact_days)
    referral.save()
    _audit(referral, actor.user_id, "accepted")
    _notify_resident(referral)
    return referral


@transaction.atomic
def referral_decline(*, referral_id: int, actor: Actor, reason: str, note: str = "") -> Referral:
    """Decline with a reason; the referral goes back to the engine, which will not choose this
    member again (or to the coordinator's unrouted queue)."""
    referral = _lock(referral_id)
    _require_provider(referral, actor)
    if reason not in DeclineReason.values:
        raise InvalidInput(_("Choose a reason for declining."))
    note = note.strip()
    if reason == DeclineReason.OTHER and not note:
        raise InvalidInput(_("Say why you are declining."))
    _transition(referral, S.DECLINED, actor_id=actor.user_id, reason=reason, note=note)
    referral.declined_at = referral.updated_at
    referral.declined_by = actor.user
    referral.decline_count += 1
    # The provider stays set until the engine picks the next one: row-level security would not
    # let the declining member write a row it can no longer see.
    referral.save()
    _audit(referral, actor.user_id, f"declined: {reason}")
    outbox_enqueue(
        task_name=TASK_ROUTE,
        kwargs={"referral_id": referral.pk},
        member_id=referral.member_id,
        dedupe_key=f"route:{referral.pk}:decline:{referral.decline_count}",
    )
    return referral


@transaction.atomic
def referral_record_contact(
    *, referral_id: int, actor: Actor, contacted_at: datetime | None = None, note: str = ""
) -> Referral:
    referral = _lock(referral_id)
    _require_provider(referral, actor)
    if referral.status not in (S.ACCEPTED, S.IN_PROGRESS, S.OUTCOME_RECORDED):
        raise InvalidTransition(_("Accept the referral before recording contact."))
    now = timezone.now()
    contacted_at = contacted_at or now
    if contacted_at > now + timedelta(minutes=5):
        raise InvalidInput(_("The contact time cannot be in the future."))
    if referral.accepted_at and contacted_at < referral.accepted_at - timedelta(days=1):
        raise InvalidInput(_("The contact time cannot be before the referral was accepted."))
    ReferralEvent.objects.create(
        member_id=referral.member_id,
        provider_id=referral.provider_id,
        referral=referral,
        kind=ReferralEventKind.CONTACT,
        at=contacted_at,
        actor=actor.user,
        note=note.strip()[:500],
    )
    if referral.first_contact_at is None:
        referral.first_contact_at = contacted_at
        if referral.sla_first_contact_due and contacted_at > referral.sla_first_contact_due:
            referral.sla_first_contact_breached = True
    referral.updated_at = now
    referral.save()
    _audit(referral, actor.user_id, "contact recorded")
    return referral


@transaction.atomic
def referral_start(*, referral_id: int, actor: Actor) -> Referral:
    referral = _lock(referral_id)
    _require_provider(referral, actor)
    _transition(referral, S.IN_PROGRESS, actor_id=actor.user_id)
    referral.in_progress_at = referral.updated_at
    referral.save()
    _audit(referral, actor.user_id, "work started")
    return referral


SUSTAINMENT_TYPES = frozenset({OutcomeType.JOB_SUSTAINED_13, OutcomeType.JOB_SUSTAINED_26})


def _validate_outcome(
    referral: Referral,
    *,
    type: str,
    achieved_on: date | None,
    hours_per_week: Decimal | None,
    qualification_level: int | None,
    no_outcome_reason: str,
) -> None:
    if type not in OutcomeType.values:
        raise InvalidInput(_("Choose the kind of outcome."))
    if achieved_on is None:
        raise InvalidInput(_("Enter the date of the outcome."))
    if achieved_on > timezone.localdate():
        raise InvalidInput(_("The date of the outcome cannot be in the future."))
    if referral.accepted_at and achieved_on < timezone.localdate(referral.accepted_at):
        raise InvalidInput(_("The date of the outcome cannot be before the referral was accepted."))
    if type == OutcomeType.JOB_STARTED and (
        hours_per_week is None or not (Decimal("0") < hours_per_week <= Decimal("80"))
    ):
        raise InvalidInput(_("Enter the hours per week of the job (more than 0, up to 80)."))
    if type == OutcomeType.QUALIFICATION and (
        qualification_level is None or not (1 <= qualification_level <= 8)
    ):
        raise InvalidInput(_("Enter the level of the qualification (1 to 8)."))
    if type == OutcomeType.NO_OUTCOME and not no_outcome_reason.strip():
        raise InvalidInput(_("Say why there was no outcome."))
    if type in SUSTAINMENT_TYPES:
        start = (
            Outcome.objects.filter(referral=referral, type=OutcomeType.JOB_STARTED)
            .order_by("achieved_on")
            .first()
        )
        weeks = 13 if type == OutcomeType.JOB_SUSTAINED_13 else 26
        if start is None:
            raise InvalidInput(_("Record the job start before the job is sustained."))
        if achieved_on < start.achieved_on + timedelta(weeks=weeks):
            raise InvalidInput(
                _(
                    "A job is sustained %(weeks)s weeks after it started: "
                    "on %(day)s at the earliest."
                )
                % {"weeks": weeks, "day": start.achieved_on + timedelta(weeks=weeks)}
            )


@transaction.atomic
def referral_record_outcome(
    *,
    referral_id: int,
    actor: Actor,
    type: str,  # noqa: A002 - the outcome's type, named as in the model
    achieved_on: date | None,
    hours_per_week: Decimal | None = None,
    qualification_level: int | None = None,
    no_outcome_reason: str = "",
) -> Outcome:
    referral = _lock(referral_id)
    _require_provider(referral, actor)
    _validate_outcome(
        referral,
        type=type,
        achieved_on=achieved_on,
        hours_per_week=hours_per_week,
        qualification_level=qualification_level,
        no_outcome_reason=no_outcome_reason,
    )
    if referral.status == S.CLOSED:
        # Sustainment checks come weeks after a case is closed: recorded without reopening it.
        if type not in SUSTAINMENT_TYPES:
            raise InvalidTransition(
                _("This referral is closed: only a sustained job can be added.")
            )
        referral.updated_at = timezone.now()
    else:
        _transition(referral, S.OUTCOME_RECORDED, actor_id=actor.user_id, reason=type)
        referral.outcome_recorded_at = referral.outcome_recorded_at or referral.updated_at
    outcome = Outcome.objects.create(
        member_id=referral.member_id,
        provider_id=referral.provider_id,
        referral=referral,
        service_id=referral.service_id,
        type=type,
        achieved_on=achieved_on,
        hours_per_week=hours_per_week if type == OutcomeType.JOB_STARTED else None,
        qualification_level=qualification_level if type == OutcomeType.QUALIFICATION else None,
        no_outcome_reason=no_outcome_reason.strip()[:300] if type == OutcomeType.NO_OUTCOME else "",
        recorded_by=actor.user,
    )
    referral.save()
    _audit(referral, actor.user_id, f"outcome recorded: {type}")
    return outcome


@transaction.atomic
def referral_close(*, referral_id: int, actor: Actor) -> Referral:
    referral = _lock(referral_id)
    _require_provider(referral, actor)
    if not Outcome.objects.filter(referral=referral).exists():
        raise InvalidTransition(_("Record an outcome before closing the referral."))
    _transition(referral, S.CLOSED, actor_id=actor.user_id)
    referral.closed_at = referral.updated_at
    referral.closed_by = actor.user
    referral.save()
    _audit(referral, actor.user_id, "closed")
    _notify_resident(referral)
    return referral


# --- the resident --------------------------------------------------------------------------------


def _withdraw_locked(referral: Referral, *, user_id: int | None) -> None:
    """The one way a referral is withdrawn, by either path a resident can take."""
    _transition(referral, S.WITHDRAWN, actor_id=user_id, reason="resident")
    referral.withdrawn_at = referral.updated_at
    referral.withdrawn_by_id = user_id
    referral.save()
    _audit(referral, user_id, "withdrawn by the resident")
    _notify_resident(referral)
    if referral.provider_id:
        email_enqueue(
            kind="referral_withdrawn",
            member_id=referral.provider_id,
            ids={"referral_id": referral.pk},
            dedupe_key=f"referral_withdrawn:{referral.pk}",
        )


def referral_withdraw_for_application(*, application_id: int, user_id: int | None) -> bool:
    """Withdraw the referral of an application the resident has proved is theirs (the status
    check by reference and emailed code). Runs in the caller's member scope, which is the
    application's own member. Returns False when the referral can no longer be withdrawn."""
    referral_id = (
        Referral.objects.filter(application_id=application_id).values_list("pk", flat=True).first()
    )
    if referral_id is None:
        return False
    referral = _lock(referral_id)
    if not referral_may_be_withdrawn(referral.status):
        return False
    _withdraw_locked(referral, user_id=user_id)
    return True


# --- notes ---------------------------------------------------------------------------------------


@transaction.atomic
def referral_note_add(*, referral_id: int, actor: Actor, body: str) -> CaseNote:
    """A case note, private to the actor's member (either party may write one)."""
    _require(actor, Perm.WORK_REFERRALS)
    body = body.strip()
    if not body:
        raise InvalidInput(_("Write the note before saving it."))
    if len(body) > 4000:
        raise InvalidInput(_("A note can be up to 4,000 characters."))
    referral = _lock(referral_id)
    if actor.member_id is None or not referral.is_party(actor.member_id):
        raise NotAllowed(_("That referral was not found."))
    note = CaseNote.objects.create(
        member_id=actor.member_id, referral=referral, author=actor.user, body=body
    )
    _audit(referral, actor.user_id, "case note added")
    return note


# --- SLA and sustainment sweeps (beat, consortium scope) -----------------------------------------


@dataclass
class SweepResult:
    accept_breaches: int = 0
    contact_breaches: int = 0
    sustainment_reminders: int = 0


SWEEP_BATCH = 500


def _flag_breach(referral: Referral, clock: str, now: datetime) -> None:
    ReferralEvent.objects.create(
        member_id=referral.member_id,
        provider_id=referral.provider_id,
        referral=referral,
        kind=ReferralEventKind.SLA_BREACH,
        at=now,
        reason=clock,
    )
    ids: dict[str, int | str] = {"referral_id": referral.pk, "clock": clock}
    email_enqueue(
        kind="referral_sla_overdue",
        member_id=referral.provider_id,
        ids=ids,
        dedupe_key=f"sla:{clock}:{referral.pk}:{referral.provider_id}",
    )
    email_enqueue(
        kind="referral_sla_escalation",
        member_id=None,
        ids=ids,
        dedupe_key=f"sla-escalation:{clock}:{referral.pk}:{referral.provider_id}",
    )
    audit_record(
        actor_id=None,
        member_id=referral.member_id,
        action=AuditAction.CHANGE,
        object_type=AuditObjectType.REFERRAL,
        object_id=referral.pk,
        reason=f"SLA missed: {clock}",
    )


@transaction.atomic
def referral_sla_sweep(*, now: datetime | None = None) -> SweepResult:
    """Flag referrals past their SLA (consortium scope). Idempotent: a referral is flagged once
    per clock (the breached flag), and the emails carry dedupe keys."""
    now = now or timezone.now()
    result = SweepResult()
    overdue_accept = (
        Referral.objects.filter(status=S.ROUTED, sla_accept_due__lt=now, sla_accept_breached=False)
        .select_for_update(skip_locked=True)
        .order_by("sla_accept_due")[:SWEEP_BATCH]
    )
    for referral in overdue_accept:
        referral.sla_accept_breached = True
        referral.save(update_fields=["sla_accept_breached"])
        _flag_breach(referral, "accept", now)
        result.accept_breaches += 1
    overdue_contact = (
        Referral.objects.filter(
            status__in=(S.ACCEPTED, S.IN_PROGRESS),
            first_contact_at__isnull=True,
            sla_first_contact_due__lt=now,
            sla_first_contact_breached=False,
        )
        .select_for_update(skip_locked=True)
        .order_by("sla_first_contact_due")[:SWEEP_BATCH]
    )
    for referral in overdue_contact:
        referral.sla_first_contact_breached = True
        referral.save(update_fields=["sla_first_contact_breached"])
        _flag_breach(referral, "first_contact", now)
        result.contact_breaches += 1
    return result


@transaction.atomic
def referral_sustainment_sweep(*, today: date | None = None) -> SweepResult:
    """Remind the provider when a job start's 13- or 26-week check is due. Consortium scope;
    each reminder is sent once (the reminded_at fields)."""
    today = today or timezone.localdate()
    result = SweepResult()
    for weeks, field, sustained in (
        (13, "sustain_13_reminded_at", OutcomeType.JOB_SUSTAINED_13),
        (26, "sustain_26_reminded_at", OutcomeType.JOB_SUSTAINED_26),
    ):
        due = (
            Outcome.objects.filter(
                type=OutcomeType.JOB_STARTED,
                achieved_on__lte=today - timedelta(weeks=weeks),
                **{f"{field}__isnull": True},
            )
            .exclude(referral__outcomes__type=sustained)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("achieved_on")[:SWEEP_BATCH]
        )
        for outcome in due:
            setattr(outcome, field, timezone.now())
            outcome.save(update_fields=[field])
            ReferralEvent.objects.create(
                member_id=outcome.member_id,
                provider_id=outcome.provider_id,
                referral_id=outcome.referral_id,
                kind=ReferralEventKind.REMINDER,
                reason=f"sustained_{weeks}",
            )
            email_enqueue(
                kind="referral_sustainment_due",
                member_id=outcome.provider_id,
                ids={"referral_id": outcome.referral_id, "weeks": weeks},
                dedupe_key=f"sustain:{weeks}:{outcome.pk}",
            )
            result.sustainment_reminders += 1
    return result


# --- the routing sweep (beat, consortium scope) ---------------------------------------------------


@transaction.atomic
def referral_routing_sweep(*, now: datetime | None = None) -> int:
    """Route the submitted referrals the routing engine never decided (selectors.awaiting_routing):
    the business-state safety net behind the outbox. Idempotent with the routing message itself:
    referral_route locks the referral and leaves a decided one alone, so a message delivered
    after the sweep does nothing. Returns how many it routed."""
    from referrals.selectors import awaiting_routing

    stuck = list(awaiting_routing(now).values_list("pk", flat=True)[:SWEEP_BATCH])
    routed = 0
    for referral_id in stuck:
        try:
            referral_route(referral_id=referral_id)
        except Exception as exc:  # noqa: BLE001 - one referral that fails must not hold the rest
            logger.error("routing sweep: referral %s failed: %s", referral_id, type(exc).__name__)
            continue
        routed += 1
    if stuck:
        logger.warning(
            "routing sweep: %s of %s referral(s) waiting past the window routed", routed, len(stuck)
        )
    return routed
