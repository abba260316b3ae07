"""How a snapshot cell is written in every output."""

from __future__ import annotations

from typing import Any

DASH = "–"


def format_cell(value: Any, unit: str) -> str:
    if value is None:
        return DASH
    if isinstance(value, str):
        return value  # "<5" or "[c]": already suppressed
    if unit == "gbp":
        return f"£{value:,.0f}"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "hours":
        return f"{value:,.1f} h"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def numeric(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
