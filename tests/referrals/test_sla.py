"""SLA clocks in UK working days, and the beat sweeps that flag what is overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from members.scoping import consortium_scope, member_scope
from outbox.models import OutboxMessage
from referrals import services
from referrals.models import Outcome, OutcomeType, Referral, ReferralEvent, ReferralEventKind
from referrals.schedule import BEAT_SCHEDULE
from referrals.sla import LONDON, add_working_days, due_at, is_working_day, working_days_between
from tests.referrals.conftest import actor_of, as_member, fresh


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"),
    [
        (date(2026, 4, 2), 1, date(2026, 4, 7), "Good Friday and Easter Monday 2026"),
        (date(2026, 4, 2), 2, date(2026, 4, 8), "Easter 2026, two days"),
        (date(2026, 12, 24), 1, date(2026, 12, 29), "Christmas (Fri) and Boxing Day substitute"),
        (date(2026, 12, 23), 3, date(2026, 12, 30), "over Christmas 2026"),
        (date(2027, 12, 24), 1, date(2027, 12, 29), "Christmas 2027: two substitute days"),
        (date(2026, 12, 31), 1, date(2027, 1, 4), "New Year's Day 2027 is a Friday"),
        (date(2026, 5, 1), 1, date(2026, 5, 5), "early May bank holiday"),
        (date(2026, 11, 20), 2, date(2026, 11, 24), "Friday plus two is Tuesday"),
        (date(2026, 11, 21), 1, date(2026, 11, 23), "Saturday start counts from Monday"),
        (date(2026, 11, 23), 0, date(2026, 11, 23), "zero days is the same day"),
    ],
)
def test_add_working_days(start: date, days: int, expected: date, why: str) -> None:
    assert add_working_days(start, days) == expected, why


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 4, 3), False),
        (date(2026, 4, 6), False),
        (date(2026, 12, 25), False),
        (date(2026, 12, 28), False),  # Boxing Day (Saturday) observed on Monday
        (date(2026, 12, 29), True),
        (date(2026, 11, 22), False),  # a Sunday
        (date(2026, 11, 24), True),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_working_days_between_skips_easter() -> None:
    assert working_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1
    assert working_days_between(date(2026, 4, 7), date(2026, 4, 2)) == 0


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 5), -1)


def test_friday_afternoon_is_not_overdue_on_monday_morning() -> None:
    sent = datetime(2026, 11, 20, 16, 0, tzinfo=LONDON)  # Friday
    due = due_at(sent, 2)
    assert due == datetime(2026, 11, 24, 17, 30, tzinfo=LONDON)
    assert datetime(2026, 11, 23, 9, 0, tzinfo=LONDON) < due


def test_due_time_follows_british_summer_time() -> None:
    # Sent 23:30 UTC on Sunday 29 March 2026 = 00:30 BST on Monday: Monday is day zero.
    sent = datetime(2026, 3, 29, 23, 30, tzinfo=UTC)
    due = due_at(sent, 1)
    assert due.date() == date(2026, 3, 31)
    assert due.astimezone(UTC).hour == 16  # 17:30 BST


# --- the sweeps ----------------------------------------------------------------------------------


def _backdate(referral: Referral, **fields: Any) -> None:
    with member_scope(referral.member_id):
        Referral.objects.filter(pk=referral.pk).update(**fields)


def _sweep() -> services.SweepResult:
    with consortium_scope(reason="test: sla sweep"):
        return services.referral_sla_sweep()


@pytest.mark.django_db
def test_sweep_flags_an_overdue_acceptance_once(referral_to_b: Any, member_b: Any) -> None:
    _backdate(referral_to_b, sla_accept_due=timezone.now() - timedelta(hours=1))
    result = _sweep()
    assert result.accept_breaches == 1
    r = fresh(referral_to_b)
    assert r.sla_accept_breached is True
    kinds = sorted(
        m.kwargs["kind"]
        for m in OutboxMessage.objects.filter(kwargs__kind__startswith="referral_sla")
    )
    assert kinds == ["referral_sla_escalation", "referral_sla_overdue"]
    overdue = OutboxMessage.objects.get(kwargs__kind="referral_sla_overdue")
    assert overdue.scope_member_id == member_b.pk  # built in the provider's scope
    # Idempotent: the second run changes and sends nothing.
    assert _sweep().accept_breaches == 0
    assert OutboxMessage.objects.filter(kwargs__kind__startswith="referral_sla").count() == 2
    with member_scope(r.member_id):
        assert (
            ReferralEvent.objects.filter(referral=r, kind=ReferralEventKind.SLA_BREACH).count() == 1
        )


@pytest.mark.django_db
def test_sweep_leaves_referrals_within_target_alone(referral_to_b: Any) -> None:
    assert _sweep().accept_breaches == 0
    assert fresh(referral_to_b).sla_accept_breached is False


@pytest.mark.django_db
def test_sweep_flags_missed_first_contact(accepted_by_b: Any) -> None:
    _backdate(accepted_by_b, sla_first_contact_due=timezone.now() - timedelta(minutes=5))
    assert _sweep().contact_breaches == 1
    assert fresh(accepted_by_b).sla_first_contact_breached is True
    assert _sweep().contact_breaches == 0


@pytest.mark.django_db
def test_late_acceptance_counts_as_a_breach(referral_to_b: Any, charlie: Any) -> None:
    _backdate(referral_to_b, sla_accept_due=timezone.now() - timedelta(days=1))
    with as_member(charlie):
        services.referral_accept(referral_id=referral_to_b.pk, actor=actor_of(charlie))
    assert fresh(referral_to_b).sla_accept_breached is True


@pytest.mark.django_db
def test_sustainment_reminder_is_sent_once_when_13_weeks_are_up(
    accepted_by_b: Any, charlie: Any, member_b: Any
) -> None:
    _backdate(accepted_by_b, accepted_at=timezone.now() - timedelta(weeks=20))
    with as_member(charlie):
        services.referral_record_outcome(
            referral_id=accepted_by_b.pk,
            actor=actor_of(charlie),
            type=OutcomeType.JOB_STARTED,
            achieved_on=timezone.localdate() - timedelta(weeks=13, days=1),
            hours_per_week=Decimal("35"),
        )
    with consortium_scope(reason="test"):
        first = services.referral_sustainment_sweep()
        second = services.referral_sustainment_sweep()
    assert first.sustainment_reminders == 1
    assert second.sustainment_reminders == 0
    message = OutboxMessage.objects.get(kwargs__kind="referral_sustainment_due")
    assert message.kwargs["ids"]["weeks"] == 13
    assert message.scope_member_id == member_b.pk
    with member_scope(member_b.pk):
        assert Outcome.objects.get(referral=accepted_by_b).sustain_26_reminded_at is None


def test_beat_schedule_names_real_tasks() -> None:
    from referrals import tasks

    names = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert names == {tasks.sla_sweep.name, tasks.sustainment_sweep.name}
