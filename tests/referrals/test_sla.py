"""The beat sweeps that flag what is overdue against SLA clocks (kernel/calendar.py counts the
working days)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from members.scoping import consortium_scope, member_scope
from outbox.models import OutboxMessage
from referrals import services
from referrals.models import Outcome, OutcomeType, Referral, ReferralEvent, ReferralEventKind
from referrals.schedule import BEAT_SCHEDULE
from tests.referrals.conftest import actor_of, as_member, fresh


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
    assert names == {tasks.routing_sweep.name, tasks.sla_sweep.name, tasks.sustainment_sweep.name}
