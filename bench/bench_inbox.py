"""The referral inbox: throughput against simpler ways of getting the same rows, and latency as
the referrals table grows.

Measured in one run, in this process, through Django's full request handler (every middleware:
session, authentication, CSP, the member scope and its row-level security settings):

1. the inbox list: `referrals.selectors.referral_inbox` + `inbox_values` + `inbox_rows` for one
   page of 50, the work the page does per request (rows ready to print, residents' names
   included where the member may see them), against the same 50 rows fetched with `.values()`
   (target: at least 0.5 of the `.values()` rate);
2. the inbox page (GET /referrals/, HTML) against a bare Django JSON view returning those same
   50 rows as `.values()` on the same server (same handler, same middleware);
3. the median latency of the inbox page at 1,000,000 referrals against at 10,000 (target: no
   more than 1.3 times). When the run starts at 10,000 it keeps a copy of the database at that
   size (`<name>_10k`, createdb -T) before loading the rest, and later runs reuse it: the two
   sizes are then timed in alternating rounds, so the machine's load falls on both alike;
4. the median latency of the API's referral list with no direction (GET /api/v1/referrals/: both
   parties' referrals, first page of 50) at 1,000,000 against at 10,000 (informational; 15
   requests per size, well under the API's per-user rate limit).

The in-process test client is used rather than a socket, so the figures are the portal's own
cost without network noise. Default sizes 10,000 and 1,000,000 (`--scale N` changes the large
one); the loader ADDS referrals to the benchmark database until each size is reached.
"""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from bench.core import BenchContext, Result, median_seconds

TITLE = "Referral inbox: list vs .values(), page vs bare JSON view, latency at 1M vs 10k"
SMALL = 10_000
LARGE = 1_000_000
PAGE = 50
SECONDS = 3.0


def _bare_json(request: HttpRequest) -> JsonResponse:
    """The simplest Django view over the same rows: .values() in the request's member scope."""

    from members.actor import actor_of

    actor = actor_of(request)
    rows = list(_same_rows(actor).values(*FIELDS)[:PAGE])
    return JsonResponse({"results": rows})


FIELDS = ("id", "reference", "status", "area", "language", "submitted_at", "service_id")


def _same_rows(actor: Any) -> Any:
    """The inbox's own list (incoming, open, newest first), for the baselines."""
    from referrals import selectors

    return selectors.referral_inbox(actor=actor, tab="incoming")


# This module doubles as the URLconf for the run: the portal's URLs plus the bare view.
urlpatterns = [
    path("bench/bare-json/", _bare_json),
    path("", include("consortium.urls")),
]


def _rate(work: Any, seconds: float = SECONDS) -> float:
    """Calls per second over about `seconds`, after a warm-up."""
    for _ in range(3):
        work()
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        work()
        count += 1
    return count / (time.perf_counter() - started)


