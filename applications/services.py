"""Writes of the resident's journey: submitting, withdrawing, and the status-check code.

The application, its referral and their outbox entries are written in one transaction inside the
member scope of the resident's landlord (the resident's own statement of who their landlord is:
it decides who owns the record, it grants nobody any access). Nothing else happens until it
commits: routing and the confirmation email are relayed from the outbox afterwards, so the
application is stored even when Redis is down.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from applications.models import EqualityMonitoring, StatusCheckCode
from applications.selectors import data_sharing_text_build
from applications.validation import contact_problems, postcode_district
from audit.models import AuditAction, AuditObjectType
from audit.services import audit_record
from kernel.errors import DomainError
from members.actor import Actor
from members.models import Member
from members.permissions import Perm
from members.scoping import consortium_scope, member_scope
from notifications.services import resident_notice_send_now, resident_notify
from outbox.services import outbox_enqueue
from referrals.channels import status_code_reach
from referrals.models import (
    Application,
    LawfulBasis,
    Referral,
    ReferralStatus,
    Resident,
)
from referrals.services import referral_withdraw_for_application
from referrals.task_names import TASK_ROUTE
from services.models import Service, ServiceStatus
from services.selectors import (
    service_candidate_members,
    service_eligibility_asks,
    service_eligibility_check,
)

logger = logging.getLogger(__name__)

STATUS_CODE_TTL = timedelta(minutes=15)
# At most this many codes per application in one TTL window: stops an attacker who knows a
# reference from flooding the resident's inbox (the views add per-address rate limits).
STATUS_CODES_PER_WINDOW = 3


class ApplicationError(DomainError):
    """A domain error the HTTP layer shows to the resident as it is (already translated)."""

    code = "application_refused"


class IdempotencyKeyReused(ApplicationError):
    """The idempotency key was used before with a different request body (the API answers 422,
    as the IETF idempotency-key draft says): nothing is stored, nothing of the first is shown."""

    status = 422
    code = "idempotency_key_reused"


class ApplicationNotEligible(ApplicationError):
    """The service's eligibility rules exclude this resident; `reasons` say which, each a
    sentence for the resident."""

    code = "not_eligible"

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


class SharingRefused(ApplicationError):
    """Who may receive the application does not stand: nothing chosen, a member that cannot
    receive it (any more), or no consent. `answer` names what to correct: "members" or
    "consent"."""

    def __init__(self, message: str, *, answer: str) -> None:
        super().__init__(message)
        self.answer = answer


@dataclass(frozen=True)
class Assistance:
    """A caseworker making the application with the resident (phone, visit, video call)."""

    user_id: int
    member_id: int
    channel: str
    # The language spoken with the resident: the notice is read, and stored, in it.
    language: str
    interpreter_used: bool
    # The caseworker read the data-sharing notice to the resident, who agreed.
    notice_read: bool


@dataclass(frozen=True)
class ApplicationInput:
    """What the resident answered, whichever way they applied (the web journey, the API).
    application_check holds it against the service's rules; nothing here is trusted yet."""

    service: Service
    # None when the resident said "none of these" (only where eligibility allows it).
    landlord_id: int | None
    full_name: str
    email: str
    postcode: str
    contact_method: str
    preferred_language: str
    idempotency_key: str
    # The members the resident agreed may receive the application (their landlord, who keeps
    # the record, is added whether ticked or not).
    shared_with_member_ids: list[int]
    consent: bool
    phone: str = ""
    # The service's own questions, by key.
    answers: dict[str, Any] = field(default_factory=dict)
    # The eligibility step's answers, where the service asks them.
    age: int | None = None
    employment_status: str = ""
    accessibility_needs: str = ""
    # The language the resident applied in: the data-sharing notice is stored in it (emails
    # are sent in preferred_language).
    language: str = "en"
    equality: dict[str, str] | None = None
    # The resident's own account, when they applied signed in (never a caseworker's).
    user_id: int | None = None
    address: str = ""
    assisted: Assistance | None = None
    # A fingerprint of the API request body (blank for the web journey, whose key is one per
    # form rendering): the same key with another body is refused (IdempotencyKeyReused).
    request_fingerprint: str = ""

    @property
    def postcode_district(self) -> str:
        return postcode_district(self.postcode)


