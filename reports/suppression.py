"""Small-number suppression: the one place it is decided, for every output of every report.

Rules (ICO anonymisation code, ONS practice; see DOMAIN.md):

* Primary: a count of people from 1 to 4 is shown as "<5". Zero is shown: it describes nobody.
* Secondary: where a row or column total is shown, a hidden cell must not be recoverable from
  it. If a line with a visible total has exactly one hidden cell, the next-smallest non-zero
  cell of that line is hidden too (shown as "[c]", ONS's "confidential": it is 5 or more, so
  "<5" would be untrue). Then an audit works out what someone could deduce from every shown
  total, knowing that "<5" means 1 to 4 and "[c]" means 5 or more; while any hidden cell is
  pinned to one value, one more cell of a line that pins it is hidden.

The snapshot stores only the suppressed values, so the PDF, CSV and XLSX cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 5
PRIMARY = "<5"
SECONDARY = "[c]"
_UNBOUNDED = 10**12

Cell = int | str


def suppress_value(value: int | None) -> Cell | None:
    """One count of people on its own (no totals around it)."""
    if value is None:
        return None
    return PRIMARY if 0 < value < THRESHOLD else value


def is_suppressed(cell: object) -> bool:
    return cell in (PRIMARY, SECONDARY)


@dataclass(frozen=True)
class Line:
    """Cells `parts` add up to cell `total` (positions in the extended grid)."""

    parts: tuple[tuple[int, int], ...]
    total: tuple[int, int]


def extend_with_totals(
    cells: Sequence[Sequence[int]], *, row_totals: bool, col_totals: bool
) -> tuple[list[list[int]], list[Line]]:
    """The grid with a total column and/or total row appended, and the lines that add up."""
    grid = [list(row) for row in cells]
    n_rows = len(grid)
    n_cols = len(grid[0]) if grid else 0
    lines: list[Line] = []
    if row_totals:
        for row in grid:
            row.append(sum(row[:n_cols]))
    width = n_cols + (1 if row_totals else 0)
    if col_totals:
        grid.append([sum(grid[r][c] for r in range(n_rows)) for c in range(width)])
    height = len(grid)
    if row_totals:
        for r in range(height):
            lines.append(Line(tuple((r, c) for c in range(n_cols)), (r, n_cols)))
    if col_totals:
        for c in range(width):
            lines.append(Line(tuple((r, c) for r in range(n_rows)), (n_rows, c)))
    return grid, lines


def _bounds(grid: list[list[int]], hidden: dict[tuple[int, int], str]) -> dict:
    """What can be deduced about every cell from what is shown (interval propagation)."""
    bounds: dict[tuple[int, int], list[int]] = {}
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            mark = hidden.get((r, c))
            if mark is None:
                bounds[(r, c)] = [value, value]
            elif mark == PRIMARY:
                bounds[(r, c)] = [1, THRESHOLD - 1]
            else:
                bounds[(r, c)] = [THRESHOLD, _UNBOUNDED]
    return bounds


def deduce(
    grid: list[list[int]], lines: Sequence[Line], hidden: dict[tuple[int, int], str]
) -> dict[tuple[int, int], list[int]]:
    bounds = _bounds(grid, hidden)
    for _ in range(100):
        changed = False
        for line in lines:
            lo_sum = sum(bounds[p][0] for p in line.parts)
            hi_sum = sum(bounds[p][1] for p in line.parts)
            total = bounds[line.total]
            new_total = [max(total[0], lo_sum), min(total[1], hi_sum)]
            if new_total != total:
                bounds[line.total] = new_total
                changed = True
            t_lo, t_hi = bounds[line.total]
            for p in line.parts:
                lo, hi = bounds[p]
                new = [max(lo, t_lo - (hi_sum - hi)), min(hi, t_hi - (lo_sum - lo))]
                if new != [lo, hi]:
                    bounds[p] = new
                    hi_sum += new[1] - hi
                    lo_sum += new[0] - lo
                    changed = True
        if not changed:
            break
    return bounds


def _hide_next(grid: list[list[int]], line: Line, hidden: dict[tuple[int, int], str]) -> bool:
    """Hide the smallest shown non-zero part of the line (or, failing that, its total)."""
    candidates = [p for p in line.parts if p not in hidden and grid[p[0]][p[1]] > 0]
    if candidates:
        target = min(candidates, key=lambda p: (grid[p[0]][p[1]], p))
    elif line.total not in hidden and grid[line.total[0]][line.total[1]] > 0:
        target = line.total
    else:
        return False
    value = grid[target[0]][target[1]]
    hidden[target] = PRIMARY if value < THRESHOLD else SECONDARY
    return True


def suppress_grid(
    cells: Sequence[Sequence[int]], *, row_totals: bool = False, col_totals: bool = False
) -> list[list[Cell]]:
    """Suppress a table of people counts; totals are appended (last column / last row)."""
    grid, lines = extend_with_totals(cells, row_totals=row_totals, col_totals=col_totals)
    hidden: dict[tuple[int, int], str] = {}
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if 0 < value < THRESHOLD:
                hidden[(r, c)] = PRIMARY
    for _ in range(len(grid) * (len(grid[0]) if grid else 0) + 1):
        changed = False
        for line in lines:
            hidden_parts = [p for p in line.parts if p in hidden]
            if len(hidden_parts) == 1 and line.total not in hidden:
                changed |= _hide_next(grid, line, hidden)
        bounds = deduce(grid, lines, hidden)
        for cell in sorted(hidden):
            lo, hi = bounds[cell]
            if lo != hi:
                continue
            for line in lines:
                if (cell in line.parts or cell == line.total) and _hide_next(grid, line, hidden):
                    changed = True
                    break
            if changed:
                break
        if not changed:
            break
    return [
        [hidden.get((r, c), value) for c, value in enumerate(row)] for r, row in enumerate(grid)
    ]


def suppress_column(values: Sequence[int], *, with_total: bool) -> list[Cell]:
    """A single breakdown (one column) with an optional total as the last value."""
    grid = suppress_grid([[v] for v in values], col_totals=with_total)
    return [row[0] for row in grid]
