"""Tidy CSV: one row per figure, row of its table (breakdown), and column (period)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.tabular import CsvWriter

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


def render_csv(report: Report) -> bytes:
    writer = CsvWriter()  # escapes every cell against formula injection
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
                        report.scope_label,
                        snap["period"]["start"],
                        snap["period"]["end"],
                        fig["section"],
                        fig["key"],
                        fig["title"],
                        row["label"],
                        column,
                        row["unit"],
                        "" if value is None else value,
                        "yes" if suppressed else "no",
                        fig["rag"],
                    ]
                )
    return writer.getvalue().encode("utf-8-sig")