@dataclass(frozen=True)
class CheckedApplication:
    """An application that meets the service's rules, with what follows from them."""

    landlord: Member | None
    # Every member that may receive it: the resident's choice among the candidates, and the
    # landlord. Routing never goes outside them.
    shared_with_member_ids: list[int]
    # The member whose table holds the record.
    owner_id: int
    # The exact data-sharing notice, in the language the resident applied in.
    notice: str
    # The service's answers with the eligibility answers under "_eligibility".
    answers: dict[str, Any]


def need_summary(*, service_name: str, language: str, contact_method: str) -> str:
    """What a provider sees before accepting: no name, no free text (it may hold personal data)."""
    return f"{service_name}; language {language}; contact by {contact_method}"[:300]


def application_check(*, data: ApplicationInput) -> CheckedApplication:
    """Every rule an application must meet before it is stored, whichever way it came in: the
    service takes applications, the landlord is a member, the resident is eligible, and the
    members chosen to receive it are among those who can deliver the service to this resident
    (service_candidate_members), with consent. "Check your answers" shows its notice; the
    submission stores it."""
    service = data.service
    if service.status != ServiceStatus.OPEN:
        raise ApplicationError(
            translation.gettext("This service is not taking applications at the moment.")
        )
    missing = contact_problems(
        method=data.contact_method, email=data.email, phone=data.phone, address=data.address
    )
    if missing:
        raise ApplicationError(" ".join(missing.values()))
    landlord = None
    if data.landlord_id is not None:
        landlord = Member.objects.filter(pk=data.landlord_id).first()
        if landlord is None:
            raise ApplicationError(
                translation.gettext(
                    "One of the housing associations you chose no longer exists. Choose again."
                )
            )
    asks = service_eligibility_asks(service)
    if (asks["age"] and data.age is None) or (
        asks["employment_status"] and not data.employment_status
    ):
        raise ApplicationError(
            translation.gettext(
                "Answer the questions about who can use this service, then try again."
            )
        )
    eligibility = service_eligibility_check(
        service=service,
        age=data.age,
        employment_status=data.employment_status or None,
        tenant_of_member=landlord is not None,
    )
    if not eligibility.eligible:
        raise ApplicationNotEligible(eligibility.reasons)
    candidates = service_candidate_members(
        service=service,
        district=data.postcode_district,
        language=data.preferred_language,
        landlord=landlord,
    )
    chosen = set(data.shared_with_member_ids)
    # Nobody to choose (the landlord may not receive shared data until it signs the data
    # sharing agreement, and no other member serves the area): the landlord keeps it and the
    # coordinator routes it once someone can.
    if not chosen and (candidates or landlord is None):
        raise SharingRefused(
            translation.gettext(
                "Select at least one housing association that may receive your application"
            ),
            answer="members",
        )
    if not chosen <= {m.pk for m in candidates}:
        # A forged id, or a member whose offer closed since the resident chose.
        raise SharingRefused(
            translation.gettext("Select housing associations from the list"), answer="members"
        )
    if not data.consent:
        raise SharingRefused(
            translation.gettext(
                "Tick the box to agree to share your application, or go back to the services list"
            ),
            answer="consent",
        )
    shared = sorted(chosen | ({landlord.pk} if landlord else set()))
    # The landlord owns the record; with no landlord among the members (only where the
    # service allows it), the first of the members chosen does.
    owner_id = landlord.pk if landlord else shared[0]
    answers = dict(data.answers)
    asked = {
        name: value
        for name, value in (("age", data.age), ("employment_status", data.employment_status))
        if asks[name]
    }
    if asked:
        answers["_eligibility"] = asked
    return CheckedApplication(
        landlord=landlord,
        shared_with_member_ids=shared,
        owner_id=owner_id,
        notice=data_sharing_text_build(
            service=service,
            landlord=landlord,
            providers=[m for m in candidates if m.pk in chosen],
            language=data.assisted.language if data.assisted else data.language,
        ),
        answers=answers,
    )


def application_submit(*, data: ApplicationInput) -> Application:
    """Store the application, its referral and their side effects, once per idempotency key,
    after application_check."""
    checked = application_check(data=data)
    if data.assisted is not None and not data.assisted.notice_read:
        # The notice is shown to the caseworker by application_check; sending needs it read.
        raise SharingRefused(
            translation.gettext(
                "Read the notice to the resident and tick the box to say they agreed"
            ),
            answer="notice_read",
        )
    owner_id = checked.owner_id
    if data.request_fingerprint:
        # An API key is the caller's across members: the same key sent with another landlord
        # is the same key reused, not a new application in another member's table.
        with consortium_scope(reason="API idempotency key check"):
            earlier = (
                Application.objects.filter(idempotency_key=data.idempotency_key)
                .exclude(member_id=owner_id)
                .values_list("request_fingerprint", flat=True)
                .first()
            )
        if earlier is not None:
            raise _key_reused()
    with member_scope(owner_id, user_id=data.user_id):
        existing = Application.objects.filter(idempotency_key=data.idempotency_key).first()
        if existing is not None:
            return _replayed(existing, data)
        try:
            with transaction.atomic():
                return _create(data=data, checked=checked)
        except IntegrityError:
            # The same form was posted twice at once: the other request stored it.
            existing = Application.objects.filter(idempotency_key=data.idempotency_key).first()
            if existing is None:
                raise
            return _replayed(existing, data)


