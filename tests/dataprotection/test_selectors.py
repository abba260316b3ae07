"""Who may receive shared data on a given day: the rule (table-driven, pure), then the gate read
from the database with versions and signatures on explicit days."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dataprotection.models import SharingAgreement
from dataprotection.selectors import (
    Standing,
    consortium_overview,
    member_standing,
    sharing_gate,
    standing_on,
)
from members.scoping import consortium_scope, member_scope
from tests.dataprotection.conftest import day, publish, sign
from tests.factories import MemberFactory

D = date(2027, 1, 1)


def agreement(pk: int, effective: date, grace_until: date | None = None) -> SharingAgreement:
    return SharingAgreement(
        pk=pk, version=f"v{pk}", effective_from=effective, grace_until=grace_until
    )


V1 = agreement(1, D)
V2 = agreement(2, date(2027, 3, 1), grace_until=date(2027, 3, 31))
V3 = agreement(3, date(2027, 6, 1))
V1_GRACE = agreement(1, D, grace_until=date(2027, 1, 15))

# (case, versions, signed ids, day, expected state, what the DPO must sign, their deadline)
CASES = [
    ("nothing published", [], set(), D, Standing.NO_AGREEMENT, None, None),
    ("first version not in force yet", [V1], set(), date(2026, 12, 1), Standing.NO_AGREEMENT, V1,
     date(2026, 12, 31)),
    ("first version without grace gates at once", [V1], set(), D, Standing.GATED, V1, None),
    ("first version signed", [V1], {1}, D, Standing.SIGNED, None, None),
    ("first version's grace gates nobody", [V1_GRACE], set(), date(2027, 1, 10),
     Standing.IN_GRACE, V1_GRACE, date(2027, 1, 15)),
    ("last day of the first grace", [V1_GRACE], set(), date(2027, 1, 15), Standing.IN_GRACE,
     V1_GRACE, date(2027, 1, 15)),
    ("the day after the first grace", [V1_GRACE], set(), date(2027, 1, 16), Standing.GATED,
     V1_GRACE, None),
    ("v2 announced: v1 signer must sign by v2's grace end", [V1, V2], {1}, date(2027, 2, 1),
     Standing.SIGNED, V2, date(2027, 3, 31)),
    ("v2 in force, in grace for a v1 signer", [V1, V2], {1}, date(2027, 3, 10), Standing.IN_GRACE,
     V2, date(2027, 3, 31)),
    ("v2's grace over for a v1 signer", [V1, V2], {1}, date(2027, 4, 1), Standing.GATED, V2, None),
    ("v2's grace does not cover a member that never signed v1", [V1, V2], set(),
     date(2027, 3, 10), Standing.GATED, V2, None),
    ("v2 signed during its grace", [V1, V2], {1, 2}, date(2027, 3, 10), Standing.SIGNED, None,
     None),
    ("v2 signed without v1", [V1, V2], {2}, date(2027, 3, 10), Standing.SIGNED, None, None),
    ("v3 without grace: sign by the day before it", [V1, V2, V3], {1, 2}, date(2027, 5, 1),
     Standing.SIGNED, V3, date(2027, 5, 31)),
    ("v3 in force: v1 alone is two versions old", [V1, V2, V3], {1}, date(2027, 6, 1),
     Standing.GATED, V3, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("versions", "signed", "on", "state", "must_sign", "deadline"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_the_rule(
    versions: list[SharingAgreement],
    signed: set[int],
    on: date,
    state: Standing,
    must_sign: SharingAgreement | None,
    deadline: date | None,
) -> None:
    standing = standing_on(versions, signed, on)
    assert standing.state == state
    assert standing.receives == (state != Standing.GATED)
    assert standing.must_sign is must_sign
    assert standing.deadline == deadline
    assert standing.needs_action == (must_sign is not None)
    if state == Standing.GATED:
        assert (
            standing.reason == f"has not signed data sharing agreement {standing.current.version}"
        )
    else:
        assert standing.reason == ""


@pytest.mark.django_db
def test_with_nothing_published_nobody_is_gated(member_a: Any, member_b: Any) -> None:
    gate = sharing_gate()
    assert gate.blocked == {} and gate.current is None
    assert gate.allows(member_a.pk) and gate.allows(member_b.pk)


@pytest.mark.django_db
def test_grace_period_over_explicit_days(
    member_a: Any, member_b: Any, coordinator: Any, dpo: Any, dpo_b: Any
) -> None:
    """v1 in force since 60 days ago, signed by both; v2 takes effect 20 days ago with a
    30-day grace; only B signs v2 (15 days ago). A is in grace until day +10, then gated."""
    v1 = publish(coordinator, "v1", day(-60))
    sign(dpo, v1, day(-59))
    sign(dpo_b, v1, day(-58))
    v2 = publish(coordinator, "v2", day(-20), grace_days=30, today=day(-25))
    sign(dpo_b, v2, day(-15))
    assert v2.grace_until == day(10)

    before = sharing_gate(on=day(-21))  # v1 in force: both signed
    assert before.blocked == {} and before.current == v1
    during = sharing_gate(on=day(0))
    assert during.current == v2
    assert during.standing(member_a.pk).state == Standing.IN_GRACE
    assert during.standing(member_b.pk).state == Standing.SIGNED
    assert during.blocked == {}
    last_day = sharing_gate(on=day(10))
    assert last_day.allows(member_a.pk)
    after = sharing_gate(on=day(11))
    assert after.blocked == {member_a.pk: "has not signed data sharing agreement v2"}
    assert not after.allows(member_a.pk) and after.allows(member_b.pk)
    # The gate of a past day counts only the signatures made by then: before B signed v2 (and
    # after v2 took effect) B was in grace too.
    assert sharing_gate(on=day(-16)).standing(member_b.pk).state == Standing.IN_GRACE
    # A member added after the agreement has signed nothing.
    newcomer = MemberFactory(slug="newcomer")
    assert not sharing_gate(on=day(11)).allows(newcomer.pk)
    assert sharing_gate(on=day(0)).standing(newcomer.pk).state == Standing.GATED

    # One member's own view agrees with the consortium's, day by day.
    for on in (day(-21), day(0), day(10), day(11)):
        gate = sharing_gate(on=on)
        with consortium_scope(reason="test: the coordinator's overview"):
            overview = consortium_overview(on=on)
        for member in (member_a, member_b):
            with member_scope(member.pk):  # as on its staff's pages
                own = member_standing(member_id=member.pk, on=on)
            assert own.state == gate.standing(member.pk).state
        rows = {row.member.pk: row.standing.state for row in overview.rows}
        assert rows[member_a.pk] == gate.standing(member_a.pk).state


@pytest.mark.django_db
def test_the_gate_is_read_in_the_same_number_of_queries_for_any_number_of_members(
    coordinator: Any, dpo: Any
) -> None:
    v1 = publish(coordinator, "v1", day(0))
    sign(dpo, v1)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            sharing_gate()
        return len(captured.captured_queries)

    one = queries()
    for n in range(8):
        MemberFactory(slug=f"many-{n}")
    assert queries() == one
    assert len(sharing_gate().blocked) == 8  # member A signed; the eight new ones did not
