"""Writes of the data sharing agreement: the coordinator publishes a version, a member's DPO signs
it. Both are final once written and both are audited.

`today` and `now` are explicit so that tests (and the demo, which writes a past) can say which
day it is; callers in the portal leave them out.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import date, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.models import AuditAction, AuditObjectType
from audit.services import audit_record
from dataprotection.models import AgreementSignature, SharingAgreement
from dataprotection.selectors import london_date, standing_on
from kernel.errors import DomainError, NotPermitted, RuleBroken
from members.actor import Actor
from members.models import Membership
from members.permissions import Perm
from members.scoping import consortium_scope, member_scope

logger = logging.getLogger(__name__)

VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
MAX_GRACE_DAYS = 365
# A version is published to take effect soon, not in a decade (and a date near the end of the
# calendar plus a grace period would not be a date at all).
MAX_DAYS_AHEAD = 366 * 2


class AgreementInvalid(DomainError):
    """What the coordinator asked to publish cannot be published as it is."""

    code = "invalid_agreement"


class AgreementNotFound(DomainError):
    status = 404
    code = "not_found"


class AgreementSuperseded(RuleBroken):
    """A signature of a version that a later one has replaced: sign the one in force instead."""

    code = "agreement_superseded"


def agreement_text_normalise(text: str) -> str:
    """The text as stored and checksummed: newlines as LF, no trailing spaces, no outer blanks."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _lock_agreements() -> None:
    # Two coordinators publishing at once must not both pass the "after the latest" check.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('dataprotection.agreement'))")


@transaction.atomic
def agreement_publish(
    *,
    actor: Actor,
    version: str,
    text: str,
    effective_from: date,
    grace_days: int,
    today: date | None = None,
    now: datetime | None = None,
) -> SharingAgreement:
    """Publish a new version. It takes effect on `effective_from` (today or later, after every
    version already published); members that signed the version before it keep receiving shared
    data for `grace_days` days after that, then only those that signed the new one do."""
    if not actor.can(Perm.PUBLISH_SHARING_AGREEMENT) or actor.user is None:
        raise NotPermitted(_("Only the consortium coordinator can publish the agreement."))
    now = now or timezone.now()
    today = today or london_date(now)
    version = version.strip()
    text = agreement_text_normalise(text)
    if not VERSION_PATTERN.match(version):
        raise AgreementInvalid(
            _("Give the version as up to 20 letters, digits, dots or dashes, such as v2.")
        )
    if not text:
        raise AgreementInvalid(_("Enter the text of the agreement."))
    if not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise AgreementInvalid(
            _("The grace period is 0 to %(max)s days.") % {"max": MAX_GRACE_DAYS}
        )
    if effective_from < today:
        raise AgreementInvalid(_("The date it takes effect cannot be in the past."))
    if effective_from > today + timedelta(days=MAX_DAYS_AHEAD):
        raise AgreementInvalid(_("The date it takes effect must be within two years."))
    with consortium_scope(reason="data protection: publish the agreement", user_id=actor.user_id):
        _lock_agreements()
        latest = SharingAgreement.objects.order_by("-effective_from").first()
        if latest is not None and effective_from <= latest.effective_from:
            raise AgreementInvalid(
                _(
                    "Version %(version)s takes effect on %(date)s: a new version must take "
                    "effect after it."
                )
                % {"version": latest.version, "date": date_format(latest.effective_from, "j F Y")}
            )
        if SharingAgreement.objects.filter(version__iexact=version).exists():
            raise AgreementInvalid(
                _("Version %(version)s is already published: give the new one another name.")
                % {"version": version}
            )
        agreement = SharingAgreement.objects.create(
            version=version,
            text=text,
            text_sha256=hashlib.sha256(text.encode()).hexdigest(),
            effective_from=effective_from,
            grace_until=effective_from + timedelta(days=grace_days) if grace_days else None,
            published_by=actor.user,
            published_at=now,
        )
        grace = (
            f", grace period to {agreement.grace_until.isoformat()}"
            if agreement.grace_until
            else ", no grace period"
        )
        audit_record(
            actor_id=actor.user_id,
            member_id=None,
            action=AuditAction.CREATE,
            object_type=AuditObjectType.SHARING_AGREEMENT,
            object_id=agreement.pk,
            reason=f"published data sharing agreement {version}, in force from "
            f"{effective_from.isoformat()}{grace}",
            at=now,
        )
    logger.info("data sharing agreement %s published by user %s", version, actor.user_id)
    return agreement


@transaction.atomic
def agreement_sign(
    *, actor: Actor, agreement_id: int, now: datetime | None = None
) -> AgreementSignature:
    """The actor's member signs one version, by its data protection officer.

    The member is always the actor's own: nothing the client sends names it. Signing again is a
    no-op that returns the signature already made (by whoever made it). A version that a later
    one has replaced cannot be signed (AgreementSuperseded); the one in force and any published
    upcoming one can.
    """
    if not actor.can(Perm.SIGN_SHARING_AGREEMENT) or actor.member_id is None or actor.user is None:
        raise NotPermitted(
            _("Only your association's data protection officer can sign the agreement.")
        )
    now = now or timezone.now()
    member_id = actor.member_id
    agreements = list(SharingAgreement.objects.defer("text").order_by("effective_from"))
    agreement = next((a for a in agreements if a.pk == agreement_id), None)
    if agreement is None:
        raise AgreementNotFound(_("There is no such version of the agreement."))
    with member_scope(member_id, user_id=actor.user_id):
        existing = AgreementSignature.objects.filter(member_id=member_id, agreement=agreement)
        found = existing.first()
        if found is not None:
            return found
        today = london_date(now)
        standing = standing_on(agreements, (), today)
        # Not superseded: the version in force, or one published to take effect later.
        if agreement is not standing.current and agreement.effective_from <= today:
            replaced_by = standing.current
            raise AgreementSuperseded(
                _(
                    "Version %(old)s has been replaced by version %(new)s: read and sign "
                    "version %(new)s instead."
                )
                % {
                    "old": agreement.version,
                    "new": replaced_by.version if replaced_by else "",
                }
            )
        membership = Membership.objects.filter(user_id=actor.user_id).first()
        try:
            with transaction.atomic():
                signature = AgreementSignature.objects.create(
                    member_id=member_id,
                    agreement=agreement,
                    signed_by=actor.user,
                    signer_name=(actor.user.full_name or actor.user.email)[:200],
                    signer_job_title=membership.job_title if membership else "",
                    signed_at=now,
                )
        except IntegrityError:
            # Two clicks at once: the other request signed it.
            found = existing.first()
            if found is None:
                raise
            return found
        audit_record(
            actor_id=actor.user_id,
            member_id=member_id,
            action=AuditAction.CREATE,
            object_type=AuditObjectType.SHARING_AGREEMENT_SIGNATURE,
            object_id=signature.pk,
            reason=f"signed data sharing agreement {agreement.version} for the member",
            at=now,
        )
    logger.info(
        "data sharing agreement %s signed for member %s by user %s",
        agreement.version,
        member_id,
        actor.user_id,
    )
    return signature
