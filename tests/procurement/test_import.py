"""The spend import checks every row first: all rows are imported, or none."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from members.scoping import member_scope
from procurement.models import SpendRecord
from procurement.services import spend_import
from tests.learning.conftest import actor_of
from tests.procurement.conftest import contract_make, participation_make, spend_make

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def joined(member_a, member_b):  # noqa: ANN001, ANN201
    mine = contract_make(member_a, "JP-1")
    participation_make(member_a, mine)
    # A contract member A does not take part in.
    contract_make(member_b, "JP-2")
    return mine


def run(user, member, data: bytes, name: str):  # noqa: ANN001, ANN201
    with member_scope(member.pk, user_id=user.pk):
        return spend_import(actor=actor_of(user), uploaded=io.BytesIO(data), filename=name)


def records(member) -> list[tuple[str, date, Decimal]]:  # noqa: ANN001
    with member_scope(member.pk):
        return sorted(
            SpendRecord.objects.values_list("contract__reference", "quarter_start", "amount")
        )


GOOD_AND_BAD = (
    "contract,quarter,amount\n"
    "JP-1,2026-27 Q1,1000.00\n"
    "JP-2,2026-27 Q1,50\n"  # not a participant
    "JP-1,2026-27 Q5,10\n"  # no such quarter
    "JP-1,2026Q2,-3\n"  # negative
    "JP-1,2026Q3,12.345\n"  # too many decimals
    "JP-1,2026-27 Q1,9\n"  # duplicate of line 2
    ",2026Q4,abc\n"  # no reference and not a number
)


def test_a_csv_with_bad_rows_imports_nothing_and_names_each_bad_row(bob, member_a, joined):
    result = run(bob, member_a, GOOD_AND_BAD.encode(), "spend.csv")
    assert not result.ok
    assert [e.line for e in result.errors] == [3, 4, 5, 6, 7, 8]
    reasons = {e.line: e.reason for e in result.errors}
    assert "JP-2" in reasons[3] and "takes part" in reasons[3]
    assert "quarter" in reasons[4]
    assert "negative" in reasons[5]
    assert "decimal places" in reasons[6]
    assert "line 2" in reasons[7]
    assert "missing" in reasons[8] and "not a number" in reasons[8]
    assert records(member_a) == []


def test_a_good_csv_imports_every_row_and_replaces_a_recorded_quarter(bob, member_a, joined):
    spend_make(member_a, joined, date(2026, 4, 1), "1.00")
    data = 'Contract,Quarter,Amount\nJP-1,2026-27 Q1,"£1,000.50"\njp-1,2026Q2,200\n\n'
    result = run(bob, member_a, data.encode("utf-8-sig"), "spend.csv")
    assert result.ok and (result.created, result.updated) == (1, 1)
    assert records(member_a) == [
        ("JP-1", date(2026, 4, 1), Decimal("1000.50")),
        ("JP-1", date(2026, 7, 1), Decimal("200.00")),
    ]


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_xlsx_with_one_bad_row_imports_nothing(bob, member_a, joined):
    data = xlsx(
        [
            ["contract", "quarter", "amount"],
            ["JP-1", "2026-27 Q1", 1500.25],
            ["JP-1", "2026-27 Q2", "lots"],
            ["JP-1", "2026-27 Q3", 700],
        ]
    )
    result = run(bob, member_a, data, "spend.xlsx")
    assert [(e.line, "not a number" in e.reason) for e in result.errors] == [(3, True)]
    assert records(member_a) == []


def test_a_good_xlsx_imports_every_row(bob, member_a, joined):
    data = xlsx(
        [["amount", "contract", "quarter"], [1500.25, "JP-1", "2026Q1"], [700, "JP-1", "2026Q2"]]
    )
    result = run(bob, member_a, data, "spend.xlsx")
    assert result.ok and result.created == 2
    assert [r[2] for r in records(member_a)] == [Decimal("1500.25"), Decimal("700.00")]


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"contract,amount\nJP-1,3\n", "spend.csv", "quarter"),
        (b"", "spend.csv", "empty"),
        (b"not a zip", "spend.xlsx", "XLSX"),
        (b"\xff\xfe\x00c\x00o", "spend.csv", "CSV"),
        (b"contract,quarter,amount\n", "spend.csv", "no rows"),
        (b"%PDF-1.7", "spend.pdf", "CSV or XLSX"),
    ],
)
def test_an_unreadable_file_is_refused_with_a_reason(bob, member_a, joined, data, name, reason):
    result = run(bob, member_a, data, name)
    assert not result.ok and result.errors[0].line == 0
    assert reason in result.errors[0].reason
    assert records(member_a) == []


@pytest.mark.parametrize("name", ["spend.csv", "spend.xlsx"])
def test_huge_amounts_are_row_errors_not_a_crash(bob, member_a, joined, name):
    """Issue 14, finding 3b: 1E+30 raised decimal.InvalidOperation (a 500)."""
    rows = [
        ["contract", "quarter", "amount"],
        ["JP-1", "2026-27 Q1", "1E+30"],
        ["JP-1", "2026-27 Q2", "9" * 13],
        ["JP-1", "2026-27 Q3", "9" * 40],
        ["JP-1", "2026-27 Q4", "999999999999.99"],
    ]
    if name.endswith(".csv"):
        data = "\n".join(",".join(row) for row in rows).encode()
    else:
        data = xlsx([rows[0], *[[r[0], r[1], float(r[2])] for r in rows[1:]]])
    result = run(bob, member_a, data, name)
    assert not result.ok
    reasons = {e.line: e.reason for e in result.errors}
    assert set(reasons) == {2, 3, 4}
    assert all("too large" in reason for reason in reasons.values())
    assert records(member_a) == []
