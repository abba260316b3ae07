"""The figure registry: every figure in a report is one registered function.

A figure receives the scope (consortium or one member) and the periods (oldest first; the last is
the report's own period) and returns a FigureData: a table (rows x columns), the headline value
per period (the trend) and whether its counts describe people (then they are suppressed).
Adding a figure is one decorated function in one module listed in FIGURE_MODULES: the snapshot,
the PDF, the CSV and the XLSX pick it up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from kernel.calendar import Quarter, period_bounds


class Unit(StrEnum):
    COUNT = "count"
    HOURS = "hours"
    PERCENT = "percent"
    GBP = "gbp"


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # inclusive

    @classmethod
    def of(cls, quarter: Quarter) -> Period:
        return cls(quarter.label, quarter.start, quarter.end)

    @property
    def bounds(self) -> tuple[Any, Any]:
        return period_bounds(self.start, self.end)


@dataclass(frozen=True)
class FigureContext:
    member_id: int | None
    periods: list[Period]

    @property
    def current(self) -> Period:
        return self.periods[-1]


@dataclass
class Row:
    label: str
    values: Sequence[int | Decimal | float | None]
    unit: Unit = Unit.COUNT
    # Counts of people are suppressed; money, hours and percentages are not (a rate whose
    # denominator is under 5 is blanked by the figure itself).
    people: bool = True


@dataclass
class FigureData:
    columns: list[str]
    rows: list[Row]
    # The headline value for each period (oldest first): the trend line and the RAG value.
    trend: Sequence[int | Decimal | float | None]
    # Append a total row (per column) / total column (per row), computed from the people counts
    # in reports/suppression.py, which also suppresses whatever a total would reveal.
    has_total_row: bool = False
    has_total_column: bool = False
    total_label: str = "Total"
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FigureSpec:
    key: str
    title: str
    section: str
    headline: str
    unit: Unit
    # Is the headline a count of people (then it is suppressed under 5)?
    headline_people: bool
    method: str
    compute: Callable[[FigureContext], FigureData]
    chart: str = "bar"  # "bar" (trend bars) or "line"
    order: int = 100


_registry: dict[str, FigureSpec] = {}

# Modules whose import registers figures. Procurement and learning figures live in their own
# module so each can be added or removed in one place.
FIGURE_MODULES = ("reports.figures", "reports.figures_shared")


def figure(
    *,
    key: str,
    title: str,
    section: str,
    headline: str,
    unit: Unit,
    headline_people: bool,
    method: str,
    chart: str = "bar",
    order: int = 100,
) -> Callable[[Callable[[FigureContext], FigureData]], Callable[[FigureContext], FigureData]]:
    def decorator(
        fn: Callable[[FigureContext], FigureData],
    ) -> Callable[[FigureContext], FigureData]:
        if key in _registry and _registry[key].compute is not fn:
            raise ValueError(f"figure {key!r} is registered twice")
        _registry[key] = FigureSpec(
            key=key,
            title=title,
            section=section,
            headline=headline,
            unit=unit,
            headline_people=headline_people,
            method=method,
            compute=fn,
            chart=chart,
            order=order,
        )
        return fn

    return decorator


def all_figures() -> list[FigureSpec]:
    for module in FIGURE_MODULES:
        importlib.import_module(module)
    return sorted(_registry.values(), key=lambda spec: (spec.order, spec.key))