def _replayed(existing: Application, data: ApplicationInput) -> Application:
    """The stored application for a repeated key, only when the request is the same one."""
    if existing.request_fingerprint != data.request_fingerprint:
        raise _key_reused()
    return existing


def _key_reused() -> IdempotencyKeyReused:
    return IdempotencyKeyReused(
        translation.gettext(
            "This Idempotency-Key was already used with a different request. Send a new key "
            "for a new application, or repeat the original request unchanged."
        )
    )


def _create(*, data: ApplicationInput, checked: CheckedApplication) -> Application:
    owner_id = checked.owner_id
    now = timezone.now()
    email = data.email.strip().lower()
    # Emails are stored lower-cased (the form normalises them): an exact match on the owner's
    # (member, email) index, not a case-insensitive scan of every resident it may see. Without
    # an email there is nothing to recognise a returning resident by: a new record.
    resident = (
        Resident.objects.filter(member_id=owner_id, email=email).order_by("pk").first()
        if email
        else None
    )
    details = _contact_details(data)
    adopted_at = None
    if resident is None:
        resident = Resident.objects.create(member_id=owner_id, email=email, **details)
        adopted_at = now  # the new record holds exactly what was submitted
    signed_in_as_address = (
        data.user_id is not None
        and bool(email)
        and resident.user_id in (None, data.user_id)
        and _user_has_email(data.user_id, email)
    )
    if signed_in_as_address and resident.user_id is None:
        resident.user_id = data.user_id
        resident.save(update_fields=["user"])
    if signed_in_as_address and adopted_at is None:
        # Signed in with this address: the resident has proven it, so the record takes the
        # details they just gave. Anyone else only typed the address: their details stay on
        # this application (its snapshot below) until the address is proven.
        for name, value in details.items():
            setattr(resident, name, value)
        resident.save(update_fields=list(details))
        adopted_at = now
    application = Application.objects.create(
        member_id=owner_id,
        service=data.service,
        resident=resident,
        answers=checked.answers,
        accessibility_needs=data.accessibility_needs,
        language=data.preferred_language,
        submitted_at=now,
        idempotency_key=data.idempotency_key,
        request_fingerprint=data.request_fingerprint,
        contact_full_name=details["full_name"],
        contact_email=email,
        contact_phone=details["phone"],
        contact_postcode=details["postcode"],
        contact_postcode_district=details["postcode_district"],
        contact_preferred_language=details["preferred_language"],
        contact_method=details["contact_method"],
        contact_address=details["address"],
        contact_adopted_at=adopted_at,
        lawful_basis=LawfulBasis.CONSENT,
        data_sharing_text=checked.notice,
        shared_with_member_ids=checked.shared_with_member_ids,
        consent_given_at=now,
        **_assistance_fields(data.assisted, now),
    )
    if data.equality and any(data.equality.values()):
        EqualityMonitoring.objects.create(
            member_id=owner_id,
            application=application,
            ethnicity=data.equality.get("ethnicity", ""),
            disability=data.equality.get("disability", ""),
            sex=data.equality.get("sex", ""),
        )
    referral = Referral.objects.create(
        member_id=owner_id,
        application=application,
        reference=application.reference,
        service=data.service,
        status=ReferralStatus.SUBMITTED,
        area=data.postcode_district[:5],
        language=data.preferred_language,
        need_summary=need_summary(
            service_name=data.service.name,
            language=data.preferred_language,
            contact_method=data.contact_method,
        ),
        assisted=data.assisted is not None,
        submitted_at=now,
        updated_at=now,
    )
    outbox_enqueue(
        task_name=TASK_ROUTE,
        kwargs={"referral_id": referral.pk},
        member_id=owner_id,
        dedupe_key=f"route:{referral.pk}",
    )
    # By email or text, as the resident chose (referrals/channels.py decides when it is sent).
    resident_notify(
        kind="application_received",
        member_id=owner_id,
        ids={"application_id": application.pk},
        dedupe_key=f"application_received:{application.pk}",
    )
    audit_record(
        actor_id=data.assisted.user_id if data.assisted else data.user_id,
        member_id=owner_id,
        action=AuditAction.CREATE,
        object_type=AuditObjectType.APPLICATION,
        object_id=application.pk,
        reason=(
            f"application made with the resident ({data.assisted.channel})"
            if data.assisted
            else "resident application"
        ),
    )
    logger.info("application %s submitted (member %s)", application.reference, owner_id)
    return application


