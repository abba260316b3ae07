"""The demo command: twelve synthetic members, every role, quarters of referrals; run it twice
and nothing changes the second time."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from members.models import ConsortiumRoleAssignment, Member, MemberRole, MembershipRole
from members.scoping import consortium_scope
from referrals.models import Outcome, Referral, Resident
from reports.models import Report
from services.models import Offer

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def counts() -> dict[str, int]:
    with consortium_scope(reason="test: count demo rows"):
        return {
            "members": Member.objects.count(),
            "offers": Offer.objects.count(),
            "roles": MembershipRole.objects.count(),
            "residents": Resident.objects.count(),
            "referrals": Referral.objects.count(),
            "outcomes": Outcome.objects.count(),
            "consortium_roles": ConsortiumRoleAssignment.objects.count(),
            "authenticators": Authenticator.objects.count(),
            "reports": Report.objects.count(),
        }


def test_seed_demo_builds_the_consortium_and_is_safe_to_run_twice() -> None:
    out = StringIO()
    call_command("seed_demo", "--report-quarters", "1", "--member-report-quarters", "0", stdout=out)
    first = counts()
    assert first["members"] == 12
    assert first["referrals"] > 500
    assert first["outcomes"] > 50
    assert first["reports"] == 1  # the consortium report for the last quarter, published
    assert "demo-portal-2026" in out.getvalue()
    assert "caseworker.aldgate-bow@demo.example" in out.getvalue()

    second_out = StringIO()
    call_command(
        "seed_demo", "--report-quarters", "1", "--member-report-quarters", "0", stdout=second_out
    )
    assert counts() == first
    assert "0 members and 0 referrals created this run" in second_out.getvalue()


def test_the_demo_is_synthetic_and_covers_every_member_and_role() -> None:
    call_command(
        "seed_demo", "--report-quarters", "0", "--member-report-quarters", "0", stdout=StringIO()
    )
    with consortium_scope(reason="test: inspect demo"):
        assert not Member.objects.filter(is_synthetic=False).exists()
        assert all("synthetic" in m.description for m in Member.objects.all())
        assert not Referral.objects.filter(is_synthetic=False).exists()
        # Services and offers at all twelve members.
        assert Offer.objects.values("member").distinct().count() == 12
        # Every member role at several members, and every consortium role.
        for role in MemberRole.values:
            assert MembershipRole.objects.filter(role=role).values("member").distinct().count() >= 2
        assert ConsortiumRoleAssignment.objects.values("role").distinct().count() == 3
        # Several quarters of referrals and outcomes for the reports.
        quarters = {
            (r.year, (r.month - 1) // 3) for r in Referral.objects.dates("submitted_at", "month")
        }
        assert len(quarters) >= 5
        assert Outcome.objects.filter(type="job_sustained_13").exists()
