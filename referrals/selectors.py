"""Reads of referrals, and the visibility rules: who sees what, stated once, here.

The parties of a referral are the resident's landlord (`member`) and the provider. Row-level
security already keeps everyone else out (and keeps the contact snapshot from the provider
until it accepts); these rules decide what each party is *shown*:

| who                                   | envelope | name, contact | timeline | notes | work it |
|---------------------------------------|----------|---------------|----------|-------|---------|
| provider, before it accepts           | yes      | no            | yes      | own   | accept  |
| provider, after it accepts            | yes      | yes (audited) | yes      | own   | yes     |
| the landlord (when not the provider)  | status, provider and outcomes only ("outgoing")   |
| the resident (their own referrals)    | status and outcome, in their language; withdraw   |
| anyone else                           | the same 404 as a referral that does not exist    |

The envelope is what a provider needs to decide: service, need summary, area, language and
accessibility needs. Case notes are private to the member that wrote them (row-level security
on CaseNote). Every showing of a resident's personal data is written to the audit log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, NamedTuple, cast

from django.conf import settings
from django.db import connections, router
from django.db.models import Count, F, Model, Q, QuerySet
from django.db.models.expressions import Col
from django.db.models.lookups import Exact
from django.db.models.signals import post_delete, post_save
from django.db.models.sql.where import AND, OR, WhereNode
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3

from audit.models import AuditAction, AuditObjectType
from audit.services import audit_record
from dataprotection.selectors import sharing_gate
from members.access import not_found
from members.actor import Actor
from members.managers import MemberScopedQuerySet
from members.models import Member
from referrals.models import (
    OPEN_STATUSES,
    TAKEN_ON_STATUSES,
    CaseNote,
    DeclineReason,
    Outcome,
    OutcomeType,
    Referral,
    ReferralContact,
    ReferralEvent,
    ReferralEventKind,
    ReferralStatus,
    RoutingDecision,
)
from referrals.routing import month_start
from services.models import Offer, Service

S = ReferralStatus
PAGE_SIZE = 50


# --- the rules -----------------------------------------------------------------------------------


def provider_has_taken_on(referral: Referral) -> bool:
    return referral.accepted_at is not None and referral.status in TAKEN_ON_STATUSES


def sees_in_full(referral: Referral, member_id: int | None) -> bool:
    """The resident's name and contact details: the provider once it has accepted, and the
    landlord for its own residents (whose records it holds anyway)."""
    return _sees_in_full(
        member_id,
        landlord_id=referral.member_id,
        provider_id=referral.provider_id,
        accepted_at=referral.accepted_at,
        status=referral.status,
    )


def _sees_in_full(
    member_id: int | None,
    *,
    landlord_id: int,
    provider_id: int | None,
    accepted_at: datetime | None,
    status: str,
) -> bool:
    if member_id is None:
        return False
    if provider_id == member_id and accepted_at is not None and status in TAKEN_ON_STATUSES:
        return True
    return landlord_id == member_id


def sees_in_full_q(member_id: int) -> Q:
    """sees_in_full as a query, for the name search."""
    return Q(member_id=member_id) | Q(
        provider_id=member_id, accepted_at__isnull=False, status__in=TAKEN_ON_STATUSES
    )


@dataclass(frozen=True)
class ReferralAccess:
    """A referral and what the actor's member may see and do with it."""

    referral: Referral
    is_provider: bool
    is_landlord: bool

    @property
    def outgoing_only(self) -> bool:
        """The landlord that is not the provider: status and outcome only."""
        return self.is_landlord and not self.is_provider

    @property
    def sees_contact(self) -> bool:
        return self.is_provider and provider_has_taken_on(self.referral)

    @property
    def sees_timeline(self) -> bool:
        return self.is_provider

    @property
    def can_work(self) -> bool:
        return self.is_provider


