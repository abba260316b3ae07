"""Scale data for benchmarks: N synthetic referrals with everything that hangs off them.

`python manage.py load_scale N` adds N referrals spread over the members and services that
exist (the demo catalogue is created first when there is none), with about 0.8 residents,
one application, one contact snapshot, one routing decision, about 0.3 outcomes and two audit
events per referral.
Dates fall over the last six financial quarters, statuses follow the lifecycle in realistic
proportion, and the SLA clocks are filled in UK working days (kernel/calendar.py).

Every run adds N more: scale rows are recognisable (references start with "HS-", rows carry
`is_synthetic=True` where the model has the field), and nothing here deletes anything, because
the audit log is append-only for the application role.

How it is fast (1,000,000 referrals: see bench/README.md for the measured time):
- Rows are generated as plain tuples (no model instances), in chunks, with seeded randomness.
- Every member-owned table has FORCEd row-level security, and PostgreSQL refuses `COPY FROM`
  into such a table. So each chunk is COPYed (text format) into TEMPORARY staging tables, which
  have no policies, then moved with one `INSERT INTO target SELECT ... FROM staging` per table
  inside an explicit, audited `consortium_scope`: the policies still check every row.
- Ids are reserved from each table's own sequence (`nextval`), so the foreign keys line up and
  the portal's later inserts never collide with them. The application role may not `setval`.
- As the application role (`--online`) every index stays in place: that role does not own the
  tables, and dropping shared indexes under a live portal is not safe anyway. As the owner (the
  command's default) a load that at least doubles the referrals table drops the foreign keys,
  unique constraints and secondary indexes and rebuilds them at the end of the same transaction
  (_drop_secondary), keeping only the two indexes the policies' subqueries need (KEPT_INDEXES).
- The transaction runs with JIT off and bigger sort memory (LOAD_SETTINGS); one thread generates
  the next chunk while PostgreSQL writes this one, starting with a small chunk (_chunk_sizes).
- ANALYZE (and VACUUM of the referrals table) runs afterwards as the owning role when
  DATABASE_OWNER_URL is set (only an owner may analyze).
"""

from __future__ import annotations

import io
import logging
import random
import time as clock
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction

from audit.models import AuditAction, AuditEvent, AuditObjectType
from kernel.calendar import LONDON, add_working_days, current_quarter
from members.models import Member, MemberRole, MembershipRole
from members.scoping import consortium_scope
from referrals.models import (
    REFERENCE_ALPHABET,
    Application,
    LawfulBasis,
    Outcome,
    OutcomeType,
    Referral,
    ReferralContact,
    ReferralStatus,
    Resident,
    RoutingDecision,
)
from services.models import Offer, Service

logger = logging.getLogger(__name__)

# Scale references are "HS-" and two groups of four characters built from the application's id
# (id 123456 gives "HS-2222-6K78"). Random references made by the portal
# (referrals.models.new_reference) start with "HC-", so the two can never collide, and scale rows
# are easy to find.
REFERENCE_PREFIX = "HS-"
QUARTERS = 6
DEFAULT_SEED = 20260401
# A chunk of 100,000 referrals keeps the loader under ~400 MB and each INSERT ... SELECT short
# enough that its deferred foreign-key checks stay small.
CHUNK = 100_000
AUDIT_REASON = "Synthetic scale data"
DATA_SHARING_TEXT = (
    "(Synthetic scale data.) Your application will be shared with the member associations "
    "named on this page, to deliver the service you asked for."
)
LANGUAGES = ["en"] * 12 + ["ur", "ur", "bn", "bn", "so", "so", "ar", "pl"]
FIRST_NAMES = [
    "Amina", "Bilal", "Chidi", "Daria", "Ebrahim", "Fatima", "Gareth", "Hodan", "Imran",
    "Jolanta", "Kwame", "Leyla", "Mohammed", "Nasra", "Olu", "Priya", "Qadir", "Rukhsana",
    "Samir", "Tomasz", "Uzma", "Vikram", "Wanjiru", "Yusuf", "Zainab", "Abdi", "Shirin",
]  # fmt: skip
LAST_NAMES = [
    "Ahmed", "Begum", "Okafor", "Nowak", "Hussain", "Mensah", "Ali", "Khan", "Farah",
    "Kowalski", "Patel", "Osei", "Rahman", "Hassan", "Jones", "Mohamed", "Iqbal", "Adeyemi",
]  # fmt: skip
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
ROUTED_REASONS = (
    '["named in the resident\'s consent", "offers the service with capacity", '
    '"resident\'s own landlord"]'
)
ROUTED_ELSEWHERE_REASONS = (
    '["named in the resident\'s consent", "offers the service with capacity", '
    '"area and language", "fair share of load"]'
)
UNROUTED_REASONS = '["no member named in the consent offers the service with capacity"]'
S = ReferralStatus
DAY = 86_400
HOUR = 3_600


class ScaleLoadError(RuntimeError):
    """The scale data cannot be loaded here (and nothing was written)."""


@dataclass
class ScaleResult:
    referrals: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    analyzed: bool = False
    rebuilt_indexes: bool = False
    rebuild_seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


# --- The catalogue the rows are spread over ---------------------------------------------------


@dataclass(frozen=True)
class _Service:
    id: int
    kind: str
    need_summary: str
    accept_days: int
    contact_days: int
    providers: tuple[int, ...]


@dataclass
class _Catalogue:
    members: list[tuple[int, tuple[str, ...]]]  # (id, postcode districts)
    member_weights: list[float]
    services: list[_Service]
    caseworkers: dict[int, list[int]]
    shared_with: dict[tuple[int, int], str]  # (member, service) -> JSON list of member ids


