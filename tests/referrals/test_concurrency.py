"""Two caseworkers accept the same referral at the same moment, on two real connections."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from referrals import services
from referrals.models import ReferralEvent, ReferralStatus
from tests.factories import staff_create
from tests.referrals.conftest import actor_of, as_member, fresh, make_referral, route

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_two_caseworkers_accept_at_once_exactly_one_wins(
    member_a: Any, member_b: Any, service: Any, offers: Any, charlie: Any
) -> None:
    dora = staff_create(member_b, "dora@b.example", ["caseworker"], "Dora Dean")
    referral = route(make_referral(member_a, service, [member_a, member_b], language="ur"))
    assert fresh(referral).provider_id == member_b.pk

    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def accept(user: Any) -> None:
        try:
            barrier.wait(timeout=10)
            with as_member(user):
                services.referral_accept(referral_id=referral.pk, actor=actor_of(user))
            outcomes[user.email] = "accepted"
        except services.ReferralError as exc:
            outcomes[user.email] = exc
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=accept, args=(u,)) for u in (charlie, dora)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    winners = [email for email, result in outcomes.items() if result == "accepted"]
    losers = [result for result in outcomes.values() if result != "accepted"]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1
    loser = losers[0]
    assert isinstance(loser, services.AlreadyTaken)
    winner_name = "Charlie Clarke" if winners[0] == charlie.email else "Dora Dean"
    assert f"already accepted by {winner_name}" in loser.message

    r = fresh(referral)
    assert r.status == ReferralStatus.ACCEPTED
    assert r.accepted_by.email == winners[0]
    with as_member(charlie):
        assert (
            ReferralEvent.objects.filter(
                referral=referral, to_status=ReferralStatus.ACCEPTED
            ).count()
            == 1
        )