def access_referral_by_id(actor: Actor, referral_id: object) -> ReferralAccess:
    """The referral if the actor's member is a party to it; otherwise the same 404 as for a
    referral that does not exist."""
    if actor.member_id is None:
        raise not_found()
    try:
        pk = int(str(referral_id))
    except (TypeError, ValueError):
        raise not_found() from None
    referral = (
        Referral.objects.for_member(actor.member_id)
        .select_related("service", "provider", "member", "accepted_by")
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        raise not_found()
    is_provider = referral.provider_id == actor.member_id
    # A provider that declined keeps the row until the engine moves it on; it is no longer theirs.
    if is_provider and referral.status == S.DECLINED:
        is_provider = False
        if referral.member_id != actor.member_id:
            raise not_found()
    return ReferralAccess(
        referral=referral,
        is_provider=is_provider,
        is_landlord=referral.member_id == actor.member_id,
    )


def referral_contact_for(access: ReferralAccess, actor: Actor) -> ReferralContact | None:
    """The resident's contact details, when the rules allow; each showing is audited."""
    if not access.sees_contact:
        return None
    # unscoped(): the row belongs to the landlord; row-level security lets the provider read it
    # once it has accepted (ReferralContact.rls_extra_condition), the rule above says the same.
    contact = ReferralContact.objects.unscoped().filter(referral=access.referral).first()
    if contact is not None:
        audit_record(
            actor_id=actor.user_id,
            member_id=actor.member_id,
            action=AuditAction.VIEW,
            object_type=AuditObjectType.REFERRAL_CONTACT,
            object_id=access.referral.pk,
            reason="referral page: resident's contact details shown to the provider",
        )
    return contact


# --- the inbox -----------------------------------------------------------------------------------


class Tab:
    INCOMING = "incoming"
    OUTGOING = "outgoing"
    OVERDUE = "overdue"
    ALL = (INCOMING, OUTGOING, OVERDUE)


def overdue_q(now: datetime) -> Q:
    return Q(status=S.ROUTED, sla_accept_due__lt=now) | Q(
        status__in=(S.ACCEPTED, S.IN_PROGRESS),
        first_contact_at__isnull=True,
        sla_first_contact_due__lt=now,
    )


# In this order: the partial indexes on Referral (referral_inbox_open, referral_outgoing_open)
# are declared with the same lists.
INBOX_OPEN = [S.ROUTED, S.ACCEPTED, S.IN_PROGRESS, S.OUTCOME_RECORDED]
OUTGOING_OPEN = [S.SUBMITTED, S.ROUTED, S.DECLINED, S.ACCEPTED, S.IN_PROGRESS, S.OUTCOME_RECORDED]
COUNT_CAP = 1_000
# What a row of the inbox shows and decides with, read as plain values (no model instances): a
# page of 50 then costs little more than the rows themselves. A column the row template or
# inbox_rows uses must be listed here (the view tests render every column). The names of the
# service and the parties are not joined in: they come from catalogue_names (a per-process
# cache of those two small public tables), so the page is a single-table index walk.
INBOX_COLUMNS = (
    "id",
    "reference",
    "status",
    "area",
    "language",
    "submitted_at",
    "accepted_at",
    "first_contact_at",
    "sla_accept_due",
    "sla_first_contact_due",
    "member_id",
    "provider_id",
    "service_id",
    "assisted",
)


class CatalogueNames:
    """pk -> name for one small catalogue table (members' short names, services' names), kept
    per process. These are the consortium's public catalogue (no row-level security, the same
    for every member), so one cache serves every tenant.

    Read in one query when an id is missing (a new member or service shows at once) or the copy
    is older than `ttl` seconds; saving or deleting a row in this process empties it at once
    (signals below), so a rename made elsewhere shows within `ttl`."""

    def __init__(self, model: type[Model], field: str, ttl: float = 60.0) -> None:
        self.model = model
        self.field = field
        self.ttl = ttl
        self._names: dict[int, str] = {}
        self._read_at = float("-inf")

    def clear(self, **_: Any) -> None:
        self._read_at = float("-inf")

    def names(self, ids: Iterable[int | None]) -> dict[int, str]:
        """Every name, read again when stale or when one of `ids` is not known."""
        names = self._names
        if time.monotonic() - self._read_at > self.ttl or any(
            pk is not None and pk not in names for pk in ids
        ):
            read_at = time.monotonic()
            names = dict(self.model._base_manager.values_list("pk", self.field))
            self._names, self._read_at = names, read_at
        return names


MEMBER_NAMES = CatalogueNames(Member, "short_name")
SERVICE_NAMES = CatalogueNames(Service, "name")
for _cache in (MEMBER_NAMES, SERVICE_NAMES):
    post_save.connect(_cache.clear, sender=_cache.model, weak=False)
    post_delete.connect(_cache.clear, sender=_cache.model, weak=False)


def referral_inbox(
    *, actor: Actor, tab: str, now: datetime | None = None, open_only: bool = True
) -> QuerySet[Referral]:
    """One tab of a member's inbox: which referrals, in which order. Filter and count this; show
    a page of it through inbox_values (the columns a row prints, as plain values).

    By default only open referrals: the work to do. Closed and withdrawn ones are there when a
    status is asked for (`open_only=False`); each filter is served by an index that leads with
    the member's key, so a page costs the same at 10,000 referrals as at 1,000,000.
    """
    member_id = actor.member_id
    if member_id is None:
        return Referral.objects.none()
    now = now or timezone.now()
    tab = tab if tab in Tab.ALL else Tab.INCOMING
    queryset = _inbox_queryset(member_id, tab, now, open_only)
    # Only this very object carries the mark: filtering or ordering it makes a new queryset
    # without it, so inbox_values reads a tab's own list with a prepared statement and anything
    # narrowed with the ORM.
    queryset.inbox_list = _InboxList(member_id, tab, now, open_only)  # type: ignore[attr-defined]
    return queryset


def _inbox_queryset(member_id: int, tab: str, now: datetime, open_only: bool) -> QuerySet[Referral]:
    # unscoped() + an explicit party filter: stricter than for_member's "member OR provider", and
    # a single-column condition the partial indexes can serve in order. Row-level security
    # still applies underneath.
    base = Referral.objects.unscoped()
    if tab == Tab.OUTGOING:
        # The F() condition repeats the one above in the form of the partial index's predicate,
        # so PostgreSQL can use referral_outgoing_open.
        qs = base.filter(member_id=member_id).exclude(provider_id=member_id)
        qs = qs.exclude(provider=F("member"))
        if open_only:
            qs = qs.filter(status__in=OUTGOING_OPEN)
    elif tab == Tab.OVERDUE:
        qs = base.filter(overdue_q(now), provider_id=member_id)
    else:
        qs = base.filter(provider_id=member_id).exclude(status=S.DECLINED)
        if open_only:
            qs = qs.filter(status__in=INBOX_OPEN)
    return qs.order_by("-submitted_at", "-id")


def inbox_values(queryset: QuerySet[Referral]) -> QuerySet[Referral, dict[str, Any]] | InboxPage:
    """The rows of an inbox list as plain values (INBOX_COLUMNS): one single-table query for a
    page, no model instances. Slice it to a page; inbox_rows adds the names.

    A tab's own list, as referral_inbox returned it, is read with a prepared statement (see
    InboxPage); a filtered or re-sorted one with the ORM."""
    shape = getattr(queryset, "inbox_list", None)
    if isinstance(shape, _InboxList):
        return InboxPage(shape, queryset.db)
    return queryset.values(*INBOX_COLUMNS)


@dataclass(frozen=True, slots=True)
class _InboxList:
    member_id: int
    tab: str
    now: datetime
    open_only: bool


# Stand-ins for the member and the time while a tab's SQL is compiled once per process; they
# become the prepared statement's parameters $1 and $2.
_MEMBER_STANDIN = -7_654_321
_NOW_STANDIN = datetime(2001, 2, 3, 4, 5, 6, 789_012, tzinfo=UTC)
# (tab, open_only, offset, limit) -> (statement name, PREPARE text, whether it takes the time)
_INBOX_STATEMENTS: dict[tuple[str, bool, int, int], tuple[str, str, bool]] = {}


def _inbox_statement(
    cursor: Any, tab: str, open_only: bool, offset: int, limit: int
) -> tuple[str, str, bool]:
    """The PREPARE for one page of a tab, compiled from the ORM's own query (_inbox_queryset):
    the member and the time become parameters, every other value (the statuses, the page's
    bounds) a literal, so PostgreSQL's one plan for it can use the tab's partial index."""
    key = (tab, open_only, offset, limit)
    found = _INBOX_STATEMENTS.get(key)
    if found is not None:
        return found
    page = _inbox_queryset(_MEMBER_STANDIN, tab, _NOW_STANDIN, open_only).values(*INBOX_COLUMNS)
    sql, params = page[offset : offset + limit].query.sql_with_params()
    pieces = sql.split("%s")
    if "%%" in sql or len(pieces) != len(params) + 1 or _MEMBER_STANDIN not in params:
        raise RuntimeError(f"The inbox's {tab} list does not compile to a statement: {sql}")
    text = [pieces[0]]
    for param, piece in zip(params, pieces[1:], strict=True):
        if isinstance(param, int) and param == _MEMBER_STANDIN:
            text.append("$1")
        elif isinstance(param, datetime) and param == _NOW_STANDIN:
            text.append("$2")
        elif isinstance(param, str):
            text.append(cursor.mogrify("%s", [param]).decode())  # quoted by the driver
        else:
            raise RuntimeError(f"The inbox's {tab} list has a parameter of type {type(param)}")
        text.append(piece)
    takes_now = _NOW_STANDIN in params
    name = f"inbox_{tab}_{'open' if open_only else 'all'}_{offset}_{limit}"
    types = "bigint, timestamptz" if takes_now else "bigint"
    prepare = f"PREPARE {name}({types}) AS {''.join(text)}"
    _INBOX_STATEMENTS[key] = (name, prepare, takes_now)
    return name, prepare, takes_now


def _prepare_once(connection: Any, cursor: Any, name: str, prepare: str) -> None:
    """PREPARE on this connection unless done already. A prepared statement lives as long as its
    session (a rolled-back transaction keeps it), so each is prepared again only on a new
    connection."""
    held: tuple[Any, set[str]] | None = getattr(connection, "inbox_prepared", None)
    if held is None or held[0] is not connection.connection:
        held = (connection.connection, set())
        connection.inbox_prepared = held
    if name not in held[1]:
        cursor.execute(prepare)
        held[1].add(name)


class InboxPage:
    """A tab's own list (referral_inbox, unfiltered) sliced to a page, read with a prepared
    statement: no query to build or compile in Python, the same rows as the ORM's (the statement
    is compiled from the ORM's query). PostgreSQL decides whether to keep one plan for it or plan
    each call (it keeps planning the incoming tab's: a generic plan cannot know how many
    referrals the member has, and for a small table it would sort them all). Row-level security
    applies as to any query: the policies read the member scope's settings when it runs."""

    def __init__(self, shape: _InboxList, using: str) -> None:
        self.shape = shape
        self.using = using

    def __getitem__(self, k: slice) -> list[dict[str, Any]]:
        if not isinstance(k, slice) or k.step is not None or k.stop is None:
            raise TypeError("An inbox page is read as a slice [start:stop].")
        offset = max(int(k.start or 0), 0)
        limit = max(int(k.stop) - offset, 0)
        if not limit:
            return []
        shape = self.shape
        connection = connections[self.using]
        with connection.cursor() as cursor:
            name, prepare, takes_now = _inbox_statement(
                cursor, shape.tab, shape.open_only, offset, limit
            )
            _prepare_once(connection, cursor, name, prepare)
            if takes_now:
                cursor.execute(f"EXECUTE {name}(%s, %s)", [shape.member_id, shape.now])
            else:
                cursor.execute(f"EXECUTE {name}(%s)", [shape.member_id])
            columns = [column[0] for column in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# The residents' names for a page, as a statement prepared once per database connection: its
# text never changes (the ids are its one parameter), so PostgreSQL plans it (and the contact
# table's row-level security policy) once rather than on every page. Row-level security still
# decides, on every execution, which rows come back: the plan reads the member scope's settings
# when it runs, and PostgreSQL plans again if the role changes.
_CONTACT_NAMES_PREPARE = (
    "PREPARE inbox_contact_names(bigint[]) AS SELECT referral_id, full_name"
    " FROM referrals_referralcontact WHERE referral_id = ANY($1)"
)
# The plan is the same whatever the ids (a lookup of each in the contact table's unique key),
# so PostgreSQL is told to keep it: left to choose, it plans again on every call because its
# estimate for one plan of any list is a little above that for a plan of the list in hand. SET
# LOCAL ends with the transaction (the member scope's), and the same round trip carries it.
_CONTACT_NAMES_EXECUTE = (
    "SET LOCAL plan_cache_mode = force_generic_plan; EXECUTE inbox_contact_names(%s)"
)


def _contact_names(referral_ids: list[int]) -> dict[int, str]:
    """referral id -> the resident's name, for the referrals row-level security lets through."""
    connection = connections[router.db_for_read(ReferralContact)]
    with connection.cursor() as cursor:
        _prepare_once(connection, cursor, "inbox_contact_names", _CONTACT_NAMES_PREPARE)
        cursor.execute(_CONTACT_NAMES_EXECUTE, [referral_ids])
        return dict(cursor.fetchall())


def _sees_in_full_row(row: dict[str, Any], member_id: int) -> bool:
    """sees_in_full for a row of inbox_values."""
    return _sees_in_full(
        member_id,
        landlord_id=row["member_id"],
        provider_id=row["provider_id"],
        accepted_at=row["accepted_at"],
        status=row["status"],
    )


class InboxRow(NamedTuple):
    """One row of the inbox table, ready to print (the template does no lookups). A named tuple:
    immutable, and a third of the cost of a frozen dataclass to build, 50 times a page."""

    id: int
    reference: str
    href: str
    service: str
    status_label: str
    name: str
    area: str
    language: str
    # The other party: the landlord on incoming rows, the provider on outgoing ones ("" when
    # not yet routed).
    party: str
    overdue: bool
    sla_due: datetime | None
    # Made by a caseworker with the resident, not online by the resident alone.
    assisted: bool = False
    # sla_due in the current time zone, formatted as the template's `date` filter would ("c"
    # and "j M, H:i"), here once rather than by two filters per row in the template.
    sla_due_iso: str = ""
    sla_due_text: str = ""


def _detail_href() -> Callable[[int], str]:
    """The referral page's URL for an id, reversed once per page rather than once per row."""
    marker = 987654321
    pattern = reverse("referrals:detail", args=[marker])
    head, tail = pattern.split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def inbox_rows(
    values: Iterable[dict[str, Any]], member_id: int, now: datetime, *, tab: str = Tab.INCOMING
) -> list[InboxRow]:
    """The page's rows from inbox_values, with the residents' names where the member may see
    them (sees_in_full; one query, none when no row may show a name)."""
    values = list(values)
    members = MEMBER_NAMES.names(
        r["provider_id"] if tab == Tab.OUTGOING else r["member_id"] for r in values
    )
    services = SERVICE_NAMES.names(r["service_id"] for r in values)
    full = [r["id"] for r in values if _sees_in_full_row(r, member_id)]
    names = _contact_names(full) if full else {}
    href = _detail_href()
    labels = dict(S.choices)
    months: dict[int, str] = {}
    zone = timezone.get_current_timezone()
    outgoing = tab == Tab.OUTGOING
    rows = []
    for r in values:
        status = r["status"]
        if status == S.ROUTED:
            due = r["sla_accept_due"]
        elif status in (S.ACCEPTED, S.IN_PROGRESS) and r["first_contact_at"] is None:
            due = r["sla_first_contact_due"]
        else:
            due = None
        rows.append(
            InboxRow(
                id=r["id"],
                reference=r["reference"],
                href=href(r["id"]),
                service=services.get(r["service_id"], ""),
                status_label=labels.get(status, status),
                name=names.get(r["id"], ""),
                area=r["area"],
                language=r["language"],
                party=members.get(r["provider_id"] if outgoing else r["member_id"], ""),
                overdue=due is not None and due < now,
                sla_due=due,
                assisted=r["assisted"],
                sla_due_iso=local.isoformat() if (local := _local(due, zone)) else "",
                sla_due_text=_day_month_time(local, months) if local else "",
            )
        )
    return rows


def _local(value: datetime | None, zone: tzinfo) -> datetime | None:
    """As the template's `date` filter sees a datetime: in the current time zone."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(zone)


def _day_month_time(local: datetime, months: dict[int, str]) -> str:
    """The `date` filter's "j M, H:i" (e.g. "3 Feb, 09:05"), with each month's abbreviation
    translated once per page (`months`) rather than once per row."""
    month = months.get(local.month)
    if month is None:
        month = months[local.month] = str(MONTHS_3[local.month]).title()
    return f"{local.day} {month}, {local.hour:02d}:{local.minute:02d}"


def capped_count(queryset: QuerySet[Any], cap: int = COUNT_CAP) -> int:
    """Count up to cap + 1 rows: enough to print "1,000+", and it costs the same at any size."""
    # Kept in the list's own order: PostgreSQL then walks the index and stops at the cap,
    # rather than building a bitmap of every matching row first.
    return int(queryset.values("pk")[: cap + 1].count())


def inbox_counts(*, actor: Actor, now: datetime | None = None) -> dict[str, int]:
    """The number of open referrals on each tab (capped: see capped_count)."""
    if actor.member_id is None:
        return dict.fromkeys(Tab.ALL, 0)
    now = now or timezone.now()
    return {tab: capped_count(referral_inbox(actor=actor, tab=tab, now=now)) for tab in Tab.ALL}


# --- both parties' referrals as one list (the API) -----------------------------------------------


class EitherPartyQuerySet(MemberScopedQuerySet):
    """A member's referrals as either party (the provider OR the resident's landlord), read a
    page at a time as two index walks instead of one scan of the OR.

    PostgreSQL cannot walk one index in the list's order for "member_id = m OR provider_id = m":
    it gathers every referral of the member and sorts them (0.8 s at 1,000,000 referrals). A
    slice [a:b] of this queryset (what a paginator takes) is read instead as

        WHERE <the same filters> AND id IN (
            (<the same, provider_id = m> ORDER BY <the same> LIMIT b)
            UNION ALL
            (<the same, member_id = m, provider_id <> m> ORDER BY <the same> LIMIT b))
        ORDER BY <the same> OFFSET a LIMIT b - a

    The two halves are disjoint and together are the OR, and the first b rows of a list are
    among the first b of each half, so the rows, their order and the query count are the same.
    Only with an ordering and a bounded slice; anything else reads the OR as it is.
    """

    either_party: int | None = None

    def _clone(self) -> Any:
        # Django's clone copies the query, not the queryset's own attributes.
        clone = super()._clone()  # type: ignore[misc]
        clone.either_party = self.either_party
        return clone

    def __getitem__(self, k: Any) -> Any:
        member_id = self.either_party
        if (
            member_id is None
            or not isinstance(k, slice)
            or k.stop is None
            or k.step is not None
            or self._result_cache is not None
            or self.query.is_sliced
            or self.query.combinator
            or not self.query.order_by
        ):
            return super().__getitem__(k)
        plain = self.all()
        plain.either_party = None
        half = plain._without_the_or(member_id)
        if half is None:
            return plain[k]
        stop = int(k.stop)
        as_provider = half.filter(provider_id=member_id).values("pk")[:stop]
        as_landlord = half.filter(member_id=member_id).exclude(provider_id=member_id)
        both = as_provider.union(as_landlord.values("pk")[:stop], all=True)
        return plain.filter(pk__in=both)[k]

    def _without_the_or(self, member_id: int) -> EitherPartyQuerySet | None:
        """This queryset without its first condition, when that is the parties' OR (as
        referrals_of_either_party puts it): each half states its own party instead, and
        PostgreSQL, seeing no OR, walks that party's index. None if it is not."""
        half = self.all()
        where = half.query.where
        first = where.children[0] if where.children else None
        if (
            where.connector != AND
            or where.negated
            or not isinstance(first, WhereNode)
            or first.connector != OR
            or first.negated
            or len(first.children) != 2
            or {_exact_on(child) for child in first.children}
            != {("member_id", member_id), ("provider_id", member_id)}
        ):
            return None
        del where.children[0]
        return half