def _load_catalogue(rng: random.Random) -> _Catalogue:
    members = [
        (pk, tuple(areas or ["E1"]))
        for pk, areas in Member.objects.order_by("pk").values_list("pk", "areas")
    ]
    offers: dict[int, list[int]] = {}
    for member_id, service_id in (
        Offer.objects.public().filter(is_active=True).values_list("member_id", "service_id")
    ):
        offers.setdefault(service_id, []).append(member_id)
    services = [
        _Service(
            id=pk,
            kind=kind or "employment",
            need_summary=f"Resident asks for {name.lower()}."[:300],
            accept_days=accept,
            contact_days=contact,
            providers=tuple(sorted(offers.get(pk, []))),
        )
        for pk, kind, name, accept, contact in Service.objects.order_by("pk").values_list(
            "pk", "kind__slug", "name", "sla_accept_days", "sla_first_contact_days"
        )
    ]
    caseworkers: dict[int, list[int]] = {}
    for member_id, user_id in (
        MembershipRole.objects.unscoped()
        .filter(role=MemberRole.CASEWORKER, membership__deactivated_at__isnull=True)
        .order_by("pk")
        .values_list("member_id", "membership__user_id")
    ):
        caseworkers.setdefault(member_id, []).append(user_id)
    shared_with = {
        (member_id, service.id): "["
        + ", ".join(map(str, sorted({member_id, *service.providers})))
        + "]"
        for member_id, _ in members
        for service in services
    }
    # Members differ in size: the biggest has about three times the residents of the smallest.
    weights = [rng.uniform(0.5, 1.5) for _ in members]
    return _Catalogue(members, weights, services, caseworkers, shared_with)


# --- Time: the last six financial quarters, in London working days -----------------------------


class _Calendar:
    """Days of the window as epoch seconds of London midnight, and SLA deadlines by lookup."""

    def __init__(self, today: date) -> None:
        first = current_quarter(today).last(QUARTERS)[0].start
        self.days = [first + timedelta(days=i) for i in range((today - first).days + 1)]
        self.midnight = [
            int(datetime.combine(day, time.min, tzinfo=LONDON).timestamp()) for day in self.days
        ]
        self.today_index = len(self.days) - 1
        self.now = int(clock.time())
        self._due: dict[tuple[int, int], int] = {}
        # Volumes grow over the window (the trend boards expect), and residents apply less at
        # weekends. A lookup table turns one random() into a weighted day.
        weights = [
            (1.0 + index / len(self.days)) * (0.35 if day.weekday() >= 5 else 1.0)
            for index, day in enumerate(self.days)
        ]
        total = sum(weights)
        table: list[int] = []
        size = 20_000
        for index, weight in enumerate(weights):
            table.extend([index] * round(weight / total * size))
        self.day_table = table or [0]

    def due(self, day_index: int, working_days: int) -> int:
        """Epoch seconds of 17:30 London on the Nth working day after the given day."""
        key = (day_index, working_days)
        found = self._due.get(key)
        if found is None:
            due_day = add_working_days(self.days[day_index], working_days)
            found = int(datetime.combine(due_day, time(17, 30), tzinfo=LONDON).timestamp())
            self._due[key] = found
        return found


_PAIRS = [a + b for a in REFERENCE_ALPHABET for b in REFERENCE_ALPHABET]
_PAIR = len(_PAIRS)
_MAX_REFERENCE_ID = _PAIR**4


def reference_for(application_id: int) -> str:
    """A unique, deterministic scale reference: "HS-" and the id in base 30, 8 characters."""
    if not 0 <= application_id < _MAX_REFERENCE_ID:
        raise ScaleLoadError(f"Application id {application_id} does not fit a scale reference.")
    rest, d4 = divmod(application_id, _PAIR)
    rest, d3 = divmod(rest, _PAIR)
    d1, d2 = divmod(rest, _PAIR)
    return f"{REFERENCE_PREFIX}{_PAIRS[d1]}{_PAIRS[d2]}-{_PAIRS[d3]}{_PAIRS[d4]}"


# --- Row generation ---------------------------------------------------------------------------
# Each table's rows are tuples in the column order of its spec below. Timestamps are epoch
# seconds (ints) and dates are days since 1970-01-01, converted in SQL (_ts, _date):
# formatting a datetime per row would cost more than the rest of the row.


@dataclass(frozen=True)
class _Staging:
    """A staging table filled from Python. kind: "int", "text", "json", "ts" (epoch seconds),
    "date" (days since 1970-01-01), "num", "bool"."""

    columns: tuple[tuple[str, str], ...]


