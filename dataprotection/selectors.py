"""Reads of the data sharing agreement: the version in force, where each member stands, and the
gate that the catalogue (services.selectors.service_candidate_members) and routing apply.

The rule, for a day `on` (Europe/London):

- The version in force is the latest published one whose effective date has come; the one
  before it is the previous version; the next one published but not yet in force is upcoming.
- A member may receive shared data (be offered to residents, be routed referrals) if it has
  signed the version in force, or, while that version's grace period runs (to the end of
  `grace_until`), if it had signed the previous version.
- Before any agreement nobody was gated, so the first version's grace period gates nobody either.
- With no version in force (none published, or the first not yet effective) nobody is gated: the
  portal cannot ask for a signature of an agreement that does not exist. The coordinator's page
  says that none is in force.
- Only signatures made by `on` count, so the gate of a past day is what it was that day.

The rule is one pure function (`standing_on`); everything else reads rows and hands them to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from dataprotection.models import AgreementSignature, SharingAgreement
from members.models import Member, MemberRole, Membership
from members.scoping import consortium_scope


class Standing(StrEnum):
    NO_AGREEMENT = "no_agreement"  # nothing in force: not gated
    SIGNED = "signed"  # signed the version in force
    IN_GRACE = "in_grace"  # signed the previous version; the grace period runs
    GATED = "gated"  # receives no shared data until its DPO signs


def london_date(at: datetime) -> date:
    return timezone.localdate(at)


@dataclass(frozen=True)
class MemberStanding:
    """Where one member stands on one day."""

    on: date
    state: Standing
    current: SharingAgreement | None
    previous: SharingAgreement | None
    upcoming: SharingAgreement | None
    # Versions this member had signed by `on`.
    signed_ids: frozenset[int]

    @property
    def receives(self) -> bool:
        return self.state != Standing.GATED

    @property
    def reason(self) -> str:
        """Why a gated member is not offered (the routing decision stores it)."""
        if self.state != Standing.GATED or self.current is None:
            return ""
        return f"has not signed data sharing agreement {self.current.version}"

    @property
    def must_sign(self) -> SharingAgreement | None:
        """The version its DPO has to sign next: the one in force, else the upcoming one."""
        if self.current is not None and self.current.pk not in self.signed_ids:
            return self.current
        if self.upcoming is not None and self.upcoming.pk not in self.signed_ids:
            return self.upcoming
        return None

    @property
    def deadline(self) -> date | None:
        """The last day the member still receives shared data without signing `must_sign`
        (None when it is gated already, or has nothing to sign)."""
        if self.state == Standing.IN_GRACE and self.current is not None:
            return self.current.grace_until
        if self.state == Standing.GATED:
            return None
        upcoming = self.must_sign
        if upcoming is None or upcoming is self.current:
            return None
        if upcoming.grace_until is not None and (
            self.current is None or self.current.pk in self.signed_ids
        ):
            return upcoming.grace_until
        return upcoming.effective_from - timedelta(days=1)

    @property
    def needs_action(self) -> bool:
        """Its staff see the banner: gated, in grace, or an upcoming version unsigned."""
        return self.state in (Standing.GATED, Standing.IN_GRACE) or self.deadline is not None


def standing_on(
    agreements: Sequence[SharingAgreement], signed_ids: Iterable[int], on: date
) -> MemberStanding:
    """The rule (module docstring), for one member. `agreements` in order of effective date."""
    signed = frozenset(signed_ids)
    in_force = [a for a in agreements if a.effective_from <= on]
    upcoming = next((a for a in agreements if a.effective_from > on), None)
    if not in_force:
        return MemberStanding(on, Standing.NO_AGREEMENT, None, None, upcoming, signed)
    current = in_force[-1]
    previous = in_force[-2] if len(in_force) > 1 else None
    if current.pk in signed:
        state = Standing.SIGNED
    elif (
        current.grace_until is not None
        and on <= current.grace_until
        and (previous is None or previous.pk in signed)
    ):
        state = Standing.IN_GRACE
    else:
        state = Standing.GATED
    return MemberStanding(on, state, current, previous, upcoming, signed)


@dataclass(frozen=True)
class SharingGate:
    """Who may receive shared data on one day, for every member."""

    on: date
    agreements: tuple[SharingAgreement, ...]
    standings: Mapping[int, MemberStanding]

    @property
    def current(self) -> SharingAgreement | None:
        return next((a for a in reversed(self.agreements) if a.effective_from <= self.on), None)

    @property
    def blocked(self) -> dict[int, str]:
        """Member id -> why it is not offered, for every gated member."""
        return {m: s.reason for m, s in self.standings.items() if s.state == Standing.GATED}

    def standing(self, member_id: int) -> MemberStanding:
        # A member the record did not know (added since) has signed nothing.
        found = self.standings.get(member_id)
        return found if found is not None else standing_on(self.agreements, (), self.on)

    def allows(self, member_id: int) -> bool:
        return self.standing(member_id).receives


@dataclass(frozen=True)
class SharingRecord:
    """Every version and every member's signatures, read once; the gate of any day follows."""

    agreements: tuple[SharingAgreement, ...] = ()
    member_ids: tuple[int, ...] = ()
    # member id -> (agreement id, day signed)
    signatures: Mapping[int, tuple[tuple[int, date], ...]] = field(default_factory=dict)

    def gate(self, on: date) -> SharingGate:
        standings = {
            member_id: standing_on(
                self.agreements,
                (a for a, day in self.signatures.get(member_id, ()) if day <= on),
                on,
            )
            for member_id in self.member_ids
        }
        return SharingGate(on=on, agreements=self.agreements, standings=standings)


