"""Every CSV and XLSX the portal writes is safe to open in a spreadsheet (README, Security).

Two nets: only `kernel/tabular.py` may write CSV or XLSX (so a new export cannot skip the
escaping), and every export, fed hostile text in every field it writes, comes out with no cell a
spreadsheet would run as a formula, while genuine numbers (negative ones too) stay numbers.
"""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from audit.services import audit_record
from members.scoping import member_scope
from reports.render.csv import render_csv
from reports.render.xlsx import render_xlsx
from tests.factories import staff_create

ROOT = Path(__file__).resolve().parents[1]
WRITER = ROOT / "kernel" / "tabular.py"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
HOSTILE = ["=cmd|'/Ccalc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x")']


def _runtime_modules() -> list[Path]:
    skip = {".venv", "tests", "bench", "migrations", "devdata", "staticfiles", "var"}
    return [p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts)]


def _writes_a_spreadsheet(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"writer", "DictWriter"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "csv"
        ):
            found.append(f"csv.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {a.name for a in node.names}
            if node.module == "csv" and names & {"writer", "DictWriter"}:
                found.append("from csv import writer")
            if node.module.startswith("openpyxl") and "Workbook" in names:
                found.append("openpyxl.Workbook")
            if node.module.startswith("xlsxwriter"):
                found.append("xlsxwriter")
        if isinstance(node, ast.Import) and any(
            a.name.startswith("xlsxwriter") for a in node.names
        ):
            found.append("xlsxwriter")
        # ws.cell(..., value=...) writes past safe_cell; styling ws.cell(row, column) is fine.
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "cell"
            and (any(k.arg == "value" for k in node.keywords) or len(node.args) > 2)
        ):
            found.append(".cell(value=...)")
        # ws["A1"] = ... also writes a raw cell.
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Subscript)
            and isinstance(t.slice, ast.Constant)
            and isinstance(t.slice.value, str)
            and t.slice.value[:1].isalpha()
            and t.slice.value[-1:].isdigit()
            for t in node.targets
        ):
            found.append('ws["A1"] = ...')
    return found


def test_only_the_tabular_module_writes_csv_or_xlsx() -> None:
    offenders = {
        str(p.relative_to(ROOT)): hits
        for p in _runtime_modules()
        if p != WRITER and (hits := _writes_a_spreadsheet(ast.parse(p.read_text("utf-8"))))
    }
    assert offenders == {}


def _assert_csv_safe(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                float(cell)  # only a genuine number may start with "-" or "+"
    return rows


def _assert_xlsx_safe(data: bytes) -> list[Any]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cells = [
        c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None
    ]
    for cell in cells:
        assert cell.data_type != "f", cell.coordinate
        if isinstance(cell.value, str):
            assert not cell.value.startswith(FORMULA_STARTS), (cell.coordinate, cell.value)
    return cells


def _hostile_report() -> Any:
    # Every text field a report's renderers write, hostile; the figures include a negative number.
    h = iter(HOSTILE * 10)
    figure = {
        "section": next(h),
        "key": next(h),
        "title": next(h),
        "headline": next(h),
        "current": -3,
        "rag": next(h),
        "target": {"green": -1.5},
        "unit": "count",
        "method": next(h),
        "notes": [next(h)],
        "columns": [next(h), next(h)],
        "rows": [
            {"label": next(h), "values": [-3, next(h)], "unit": next(h), "is_total": False},
            {"label": next(h), "values": [None, 7], "unit": "gbp", "is_total": True},
        ],
    }
    return SimpleNamespace(
        pk=1,
        version=1,
        title=next(h),
        scope_label=next(h),
        snapshot={"period": {"start": next(h), "end": next(h)}, "figures": [figure]},
    )


def test_report_csv_escapes_every_cell_and_keeps_numbers() -> None:
    rows = _assert_csv_safe(render_csv(_hostile_report()).decode("utf-8"))
    assert "-3" in [cell for row in rows for cell in row]  # a number, not "'-3"
    assert any(cell == "'=cmd|'/Ccalc'!A0" for row in rows for cell in row)


def test_report_xlsx_escapes_every_cell_and_keeps_negative_numbers_numeric() -> None:
    cells = _assert_xlsx_safe(render_xlsx(_hostile_report()))
    numbers = [c.value for c in cells if c.data_type == "n"]
    assert -3 in numbers and -1.5 in numbers


@pytest.mark.django_db
def test_audit_csv_escapes_every_cell_including_the_actor_email(
    client: Any, charlie: Any, member_b: Any
) -> None:
    # Django's EmailValidator accepts this address: the actor's email is hostile input too.
    hostile = staff_create(member_b, "=cmd|'/Ccalc'!A0@evil.example", ["caseworker"])
    with member_scope(member_b.pk):
        for value in HOSTILE:
            audit_record(
                actor_id=hostile.pk,
                member_id=member_b.pk,
                action="view",
                object_type=value,
                object_id=value,
                reason=value,
            )
    client.force_login(charlie)
    export = client.get(reverse("referrals:audit_export"))
    assert export.status_code == 200
    rows = _assert_csv_safe(export.content.decode("utf-8"))
    assert any(row[1] == "'=cmd|'/Ccalc'!A0@evil.example" for row in rows)
