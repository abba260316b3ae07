"""The rules stated once on the referral model."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("status", "may"),
    [
        ("submitted", True),
        ("routed", True),
        ("declined", True),
        ("accepted", True),
        ("in_progress", True),
        ("outcome_recorded", False),
        ("closed", False),
        ("withdrawn", False),
    ],
)
def test_a_resident_may_withdraw_until_an_outcome_is_recorded(status: str, may: bool) -> None:
    from referrals.models import referral_may_be_withdrawn

    assert referral_may_be_withdrawn(status) is may