def _agreements() -> tuple[SharingAgreement, ...]:
    # The gate never needs the text, which may be long.
    return tuple(SharingAgreement.objects.defer("text").order_by("effective_from"))


def sharing_record_load() -> SharingRecord:
    """Three small queries: the versions, the members, and who signed what (member ids and
    dates only, read in an audited consortium scope: signatures are each member's own rows)."""
    agreements = _agreements()
    if not agreements:
        return SharingRecord()
    member_ids = tuple(Member.objects.order_by("pk").values_list("pk", flat=True))
    with consortium_scope(reason="data sharing gate: which members signed which version"):
        rows = list(
            AgreementSignature.objects.values_list("member_id", "agreement_id", "signed_at")
        )
    signatures: dict[int, list[tuple[int, date]]] = {}
    for member_id, agreement_id, signed_at in rows:
        signatures.setdefault(member_id, []).append((agreement_id, london_date(signed_at)))
    return SharingRecord(
        agreements=agreements,
        member_ids=member_ids,
        signatures={m: tuple(s) for m, s in signatures.items()},
    )


def sharing_gate(*, on: date | None = None) -> SharingGate:
    """Who may receive shared data today (or on `on`). Works in any scope."""
    return sharing_record_load().gate(on or timezone.localdate())


def member_standing(*, member_id: int, on: date | None = None) -> MemberStanding:
    """Where one member stands, in one query: the versions, each with this member's signature
    date. Runs in that member's scope (the banner on its staff's pages)."""
    on = on or timezone.localdate()
    signed_at = AgreementSignature.objects.for_member(member_id).filter(agreement=OuterRef("pk"))
    agreements = list(
        SharingAgreement.objects.defer("text")
        .annotate(member_signed_at=Subquery(signed_at.values("signed_at")[:1]))
        .order_by("effective_from")
    )
    signed = [
        a.pk
        for a in agreements
        if a.member_signed_at is not None and london_date(a.member_signed_at) <= on
    ]
    return standing_on(agreements, signed, on)


def agreement_get(*, agreement_id: int) -> SharingAgreement | None:
    return SharingAgreement.objects.select_related("published_by").filter(pk=agreement_id).first()


def agreement_latest() -> SharingAgreement | None:
    return SharingAgreement.objects.defer("text").order_by("-effective_from").first()


def agreement_text(*, agreement_id: int) -> str:
    return str(
        SharingAgreement.objects.filter(pk=agreement_id).values_list("text", flat=True).first()
        or ""
    )