def _exact_on(condition: Any) -> tuple[str, Any] | None:
    """(column, value) of a `column = value` condition on the referrals table, else None."""
    if not isinstance(condition, Exact) or not isinstance(condition.lhs, Col):
        return None
    if condition.lhs.alias != Referral._meta.db_table:
        return None
    return condition.lhs.target.attname, condition.rhs


def referrals_of_either_party(member_id: int) -> EitherPartyQuerySet:
    """Every referral the member is a party to (as Referral.objects.for_member), read a page at
    a time as two index walks: see EitherPartyQuerySet."""
    queryset = cast(EitherPartyQuerySet, EitherPartyQuerySet(model=Referral).for_member(member_id))
    queryset.either_party = member_id
    return queryset


# --- the referral page ---------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: datetime
    kind: str
    title: str
    lines: list[str] = field(default_factory=list)
    actor: str = ""
    reasons: list[dict[str, Any]] = field(default_factory=list)


def _reason_dicts(raw: Any) -> list[dict[str, Any]]:
    # Demo data stores plain strings; the engine stores dicts.
    out = []
    for item in raw or []:
        if isinstance(item, dict):
            out.append(item)
        else:
            out.append({"verdict": "", "text": str(item), "member": "", "rule": ""})
    return out


def referral_timeline(access: ReferralAccess) -> list[TimelineEntry]:
    """Routing decisions, status changes, contact, SLA flags, notes and outcomes, newest first.
    Row-level security already limits each list to the rows this member is a party to."""
    referral = access.referral
    entries: list[TimelineEntry] = []
    status_labels = dict(S.choices)
    decline_labels = dict(DeclineReason.choices)
    if access.sees_timeline:
        for d in RoutingDecision.objects.filter(referral=referral).select_related(
            "provider", "decided_by"
        ):
            entries.append(
                TimelineEntry(
                    at=d.decided_at,
                    kind="routing",
                    title=(
                        f"Routing: sent to {d.provider.short_name}"
                        if d.provider
                        else "Routing: no member fits"
                    ),
                    actor=d.decided_by.full_name if d.decided_by else "Routing engine",
                    reasons=_reason_dicts(d.reasons),
                    lines=[d.note] if d.decided_by and d.note else [],
                )
            )
    for e in ReferralEvent.objects.filter(referral=referral).select_related("actor"):
        lines = []
        if e.kind == ReferralEventKind.TRANSITION:
            title = f"Status: {status_labels.get(e.to_status, e.to_status)}"
            if e.to_status == S.DECLINED and e.reason:
                lines.append(f"Reason: {decline_labels.get(e.reason, e.reason)}")
        elif e.kind == ReferralEventKind.CONTACT:
            title = "Resident contacted"
        elif e.kind == ReferralEventKind.SLA_BREACH:
            title = "SLA missed: " + ("time to accept" if e.reason == "accept" else "first contact")
        else:
            title = "Reminder: " + e.reason.replace("_", " ")
        if access.sees_timeline and e.note:
            lines.append(e.note)
        entries.append(
            TimelineEntry(
                at=e.at,
                kind=e.kind,
                title=title,
                lines=lines,
                actor=e.actor.full_name if (e.actor and access.sees_timeline) else "",
            )
        )
    for o in referral_outcomes(referral):
        entries.append(
            TimelineEntry(
                at=o.recorded_at,
                kind="outcome",
                title=f"Outcome: {o.get_type_display()} on {o.achieved_on:%d %b %Y}",
                lines=outcome_detail(o),
                actor=o.recorded_by.full_name if (o.recorded_by and access.sees_timeline) else "",
            )
        )
    if access.is_provider or access.is_landlord:
        for n in CaseNote.objects.filter(referral=referral).select_related("author"):
            entries.append(
                TimelineEntry(
                    at=n.created_at,
                    kind="note",
                    title="Note",
                    lines=[n.body],
                    actor=n.author.full_name,
                )
            )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def referral_outcomes(referral: Referral) -> list[Outcome]:
    return list(
        Outcome.objects.filter(referral=referral)
        .select_related("recorded_by")
        .order_by("achieved_on", "pk")
    )