STAGING: dict[str, _Staging] = {
    "resident": _Staging(
        (
            ("id", "int"),
            ("member_id", "int"),
            ("full_name", "text"),
            ("email", "text"),
            ("phone", "text"),
            ("postcode", "text"),
            ("postcode_district", "text"),
            ("date_of_birth", "date"),
            ("preferred_language", "text"),
            ("contact_method", "text"),
            ("created_at", "ts"),
            ("is_synthetic", "bool"),
        )
    ),
    # The referral's own columns, then what its application needs: the application, its
    # routing decision and its audit events are derived from these rows in SQL.
    "referral": _Staging(
        (
            ("id", "int"),
            ("member_id", "int"),
            ("application_id", "int"),
            ("reference", "text"),
            ("service_id", "int"),
            ("provider_id", "int"),
            ("status", "text"),
            ("area", "text"),
            ("language", "text"),
            ("need_summary", "text"),
            ("submitted_at", "ts"),
            ("routed_at", "ts"),
            ("unrouted_since", "ts"),
            ("accepted_at", "ts"),
            ("accepted_by_id", "int"),
            ("declined_at", "ts"),
            ("declined_by_id", "int"),
            ("decline_count", "int"),
            ("first_contact_at", "ts"),
            ("in_progress_at", "ts"),
            ("outcome_recorded_at", "ts"),
            ("closed_at", "ts"),
            ("closed_by_id", "int"),
            ("withdrawn_at", "ts"),
            ("sla_accept_due", "ts"),
            ("sla_first_contact_due", "ts"),
            ("sla_accept_breached", "bool"),
            ("sla_first_contact_breached", "bool"),
            ("updated_at", "ts"),
            ("is_synthetic", "bool"),
            ("resident_id", "int"),
            ("shared_with", "json"),
        )
    ),
    "outcome": _Staging(
        (
            ("member_id", "int"),
            ("referral_id", "int"),
            ("provider_id", "int"),
            ("service_id", "int"),
            ("type", "text"),
            ("achieved_on", "date"),
            ("hours_per_week", "num"),
            ("qualification_level", "int"),
            ("no_outcome_reason", "text"),
            ("recorded_at", "ts"),
            ("recorded_by_id", "int"),
            ("is_synthetic", "bool"),
        )
    ),
}
# Target tables, in foreign-key order, and the name each count is reported under.
TARGETS: dict[str, type[models.Model]] = {
    "resident": Resident,
    "application": Application,
    "referral": Referral,
    "referral_contact": ReferralContact,
    "routing_decision": RoutingDecision,
    "outcome": Outcome,
    "audit": AuditEvent,
}


@dataclass
class _Chunk:
    rows: dict[str, list[tuple[Any, ...]]]


def _generate_chunk(
    rng: random.Random,
    catalogue: _Catalogue,
    calendar: _Calendar,
    size: int,
    ids: dict[str, Sequence[int]],
) -> _Chunk:
    """`size` referrals. `ids` holds reserved ids: residents (at least size), applications and
    referrals (exactly size each); residents not used are simply not inserted."""
    rand = rng.random
    members = catalogue.members
    member_table: list[int] = []
    for index, weight in enumerate(catalogue.member_weights):
        member_table.extend([index] * round(weight * 100))
    member_table = member_table or [0]
    n_members_table = len(member_table)
    services = catalogue.services
    n_services = len(services)
    caseworkers = catalogue.caseworkers
    shared_with = catalogue.shared_with
    day_table = calendar.day_table
    n_days = len(day_table)
    midnight = calendar.midnight
    today_index = calendar.today_index
    now = calendar.now
    due = calendar.due
    resident_ids, application_ids, referral_ids = (
        ids["resident"],
        ids["application"],
        ids["referral"],
    )

    residents: list[tuple[Any, ...]] = []
    referrals: list[tuple[Any, ...]] = []
    outcomes: list[tuple[Any, ...]] = []
    # (resident id, member index, district, language) of this chunk's residents, for the ~20%
    # of referrals made by a resident who already applied for something else.
    known: list[tuple[int, int, str, str]] = []
    # Index in `residents` of each known resident: its created_at is its first application.
    position: list[int] = []

    for i in range(size):
        if known and rand() < 0.2:
            which = int(rand() * len(known))
            resident_id, member_index, district, language = known[which]
            row_index = position[which]
        else:
            resident_id = resident_ids[len(known)]
            member_index = member_table[int(rand() * n_members_table)]
            areas = members[member_index][1]
            district = areas[int(rand() * len(areas))]
            language = LANGUAGES[int(rand() * len(LANGUAGES))]
            first = FIRST_NAMES[int(rand() * len(FIRST_NAMES))]
            last = LAST_NAMES[int(rand() * len(LAST_NAMES))]
            residents.append(
                (
                    resident_id,
                    members[member_index][0],
                    f"{first} {last}",
                    f"{first}.{last}.{resident_id}@residents.scale.example".lower(),
                    f"07700 9{int(rand() * 100_000):05d}",
                    f"{district} {1 + int(rand() * 9)}{POSTCODE_LETTERS[int(rand() * 20)]}"
                    f"{POSTCODE_LETTERS[int(rand() * 20)]}",
                    district,
                    # Born 1960 to 2006: days since the epoch.
                    -3653 + int(rand() * 17_000) if rand() < 0.85 else None,
                    language,
                    "email" if rand() < 0.6 else ("phone" if rand() < 0.7 else "text"),
                    None,  # created_at: filled below, when the first application is known
                    True,
                )
            )
            known.append((resident_id, member_index, district, language))
            row_index = len(residents) - 1
            position.append(row_index)
        member_id = members[member_index][0]
        service = services[int(rand() * n_services)]
        day = day_table[int(rand() * n_days)]
        submitted = midnight[day] + 7 * HOUR + int(rand() * 13 * HOUR)
        if submitted > now:
            submitted = now - int(rand() * 6 * HOUR)
        age = today_index - day
        application_id = application_ids[i]
        referral_id = referral_ids[i]
        reference = reference_for(application_id)
        created = residents[row_index][10]
        if created is None or submitted - 600 < created:
            residents[row_index] = (*residents[row_index][:10], submitted - 600, True)

        providers = service.providers
        provider: int | None = None
        if providers and rand() >= 0.02:
            provider = (
                member_id if member_id in providers else providers[int(rand() * len(providers))]
            )
        status = S.SUBMITTED
        routed = unrouted = accepted = declined = first_contact = in_progress = None
        outcome_at = closed = withdrawn = accept_due = contact_due = None
        accepted_by = declined_by = closed_by = None
        decline_count = 0
        accept_breached = contact_breached = False
        if provider is None:
            unrouted = submitted
            status = S.SUBMITTED
            if age > 10 and rand() < 0.5:
                status, withdrawn = S.WITHDRAWN, submitted + (2 + int(rand() * 7)) * DAY
        else:
            routed = submitted + 30 + int(rand() * 600)
            status = S.ROUTED
            accept_due = due(day, service.accept_days)
            workers = caseworkers.get(provider)
            worker = workers[int(rand() * len(workers))] if workers else None
            roll = rand()
            if roll < 0.04 and age >= 1:
                # Declined with no next provider: waits in the coordinator's queue.
                status, declined, declined_by, decline_count = S.DECLINED, routed, worker, 1
                declined += int(rand() * 40 * HOUR)
                unrouted = declined
            elif roll < 0.10 and age >= 2:
                status, withdrawn = S.WITHDRAWN, routed + int((0.5 + rand() * 6) * DAY)
            elif roll < 0.14 and age < 15:
                pass  # Still waiting for the provider: overdue once past sla_accept_due.
            elif age >= 1 or rand() < 0.3:
                # Accepted within hours to a few days: ~10% miss the accept target.
                accepted = routed + int((1 + rand() ** 2 * 110) * HOUR)
                accepted_by = worker
                status = S.ACCEPTED
                contact_due = due(day, service.contact_days)
                first_contact = accepted + int((0.5 + rand() ** 2 * 150) * HOUR)
                if age >= 14:
                    in_progress = first_contact
                    status = S.IN_PROGRESS
                if age > 40 and rand() < 0.30:
                    outcome_at = accepted + int((20 + rand() * 40) * DAY)
                    status = S.OUTCOME_RECORDED
                    if rand() < 0.85:
                        closed = outcome_at + int((1 + rand() * 6) * DAY)
                        closed_by = worker
                        status = S.CLOSED
        # A step cannot have happened after now (the last days of the window): keep such a
        # referral open at its last step that is in the past.
        if any(
            t is not None and t > now
            for t in (withdrawn, declined, accepted, first_contact, outcome_at, closed)
        ):
            if closed and closed > now:
                closed, closed_by, status = None, None, S.OUTCOME_RECORDED
            if outcome_at and outcome_at > now:
                outcome_at, status = None, S.IN_PROGRESS if in_progress else S.ACCEPTED
            if first_contact and first_contact > now:
                first_contact = in_progress = None
                status = S.ACCEPTED
            if accepted and accepted > now:
                accepted = accepted_by = contact_due = None
                status = S.ROUTED
            if declined and declined > now:
                declined = declined_by = unrouted = None
                decline_count, status = 0, S.ROUTED
            if withdrawn and withdrawn > now:
                withdrawn, status = None, S.ROUTED if routed else S.SUBMITTED
        if accepted is not None and accept_due is not None:
            accept_breached = accepted > accept_due
        elif accept_due is not None and status == S.ROUTED:
            accept_breached = now > accept_due
        if first_contact is not None and contact_due is not None:
            contact_breached = first_contact > contact_due
        updated = max(
            t
            for t in (
                submitted,
                routed,
                declined,
                accepted,
                first_contact,
                outcome_at,
                closed,
                withdrawn,
            )
            if t is not None
        )

        referrals.append(
            (
                referral_id,
                member_id,
                application_id,
                reference,
                service.id,
                provider,
                str(status),
                district,
                language,
                service.need_summary,
                submitted,
                routed,
                unrouted,
                accepted,
                accepted_by,
                declined,
                declined_by,
                decline_count,
                first_contact,
                in_progress,
                outcome_at,
                closed,
                closed_by,
                withdrawn,
                accept_due,
                contact_due,
                accept_breached,
                contact_breached,
                updated,
                True,
                resident_id,
                shared_with[(member_id, service.id)],
            )
        )
        if outcome_at is not None:
            _outcomes(
                rand,
                outcomes,
                member_id,
                referral_id,
                provider,
                service,
                outcome_at,
                accepted_by,
                now,
            )

    return _Chunk({"resident": residents, "referral": referrals, "outcome": outcomes})