def agreements_signable(*, on: date) -> list[SharingAgreement]:
    """The versions a DPO may sign on `on`, with their text: the one in force and any published
    to take effect later (a version a later one has replaced is superseded)."""
    agreements = list(SharingAgreement.objects.order_by("effective_from"))
    current = standing_on(agreements, (), on).current
    return [a for a in agreements if a is current or a.effective_from > on]


def agreements_published() -> list[SharingAgreement]:
    """Every version, newest first (the text deferred: lists show the version and dates)."""
    return list(
        SharingAgreement.objects.defer("text")
        .select_related("published_by")
        .order_by("-effective_from")
    )


def member_signatures(*, member_id: int) -> list[AgreementSignature]:
    """One member's signatures, newest first: its history on the DPO's page."""
    return list(
        AgreementSignature.objects.for_member(member_id)
        .select_related("agreement")
        .defer("agreement__text")
        .order_by("-signed_at")
    )


def member_signature(*, member_id: int, agreement_id: int) -> AgreementSignature | None:
    return (
        AgreementSignature.objects.for_member(member_id).filter(agreement_id=agreement_id).first()
    )


def signature_count(*, agreement_id: int) -> int:
    """How many members signed a version. Call inside a consortium scope."""
    return AgreementSignature.objects.filter(agreement_id=agreement_id).count()


def member_dpo_names(*, member_id: int) -> list[str]:
    """The member's active data protection officers, who must act when it is gated."""
    return [
        m.user.full_name or m.user.email
        for m in Membership.objects.for_member(member_id)
        .filter(deactivated_at__isnull=True, roles__role=MemberRole.DATA_PROTECTION_OFFICER)
        .select_related("user")
        .order_by("user__full_name", "user__email")
        .distinct()
    ]


@dataclass(frozen=True)
class MemberRow:
    member: Member
    standing: MemberStanding
    # This member's signature of each version, in the overview's order (None: not signed).
    cells: list[AgreementSignature | None]


@dataclass(frozen=True)
class ConsortiumOverview:
    on: date
    agreements: list[SharingAgreement]  # newest first
    current: SharingAgreement | None
    upcoming: SharingAgreement | None
    rows: list[MemberRow]

    @property
    def gated(self) -> list[MemberRow]:
        return [r for r in self.rows if r.standing.state == Standing.GATED]

    @property
    def in_grace(self) -> list[MemberRow]:
        return [r for r in self.rows if r.standing.state == Standing.IN_GRACE]


def consortium_overview(*, on: date | None = None) -> ConsortiumOverview:
    """Every member, which versions it signed (who, when) and where it stands. Call inside a
    consortium scope (the coordinator's page). Three queries, whatever the number of members."""
    on = on or timezone.localdate()
    agreements = _agreements()
    members = list(Member.objects.order_by("name"))
    signatures: dict[int, dict[int, AgreementSignature]] = {}
    for signature in AgreementSignature.objects.select_related("signed_by").order_by("signed_at"):
        signatures.setdefault(signature.member_id, {})[signature.agreement_id] = signature
    newest_first = list(reversed(agreements))
    rows = []
    for member in members:
        own = signatures.get(member.pk, {})
        signed = [a for a, s in own.items() if london_date(s.signed_at) <= on]
        cells = [own.get(a.pk) for a in newest_first]
        rows.append(MemberRow(member, standing_on(agreements, signed, on), cells))
    probe = standing_on(agreements, (), on)
    return ConsortiumOverview(
        on=on,
        agreements=newest_first,
        current=probe.current,
        upcoming=probe.upcoming,
        rows=rows,
    )


@dataclass(frozen=True)
class SharingBanner:
    """What the banner on a member's staff pages says: why, by when, and who must act."""

    standing: MemberStanding
    dpo_names: list[str]
    is_dpo: bool


def sharing_banner(*, member_id: int, is_dpo: bool) -> SharingBanner | None:
    """The banner for one member's staff, or None when nothing needs doing. One query, and one
    more for the names of its DPOs when there is a banner."""
    standing = member_standing(member_id=member_id)
    if not standing.needs_action:
        return None
    return SharingBanner(
        standing=standing,
        dpo_names=[] if is_dpo else member_dpo_names(member_id=member_id),
        is_dpo=is_dpo,
    )