def _busiest_provider() -> tuple[int, str]:
    from django.db.models import Count

    from members.models import Member
    from members.scoping import consortium_scope
    from referrals.models import Referral

    with consortium_scope(reason="benchmark: choose the busiest inbox"):
        top = (
            Referral.objects.filter(provider__isnull=False)
            .values("provider_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        assert top, "no routed referrals in the benchmark database"
        slug = Member.objects.get(pk=top["provider_id"]).slug
    return int(top["provider_id"]), slug


def _client_for(slug: str) -> Any:
    from django.test import Client

    from accounts.models import User

    user = User.objects.get(email=f"caseworker.{slug}@demo.example")
    client = Client()
    client.force_login(user)
    return client, user


def _api_client(provider_id: int, user: Any) -> Any:
    """A test client with a fresh bearer token for the caseworker (one day)."""
    from django.test import Client

    from api.services import api_token_issue
    from members.scoping import member_scope
    from members.selectors import actor_for_user

    with member_scope(provider_id, user_id=user.pk):
        token = api_token_issue(
            owner=actor_for_user(user), name="inbox benchmark", days=1
        ).plaintext
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _measure(ctx: BenchContext, size: int) -> dict[str, float]:
    from django.db import transaction
    from django.test.utils import override_settings
    from django.utils import timezone

    from members.scoping import member_scope
    from members.selectors import actor_for_user
    from referrals import selectors

    present = ctx.ensure_referrals(size)
    provider_id, slug = _busiest_provider()
    client, user = _client_for(slug)
    with member_scope(provider_id, user_id=user.pk):
        actor = actor_for_user(user)
    ctx.log(f"  {present:,} referrals; inbox of member {provider_id} ({slug})")
    if present > size * 1.1:
        ctx.log(f"  note: the database already held more than {size:,}; measured at {present:,}")

    def inbox_list() -> None:
        with transaction.atomic(), member_scope(provider_id, user_id=user.pk):
            now = timezone.now()
            listed = selectors.referral_inbox(actor=actor, tab="incoming", now=now)
            selectors.inbox_rows(selectors.inbox_values(listed)[:PAGE], provider_id, now)

    def values_baseline() -> None:
        with transaction.atomic(), member_scope(provider_id, user_id=user.pk):
            list(_same_rows(actor).values(*FIELDS)[:PAGE])

    def inbox_page() -> None:
        response = client.get("/referrals/")
        assert response.status_code == 200, response.status_code

    def bare_page() -> None:
        response = client.get("/bench/bare-json/")
        assert response.status_code == 200, response.status_code

    api = _api_client(provider_id, user)

    def api_list() -> None:
        response = api.get("/api/v1/referrals/")
        assert response.status_code == 200, response.status_code

    with override_settings(ROOT_URLCONF=__name__):
        figures = {
            "list": _rate(inbox_list),
            "values": _rate(values_baseline),
            "page": _rate(inbox_page),
            "bare": _rate(bare_page),
            "latency": median_seconds(inbox_page, repeat=25, warmup=3),
            "api": median_seconds(api_list, repeat=15, warmup=3),
            "present": float(present),
        }
    return figures


ROUNDS = 6
PER_ROUND = 10


def _small_copy(ctx: BenchContext, small: dict[str, float]) -> str | None:
    """A copy of the database at 10,000 referrals, kept beside the growing one (created now if
    the database is still that small), so both sizes can be measured in alternating rounds.
    None when there is no such copy and the database is already bigger."""
    from bench.database import copy_database, use_database

    name = f"{ctx.database}_10k"
    if small["present"] <= SMALL * 1.1 and copy_database(ctx.database, name):
        ctx.log(f"  kept a copy at {int(small['present']):,} referrals: {name}")
        return name
    try:
        from bench.database import referral_count

        with use_database(name):
            present = referral_count()
    except Exception:  # noqa: BLE001 - no copy (or not reachable): measure the old way
        return None
    return name if present <= SMALL * 1.1 else None


def _interleaved_latency(ctx: BenchContext, small_db: str) -> tuple[float, float, int]:
    """The inbox page's median latency at both sizes, measured in alternating rounds (10,000,
    then the large database, six times), so a burst of load from another process falls on
    both: one measurement of each, minutes apart, differed by 20 % at the same size."""
    import statistics
    from contextlib import nullcontext

    from django.test.utils import override_settings

    from bench.database import referral_count, use_database
    from referrals import selectors

    def client_for(database: str | None) -> tuple[Any, int]:
        with use_database(database) if database else nullcontext():
            _provider_id, slug = _busiest_provider()
            client, _user = _client_for(slug)
            return client, referral_count()

    def timed_round(client: Any, database: str | None) -> list[float]:
        with use_database(database) if database else nullcontext():
            # Another database: empty the per-process name caches, warm up the connection
            # (its prepared statements) before timing.
            selectors.MEMBER_NAMES.clear()
            selectors.SERVICE_NAMES.clear()
            times = []
            for i in range(3 + PER_ROUND):
                started = time.perf_counter()
                response = client.get("/referrals/")
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, response.status_code
                if i >= 3:
                    times.append(elapsed)
            return times

    small_client, small_present = client_for(small_db)
    large_client, _ = client_for(None)
    samples: dict[str, list[float]] = {"small": [], "large": []}
    with override_settings(ROOT_URLCONF=__name__):
        for _ in range(ROUNDS):
            samples["small"] += timed_round(small_client, small_db)
            samples["large"] += timed_round(large_client, None)
    ctx.log(
        f"  latency in {ROUNDS} alternating rounds of {PER_ROUND}: "
        f"{small_db} ({small_present:,} referrals) and {ctx.database}"
    )
    return statistics.median(samples["small"]), statistics.median(samples["large"]), small_present


def run(ctx: BenchContext) -> list[Result]:
    small = _measure(ctx, SMALL)
    small_db = _small_copy(ctx, small) if ctx.scale_or(LARGE) > SMALL else None
    big = _measure(ctx, ctx.scale_or(LARGE)) if ctx.scale_or(LARGE) > SMALL else small
    # Label with the sizes actually measured (the loader only ever adds referrals).
    large, at_small = int(big["present"]), int(small["present"])
    latency_note = "one median of 25 requests at each size, measured minutes apart"
    latency_small = at_small
    if small_db is not None:
        small["latency"], big["latency"], latency_small = _interleaved_latency(ctx, small_db)
        latency_note = (
            f"medians of {ROUNDS} alternating rounds of {PER_ROUND} requests at each size "
            f"(the smaller one in {small_db})"
        )
    return [
        Result(
            name=f"inbox list (page of {PAGE}) at {large:,} referrals",
            value=big["list"],
            unit="lists/s",
            baseline=big["values"],
            baseline_label="the same rows with .values()",
            target_ratio=0.5,
        ),
        Result(
            name=f"inbox page over HTTP at {large:,} referrals",
            value=big["page"],
            unit="req/s",
            baseline=big["bare"],
            baseline_label="bare Django JSON view of the same rows, same server",
            note="informational: the page also renders HTML, counts tabs and audits names",
        ),
        Result(
            name=f"inbox page median latency at {large:,} vs {latency_small:,} referrals",
            value=big["latency"] * 1000,
            unit="ms",
            baseline=small["latency"] * 1000,
            baseline_label=f"at {latency_small:,} referrals",
            higher_is_better=False,
            target_ratio=1.3,
            note=latency_note,
        ),
        Result(
            name=f"API referral list, both parties, median latency at {large:,} vs {at_small:,}",
            value=big["api"] * 1000,
            unit="ms",
            baseline=small["api"] * 1000,
            baseline_label=f"at {at_small:,} referrals",
            higher_is_better=False,
            note="informational: GET /api/v1/referrals/ (no direction), first page of 50",
        ),
        Result(
            name=f"inbox list at {at_small:,} referrals",
            value=small["list"],
            unit="lists/s",
            baseline=small["values"],
            baseline_label="the same rows with .values()",
            target_ratio=0.5,
        ),
    ]