def _outcomes(
    rand: Callable[[], float],
    out: list[tuple[Any, ...]],
    member_id: int,
    referral_id: int,
    provider: int | None,
    service: _Service,
    recorded: int,
    worker: int | None,
    now: int,
) -> None:
    achieved = recorded // DAY

    def add(
        kind: OutcomeType,
        days: int,
        hours: str | None = None,
        level: int | None = None,
        reason: str = "",
    ) -> None:
        at = recorded + days * DAY
        if at <= now:
            out.append(
                (
                    member_id,
                    referral_id,
                    provider,
                    service.id,
                    kind.value,
                    achieved + days,
                    hours,
                    level,
                    reason,
                    at,
                    worker,
                    True,
                )
            )

    roll = rand()
    if service.kind == "employment" and roll < 0.6:
        hours = ("16.0", "20.0", "25.0", "30.0", "37.5")[int(rand() * 5)]
        add(OutcomeType.JOB_STARTED, 0, hours)
        if rand() < 0.7:
            add(OutcomeType.JOB_SUSTAINED_13, 91, hours)
            if rand() < 0.75:
                add(OutcomeType.JOB_SUSTAINED_26, 182, hours)
    elif service.kind == "employment" and roll < 0.7:
        add(OutcomeType.APPRENTICESHIP, 0)
    elif service.kind == "learning" and roll < 0.8:
        add(OutcomeType.TRAINING_COMPLETED, 0)
        if rand() < 0.5:
            add(OutcomeType.QUALIFICATION, 0, level=(1, 1, 2, 2, 3)[int(rand() * 5)])
    elif roll < 0.85:
        add(OutcomeType.VOLUNTEERING, 0)
    else:
        add(OutcomeType.NO_OUTCOME, 0, reason="Resident moved away (synthetic).")


