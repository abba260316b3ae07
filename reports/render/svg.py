"""Small SVG charts for the board pack (no JavaScript, no chart library): bars and a line.

Suppressed values ("<5") are drawn as an empty slot labelled "<5", never as a bar of a guessed
height.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from reports.render.formatting import format_cell, numeric

INK = "#1d2733"
MUTED = "#5b6773"
GRID = "#d9dee3"
ACCENT = "#1f6f8b"
ACCENT_LIGHT = "#9cc7d6"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return float(top)
    return float(value)


def _frame(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'font-family="Noto Sans, DejaVu Sans, sans-serif">' + "".join(body) + "</svg>"
    )


def _axes(width: int, height: int, pad: dict[str, int], top: float, unit: str) -> list[str]:
    body = []
    plot_h = height - pad["t"] - pad["b"]
    for i in range(5):
        y = pad["t"] + plot_h - plot_h * i / 4
        body.append(
            f'<line x1="{pad["l"]}" y1="{y:.1f}" x2="{width - pad["r"]}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="0.6"/>'
        )
        body.append(
            f'<text x="{pad["l"] - 6}" y="{y + 3:.1f}" font-size="8" fill="{MUTED}" '
            f'text-anchor="end">{escape(format_cell(top * i / 4, unit))}</text>'
        )
    return body


def bar_chart(
    labels: Sequence[str],
    values: Sequence[Any],
    *,
    unit: str = "count",
    title: str = "",
    width: int = 460,
    height: int = 180,
) -> str:
    pad = {"l": 52, "r": 10, "t": 14, "b": 28}
    nums = [numeric(v) for v in values]
    top = _nice_max(max([n for n in nums if n is not None] + [0]))
    plot_w = width - pad["l"] - pad["r"]
    plot_h = height - pad["t"] - pad["b"]
    slot = plot_w / max(len(values), 1)
    body = _axes(width, height, pad, top, unit)
    for i, (label, value, num) in enumerate(zip(labels, values, nums, strict=True)):
        x = pad["l"] + slot * i + slot * 0.18
        bar_w = slot * 0.64
        colour = ACCENT if i == len(values) - 1 else ACCENT_LIGHT
        base = pad["t"] + plot_h
        if num is not None:
            h = plot_h * num / top
            body.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour}"/>'
            )
            label_y = base - h - 3
        else:
            label_y = base - 3
        body.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{label_y:.1f}" font-size="8" fill="{INK}" '
            f'text-anchor="middle">{escape(format_cell(value, unit))}</text>'
        )
        body.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 10}" font-size="8" fill="{MUTED}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    body.append(
        f'<line x1="{pad["l"]}" y1="{pad["t"] + plot_h}" x2="{width - pad["r"]}" '
        f'y2="{pad["t"] + plot_h}" stroke="{INK}" stroke-width="0.8"/>'
    )
    return _frame(width, height, body, title)


def line_chart(
    labels: Sequence[str],
    values: Sequence[Any],
    *,
    unit: str = "count",
    title: str = "",
    target: float | None = None,
    width: int = 460,
    height: int = 180,
) -> str:
    pad = {"l": 52, "r": 10, "t": 14, "b": 28}
    nums = [numeric(v) for v in values]
    candidates = [n for n in nums if n is not None] + ([target] if target is not None else [])
    top = _nice_max(max(candidates + [0]))
    plot_w = width - pad["l"] - pad["r"]
    plot_h = height - pad["t"] - pad["b"]
    step = plot_w / max(len(values), 1)
    body = _axes(width, height, pad, top, unit)
    if target is not None:
        y = pad["t"] + plot_h - plot_h * target / top
        body.append(
            f'<line x1="{pad["l"]}" y1="{y:.1f}" x2="{width - pad["r"]}" y2="{y:.1f}" '
            f'stroke="#2e7d32" stroke-width="1" stroke-dasharray="4 3"/>'
            f'<text x="{width - pad["r"]}" y="{y - 3:.1f}" font-size="7.5" fill="#2e7d32" '
            f'text-anchor="end">target {escape(format_cell(target, unit))}</text>'
        )
    points = []
    for i, (label, value, num) in enumerate(zip(labels, values, nums, strict=True)):
        x = pad["l"] + step * i + step / 2
        body.append(
            f'<text x="{x:.1f}" y="{height - 10}" font-size="8" fill="{MUTED}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
        if num is None:
            body.append(
                f'<text x="{x:.1f}" y="{pad["t"] + plot_h - 4}" font-size="8" fill="{MUTED}" '
                f'text-anchor="middle">{escape(format_cell(value, unit))}</text>'
            )
            continue
        y = pad["t"] + plot_h - plot_h * num / top
        points.append((x, y))
        body.append(
            f'<text x="{x:.1f}" y="{y - 6:.1f}" font-size="8" fill="{INK}" '
            f'text-anchor="middle">{escape(format_cell(value, unit))}</text>'
        )
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for x, y in points:
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{ACCENT}"/>')
    body.append(
        f'<line x1="{pad["l"]}" y1="{pad["t"] + plot_h}" x2="{width - pad["r"]}" '
        f'y2="{pad["t"] + plot_h}" stroke="{INK}" stroke-width="0.8"/>'
    )
    return _frame(width, height, body, title)