def _assistance_fields(assisted: Assistance | None, now: Any) -> dict[str, Any]:
    if assisted is None:
        return {}
    return {
        "assisted_by_id": assisted.user_id,
        "assisted_by_member_id": assisted.member_id,
        "assisted_channel": assisted.channel,
        "assisted_language": assisted.language,
        "interpreter_used": assisted.interpreter_used,
        "notice_read_at": now,
    }


def _contact_details(data: ApplicationInput) -> dict[str, str]:
    return {
        "full_name": data.full_name,
        "phone": data.phone,
        "postcode": data.postcode,
        "address": data.address,
        "postcode_district": data.postcode_district,
        "preferred_language": data.preferred_language,
        "contact_method": data.contact_method,
    }


def _user_has_email(user_id: int, email: str) -> bool:
    from accounts.models import User

    return User.objects.filter(pk=user_id, email__iexact=email).exists()


APPLICATION_CONTACT_FIELDS = {
    "full_name": "contact_full_name",
    "phone": "contact_phone",
    "postcode": "contact_postcode",
    "address": "contact_address",
    "postcode_district": "contact_postcode_district",
    "preferred_language": "contact_preferred_language",
    "contact_method": "contact_method",
}


def resident_contact_adopt(
    *, application_id: int, actor_id: int | None, reason: str
) -> Application:
    """The resident record takes the contact details submitted with this application. Call
    only once the right to change them is proven: the resident proved the address (the emailed
    status-check code, or signed in with it) or a caseworker of the owning member confirmed
    the details. Runs inside the owning member's scope.

    Details from an older application than one already adopted are not adopted: checking the
    status of last year's application must not bring back last year's phone number."""
    application = Application.objects.select_for_update().get(pk=application_id)
    if application.contact_adopted_at is not None or not application.contact_full_name:
        return application
    newer_adopted = Application.objects.filter(
        resident_id=application.resident_id,
        submitted_at__gt=application.submitted_at,
        contact_adopted_at__isnull=False,
    ).exists()
    if newer_adopted:
        return application
    resident = Resident.objects.select_for_update().get(pk=application.resident_id)
    for name, source in APPLICATION_CONTACT_FIELDS.items():
        value = getattr(application, source)
        if value:
            setattr(resident, name, value)
    resident.save(update_fields=list(APPLICATION_CONTACT_FIELDS))
    application.contact_adopted_at = timezone.now()
    application.save(update_fields=["contact_adopted_at"])
    audit_record(
        actor_id=actor_id,
        member_id=application.member_id,
        action=AuditAction.CHANGE,
        object_type=AuditObjectType.RESIDENT,
        object_id=resident.pk,
        reason=reason,
    )
    return application


def resident_contact_confirm(*, application: Application, actor: Actor) -> Application:
    """A caseworker of the owning member confirms the details submitted with an application
    (say, on the phone to the resident): the resident record takes them."""
    if actor.member_id != application.member_id or not actor.can(Perm.WORK_REFERRALS):
        raise ApplicationError(
            translation.gettext("Only a caseworker of the resident's landlord can confirm this.")
        )
    with member_scope(application.member_id, user_id=actor.user_id), transaction.atomic():
        return resident_contact_adopt(
            application_id=application.pk,
            actor_id=actor.user_id,
            reason="contact details confirmed by a caseworker",
        )


def application_withdraw(*, application: Application, user_id: int | None = None) -> Application:
    """The resident withdraws: the application is marked, and its referral too if still open."""
    with member_scope(application.member_id, user_id=user_id):
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.withdrawn_at is not None:
            return application
        now = timezone.now()
        application.withdrawn_at = now
        application.save(update_fields=["withdrawn_at"])
        # The referral's lifecycle (event, audit, emails to the resident and the provider) is the
        # referrals app's: one way to withdraw, whichever page the resident used.
        referral_withdraw_for_application(application_id=application.pk, user_id=user_id)
        audit_record(
            actor_id=user_id,
            member_id=application.member_id,
            action=AuditAction.CHANGE,
            object_type=AuditObjectType.APPLICATION,
            object_id=application.pk,
            reason="withdrawn by the resident",
        )
        logger.info("application %s withdrawn", application.reference)
        return application


