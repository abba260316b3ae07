"""Reading spend files (CSV or XLSX): every row is checked before anything is written.

Columns (a header row, in any order, case-insensitive): `contract` (the contract reference, e.g.
JP-2026-001), `quarter` (e.g. 2026-27 Q1 or 2026Q1) and `amount` (pounds, e.g. 1234.56).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from consortium.decimals import decimal_parse_for
from kernel.calendar import Quarter
from procurement.models import SpendRecord
from procurement.uploads import BadUpload, office_check

REQUIRED_COLUMNS = ("contract", "quarter", "amount")
MAX_ROWS = 5000


@dataclass(frozen=True)
class SpendRow:
    line: int
    contract_reference: str
    quarter: Quarter
    amount: Decimal


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


class SpendFileError(ValueError):
    """The file as a whole cannot be read (wrong type, no header, too many rows)."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(uploaded: IO[bytes], filename: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, {column: text}) for each non-empty data row. Line 1 is the header."""
    name = filename.lower()
    data = uploaded.read()
    if name.endswith(".xlsx"):
        if not data.startswith(b"PK\x03\x04"):
            raise SpendFileError("The file is not a valid XLSX workbook.")
        try:
            office_check(data, kind="xlsx", label="a valid XLSX workbook")
        except BadUpload as exc:
            raise SpendFileError(str(exc)) from None
        rows = _xlsx_rows(data)
    elif name.endswith(".csv"):
        if b"\x00" in data[:4096]:
            raise SpendFileError("The file is not a CSV text file.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SpendFileError("The CSV file must be saved as UTF-8.") from None
        rows = [list(row) for row in csv.reader(io.StringIO(text))]
    else:
        raise SpendFileError("Upload a CSV or XLSX file.")
    if not rows:
        raise SpendFileError("The file is empty.")
    header = [_cell(h).lower() for h in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise SpendFileError(
            "The first row must name the columns contract, quarter and amount "
            f"(missing: {', '.join(missing)})."
        )
    out = []
    for index, row in enumerate(rows[1:], start=2):
        cells = [_cell(c) for c in row]
        if not any(cells):
            continue
        out.append(
            (index, {col: (cells[i] if i < len(cells) else "") for i, col in enumerate(header)})
        )
    if len(out) > MAX_ROWS:
        raise SpendFileError(f"The file has more than {MAX_ROWS} rows: split it.")
    if not out:
        raise SpendFileError("The file has a header but no rows.")
    return out


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged file
        raise SpendFileError("The XLSX workbook could not be read.") from None
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def parse_amount(text: str) -> Decimal:
    """Pounds, bounded by SpendRecord.amount (so 1E+30 is "too large", never a 500)."""
    amount = decimal_parse_for(SpendRecord, "amount", text, "amount")
    if amount < 0:
        raise ValueError("the amount cannot be negative")
    return amount


def parse_quarter(text: str) -> Quarter:
    try:
        return Quarter.from_key(text)
    except ValueError:
        raise ValueError(f"the quarter {text!r} is not like 2026-27 Q1 or 2026Q1") from None
