"""Each transition, and each refusal, through the services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from members.scoping import member_scope
from outbox.models import OutboxMessage
from referrals import services
from referrals.models import (
    ALLOWED_TRANSITIONS,
    Outcome,
    OutcomeType,
    ReferralEvent,
    ReferralStatus,
)
from referrals.task_names import TASK_ROUTE
from tests.factories import MemberFactory, OfferFactory, staff_create
from tests.referrals.conftest import actor_of, as_member, fresh, make_referral, route

pytestmark = pytest.mark.django_db
S = ReferralStatus


def act(user: Any, fn: Any, **kwargs: Any) -> Any:
    with as_member(user):
        return fn(actor=actor_of(user), **kwargs)


def test_accept_records_who_and_when_and_starts_the_contact_clock(
    referral_to_b: Any, charlie: Any
) -> None:
    act(charlie, services.referral_accept, referral_id=referral_to_b.pk)
    r = fresh(referral_to_b)
    assert r.status == S.ACCEPTED
    assert r.accepted_by_id == charlie.pk
    assert r.accepted_at is not None
    assert r.sla_first_contact_due is not None and r.sla_first_contact_due > r.accepted_at
    assert r.updated_at == r.accepted_at
    assert OutboxMessage.objects.filter(kwargs__kind="referral_status").exists()


def test_accept_twice_says_who_accepted(accepted_by_b: Any, member_b: Any) -> None:
    dora = staff_create(member_b, "dora@b.example", ["caseworker"], "Dora Dean")
    with pytest.raises(services.AlreadyTaken, match="already accepted by Charlie Clarke"):
        act(dora, services.referral_accept, referral_id=accepted_by_b.pk)


def test_the_landlord_cannot_accept_for_the_provider(referral_to_b: Any, alice: Any) -> None:
    with pytest.raises(services.NotAllowed):
        act(alice, services.referral_accept, referral_id=referral_to_b.pk)
    assert fresh(referral_to_b).status == S.ROUTED


def test_a_member_that_is_not_a_party_cannot_even_find_it(referral_to_b: Any, service: Any) -> None:
    outsider = MemberFactory(slug="camden")
    eve = staff_create(outsider, "eve@c.example", ["caseworker"], "Eve")
    with pytest.raises(services.NotAllowed, match="not found"):
        act(eve, services.referral_accept, referral_id=referral_to_b.pk)


def test_a_board_member_cannot_work_referrals(referral_to_b: Any, member_b: Any) -> None:
    board = staff_create(member_b, "board@b.example", ["board"], "Bo")
    with pytest.raises(services.NotAllowed, match="permission"):
        act(board, services.referral_accept, referral_id=referral_to_b.pk)


def test_decline_reroutes_to_next_provider_and_never_back(
    member_a: Any, member_b: Any, service: Any, offers: Any, charlie: Any
) -> None:
    camden = MemberFactory(slug="camden", short_name="Camden")
    OfferFactory(member=camden, service=service, languages=["ur"])
    referral = route(make_referral(member_a, service, [member_a, member_b, camden], language="ur"))
    assert fresh(referral).provider_id == member_b.pk  # fair share: lowest id on a tie
    act(
        charlie,
        services.referral_decline,
        referral_id=referral.pk,
        reason="no_capacity",
        note="Full until March",
    )
    declined = fresh(referral)
    assert declined.status == S.DECLINED
    assert declined.declined_by_id == charlie.pk and declined.decline_count == 1
    message = OutboxMessage.objects.get(task_name=TASK_ROUTE)
    assert message.kwargs == {"referral_id": referral.pk}
    # The outbox consumer runs the engine in the landlord's scope.
    route(referral)
    rerouted = fresh(referral)
    assert rerouted.status == S.ROUTED
    assert rerouted.provider_id == camden.pk
    with member_scope(member_a.pk):
        event = ReferralEvent.objects.get(referral=referral, to_status=S.DECLINED)
    assert event.reason == "no_capacity" and event.provider_id == member_b.pk


def test_decline_with_nobody_left_goes_to_the_unrouted_queue(
    referral_to_b: Any, charlie: Any
) -> None:
    act(charlie, services.referral_decline, referral_id=referral_to_b.pk, reason="not_eligible")
    route(referral_to_b)
    r = fresh(referral_to_b)
    assert r.provider_id is None
    assert r.unrouted_since is not None
    assert r.status == S.DECLINED


def test_decline_needs_a_known_reason_and_other_needs_words(
    referral_to_b: Any, charlie: Any
) -> None:
    with pytest.raises(services.InvalidInput):
        act(charlie, services.referral_decline, referral_id=referral_to_b.pk, reason="bored")
    with pytest.raises(services.InvalidInput, match="Say why"):
        act(charlie, services.referral_decline, referral_id=referral_to_b.pk, reason="other")
    assert fresh(referral_to_b).status == S.ROUTED


def test_an_accepted_referral_cannot_be_declined(accepted_by_b: Any, charlie: Any) -> None:
    with pytest.raises(services.InvalidTransition, match="cannot become"):
        act(
            charlie,
            services.referral_decline,
            referral_id=accepted_by_b.pk,
            reason="other",
            note="x",
        )


def test_contact_start_outcome_close(accepted_by_b: Any, charlie: Any) -> None:
    act(charlie, services.referral_record_contact, referral_id=accepted_by_b.pk, note="Phoned")
    act(charlie, services.referral_start, referral_id=accepted_by_b.pk)
    r = fresh(accepted_by_b)
    assert r.first_contact_at is not None and r.in_progress_at is not None
    assert r.status == S.IN_PROGRESS
    outcome = act(
        charlie,
        services.referral_record_outcome,
        referral_id=accepted_by_b.pk,
        type=OutcomeType.JOB_STARTED,
        achieved_on=timezone.localdate(),
        hours_per_week=Decimal("32"),
    )
    assert outcome.is_full_time is True
    assert fresh(accepted_by_b).status == S.OUTCOME_RECORDED
    act(charlie, services.referral_close, referral_id=accepted_by_b.pk)
    closed = fresh(accepted_by_b)
    assert closed.status == S.CLOSED and closed.closed_by_id == charlie.pk


def test_closing_needs_an_outcome(accepted_by_b: Any, charlie: Any) -> None:
    with pytest.raises(services.InvalidTransition, match="Record an outcome"):
        act(charlie, services.referral_close, referral_id=accepted_by_b.pk)


def test_start_is_refused_before_accepting(referral_to_b: Any, charlie: Any) -> None:
    with pytest.raises(services.InvalidTransition):
        act(charlie, services.referral_start, referral_id=referral_to_b.pk)


def test_contact_is_refused_before_accepting(referral_to_b: Any, charlie: Any) -> None:
    with pytest.raises(services.InvalidTransition):
        act(charlie, services.referral_record_contact, referral_id=referral_to_b.pk)


@pytest.mark.parametrize(
    ("kind", "extra", "message"),
    [
        (OutcomeType.JOB_STARTED, {}, "hours per week"),
        (OutcomeType.JOB_STARTED, {"hours_per_week": Decimal("120")}, "hours per week"),
        (OutcomeType.QUALIFICATION, {}, "level"),
        (OutcomeType.QUALIFICATION, {"qualification_level": 9}, "level"),
        (OutcomeType.NO_OUTCOME, {}, "Say why"),
        (OutcomeType.JOB_SUSTAINED_13, {}, "job start"),
        ("lottery_win", {}, "kind of outcome"),
    ],
)
def test_outcome_validation(
    accepted_by_b: Any, charlie: Any, kind: str, extra: dict, message: str
) -> None:
    with pytest.raises(services.InvalidInput, match=message):
        act(
            charlie,
            services.referral_record_outcome,
            referral_id=accepted_by_b.pk,
            type=kind,
            achieved_on=timezone.localdate(),
            **extra,
        )
    assert fresh(accepted_by_b).status == S.ACCEPTED


def test_outcome_in_the_future_is_refused(accepted_by_b: Any, charlie: Any) -> None:
    with pytest.raises(services.InvalidInput, match="future"):
        act(
            charlie,
            services.referral_record_outcome,
            referral_id=accepted_by_b.pk,
            type=OutcomeType.VOLUNTEERING,
            achieved_on=timezone.localdate() + timedelta(days=1),
        )


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        (OutcomeType.APPRENTICESHIP, {}),
        (OutcomeType.TRAINING_STARTED, {}),
        (OutcomeType.TRAINING_COMPLETED, {}),
        (OutcomeType.QUALIFICATION, {"qualification_level": 3}),
        (OutcomeType.VOLUNTEERING, {}),
        (OutcomeType.NO_OUTCOME, {"no_outcome_reason": "Moved away"}),
        (OutcomeType.JOB_STARTED, {"hours_per_week": Decimal("16")}),
    ],
)
def test_each_outcome_kind_is_recorded(
    accepted_by_b: Any, charlie: Any, kind: str, extra: dict
) -> None:
    outcome = act(
        charlie,
        services.referral_record_outcome,
        referral_id=accepted_by_b.pk,
        type=kind,
        achieved_on=timezone.localdate(),
        **extra,
    )
    assert outcome.type == kind
    assert outcome.provider_id == accepted_by_b.provider_id
    assert outcome.member_id == accepted_by_b.member_id
    if kind == OutcomeType.JOB_STARTED:
        assert outcome.is_full_time is False


def test_sustained_job_is_recorded_on_a_closed_referral(
    accepted_by_b: Any, charlie: Any, member_a: Any
) -> None:
    started = timezone.localdate() - timedelta(weeks=14)
    with as_member(charlie):
        # The job began before this test's acceptance date; backdate the acceptance.
        from referrals.models import Referral

        Referral.objects.filter(pk=accepted_by_b.pk).update(
            accepted_at=timezone.now() - timedelta(weeks=15)
        )
    act(
        charlie,
        services.referral_record_outcome,
        referral_id=accepted_by_b.pk,
        type=OutcomeType.JOB_STARTED,
        achieved_on=started,
        hours_per_week=Decimal("20"),
    )
    act(charlie, services.referral_close, referral_id=accepted_by_b.pk)
    with pytest.raises(services.InvalidInput, match="13 weeks"):
        act(
            charlie,
            services.referral_record_outcome,
            referral_id=accepted_by_b.pk,
            type=OutcomeType.JOB_SUSTAINED_13,
            achieved_on=started + timedelta(weeks=12),
        )
    act(
        charlie,
        services.referral_record_outcome,
        referral_id=accepted_by_b.pk,
        type=OutcomeType.JOB_SUSTAINED_13,
        achieved_on=started + timedelta(weeks=13),
    )
    with pytest.raises(services.InvalidTransition, match="closed"):
        act(
            charlie,
            services.referral_record_outcome,
            referral_id=accepted_by_b.pk,
            type=OutcomeType.VOLUNTEERING,
            achieved_on=timezone.localdate(),
        )
    assert fresh(accepted_by_b).status == S.CLOSED
    with member_scope(member_a.pk):
        assert Outcome.objects.filter(referral=accepted_by_b).count() == 2


def test_coordinator_reroutes_by_hand_within_consent_only(
    referral_to_b: Any, coordinator: Any, member_a: Any, service: Any
) -> None:
    from members.scoping import consortium_scope

    camden = MemberFactory(slug="camden", short_name="Camden")
    OfferFactory(member=camden, service=service)
    actor = actor_of(coordinator)
    with consortium_scope(reason="test", user_id=coordinator.pk):
        with pytest.raises(services.InvalidInput, match="consent"):
            services.referral_reroute(
                referral_id=referral_to_b.pk, provider_id=camden.pk, actor=actor, reason="x"
            )
        with pytest.raises(services.InvalidInput, match="why"):
            services.referral_reroute(
                referral_id=referral_to_b.pk, provider_id=member_a.pk, actor=actor, reason=" "
            )
        services.referral_reroute(
            referral_id=referral_to_b.pk,
            provider_id=member_a.pk,
            actor=actor,
            reason="Resident asked for their landlord",
        )
    r = fresh(referral_to_b)
    assert r.provider_id == member_a.pk and r.status == S.ROUTED


def test_only_a_coordinator_reroutes(referral_to_b: Any, charlie: Any, member_a: Any) -> None:
    with pytest.raises(services.NotAllowed):
        act(
            charlie,
            services.referral_reroute,
            referral_id=referral_to_b.pk,
            provider_id=member_a.pk,
            reason="mine now",
        )


def test_every_state_has_its_transitions_stated() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(S.values)
    assert ALLOWED_TRANSITIONS[S.CLOSED] == frozenset()
    assert S.CLOSED in ALLOWED_TRANSITIONS[S.OUTCOME_RECORDED]
    assert S.CLOSED not in ALLOWED_TRANSITIONS[S.IN_PROGRESS]  # closing needs an outcome


def test_a_resident_who_signs_up_after_applying_sees_the_referral_once_routed(
    member_a: Any, service: Any, offers: Any, resident_user: Any
) -> None:
    from referrals.models import Resident
    from tests.factories import ResidentFactory

    resident = ResidentFactory(member=member_a)
    referral = make_referral(member_a, service, [member_a], application={"resident": resident})
    assert fresh(referral).resident_user_id is None
    with member_scope(member_a.pk):
        Resident.objects.filter(pk=resident.pk).update(user=resident_user)
    route(referral)
    assert fresh(referral).resident_user_id == resident_user.pk
