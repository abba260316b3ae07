"""The board pack: a PDF rendered with WeasyPrint from the snapshot (cover, contents, RAG
summary, a page per section with SVG charts and tables, notes on method, page numbers)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from kernel.pdf_fetch import refusing_url_fetcher
from reports.render.formatting import format_cell
from reports.render.svg import bar_chart, line_chart
from reports.suppression import PRIMARY, SECONDARY

if TYPE_CHECKING:
    from reports.models import Report

NOTO = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
FONT_FAMILY = "Noto Sans" if NOTO.exists() else "DejaVu Sans"
RAG_LABELS = {
    "green": "On target",
    "amber": "Near target",
    "red": "Off target",
    "none": "No target",
}


def _figure_context(fig: dict[str, Any]) -> dict[str, Any]:
    trend = fig["trend"]
    target = fig["target"]["green"] if fig["target"] else None
    if fig["chart"] == "line":
        chart = line_chart(
            trend["labels"], trend["values"], unit=fig["unit"], title=fig["headline"], target=target
        )
    else:
        chart = bar_chart(trend["labels"], trend["values"], unit=fig["unit"], title=fig["headline"])
    rows = [
        {
            "label": row["label"],
            "is_total": row["is_total"],
            "cells": [format_cell(v, row["unit"]) for v in row["values"]],
        }
        for row in fig["rows"]
    ]
    return {
        **fig,
        "chart_svg": mark_safe(chart),  # noqa: S308 - built by reports/render/svg.py, escaped
        "table_rows": rows,
        "current_display": format_cell(fig["current"], fig["unit"]),
        "target_display": format_cell(target, fig["unit"]) if target is not None else "–",
        "amber_display": format_cell(fig["target"]["amber"], fig["unit"]) if fig["target"] else "–",
        "rag_label": RAG_LABELS.get(fig["rag"], fig["rag"]),
        "wide": len(fig["columns"]) > 6,
    }


def css_string(text: str) -> str:
    """A CSS string literal (for @page content); `<` is escaped so it cannot end the style."""
    escaped = text.replace("\\", "\\5C ").replace('"', "\\22 ").replace("<", "\\3C ")
    return f'"{escaped}"'


def board_pack_html(report: Report) -> str:
    snap = report.snapshot
    figures = [_figure_context(fig) for fig in snap["figures"]]
    sections: list[dict[str, Any]] = []
    for fig in figures:
        if not sections or sections[-1]["name"] != fig["section"]:
            sections.append(
                {"name": fig["section"], "anchor": f"s{len(sections) + 1}", "figures": []}
            )
        sections[-1]["figures"].append(fig)
    counts = {r: sum(1 for f in figures if f["rag"] == r) for r in RAG_LABELS}
    return render_to_string(
        "reports/pdf/board_pack.html",
        {
            "report": report,
            "snap": snap,
            "sections": sections,
            "figures": figures,
            "rag_counts": counts,
            "font_family": FONT_FAMILY,
            "footer_css": mark_safe(  # noqa: S308 - escaped for CSS by css_string
                css_string(
                    f"{report.scope_label} · {snap['period']['label']}"
                    + (" · DRAFT" if report.kind == "on_demand" else "")
                )
            ),
            "PRIMARY": PRIMARY,
            "SECONDARY": SECONDARY,
        },
    )


def render_pdf(report: Report) -> bytes:
    from weasyprint import HTML

    html = board_pack_html(report)
    # A figure or label can never make the server fetch a URL (kernel/pdf_fetch.py).
    return HTML(string=html, base_url=None, url_fetcher=refusing_url_fetcher()).write_pdf()