# --- Writing: staging tables, then INSERT ... SELECT ---------------------------------------

_STAGING_TYPES = {
    "int": "bigint",
    "text": "text",
    "json": "text",
    "ts": "bigint",
    "date": "integer",
    "num": "numeric",
    "bool": "boolean",
}


def _ts(expression: str) -> str:
    """Epoch seconds to a timestamp."""
    return f"to_timestamp({expression})"


def _date(expression: str) -> str:
    """Days since 1970-01-01 to a date."""
    return f"DATE '1970-01-01' + {expression}"


def _json(expression: str) -> str:
    return f"({expression})::jsonb"


def _staged_value(column: str, kind: str) -> str:
    """A staged column as its target type (see _Staging)."""
    expression = f"s.{column}"
    if kind == "ts":
        return _ts(expression)
    if kind == "date":
        return _date(expression)
    if kind == "json":
        return _json(expression)
    return expression


# A column of a derived INSERT: (target column, SQL expression, its parameters).
_Column = tuple[str, str, list[Any]]


def _derived_inserts() -> dict[str, list[tuple[list[_Column], str]]]:
    """The INSERT ... SELECT of every target table: its columns and its FROM clause."""

    def direct(name: str, skip: tuple[str, ...] = ()) -> list[_Column]:
        return [
            (column, _staged_value(column, kind), [])
            for column, kind in STAGING[name].columns
            if column not in skip
        ]

    synthetic = f"{AUDIT_REASON}: "
    return {
        "resident": [(direct("resident"), "scale_resident")],
        "application": [
            (
                [
                    ("id", "s.application_id", []),
                    ("member_id", "s.member_id", []),
                    ("reference", "s.reference", []),
                    ("service_id", "s.service_id", []),
                    ("resident_id", "s.resident_id", []),
                    ("language", "s.language", []),
                    ("submitted_at", _ts("s.submitted_at"), []),
                    ("idempotency_key", "'scale-' || s.application_id", []),
                    ("lawful_basis", "%s", [LawfulBasis.CONSENT.value]),
                    ("data_sharing_text", "%s", [DATA_SHARING_TEXT]),
                    ("shared_with_member_ids", _json("s.shared_with"), []),
                    ("consent_given_at", _ts("s.submitted_at"), []),
                    ("withdrawn_at", _ts("s.withdrawn_at"), []),
                ],
                "scale_referral",
            )
        ],
        "referral": [(direct("referral", skip=("resident_id", "shared_with")), "scale_referral")],
        # The snapshot of the resident's contact details taken when the referral was sent,
        # which the provider may read once it has accepted.
        "referral_contact": [
            (
                [
                    ("member_id", "s.member_id", []),
                    ("referral_id", "s.id", []),
                    ("full_name", "r.full_name", []),
                    ("email", "r.email", []),
                    ("phone", "r.phone", []),
                    ("postcode", "r.postcode", []),
                    ("date_of_birth", _date("r.date_of_birth"), []),
                    ("preferred_language", "r.preferred_language", []),
                    ("contact_method", "r.contact_method", []),
                    ("created_at", _ts("s.submitted_at"), []),
                ],
                "scale_referral AS s JOIN scale_resident AS r ON r.id = s.resident_id",
            )
        ],
        "routing_decision": [
            (
                [
                    ("member_id", "s.member_id", []),
                    ("referral_id", "s.id", []),
                    ("provider_id", "s.provider_id", []),
                    ("decided_at", _ts("COALESCE(s.routed_at, s.submitted_at + 30)"), []),
                    (
                        # Each branch a constant of its own, cast once when the statement is
                        # planned (a cast around the CASE parsed the JSON again on every row).
                        "reasons",
                        f"CASE WHEN s.provider_id IS NULL THEN {_json('%s')} "
                        f"WHEN s.provider_id = s.member_id THEN {_json('%s')} "
                        f"ELSE {_json('%s')} END",
                        [UNROUTED_REASONS, ROUTED_REASONS, ROUTED_ELSEWHERE_REASONS],
                    ),
                    ("note", "%s", ["Synthetic scale data."]),
                ],
                "scale_referral",
            )
        ],
        "outcome": [(direct("outcome"), "scale_outcome")],
        # Two events per referral: the application arriving, and the provider opening it.
        "audit": [
            (
                [
                    ("member_id", "s.member_id", []),
                    ("at", _ts("s.submitted_at"), []),
                    ("action", "%s", [AuditAction.CREATE.value]),
                    ("object_type", "%s", [AuditObjectType.REFERRAL.value]),
                    ("object_id", "CAST(s.id AS TEXT)", []),
                    ("reason", "%s", [synthetic + "application submitted"]),
                ],
                "scale_referral",
            ),
            (
                [
                    ("member_id", "s.member_id", []),
                    (
                        "at",
                        _ts("COALESCE(s.accepted_at, s.routed_at, s.submitted_at) + 60"),
                        [],
                    ),
                    ("actor_id", "s.accepted_by_id", []),
                    ("action", "%s", [AuditAction.VIEW.value]),
                    ("object_type", "%s", [AuditObjectType.REFERRAL.value]),
                    ("object_id", "CAST(s.id AS TEXT)", []),
                    ("reason", "%s", [synthetic + "referral opened"]),
                ],
                "scale_referral",
            ),
        ],
    }


