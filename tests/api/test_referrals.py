"""Referrals through the API: the inbox, polling with `since`, and each step run by the same
services as the pages, with domain errors as HTTP errors in the one format."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from referrals.models import Outcome, Referral
from tests.api.conftest import World, error_of, read_as, referral_make, rows_as

pytestmark = pytest.mark.django_db


def test_incoming_lists_what_your_member_delivers(cast: Any, world: World, api: Any) -> None:
    body = api(cast.alice).get("/api/v1/referrals/", {"direction": "incoming"}).json()
    refs = {r["reference"] for r in body["results"]}
    assert world.referral.reference in refs
    assert world.outgoing.reference not in refs
    assert all(r["direction"] == "incoming" for r in body["results"])


def test_outgoing_lists_your_residents_referrals_delivered_elsewhere(
    cast: Any, world: World, api: Any
) -> None:
    body = api(cast.alice).get("/api/v1/referrals/", {"direction": "outgoing"}).json()
    assert [r["reference"] for r in body["results"]] == [world.outgoing.reference]
    assert body["results"][0]["provider"]["id"] == world.member_b.pk


def test_since_returns_only_what_changed(cast: Any, world: World, api: Any) -> None:
    client = api(cast.alice)
    mark = timezone.now()
    client.post(reverse("api:referral-accept", args=[world.referral.pk]))
    body = client.get("/api/v1/referrals/", {"since": mark.isoformat(), "ordering": "updated_at"})
    assert [r["reference"] for r in body.json()["results"]] == [world.referral.reference]


def test_a_bad_filter_is_a_400_in_the_error_format(cast: Any, world: World, api: Any) -> None:
    response = api(cast.alice).get("/api/v1/referrals/", {"since": "yesterday", "status": "nope"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert {"since", "status"} <= set(error["fields"])


def test_a_bad_cursor_or_page_size_is_a_400(cast: Any, world: World, api: Any) -> None:
    client = api(cast.alice)
    for forged in (b"o=-5", b"p=not-a-time", b"r=1&p=2026-99-99"):
        cursor = base64.b64encode(forged).decode()
        response = client.get("/api/v1/referrals/", {"cursor": cursor})
        assert response.status_code == 400, forged
        assert "cursor" in error_of(response)["fields"]
    assert client.get("/api/v1/referrals/", {"page_size": "0"}).status_code == 400
    assert client.get("/api/v1/referrals/", {"page_size": "x"}).status_code == 400


def test_cursor_pages_walk_every_referral_once(cast: Any, world: World, api: Any) -> None:
    for _ in range(4):
        referral_make(world.member_a, world.member_a, service=world.referral.service)
    client = api(cast.alice)
    seen: list[str] = []
    url: str | None = "/api/v1/referrals/?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [r["reference"] for r in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 7


def test_list_queries_do_not_grow_with_page_size_or_data(cast: Any, world: World, api: Any) -> None:
    client = api(cast.alice)
    client.get("/api/v1/referrals/")  # the token's first use records last_used_at

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/referrals/", {"page_size": page_size}).status_code == 200
        return len(ctx.captured_queries)

    small = queries(1)
    for _ in range(6):
        referral_make(world.member_a, world.member_a, service=world.referral.service)
    assert queries(50) == small


def test_the_provider_sees_contact_details_only_after_accepting(
    cast: Any, world: World, api: Any
) -> None:
    from members.scoping import member_scope
    from referrals.services import referral_snapshot_contact

    with member_scope(world.member_a.pk):
        referral_snapshot_contact(referral=Referral.objects.get(pk=world.referral.pk))
    client = api(cast.alice)
    url = reverse("api:referral-detail", args=[world.referral.pk])
    assert client.get(url).json()["contact"] is None
    accepted = client.post(reverse("api:referral-accept", args=[world.referral.pk]))
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    detail = client.get(url).json()
    assert detail["contact"]["full_name"]
    shown = rows_as(world.member_a, AuditEvent, object_type="referral_contact")
    assert [e.object_id for e in shown] == [str(world.referral.pk)]


def test_a_referral_walks_from_accept_to_close(cast: Any, world: World, api: Any) -> None:
    client = api(cast.alice)
    pk = world.referral.pk
    assert client.post(reverse("api:referral-accept", args=[pk])).status_code == 200
    assert client.post(reverse("api:referral-start", args=[pk])).json()["status"] == "in_progress"
    contact = client.post(reverse("api:referral-record-contact", args=[pk]), {"note": "called"})
    assert contact.status_code == 200 and contact.json()["first_contact_at"]
    outcome = client.post(
        reverse("api:referral-record-outcome", args=[pk]),
        {"type": "job_started", "achieved_on": str(timezone.localdate()), "hours_per_week": "35.0"},
    )
    assert outcome.status_code == 201, outcome.content
    assert outcome.json()["type"] == "job_started"
    closed = client.post(reverse("api:referral-close", args=[pk]))
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert len(rows_as(world.member_a, Outcome, referral_id=pk)) == 1


def test_closing_without_an_outcome_is_a_409(cast: Any, world: World, api: Any) -> None:
    client = api(cast.alice)
    client.post(reverse("api:referral-accept", args=[world.referral.pk]))
    response = client.post(reverse("api:referral-close", args=[world.referral.pk]))
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_transition"
    assert read_as(world.member_a, Referral, pk=world.referral.pk).status == "accepted"


def test_accepting_twice_says_who_took_it(cast: Any, world: World, api: Any) -> None:
    client = api(cast.alice)
    client.post(reverse("api:referral-accept", args=[world.referral.pk]))
    response = client.post(reverse("api:referral-accept", args=[world.referral.pk]))
    assert response.status_code == 409
    assert error_of(response)["code"] == "already_taken"


def test_the_landlord_cannot_work_a_referral_delivered_elsewhere(
    cast: Any, world: World, api: Any
) -> None:
    response = api(cast.alice).post(reverse("api:referral-accept", args=[world.outgoing.pk]))
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_allowed"


def test_declining_sends_it_back_to_routing(cast: Any, world: World, api: Any) -> None:
    response = api(cast.alice).post(
        reverse("api:referral-decline", args=[world.referral.pk]), {"reason": "no_capacity"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "declined"


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("api:referral-decline", {"reason": "bored"}, "reason"),
        ("api:referral-decline", {}, "reason"),
        ("api:referral-record-outcome", {"type": "job_started"}, "achieved_on"),
        ("api:referral-record-outcome", {"type": "x", "achieved_on": "2026-01-01"}, "type"),
        ("api:referral-record-contact", {"contacted_at": "not a time"}, "contacted_at"),
    ],
)
def test_bad_input_is_a_400_with_the_field(
    cast: Any, world: World, api: Any, name: str, body: dict[str, Any], field: str
) -> None:
    response = api(cast.alice).post(reverse(name, args=[world.referral.pk]), body)
    assert response.status_code == 400
    assert field in error_of(response)["fields"]


def test_a_domain_rule_broken_is_a_400_with_the_services_message(
    cast: Any, world: World, api: Any
) -> None:
    client = api(cast.alice)
    client.post(reverse("api:referral-accept", args=[world.referral.pk]))
    response = client.post(
        reverse("api:referral-record-outcome", args=[world.referral.pk]),
        {"type": "job_started", "achieved_on": str(timezone.localdate() + timedelta(days=3))},
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_input"
    assert "future" in error["message"] or "hours" in error["message"]


def test_malformed_json_is_a_400(cast: Any, world: World, api: Any) -> None:
    response = api(cast.alice).generic(
        "POST",
        reverse("api:referral-decline", args=[world.referral.pk]),
        "{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


@pytest.mark.parametrize("pk", ["0", "-1", "abc", str(2**64)])
def test_odd_ids_are_the_same_404(cast: Any, world: World, api: Any, pk: str) -> None:
    response = api(cast.alice).get(f"/api/v1/referrals/{pk}/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


# --- roles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "view", "work"),
    [("alice", 200, 200), ("dpo", 200, 403), ("bob", 403, 403), ("board_member", 403, 403)],
)
def test_roles_decide_who_reads_and_who_works_referrals(
    cast: Any, world: World, api: Any, who: str, view: int, work: int
) -> None:
    user = getattr(cast, who)
    if who == "board_member":
        # Board members cannot hold API tokens; their browser session reaches the API.
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_login(user)
    else:
        client = api(user)
    assert client.get("/api/v1/referrals/").status_code == view
    assert client.get(reverse("api:referral-detail", args=[world.referral.pk])).status_code == view
    response = client.post(reverse("api:referral-accept", args=[world.referral.pk]))
    assert response.status_code == work
    if work == 403:
        assert error_of(response)["code"] == "permission_denied"


def test_the_coordinator_reroutes_within_the_consent(cast: Any, world: World, api: Any) -> None:
    client = api(cast.coordinator)
    assert client.get("/api/v1/referrals/").status_code == 403  # no member: no inbox
    response = client.post(
        reverse("api:referral-reroute", args=[world.outgoing.pk]),
        {"provider": world.member_a.pk, "reason": "Brixton has no capacity this month"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["provider"]["id"] == world.member_a.pk
    refused = client.post(
        reverse("api:referral-reroute", args=[world.outgoing.pk]),
        {"provider": world.member_a.pk, "reason": "again"},
    )
    assert refused.status_code == 400
    assert error_of(refused)["code"] == "invalid_input"
    missing = client.post(
        reverse("api:referral-reroute", args=[2**40]), {"provider": 1, "reason": "x"}
    )
    assert missing.status_code == 404


def _walk(client: Any, params: dict[str, Any]) -> tuple[list[str], str | None]:
    """Every page forwards from the first; the references in order and the last `previous`."""
    seen: list[str] = []
    body = client.get("/api/v1/referrals/", params).json()
    while True:
        seen += [r["reference"] for r in body["results"]]
        if not body["next"]:
            return seen, body["previous"]
        body = client.get(body["next"]).json()


def _walk_back(client: Any, url: str | None) -> list[str]:
    seen: list[str] = []
    while url:
        body = client.get(url).json()
        seen = [r["reference"] for r in body["results"]] + seen
        url = body["previous"]
    return seen


def test_the_list_of_both_parties_is_the_or_read_as_two_index_walks(
    cast: Any, world: World, api: Any, monkeypatch: Any
) -> None:
    from django.db.models import Q, QuerySet

    from members.scoping import member_scope
    from referrals.models import ReferralStatus
    from referrals.selectors import EitherPartyQuerySet

    a, b, service = world.member_a, world.member_b, world.referral.service
    now = timezone.now()
    tie = now - timedelta(hours=3)
    referral_make(b, a, service=service, submitted_at=tie)  # A delivers B's resident's
    referral_make(b, a, service=service, submitted_at=tie)  # the same instant: tie on id
    referral_make(a, b, service=service, submitted_at=tie)  # A's resident, B delivers
    referral_make(a, a, service=service, submitted_at=now - timedelta(hours=2))  # both parties
    referral_make(a, None, service=service, status=ReferralStatus.SUBMITTED)  # not yet routed
    referral_make(b, a, service=service, status=ReferralStatus.DECLINED)  # A declined: not A's
    referral_make(b, b, service=service)  # A is no party
    with member_scope(a.pk):
        expected = list(
            Referral.objects.for_member(a.pk)
            .exclude(Q(provider_id=a.pk, status=ReferralStatus.DECLINED) & ~Q(member_id=a.pk))
            .order_by("-submitted_at", "-id")
            .values_list("reference", flat=True)
        )
    assert len(expected) == len(set(expected)) == 8
    client = api(cast.alice)

    def walks(params: dict[str, Any]) -> tuple[list[str], list[str]]:
        forwards, previous = _walk(client, params)
        return forwards, _walk_back(client, previous)

    def as_before(params: dict[str, Any]) -> tuple[list[str], list[str]]:
        """The same walks read with the OR, as before the two index walks."""
        with monkeypatch.context() as patch:
            patch.setattr(EitherPartyQuerySet, "__getitem__", QuerySet.__getitem__)
            return walks(params)

    for size in (1, 2, 3, 50):
        forwards, backwards = walks({"page_size": size})
        assert forwards == expected, size
        # Backwards from the last page (reversed cursors): what the OR gave.
        assert (forwards, backwards) == as_before({"page_size": size}), size
    for params in (
        {"page_size": 3, "ordering": "updated_at"},
        {"page_size": 3, "ordering": "-id"},
        {"page_size": 2, "status": "routed"},
    ):
        got = walks(params)
        assert got == as_before(params), params
        assert len(got[0]) == len(set(got[0])), params
    assert len(walks({"page_size": 3, "ordering": "-id"})[0]) == 8


def test_the_list_of_both_parties_is_one_query_whatever_the_page(
    cast: Any, world: World, api: Any
) -> None:
    client = api(cast.alice)
    client.get("/api/v1/referrals/")  # the token's first use records last_used_at

    def referral_sql(params: dict[str, Any], url: str = "/api/v1/referrals/") -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, params).status_code == 200
        return [q["sql"] for q in ctx.captured_queries if "referrals_referral" in q["sql"]]

    (both,) = referral_sql({"page_size": 1})
    assert "UNION ALL" in both
    for _ in range(5):
        referral_make(world.member_b, world.member_a, service=world.referral.service)
    assert len(referral_sql({"page_size": 50})) == 1
    body = client.get("/api/v1/referrals/", {"page_size": 2}).json()
    assert len(referral_sql({}, body["next"])) == 1
    (one_party,) = referral_sql({"direction": "incoming"})
    assert "UNION" not in one_party
