from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from members.scoping import current_scope
from tests.factories import MemberFactory, ReferralFactory

pytestmark = pytest.mark.django_db


def test_a_scoped_command_sees_only_its_members_rows(member_a, member_b) -> None:
    ReferralFactory(member=member_a)
    ReferralFactory(member=member_b)
    ReferralFactory(member=member_b, provider=MemberFactory(slug="elsewhere"))
    out = StringIO()
    call_command("referral_counts", "--member", member_b.slug, stdout=out)
    assert out.getvalue().split() == ["submitted", "2"]
    assert current_scope() is None


def test_a_scoped_command_needs_a_scope() -> None:
    with pytest.raises(CommandError):
        call_command("referral_counts")


def test_a_consortium_command_needs_a_reason(member_a) -> None:
    with pytest.raises(CommandError, match="--reason"):
        call_command("referral_counts", "--consortium")
    ReferralFactory(member=member_a)
    out = StringIO()
    call_command("referral_counts", "--consortium", "--reason", "monthly check", stdout=out)
    assert out.getvalue().split() == ["submitted", "1"]


def test_an_unknown_member_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="No member with the slug 'nope'"):
        call_command("referral_counts", "--member", "nope")
