"""Booking, the waiting list and its offers, recharges, the register and certificates."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from kernel.calendar import Quarter
from kernel.errors import NotPermitted
from learning import selectors, services
from learning.certificates import NotCompleted, certificate_pdf
from learning.models import Booking, BookingStatus, CourseSession
from learning.task_names import TASK_PROMOTE_WAITING_LIST
from members.scoping import consortium_scope, member_scope
from outbox.models import OutboxMessage
from tests.factories import MemberFactory, staff_create
from tests.learning.conftest import actor_of, course_make, session_make


def book(user, member, session):  # noqa: ANN001, ANN201
    with member_scope(member.pk, user_id=user.pk):
        return services.booking_create(actor=actor_of(user), session_id=session.pk)


def refresh(session: CourseSession) -> CourseSession:
    return CourseSession.objects.get(pk=session.pk)


@pytest.mark.django_db
def test_booking_takes_a_place_and_fixes_the_price(alice, member_a, charlie, member_b, course):
    session = session_make(course, capacity=2, cost="75.50")
    booking = book(charlie, member_b, session)
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.member_id == member_b.pk and booking.provider_id == member_a.pk
    assert booking.price == Decimal("75.50")
    assert refresh(session).places_taken == 1


@pytest.mark.django_db
def test_a_full_session_puts_the_next_booking_on_the_waiting_list(
    alice, member_a, charlie, member_b, course
):
    session = session_make(course, capacity=1)
    book(alice, member_a, session)
    waiting = book(charlie, member_b, session)
    assert waiting.status == BookingStatus.WAITING
    assert waiting.queue_number == 1
    assert refresh(session).places_taken == 1


@pytest.mark.django_db
def test_the_same_person_cannot_book_a_session_twice(charlie, member_b, course):
    session = session_make(course)
    book(charlie, member_b, session)
    with pytest.raises(services.LearningError):
        book(charlie, member_b, session)
    assert refresh(session).places_taken == 1


@pytest.mark.django_db
def test_staff_can_book_a_colleague_but_not_someone_at_another_member(
    alice, bob, member_a, charlie, member_b, course
):
    session = session_make(course)
    with member_scope(member_a.pk):
        booking = services.booking_create(
            actor=actor_of(alice), session_id=session.pk, attendee=bob
        )
        assert booking.attendee_user_id == bob.pk and booking.booked_by_id == alice.pk
        with pytest.raises(services.LearningError):
            services.booking_create(actor=actor_of(alice), session_id=session.pk, attendee=charlie)


@pytest.mark.django_db
def test_staff_cannot_book_a_residents_only_course(charlie, member_b, member_a):
    session = session_make(course_make(member_a, audience="residents"))
    with pytest.raises(services.LearningError):
        book(charlie, member_b, session)


@pytest.mark.django_db
def test_the_database_refuses_more_places_than_capacity(course):
    session = session_make(course, capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseSession.objects.filter(pk=session.pk).update(places_taken=2)


@pytest.mark.django_db(transaction=True)
def test_several_people_booking_the_last_place_at_once_never_overbook():
    provider = MemberFactory(slug="prov", name="Provider HA", short_name="Prov")
    bookers = [MemberFactory(slug=f"m{i}", name=f"M{i}", short_name=f"M{i}") for i in range(3)]
    people = [
        (
            staff_create(bookers[i % 3], f"p{i}@ex.example", ["caseworker"], mfa=False),
            bookers[i % 3],
        )
        for i in range(8)
    ]
    session = session_make(course_make(provider), capacity=1)
    barrier = threading.Barrier(len(people))
    results: list[str] = []
    errors: list[BaseException] = []

    def attempt(user, member) -> None:  # noqa: ANN001
        try:
            actor = actor_of(user)
            barrier.wait(timeout=10)
            with member_scope(member.pk, user_id=user.pk):
                booking = services.booking_create(actor=actor, session_id=session.pk)
            results.append(booking.status)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=attempt, args=p) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert sorted(results).count(BookingStatus.CONFIRMED) == 1
    assert results.count(BookingStatus.WAITING) == len(people) - 1
    assert refresh(session).places_taken == 1
    with consortium_scope(reason="test"):
        confirmed = Booking.objects.filter(session=session, status=BookingStatus.CONFIRMED)
        queue = sorted(
            Booking.objects.filter(session=session, status="waiting").values_list(
                "queue_number", flat=True
            )
        )
        assert confirmed.count() == 1
    assert queue == list(range(1, len(people)))


@pytest.mark.django_db
def test_a_freed_place_is_offered_to_the_first_in_the_queue_once(
    alice, bob, member_a, charlie, member_b, course
):
    session = session_make(course, capacity=1)
    first = book(charlie, member_b, session)
    second = book(alice, member_a, session)
    third = book(bob, member_a, session)
    with member_scope(member_b.pk):
        services.booking_cancel(actor=actor_of(charlie), booking=first)
        assert OutboxMessage.objects.filter(task_name=TASK_PROMOTE_WAITING_LIST).exists()
    with member_scope(member_a.pk):  # the provider's scope, as the task runs it
        assert services.session_waitlist_promote(session_id=session.pk) == [second.pk]
        assert services.session_waitlist_promote(session_id=session.pk) == []
        second.refresh_from_db()
        third.refresh_from_db()
    assert second.status == BookingStatus.OFFERED and second.offer_expires_at is not None
    assert third.status == BookingStatus.WAITING
    assert refresh(session).places_taken == 1
    assert OutboxMessage.objects.filter(kwargs__kind="learning_place_offered").count() == 1
    with member_scope(member_a.pk):
        services.offer_accept(actor=actor_of(alice), booking=second)
        second.refresh_from_db()
    assert second.status == BookingStatus.CONFIRMED


@pytest.mark.django_db
def test_an_expired_offer_passes_to_the_next_person(
    alice, bob, member_a, charlie, member_b, course
):
    session = session_make(course, capacity=1)
    first = book(charlie, member_b, session)
    second = book(alice, member_a, session)
    third = book(bob, member_a, session)
    with member_scope(member_b.pk):
        services.booking_cancel(actor=actor_of(charlie), booking=first)
    with member_scope(member_a.pk):
        services.session_waitlist_promote(session_id=session.pk)
        Booking.objects.filter(pk=second.pk).update(
            offer_expires_at=timezone.now() - timedelta(minutes=1)
        )
        with consortium_scope(reason="test"):
            assert services.sessions_with_expired_offers() == [(session.pk, member_a.pk)]
        assert services.session_waitlist_promote(session_id=session.pk) == [third.pk]
        second.refresh_from_db()
        with pytest.raises(services.LearningError):
            services.offer_accept(actor=actor_of(alice), booking=second)
    assert second.status == BookingStatus.OFFER_EXPIRED
    assert refresh(session).places_taken == 1


@pytest.mark.django_db
def test_recharges_per_pair_and_net_balance(alice, member_a, charlie, member_b, course):
    session = session_make(course, capacity=5, cost="40.00")
    book(charlie, member_b, session)
    colleague = staff_create(member_b, "dee@b.example", ["caseworker"])
    cancelled = book(colleague, member_b, session)
    third = staff_create(member_b, "eve@b.example", ["caseworker"])
    book(third, member_b, session)
    book(alice, member_a, session)  # the provider's own staff: no money moves
    with member_scope(member_b.pk):
        services.booking_cancel(actor=actor_of(charlie), booking=cancelled)
    quarter = Quarter.containing(timezone.localdate(session.starts_at))
    with consortium_scope(reason="test"):
        pairs = {
            (r["member"], r["provider"]): r
            for r in selectors.learning_recharges(
                period_start=quarter.start, period_end=quarter.end
            )
        }
        balance = {
            m.pk: m
            for m in selectors.learning_recharge_balance_by_member(
                period_start=quarter.start, period_end=quarter.end
            )
        }
        places = {
            r["member"]: r
            for r in selectors.learning_places_by_member(
                period_start=quarter.start, period_end=quarter.end
            )
        }
    assert pairs[(member_b.pk, member_a.pk)]["places"] == 2
    assert pairs[(member_b.pk, member_a.pk)]["amount"] == Decimal("80.00")
    assert balance[member_a.pk].received == Decimal("80.00") and balance[member_a.pk].paid == 0
    assert balance[member_b.pk].net == Decimal("-80.00")
    assert places[member_b.pk]["places"] == 2 and places[member_b.pk]["cancelled"] == 1
    assert places[member_b.pk]["cost"] == Decimal("80.00")


@pytest.mark.django_db
def test_completion_needs_attendance_and_gives_a_certificate(
    alice, member_a, charlie, member_b, course
):
    session = session_make(course)
    booking = book(charlie, member_b, session)
    with member_scope(member_a.pk):
        with pytest.raises(services.LearningError):
            services.attendance_record(
                actor=actor_of(alice), booking=booking, attended=False, completed=True
            )
        booking.refresh_from_db()
        with pytest.raises(NotCompleted):
            certificate_pdf(booking=booking)
        services.attendance_record(
            actor=actor_of(alice), booking=booking, attended=True, completed=True
        )
        booking.refresh_from_db()
        pdf = certificate_pdf(booking=booking)
    assert booking.completed_at is not None
    assert pdf.startswith(b"%PDF-")


@pytest.mark.django_db
def test_only_the_provider_records_attendance(alice, member_a, charlie, member_b):
    session = session_make(course_make(member_b))
    booking = book(alice, member_a, session)
    with member_scope(member_a.pk), pytest.raises(NotPermitted):
        services.attendance_record(
            actor=actor_of(alice), booking=booking, attended=True, completed=False
        )
