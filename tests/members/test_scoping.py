"""Layers 2 to 4 of isolation: the application-level walls in front of row-level security."""

from __future__ import annotations

import pytest
from django.http import Http404

from members.access import access_member_owned_by_id
from members.actor import Actor
from members.scoping import (
    MemberScopeMissing,
    consortium_scope,
    current_scope,
    member_scope,
)
from members.selectors import actor_for_user
from referrals.models import Referral, Resident
from tests.factories import MemberFactory, ReferralFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def test_the_default_manager_fails_closed_without_a_scope(member_a) -> None:
    ResidentFactory(member=member_a)
    with pytest.raises(MemberScopeMissing):
        Resident.objects.count()
    with pytest.raises(MemberScopeMissing):
        list(Referral.objects.all())


def test_a_member_scope_shows_only_that_members_rows(member_a, member_b) -> None:
    mine = ResidentFactory(member=member_a)
    ResidentFactory(member=member_b)
    with member_scope(member_a.pk):
        assert list(Resident.objects.all()) == [mine]


def test_both_parties_see_a_two_party_referral_and_nobody_else(member_a, member_b) -> None:
    provider = MemberFactory(slug="provider-x", name="Provider X", short_name="PX")
    referral = ReferralFactory(member=member_a, provider=provider)
    for member, expected in ((member_a, [referral]), (provider, [referral]), (member_b, [])):
        with member_scope(member.pk):
            assert list(Referral.objects.all()) == expected


def test_for_member_is_an_explicit_narrowing(member_a, member_b) -> None:
    ResidentFactory(member=member_a)
    ResidentFactory(member=member_b)
    with consortium_scope(reason="test"):
        assert Resident.objects.for_member(member_b).count() == 1
        assert Resident.objects.count() == 2


def test_the_scope_is_reset_even_when_the_work_fails(member_a) -> None:
    with pytest.raises(ZeroDivisionError), member_scope(member_a.pk):
        assert current_scope().member_id == member_a.pk
        _ = 1 / 0
    assert current_scope() is None


def test_nested_scopes_restore_the_outer_one(member_a, member_b) -> None:
    with member_scope(member_a.pk):
        with member_scope(member_b.pk):
            assert current_scope().member_id == member_b.pk
        assert current_scope().member_id == member_a.pk


def test_a_member_scope_needs_a_trusted_integer(member_a) -> None:
    with pytest.raises(TypeError), member_scope(str(member_a.pk)):  # type: ignore[arg-type]
        pass


def test_a_consortium_scope_needs_a_reason_and_is_audited(member_a) -> None:
    from audit.models import AuditEvent

    with pytest.raises(ValueError), consortium_scope(reason="  "):
        pass
    with consortium_scope(reason="coordinator views the unrouted queue"):
        pass
    with consortium_scope(reason="test: read the audit log"):
        assert AuditEvent.objects.filter(
            action="consortium_scope", reason="coordinator views the unrouted queue"
        ).exists()


def test_access_helper_gives_the_same_404_for_missing_and_not_yours(cast) -> None:
    theirs = ResidentFactory(member=cast.member_b)
    alice = actor_for_user(cast.alice)
    with member_scope(cast.member_a.pk):
        with pytest.raises(Http404) as not_yours:
            access_member_owned_by_id(alice, Resident, theirs.pk)
        with pytest.raises(Http404) as missing:
            access_member_owned_by_id(alice, Resident, 987654321)
        with pytest.raises(Http404):
            access_member_owned_by_id(alice, Resident, "1 OR 1=1")
    assert str(not_yours.value) == str(missing.value)


def test_an_actor_without_a_member_gets_404_for_any_member_owned_row(member_a) -> None:
    row = ResidentFactory(member=member_a)
    with pytest.raises(Http404):
        access_member_owned_by_id(Actor(user=None), Resident, row.pk)


def test_the_actor_comes_from_the_users_own_membership(cast) -> None:
    actor = actor_for_user(cast.charlie)
    assert actor.member_id == cast.member_b.pk
    assert "member_admin" in actor.member_roles
    assert actor_for_user(cast.coordinator).consortium_roles == frozenset({"coordinator"})
    assert actor_for_user(cast.resident_user).is_staff_member is False


def test_a_deactivated_membership_gives_no_member(cast) -> None:
    from django.utils import timezone

    from members.models import Membership

    with member_scope(cast.member_a.pk):
        Membership.objects.filter(user=cast.alice).update(deactivated_at=timezone.now())
    assert actor_for_user(cast.alice).member_id is None


def test_the_request_scope_comes_from_the_membership_not_from_the_client(
    client, cast, settings
) -> None:
    """A member id in the query string or body is not a way in: the scope is charlie's own."""
    from tests.members.probe_urls import SEEN

    settings.ROOT_URLCONF = "tests.members.probe_urls"
    client.force_login(cast.charlie)
    client.get(f"/__scope_probe__/?member_id={cast.member_a.pk}")
    assert SEEN["scope"].member_id == cast.member_b.pk
    client.post("/__scope_probe__/", {"member_id": cast.member_a.pk})
    assert SEEN["scope"].member_id == cast.member_b.pk
    assert current_scope() is None  # reset when the response was ready


def test_a_consortium_scope_that_nothing_records_is_refused(monkeypatch) -> None:  # noqa: ANN001
    from members import scoping

    monkeypatch.setattr(scoping, "_consortium_scope_listeners", [])
    with (
        pytest.raises(RuntimeError, match="No listener records consortium scopes"),
        scoping.consortium_scope(reason="a report"),
    ):
        pass


@pytest.mark.django_db
def test_the_audit_log_records_each_consortium_scope() -> None:
    from audit.models import AuditAction, AuditEvent
    from members.scoping import consortium_scope

    with consortium_scope(reason="checking the audit hook"):
        recorded = AuditEvent.objects.filter(
            action=AuditAction.CONSORTIUM_SCOPE, reason="checking the audit hook"
        ).count()
    assert recorded == 1
