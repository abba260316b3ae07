"""The routing sweep: the business-state safety net behind the outbox. A submitted referral the
routing engine never decided (its message was lost by a broker) is routed after
ROUTING_SWEEP_AFTER_SECONDS, once, and is on the coordinator's console until it is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.scoping import consortium_scope
from referrals.models import Referral, ReferralStatus, RoutingDecision
from referrals.services import referral_route, referral_routing_sweep
from tests.referrals.conftest import fresh, make_referral

pytestmark = pytest.mark.django_db
S = ReferralStatus
COORDINATOR_URL = reverse("referrals:coordinator")


def _submitted(landlord: Any, service: Any, consent: list[Any], minutes_ago: float) -> Referral:
    referral = make_referral(landlord, service, consent)
    with consortium_scope(reason="test: backdate a submission"):
        Referral.objects.filter(pk=referral.pk).update(
            submitted_at=timezone.now() - timedelta(minutes=minutes_ago)
        )
    return referral


def _decisions(referral: Referral) -> int:
    with consortium_scope(reason="test: count decisions"):
        return RoutingDecision.objects.filter(referral_id=referral.pk).count()


def _sweep() -> int:
    with consortium_scope(reason="test: routing sweep"):
        return referral_routing_sweep()


def test_a_referral_waiting_past_the_window_is_routed_once_by_the_sweep(
    member_a: Any, service: Any, offers: Any
) -> None:
    stuck = _submitted(member_a, service, [member_a], minutes_ago=6)
    recent = _submitted(member_a, service, [member_a], minutes_ago=1)

    assert _sweep() == 1
    assert fresh(stuck).status == S.ROUTED and fresh(stuck).provider_id == member_a.pk
    assert fresh(recent).status == S.SUBMITTED  # its routing message still has time
    assert _decisions(stuck) == 1

    # The lost message arrives after all: the referral is decided, so nothing happens.
    with consortium_scope(reason="test: late message"):
        referral_route(referral_id=stuck.pk)
    assert _decisions(stuck) == 1
    assert _sweep() == 0


def test_a_referral_no_member_fits_is_decided_and_not_swept_again(
    member_a: Any, member_b: Any, service: Any, offers: Any
) -> None:
    # Consent to nobody who offers the service: the engine decides "unrouted".
    stuck = _submitted(member_a, service, [], minutes_ago=10)
    assert _sweep() == 1
    assert fresh(stuck).status == S.SUBMITTED and fresh(stuck).unrouted_since is not None
    assert _sweep() == 0
    assert _decisions(stuck) == 1


def test_the_coordinator_sees_what_waits_for_routing_until_it_is_routed(
    client: Any, coordinator: Any, member_a: Any, service: Any, offers: Any
) -> None:
    stuck = _submitted(member_a, service, [member_a], minutes_ago=7)
    client.force_login(coordinator)
    page = client.get(COORDINATOR_URL).content.decode()
    assert "Waiting for routing (1)" in page
    assert stuck.reference in page
    _sweep()
    page = client.get(COORDINATOR_URL).content.decode()
    assert "Waiting for routing" not in page


def test_the_console_reads_the_same_number_of_queries_however_many_wait(
    client: Any, coordinator: Any, member_a: Any, service: Any, offers: Any
) -> None:
    client.force_login(coordinator)
    _submitted(member_a, service, [member_a], minutes_ago=7)
    client.get(COORDINATOR_URL)
    with CaptureQueriesContext(connection) as one:
        client.get(COORDINATOR_URL)
    for _ in range(4):
        _submitted(member_a, service, [member_a], minutes_ago=7)
    with CaptureQueriesContext(connection) as five:
        page = client.get(COORDINATOR_URL)
    assert "Waiting for routing (5)" in page.content.decode()
    assert len(five) == len(one)
