"""Small-number suppression: the one place it is decided, for every output of every report.

Rules (ICO anonymisation code, ONS practice; see DOMAIN.md):

* Primary: a count of people under 5, zero included, is shown as "<5". Zero is hidden too:
  if zeros were shown, "<5" would mean 1 to 4, and a table of small numbers could be solved
  from its totals (a 2 x 2 table of ones whose grand total is 4 has only one solution).
* Secondary: where a row or column total is shown, a hidden cell must not be recoverable from
  it. If a line with a visible total has exactly one hidden cell, the next-smallest non-zero
  cell of that line is hidden too (shown as "[c]", ONS's "confidential": it is 5 or more, so
  "<5" would be untrue). Then an audit works out what someone could deduce from every shown
  total, knowing that "<5" means 0 to 4 and "[c]" means 5 or more; while any hidden cell is
  pinned to one value (by the bounds, or exactly by combining line equations), one more cell
  of a line through it is hidden.

The snapshot stores only the suppressed values, so the PDF, CSV and XLSX cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

THRESHOLD = 5
PRIMARY = "<5"
SECONDARY = "[c]"
_UNBOUNDED = 10**12

Cell = int | str


def suppress_value(value: int | None) -> Cell | None:
    """One count of people on its own (no totals around it)."""
    if value is None:
        return None
    return PRIMARY if value < THRESHOLD else value


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
                bounds[(r, c)] = [0, THRESHOLD - 1]
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


def determined_by_equations(
    lines: Sequence[Line], hidden: dict[tuple[int, int], str]
) -> set[tuple[int, int]]:
    """Hidden cells whose value follows from the shown totals by adding and subtracting lines
    (however many): cell x is determined iff e_x lies in the row space of the line equations
    restricted to hidden cells. Reduced row echelon form, in exact fractions."""
    variables = sorted(hidden)
    index = {cell: i for i, cell in enumerate(variables)}
    rows: list[list[Fraction]] = []
    for line in lines:
        row = [Fraction(0)] * len(variables)
        for part in line.parts:
            if part in index:
                row[index[part]] += 1
        if line.total in index:
            row[index[line.total]] -= 1
        if any(row):
            rows.append(row)
    pivots: list[tuple[int, int]] = []  # (row, column)
    r = 0
    for c in range(len(variables)):
        pivot = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        factor = rows[r][c]
        rows[r] = [v / factor for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append((r, c))
        r += 1
    return {
        variables[c] for row_index, c in pivots if sum(1 for v in rows[row_index] if v != 0) == 1
    }


# Up to this many hidden cells the audit also runs a complete search (every integer solution
# consistent with what is shown); beyond it (the 13 x 13 balance table) it relies on the bounds
# and the exact equations above, which catch subtraction and any combination of lines.
COMPLETE_SEARCH_LIMIT = 24


def _narrow(lines: Sequence[Line], bounds: dict) -> dict | None:
    changed = True
    while changed:
        changed = False
        for line in lines:
            lo_sum = sum(bounds[p][0] for p in line.parts)
            hi_sum = sum(bounds[p][1] for p in line.parts)
            t_lo, t_hi = bounds[line.total]
            new_t = (max(t_lo, lo_sum), min(t_hi, hi_sum))
            if new_t[0] > new_t[1]:
                return None
            if new_t != (t_lo, t_hi):
                bounds[line.total] = new_t
                changed = True
            for p in line.parts:
                lo, hi = bounds[p]
                new = (max(lo, new_t[0] - (hi_sum - hi)), min(hi, new_t[1] - (lo_sum - lo)))
                if new[0] > new[1]:
                    return None
                if new != (lo, hi):
                    bounds[p] = new
                    changed = True
    return bounds


def _solvable(lines: Sequence[Line], bounds: dict) -> bool:
    narrowed = _narrow(lines, dict(bounds))
    if narrowed is None:
        return False
    open_cells = [p for p, (lo, hi) in narrowed.items() if lo != hi]
    if not open_cells:
        return True
    pos = min(open_cells, key=lambda p: narrowed[p][1] - narrowed[p][0])
    lo, hi = narrowed[pos]
    return any(_solvable(lines, {**narrowed, pos: (v, v)}) for v in range(lo, hi + 1))


def determined_by_search(
    grid: list[list[int]], lines: Sequence[Line], hidden: dict[tuple[int, int], str]
) -> set[tuple[int, int]]:
    """Hidden cells that have one value in every integer solution consistent with the shown
    cells ("<5" is 0-4, "[c]" is 5 up to twice the table's sum, a generous cap)."""
    cap = 2 * sum(grid[r][c] for r, row in enumerate(grid) for c in range(len(row))) + THRESHOLD
    start: dict[tuple[int, int], tuple[int, int]] = {}
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            mark = hidden.get((r, c))
            if mark is None:
                start[(r, c)] = (value, value)
            else:
                start[(r, c)] = (0, THRESHOLD - 1) if mark == PRIMARY else (THRESHOLD, cap)
    pinned = set()
    for cell in hidden:
        true_value = grid[cell[0]][cell[1]]
        lo, hi = start[cell]
        if not any(
            _solvable(lines, {**start, cell: (v, v)}) for v in range(lo, hi + 1) if v != true_value
        ):
            pinned.add(cell)
    return pinned


def _hide_next(grid: list[list[int]], line: Line, hidden: dict[tuple[int, int], str]) -> bool:
    """Hide the smallest shown part of the line (or, failing that, its total)."""
    candidates = [p for p in line.parts if p not in hidden]
    if candidates:
        target = min(candidates, key=lambda p: (grid[p[0]][p[1]], p))
    elif line.total not in hidden:
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
            if value < THRESHOLD:
                hidden[(r, c)] = PRIMARY
    for _ in range(2 * len(grid) * (len(grid[0]) if grid else 0) + 2):
        changed = False
        for line in lines:
            hidden_parts = [p for p in line.parts if p in hidden]
            if len(hidden_parts) == 1 and line.total not in hidden:
                changed |= _hide_next(grid, line, hidden)
        bounds = deduce(grid, lines, hidden)
        pinned = {cell for cell in hidden if bounds[cell][0] == bounds[cell][1]}
        pinned |= determined_by_equations(lines, hidden)
        if not pinned and len(hidden) <= COMPLETE_SEARCH_LIMIT:
            pinned = determined_by_search(grid, lines, hidden)
        for cell in sorted(pinned):
            for line in lines:
                if (cell in line.parts or cell == line.total) and _hide_next(grid, line, hidden):
                    changed = True
                    break
            if changed:
                break
        if pinned and not changed:
            # Every line through the pinned cell is hidden already: widen the uncertainty by
            # hiding the smallest shown cell anywhere in the table.
            shown = [
                (value, (r, c))
                for r, row in enumerate(grid)
                for c, value in enumerate(row)
                if (r, c) not in hidden
            ]
            if shown:
                value, target = min(shown)
                hidden[target] = PRIMARY if value < THRESHOLD else SECONDARY
                changed = True
        if not changed:
            break
    return [
        [hidden.get((r, c), value) for c, value in enumerate(row)] for r, row in enumerate(grid)
    ]


def suppress_column(values: Sequence[int], *, with_total: bool) -> list[Cell]:
    """A single breakdown (one column) with an optional total as the last value."""
    grid = suppress_grid([[v] for v in values], col_totals=with_total)
    return [row[0] for row in grid]