def outcome_detail(o: Outcome) -> list[str]:
    if o.type == OutcomeType.JOB_STARTED and o.hours_per_week is not None:
        kind = "full time" if o.is_full_time else "part time"
        return [f"{o.hours_per_week} hours a week ({kind})"]
    if o.type == OutcomeType.QUALIFICATION and o.qualification_level:
        return [f"Level {o.qualification_level}"]
    if o.type == OutcomeType.NO_OUTCOME and o.no_outcome_reason:
        return [o.no_outcome_reason]
    return []


# --- the coordinator (consortium scope) ----------------------------------------------------------


def unrouted_queue() -> QuerySet[Referral]:
    return (
        Referral.objects.filter(
            provider__isnull=True,
            unrouted_since__isnull=False,
            status__in=(S.SUBMITTED, S.DECLINED),
        )
        .select_related("service", "member")
        .order_by("unrouted_since")
    )


def awaiting_routing(now: datetime | None = None) -> QuerySet[Referral]:
    """Submitted referrals the routing engine has not decided after ROUTING_SWEEP_AFTER_SECONDS:
    their routing message was lost or is stuck behind a broker outage. The routing sweep routes
    them; until it has, the coordinator sees them."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ROUTING_SWEEP_AFTER_SECONDS)
    return (
        Referral.objects.filter(
            status=S.SUBMITTED, unrouted_since__isnull=True, submitted_at__lt=cutoff
        )
        .select_related("service", "member")
        .order_by("submitted_at")
    )


def overdue_across_members(now: datetime | None = None) -> QuerySet[Referral]:
    now = now or timezone.now()
    return (
        Referral.objects.filter(overdue_q(now))
        .select_related("service", "member", "provider")
        .order_by("sla_accept_due")
    )


@dataclass
class ProviderLoad:
    member: str
    service: str
    routed_this_month: int
    capacity: int
    open_now: int

    @property
    def percent(self) -> int:
        return round(100 * self.routed_this_month / self.capacity) if self.capacity else 0


def provider_load() -> list[ProviderLoad]:
    """Each active offer: referrals routed to it this month against its capacity. Three queries."""
    start = month_start()
    counts = {
        (row["provider_id"], row["service_id"]): row
        for row in Referral.objects.filter(provider__isnull=False)
        .exclude(status=S.DECLINED)
        .values("provider_id", "service_id")
        .annotate(
            routed=Count("id", filter=Q(routed_at__gte=start)),
            open_now=Count("id", filter=Q(status__in=list(OPEN_STATUSES))),
        )
    }
    names = dict(Member.objects.values_list("pk", "short_name"))
    rows = []
    for offer in (
        Offer.objects.public().filter(is_active=True).select_related("service").order_by("pk")
    ):
        row = counts.get((offer.member_id, offer.service_id), {})
        rows.append(
            ProviderLoad(
                member=names.get(offer.member_id, "?"),
                service=offer.service.name,
                routed_this_month=row.get("routed", 0),
                capacity=offer.capacity_per_month,
                open_now=row.get("open_now", 0),
            )
        )
    rows.sort(key=lambda r: (-r.percent, r.member, r.service))
    return rows


def route_choices(referral: Referral) -> list[tuple[int, str]]:
    """Members a coordinator may route this referral to: in the consent, with an active offer,
    not a member that declined it, and not one gated by the data sharing agreement."""
    consented = {int(m) for m in referral.application.shared_with_member_ids}
    declined = set(
        ReferralEvent.objects.filter(referral=referral, to_status=S.DECLINED).values_list(
            "provider_id", flat=True
        )
    )
    offering = set(
        Offer.objects.public()
        .filter(service_id=referral.service_id, is_active=True)
        .values_list("member_id", flat=True)
    )
    allowed = (consented & offering) - declined - {referral.provider_id}
    allowed -= set(sharing_gate().blocked)
    return list(
        Member.objects.filter(pk__in=allowed).order_by("short_name").values_list("pk", "short_name")
    )
