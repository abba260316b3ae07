"""Build a report's frozen snapshot: every registered figure, suppressed, with trend and RAG.

The snapshot holds display values only (counts under 5 already "<5"), so every output rendered
from it shows exactly the same cells.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from reports.figures import periods_for
from reports.models import Target, TargetDirection
from reports.registry import FigureContext, FigureData, FigureSpec, Unit, all_figures
from reports.suppression import suppress_grid, suppress_value

SNAPSHOT_FORMAT = 1


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 2)
    return value


def rag_status(value: Any, target: Target | None) -> str:
    if target is None or value is None:
        return "none"
    v = Decimal(str(value))
    if target.direction == TargetDirection.HIGHER_IS_BETTER:
        if v >= target.green:
            return "green"
        return "amber" if v >= target.amber else "red"
    if v <= target.green:
        return "green"
    return "amber" if v <= target.amber else "red"


def suppress_figure(data: FigureData) -> list[dict[str, Any]]:
    """The figure's rows as display cells, with small numbers suppressed (reports/suppression)."""
    people_rows = [row for row in data.rows if row.people]
    rows: list[dict[str, Any]] = []
    if data.has_total_row or data.has_total_column:
        # A table with totals: every row is a count of people; suppress as one grid.
        grid = suppress_grid(
            [[int(v or 0) for v in row.values] for row in people_rows],
            row_totals=data.has_total_column,
            col_totals=data.has_total_row,
        )
        labels = [row.label for row in people_rows]
        if data.has_total_row:
            labels.append(data.total_label)
        for label, cells in zip(labels, grid, strict=True):
            rows.append(
                {
                    "label": label,
                    "unit": Unit.COUNT,
                    "people": True,
                    "values": cells,
                    "is_total": label == data.total_label and data.has_total_row,
                }
            )
        return rows
    for row in data.rows:
        values = [
            suppress_value(int(v)) if row.people and v is not None else _json(v) for v in row.values
        ]
        rows.append(
            {
                "label": row.label,
                "unit": row.unit,
                "people": row.people,
                "values": values,
                "is_total": False,
            }
        )
    return rows


def figure_snapshot(
    spec: FigureSpec, ctx: FigureContext, targets: dict[str, Target]
) -> dict[str, Any]:
    data = spec.compute(ctx)
    raw_current = data.trend[-1] if data.trend else None
    target = targets.get(spec.key)
    trend = [
        suppress_value(int(v)) if spec.headline_people and v is not None else _json(v)
        for v in data.trend
    ]
    columns = list(data.columns)
    if data.has_total_column:
        columns.append(data.total_label)
    return {
        "key": spec.key,
        "title": spec.title,
        "section": spec.section,
        "headline": spec.headline,
        "unit": spec.unit,
        "headline_people": spec.headline_people,
        "chart": spec.chart,
        "method": spec.method,
        "columns": columns,
        "rows": suppress_figure(data),
        "trend": {"labels": [p.label for p in ctx.periods], "values": trend},
        "current": trend[-1] if trend else None,
        "rag": rag_status(raw_current, target),
        "target": None
        if target is None
        else {
            "green": float(target.green),
            "amber": float(target.amber),
            "direction": target.direction,
            "note": target.note,
        },
        "notes": data.notes,
    }


def snapshot_build(*, member_id: int | None, period_start: date, period_end: date) -> dict:
    """Compute every figure for the scope and period. Run inside a consortium scope."""
    ctx = FigureContext(member_id=member_id, periods=periods_for(period_start, period_end))
    targets = {t.figure_key: t for t in Target.objects.all()}
    return {
        "format": SNAPSHOT_FORMAT,
        "member_id": member_id,
        "period": {
            "start": period_start.isoformat(),
            "end": period_end.isoformat(),
            "label": ctx.current.label,
        },
        "computed_at": timezone.now().isoformat(),
        "figures": [figure_snapshot(spec, ctx, targets) for spec in all_figures()],
    }
