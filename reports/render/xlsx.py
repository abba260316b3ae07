"""XLSX: a summary sheet of RAG statuses, then one formatted sheet per section."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from kernel.tabular import new_workbook, workbook_bytes, write_cell

if TYPE_CHECKING:
    from reports.models import Report

HEADER_FILL = PatternFill("solid", fgColor="1F3A4D")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="1F3A4D")
TOTAL_FONT = Font(bold=True)
THIN = Side(style="thin", color="D9DEE3")
RAG_FILLS = {
    "green": PatternFill("solid", fgColor="C8E6C9"),
    "amber": PatternFill("solid", fgColor="FFE0B2"),
    "red": PatternFill("solid", fgColor="FFCDD2"),
}
NUMBER_FORMATS = {
    "count": "#,##0",
    "gbp": '"£"#,##0',
    "percent": '0.0"%"',
    "hours": '0.0" h"',
}


def _sheet_name(name: str, used: set[str]) -> str:
    clean = re.sub(r"[\[\]\*\?/\\:]", " ", name)[:31]
    candidate, n = clean, 2
    while candidate in used:
        candidate = f"{clean[:28]} {n}"
        n += 1
    used.add(candidate)
    return candidate


def _header(ws: Any, row: int, values: list[str]) -> None:
    for col, value in enumerate(values, start=1):
        cell = write_cell(ws, row=row, column=col, value=value)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def render_xlsx(report: Report) -> bytes:
    snap = report.snapshot
    wb = new_workbook()
    summary = wb.active
    summary.title = "Summary"
    write_cell(summary, row=1, column=1, value=report.title).font = TITLE_FONT
    period = snap["period"]
    write_cell(
        summary,
        row=2,
        column=1,
        value=f"Period {period['start']} to {period['end']}; version {report.version}",
    )
    write_cell(
        summary,
        row=3,
        column=1,
        value=(
            'Counts of people under 5 are shown as "<5"; "[c]" hides a cell a total would reveal.'
        ),
    )
    _header(
        summary, 5, ["Section", "Figure", "Headline", "This period", "Status", "Target (green)"]
    )
    for i, fig in enumerate(snap["figures"], start=6):
        target = fig["target"]["green"] if fig["target"] else None
        values = [fig["section"], fig["title"], fig["headline"], fig["current"], fig["rag"], target]
        for col, value in enumerate(values, start=1):
            cell = write_cell(summary, row=i, column=col, value=value)
            cell.border = Border(bottom=THIN)
            if col in (4, 6) and not isinstance(value, str):
                cell.number_format = NUMBER_FORMATS.get(fig["unit"], "General")
        summary.cell(row=i, column=5).fill = RAG_FILLS.get(fig["rag"], PatternFill())
    for letter, width in zip("ABCDEF", (24, 36, 44, 14, 10, 14), strict=True):
        summary.column_dimensions[letter].width = width
    summary.freeze_panes = "A6"

    used = {"Summary"}
    sections: dict[str, list[dict]] = {}
    for fig in snap["figures"]:
        sections.setdefault(fig["section"], []).append(fig)
    for section, figures in sections.items():
        ws = wb.create_sheet(_sheet_name(section, used))
        row = 1
        widest = 1
        for fig in figures:
            write_cell(ws, row=row, column=1, value=fig["title"]).font = TITLE_FONT
            row += 1
            write_cell(ws, row=row, column=1, value=fig["method"]).alignment = Alignment(
                wrap_text=False
            )
            row += 1
            _header(ws, row, ["", *fig["columns"]])
            header_row = row
            row += 1
            for data_row in fig["rows"]:
                label = write_cell(ws, row=row, column=1, value=data_row["label"])
                if data_row["is_total"]:
                    label.font = TOTAL_FONT
                for col, value in enumerate(data_row["values"], start=2):
                    cell = write_cell(ws, row=row, column=col, value=value)
                    cell.border = Border(bottom=THIN)
                    cell.alignment = Alignment(horizontal="right")
                    if not isinstance(value, str):
                        cell.number_format = NUMBER_FORMATS.get(data_row["unit"], "General")
                    if data_row["is_total"]:
                        cell.font = TOTAL_FONT
                row += 1
            widest = max(widest, len(fig["columns"]) + 1)
            for note in fig["notes"]:
                write_cell(ws, row=row, column=1, value=note).font = Font(
                    italic=True, color="5B6773"
                )
                row += 1
            row += 1
            if header_row and ws.freeze_panes is None:
                ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
        ws.column_dimensions["A"].width = 48
        for col in range(2, widest + 1):
            ws.column_dimensions[get_column_letter(col)].width = 14
    return workbook_bytes(wb)