# --- Status check by reference and emailed code ---------------------------------------------------


def _code_hash(application_id: int, code: str) -> str:
    # Keyed: a 6-digit code has only a million values, so a plain hash could be reversed by
    # anyone who read the table.
    message = f"{application_id}:{code}".encode()
    return hmac.new(str(settings.SECRET_KEY).encode(), message, hashlib.sha256).hexdigest()


def _find_by_reference(reference: str) -> tuple[int, int] | None:
    """(application id, member id) for a reference, across members, audited."""
    with consortium_scope(reason="resident status check"):
        row = Application.objects.filter(reference=reference).values_list("pk", "member_id").first()
    return (row[0], row[1]) if row else None


def status_code_issue(*, reference: str) -> bool:
    """Send a one-time code to the resident's address, or by text to their number when that is
    how they chose to be contacted (referrals.channels.status_code_reach). Returns whether one
    was sent; the caller must not tell the resident (it would reveal which references exist)."""
    found = _find_by_reference(reference)
    if found is None:
        return False
    application_id, member_id = found
    code = f"{secrets.randbelow(1_000_000):06d}"
    with member_scope(member_id):
        application = Application.objects.select_related("resident", "service").get(
            pk=application_id
        )
        now = timezone.now()
        recent = StatusCheckCode.objects.filter(
            application=application, created_at__gte=now - STATUS_CODE_TTL
        ).count()
        reach = status_code_reach(application)
        if recent >= STATUS_CODES_PER_WINDOW or not reach.channels:
            logger.info(
                "status code not sent for application %s (limit or no channel)",
                application.reference,
            )
            return False
        StatusCheckCode.objects.create(
            member_id=member_id,
            application=application,
            code_hash=_code_hash(application.pk, code),
            expires_at=now + STATUS_CODE_TTL,
        )
    # Sent now rather than through the outbox: the outbox would have to store the code, and it
    # is worth nothing after 15 minutes anyway.
    context = {
        "code": code,
        "minutes": int(STATUS_CODE_TTL.total_seconds() // 60),
        "reference": reference,
    }
    return resident_notice_send_now(kind="application_status_code", reach=reach, context=context)


@dataclass(frozen=True)
class StatusGrant:
    application_id: int
    member_id: int


def status_code_verify(*, reference: str, code: str) -> StatusGrant | None:
    """The application the code opens, or None: the same None for a wrong reference, a wrong
    code, an expired code and too many attempts."""
    found = _find_by_reference(reference)
    if found is None:
        return None
    application_id, member_id = found
    with member_scope(member_id):
        candidate = (
            StatusCheckCode.objects.select_for_update()
            .filter(
                application_id=application_id, used_at__isnull=True, expires_at__gt=timezone.now()
            )
            .order_by("-created_at")
            .first()
        )
        if candidate is None or candidate.attempts >= StatusCheckCode.MAX_ATTEMPTS:
            return None
        candidate.attempts += 1
        if not hmac.compare_digest(candidate.code_hash, _code_hash(application_id, code)):
            candidate.save(update_fields=["attempts"])
            return None
        candidate.used_at = timezone.now()
        candidate.save(update_fields=["attempts", "used_at"])
        _link_resident_account(application_id=application_id)
        # The code reached the address: the details sent with this application may now become
        # the resident's record.
        resident_contact_adopt(
            application_id=application_id,
            actor_id=None,
            reason="contact details proven by the emailed status code",
        )
    return StatusGrant(application_id=application_id, member_id=member_id)


def _link_resident_account(*, application_id: int) -> None:
    """The code proved the resident receives mail at the address: give them an account they
    can sign in to by emailed code (/apply/mine/ lists every application)."""
    from accounts.services import resident_user_get_or_create

    application = Application.objects.select_related("resident").get(pk=application_id)
    resident = application.resident
    if resident.user_id is None and resident.email:
        user = resident_user_get_or_create(
            email=resident.email, language=resident.preferred_language
        )
        resident.user = user
        resident.save(update_fields=["user"])


def status_codes_purge(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete status-check codes long past their expiry (run inside a consortium scope)."""
    deleted, _ = StatusCheckCode.objects.filter(expires_at__lt=timezone.now() - older_than).delete()
    return deleted