def _missing_defaults(model: type[models.Model], given: set[str]) -> list[_Column]:
    """Columns the loader does not fill (e.g. added by a later feature), with the model's
    default: the loader keeps working as models grow."""
    missing: list[_Column] = []
    for model_field in model._meta.concrete_fields:
        if model_field.column is None or model_field.column in given or model_field.primary_key:
            continue
        if model_field.has_db_default():
            continue  # the database fills it (get_default() is a DatabaseDefault, not a value)
        value = model_field.get_db_prep_save(model_field.get_default(), connection)
        missing.append((model_field.column, "%s", [value]))
    return missing


def _text_format(rows: list[tuple[Any, ...]]) -> io.StringIO:
    """COPY text format: tab-separated, \\N for NULL. Values are generated here and never hold
    a tab, newline or backslash, so no escaping is needed."""
    out = io.StringIO()
    write = out.write
    for row in rows:
        write(
            "\t".join(
                [
                    "\\N" if v is None else ("t" if v is True else "f" if v is False else str(v))
                    for v in row
                ]
            )
        )
        write("\n")
    out.seek(0)
    return out


def _prepare(
    rng: random.Random,
    catalogue: _Catalogue,
    calendar: _Calendar,
    size: int,
    ids: dict[str, Sequence[int]],
) -> dict[str, io.StringIO]:
    """Generate a chunk and turn it into COPY text (in the generating thread)."""
    rows = _generate_chunk(rng, catalogue, calendar, size, ids).rows
    return {name: _text_format(staged) for name, staged in rows.items()}


class _Writer:
    """COPYs chunks into the staging tables and moves them into the real tables with
    INSERT ... SELECT, under the caller's consortium scope."""

    def __init__(self) -> None:
        self.cursor = connection.cursor()
        self.sequences: dict[str, str] = {}
        self.inserts = _derived_inserts()
        for name, staging in STAGING.items():
            self.cursor.execute(f"DROP TABLE IF EXISTS scale_{name}")
            self.cursor.execute(
                f"CREATE TEMPORARY TABLE scale_{name} ("
                + ", ".join(f"{column} {_STAGING_TYPES[kind]}" for column, kind in staging.columns)
                + ")"
            )
        for name in ("resident", "application", "referral"):
            self.cursor.execute(
                "SELECT pg_get_serial_sequence(%s, 'id')", [TARGETS[name]._meta.db_table]
            )
            self.sequences[name] = self.cursor.fetchone()[0]
        # Foreign keys are DEFERRABLE INITIALLY DEFERRED; checking them at the end of each
        # statement keeps the queue of pending checks to one chunk, not the whole load.
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def reserve(self, name: str, count: int) -> Sequence[int]:
        """`count` ids for a table, from the table's own sequence, so the portal's later
        inserts never collide with them."""
        self.cursor.execute(
            "SELECT min(v), max(v) FROM (SELECT nextval(%s::regclass) AS v "
            "FROM generate_series(1, %s)) AS s",
            [self.sequences[name], count],
        )
        low, high = self.cursor.fetchone()
        if high - low + 1 == count:
            return range(low, high + 1)
        raise ScaleLoadError(
            "Other sessions took ids while the scale data was loading; run it again when the "
            "portal is quieter."
        )

    def stage(self, name: str, rows: io.StringIO) -> None:
        """Fill a staging table from COPY text (see _prepare)."""
        columns = [column for column, _ in STAGING[name].columns]
        # Table and column names below come from this module and the models, never from input;
        # every value travels as a parameter or through COPY.
        self.cursor.execute(f"TRUNCATE scale_{name}")
        started = clock.perf_counter()
        # One read of the whole chunk: psycopg2 reads the file in `size` pieces, each needing
        # the GIL, which the generating thread holds for up to 5 ms at a time (the default
        # 8 kB pieces made staging take twice its CPU time in wall time).
        self.cursor.cursor.copy_expert(
            f"COPY scale_{name} ({', '.join(columns)}) FROM STDIN",
            rows,
            size=max(len(rows.getvalue()), 8192),
        )
        logger.debug("scale: staged %s in %.2f s", name, clock.perf_counter() - started)

    def insert(self, name: str) -> int:
        model = TARGETS[name]
        inserted = 0
        for columns, source in self.inserts[name]:
            started = clock.perf_counter()
            columns = columns + _missing_defaults(model, {column for column, _, _ in columns})
            table = model._meta.db_table
            names = ", ".join(column for column, _, _ in columns)
            values = ", ".join(sql for _, sql, _ in columns)
            if " " not in source:
                source += " AS s"
            query = f'INSERT INTO "{table}" ({names}) SELECT {values} FROM {source}'  # noqa: S608 - names from the models
            self.cursor.execute(query, [param for _, _, params in columns for param in params])
            inserted += self.cursor.rowcount
            logger.debug("scale: inserted %s in %.2f s", name, clock.perf_counter() - started)
        return inserted

    def close(self) -> None:
        for name in STAGING:
            self.cursor.execute(f"DROP TABLE IF EXISTS scale_{name}")
        # Back to Django's default (every foreign key INITIALLY DEFERRED) for the rest of the
        # transaction the caller may still be in.
        self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self.cursor.close()


def _is_owner(tables: list[str]) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bool_and(pg_has_role(current_user, tableowner, 'USAGE')) FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename = ANY(%s)",
            [tables],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


# Single-column indexes kept during a load that rebuilds the others: the row-security policies
# of applications and outcomes hold an uncorrelated subquery ("resident_id IN (SELECT id FROM
# referrals_resident WHERE user_id = <the scope's user>)", and the same on the referrals'
# resident_user_id), run once per INSERT statement. Without these indexes each chunk's INSERT
# scanned the whole, growing residents or referrals table for it (about 4 CPU seconds over a
# 1,000,000 load). The scale rows have no user, so keeping them costs one NULL entry per row.
KEPT_INDEXES = (
    (Resident._meta.db_table, Resident._meta.get_field("user").column),
    (Referral._meta.db_table, Referral._meta.get_field("resident_user").column),
)


