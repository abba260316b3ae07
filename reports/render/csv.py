"""Tidy CSV: one row per figure, row of its table (breakdown), and column (period)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reports.models import Report

HEADER = [
    "report_id",
    "version",
    "scope",
    "period_start",
    "period_end",
    "section",
    "figure_key",
    "figure",
    "breakdown",
    "column",
    "unit",
    "value",
    "suppressed",
    "rag",
]


def _safe(text: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def render_csv(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    snap = report.snapshot
    for fig in snap["figures"]:
        for row in fig["rows"]:
            for column, value in zip(fig["columns"], row["values"], strict=True):
                suppressed = isinstance(value, str)
                writer.writerow(
                    [
                        report.pk,
                        report.version,
                        _safe(report.scope_label),
                        snap["period"]["start"],
                        snap["period"]["end"],
                        fig["section"],
                        fig["key"],
                        fig["title"],
                        _safe(row["label"]),
                        _safe(column),
                        row["unit"],
                        "" if value is None else value,
                        "yes" if suppressed else "no",
                        fig["rag"],
                    ]
                )
    return out.getvalue().encode("utf-8-sig")
