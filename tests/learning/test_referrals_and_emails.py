"""Residents' places through referrals, and the emails the outbox sends."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from learning import services
from learning.models import BookingStatus
from members.scoping import member_scope
from notifications.services import email_send
from tests.learning.conftest import actor_of, session_make
from tests.learning.test_booking import book
from tests.procurement.conftest import contract_make, participation_make

pytestmark = [pytest.mark.django_db]


def test_the_place_offered_email_reaches_the_booker(alice, member_a, charlie, member_b, course):
    session = session_make(course, capacity=1)
    first = book(alice, member_a, session)
    waiting = book(charlie, member_b, session)
    with member_scope(member_a.pk):
        services.booking_cancel(actor=actor_of(alice), booking=first)
        services.session_waitlist_promote(session_id=session.pk)
    with member_scope(member_b.pk):
        sent = email_send(kind="learning_place_offered", ids={"booking_id": waiting.pk})
    assert sent == 1
    assert mail.outbox[-1].to == ["charlie@b.example"]
    assert course.title in mail.outbox[-1].subject


def test_the_renewal_email_reaches_procurement_staff(alice, bob, member_a):
    contract = contract_make(member_a, end_date=date(2030, 1, 31))
    participation_make(member_a, contract)
    with member_scope(member_a.pk):
        sent = email_send(
            kind="procurement_renewal_reminder",
            ids={"contract_id": contract.pk, "days": 90, "member_id": member_a.pk},
        )
    assert sent == 2  # alice (service lead) and bob (member admin)
    assert {m.to[0] for m in mail.outbox} == {"alice@a.example", "bob@a.example"}
    assert contract.reference in mail.outbox[0].subject


def test_the_tasks_run_in_their_scopes_and_twice_safely(alice, member_a, charlie, member_b, course):
    from learning.tasks import expire_offers, promote_waiting_list

    session = session_make(course, capacity=1)
    first = book(charlie, member_b, session)
    waiting = book(alice, member_a, session)
    with member_scope(member_b.pk):
        services.booking_cancel(actor=actor_of(charlie), booking=first)
    assert promote_waiting_list(member_id=member_a.pk, session_id=session.pk) == 1
    assert promote_waiting_list(member_id=member_a.pk, session_id=session.pk) == 0
    assert expire_offers() == 0
    with member_scope(member_a.pk):
        waiting.refresh_from_db()
    assert waiting.status == BookingStatus.OFFERED