def _drop_secondary(cursor: Any, tables: list[str]) -> list[str]:
    """Drop the foreign keys, unique constraints and indexes of `tables` except the primary
    keys; return the statements that put them back. Run inside the load's transaction: if
    anything fails, PostgreSQL rolls the drops back with the rest. A unique constraint or index
    guards the data as well when it is rebuilt as when it is maintained: a duplicate fails the
    rebuild, and the whole load with it (the tables are locked meanwhile, so nothing else can
    write). Primary keys stay (the foreign keys point at them).

    Rebuilding an index once with a sort is faster than maintaining it row by row, and
    re-adding a foreign key as the table owner checks every row in one join instead of one
    trigger call per row (bench/README.md has the figures). pg_get_indexdef and
    pg_get_constraintdef give back each definition exactly (partial indexes included); the
    tests compare the schema before and after."""
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype "
        "FROM pg_constraint c WHERE c.contype IN ('f', 'u') AND c.conrelid = ANY(%s::regclass[]) "
        "ORDER BY c.contype, 1, 2",
        [tables],
    )
    constraints = cursor.fetchall()
    foreign_keys = [row[:3] for row in constraints if row[3] == "f"]
    uniques = [row[:3] for row in constraints if row[3] == "u"]
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), "
        "i.indpred IS NULL AND i.indexprs IS NULL FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
        # Unique constraints' own indexes go with their constraint (above).
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
        # The indexes the row-security policies' subqueries look up stay (see KEPT_INDEXES).
        "AND NOT (i.indnatts = 1 AND (i.indrelid::regclass::text, "
        "(SELECT a.attname::text FROM pg_attribute a "
        "WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[0])) "
        "IN (SELECT * FROM unnest(%s::text[], %s::text[]))) "
        "ORDER BY i.indrelid::regclass::text, 1",
        [tables, [table for table, _ in KEPT_INDEXES], [column for _, column in KEPT_INDEXES]],
    )
    indexes = []
    # A partial or expression index comes back from pg_get_indexdef with its casts spelled
    # out, not as written: those are rebuilt from the model's own declaration (the SQL the
    # migration ran), and left in place when the models do not declare them.
    declared = _declared_indexes()
    for name, definition, plain in cursor.fetchall():
        if not plain:
            if name not in declared:
                continue
            definition = declared[name]
        indexes.append((name, definition))
    for table, name, _ in foreign_keys + uniques:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return (
        [
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for table, name, definition in uniques
        ]
        + [definition for _, definition in indexes]
        + [
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for table, name, definition in foreign_keys
        ]
    )


def _declared_indexes() -> dict[str, str]:
    """CREATE INDEX statements of the loaded models' Meta.indexes, by name, as the migrations
    wrote them."""
    editor = connection.schema_editor()
    return {
        index.name: str(index.create_sql(model, editor))
        for model in TARGETS.values()
        for index in model._meta.indexes
    }


# --- The entry point --------------------------------------------------------------------------


def _ensure_catalogue() -> None:
    if not Service.objects.exists() or not Member.objects.exists():
        from devdata.demo import seed_demo

        logger.info("scale: no members or services yet, creating the demo catalogue first")
        seed_demo()


