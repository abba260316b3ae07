"""The one writer of every CSV and XLSX the portal hands out.

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return, which some
programs strip before looking) as a formula, so a resident's name or a user's email could run a
command on the reader's machine (CSV/formula injection). Every cell of every export goes through
`safe_cell` here, so no export can forget it; a test fails if another module writes CSV or XLSX.
Numbers stay numbers: only text is prefixed, so -3 in a report figure is still -3 in Excel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; rest unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvWriter:
    """csv.writer whose every cell is made safe; `getvalue()` returns the text written."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        # RFC 4180 line ends: with "\n" alone, csv leaves a "\r" in a cell unquoted and a
        # reader splits the row there.
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def getvalue(self) -> str:
        return self._buffer.getvalue()


def new_workbook() -> Workbook:
    return Workbook()


def write_cell(ws: Worksheet, *, row: int, column: int, value: Any) -> Cell:
    """The only way a value reaches an XLSX cell: text is never taken as a formula."""
    cell = ws.cell(row=row, column=column)
    cell.value = safe_cell(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"  # openpyxl would otherwise read any text starting "=" as a formula
    return cell


def workbook_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