def _analyze(tables: list[str]) -> bool:
    """ANALYZE the loaded tables so the planner knows their new size. Only a table's owner may
    analyze it: as the application role this uses DATABASE_OWNER_URL when it is set."""
    if _is_owner(tables):
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f'{_analyze_command(table)} "{table}"')
        return True
    owner_url = getattr(settings, "DATABASE_OWNER_URL", None)
    if not owner_url:
        logger.warning("scale: DATABASE_OWNER_URL is not set, ANALYZE left to autovacuum")
        return False
    import dj_database_url
    import psycopg2

    owner = dj_database_url.parse(owner_url)
    conn = psycopg2.connect(
        dbname=connection.settings_dict["NAME"],
        user=owner.get("USER") or None,
        password=owner.get("PASSWORD") or None,
        host=owner.get("HOST") or None,
        port=owner.get("PORT") or None,
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            for table in tables:
                # This connection is in autocommit: VACUUM may run.
                command = "VACUUM (ANALYZE)" if table == Referral._meta.db_table else "ANALYZE"
                cursor.execute(f'{command} "{table}"')
    finally:
        conn.close()
    return True


# Settings for the load's own transaction (SET LOCAL: gone at commit or rollback). All of them
# may be set by any role; none weakens a guarantee the portal relies on:
# - synchronous_commit off: the one commit at the end does not wait for the WAL flush (a crash
#   in that instant loses the load, never half of it: the transaction is still atomic);
# - work_mem: the INSERT ... SELECT joins of the staging tables (contact snapshots join 100,000
#   referrals to their residents) hash in memory instead of in batches on disk;
# - maintenance_work_mem and max_parallel_maintenance_workers: the index rebuild sorts in
#   memory, with a worker per core;
# - jit off: every INSERT ... SELECT of a chunk and every foreign-key check of the rebuild is
#   estimated above jit_above_cost, and compiling it (with inlining and optimisation: the row
#   security policies' subplans make the estimates big) cost more CPU than it saved: the contact
#   snapshots' INSERT took 1.35 CPU s per 100,000 rows with JIT and 0.54 s without.
LOAD_SETTINGS = {
    "jit": "off",
    "synchronous_commit": "off",
    "work_mem": "256MB",
    "maintenance_work_mem": "512MB",
    "max_parallel_maintenance_workers": "2",
}
# The staging tables are TEMPORARY, held in the session's local buffers (8 MB by default): a
# chunk's staging tables (~60 MB) then go through the disk. temp_buffers can only be raised
# before the session first touches a temporary table, so it is tried and skipped if too late.
TEMP_BUFFERS = "256MB"


def _tune_load_transaction() -> None:
    with connection.cursor() as cursor:
        for name, value in LOAD_SETTINGS.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        try:
            with transaction.atomic():
                cursor.execute("SELECT set_config('temp_buffers', %s, true)", [TEMP_BUFFERS])
        except DatabaseError:
            logger.debug("scale: temp_buffers already fixed for this session")


def _analyze_command(table: str) -> str:
    """ANALYZE, and for the referrals table VACUUM (ANALYZE) when it can run (not inside a
    transaction): the vacuum marks the new pages all-visible, so the inbox counts its tabs
    with index-only scans straight away instead of after autovacuum gets round to it."""
    if table == Referral._meta.db_table and not connection.in_atomic_block:
        return "VACUUM (ANALYZE)"
    return "ANALYZE"


def _chunk_sizes(count: int, chunk: int) -> list[int]:
    """Chunk sizes summing to `count`: a small first chunk, growing by half each time up to
    `chunk`. Nothing overlaps the generation of the first chunk (PostgreSQL waits for it), so
    it is small; each next one takes Python about as long as PostgreSQL takes to write the one
    before, so the two stay busy from the start."""
    sizes: list[int] = []
    size = max(1, chunk // 10)
    done = 0
    while done < count:
        sizes.append(min(size, count - done))
        done += sizes[-1]
        size = min(chunk, size + (size + 1) // 2)
    return sizes


def _estimated_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass", [table]
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def load_scale(
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    chunk: int = CHUNK,
    analyze: bool = True,
    rebuild_indexes: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
) -> ScaleResult:
    """Add `count` synthetic referrals (and their residents, applications, routing decisions,
    outcomes and audit events) in one transaction: all of them, or nothing.

    `rebuild_indexes` (table owner only): drop the foreign keys, unique constraints and
    secondary indexes of the loaded tables for the load and rebuild them at the end, in the same
    transaction. Faster for a big load, but the tables are locked for the whole load: never
    against a portal in use. None (the default): when connected as the owner and the load at
    least doubles the referrals table (rebuilding costs the whole table, not only the new
    rows)."""
    if count < 1:
        raise ScaleLoadError("The number of referrals must be at least 1.")
    if chunk < 1:
        raise ScaleLoadError("The chunk size must be at least 1.")
    started = clock.perf_counter()
    result = ScaleResult()
    result.counts = dict.fromkeys(TARGETS, 0)
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    calendar = _Calendar(today or datetime.now(LONDON).date())
    tables = [model._meta.db_table for model in TARGETS.values()]
    _ensure_catalogue()
    with transaction.atomic(), consortium_scope(reason="load scale data"):
        catalogue = _load_catalogue(rng)
        if not catalogue.members or not catalogue.services:
            raise ScaleLoadError("There are no members or services to spread the data over.")
        restore: list[str] = []
        _tune_load_transaction()
        owner = _is_owner(tables)
        if rebuild_indexes and not owner:
            raise ScaleLoadError(
                "Rebuilding indexes needs the role that owns the tables (DATABASE_OWNER_URL)."
            )
        if rebuild_indexes is None:
            rebuild_indexes = owner and count >= _estimated_rows(Referral._meta.db_table)
        if rebuild_indexes:
            with connection.cursor() as cursor:
                # Fire the checks still pending (the scope's own audit row): a table with
                # pending trigger events cannot be altered.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                restore = _drop_secondary(cursor, tables)
        result.rebuilt_indexes = bool(rebuild_indexes)
        writer = _Writer()

        def prepare(size: int) -> Future[dict[str, io.StringIO]]:
            ids = {
                name: writer.reserve(name, size) for name in ("resident", "application", "referral")
            }
            return generator.submit(_prepare, rng, catalogue, calendar, size, ids)

        # One thread generates the next chunk while PostgreSQL inserts this one: the database
        # call releases the GIL, so on two cores the two overlap. Only that thread uses `rng`,
        # in chunk order, so a seed still gives the same data.
        generator = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scale")
        try:
            sizes = _chunk_sizes(count, chunk)
            pending = prepare(sizes[0])
            done = 0
            for index, size in enumerate(sizes):
                prepared = pending.result()
                if index + 1 < len(sizes):
                    pending = prepare(sizes[index + 1])
                for name, staged in prepared.items():
                    writer.stage(name, staged)
                for name in TARGETS:
                    result.counts[name] += writer.insert(name)
                done += size
                if progress:
                    progress(done, count)
        finally:
            generator.shutdown(wait=True, cancel_futures=True)
            writer.close()
        if restore:
            rebuild_started = clock.perf_counter()
            with connection.cursor() as cursor:
                for statement in restore:
                    statement_started = clock.perf_counter()
                    cursor.execute(statement)
                    logger.debug(
                        "scale: %.2f s %s", clock.perf_counter() - statement_started, statement
                    )
            result.rebuild_seconds = clock.perf_counter() - rebuild_started
        result.referrals = count
    # Resident ids reserved but not needed (residents with several referrals) are skipped: gaps
    # in a sequence are normal.
    if analyze:
        result.analyzed = _analyze(tables)
    result.seconds = clock.perf_counter() - started
    logger.info(
        "scale: loaded %s referrals (%s rows) in %.1f s (index rebuild %.1f s)",
        count,
        result.rows,
        result.seconds,
        result.rebuild_seconds,
    )
    return result
