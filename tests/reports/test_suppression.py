"""Small-number suppression: nothing under 5 is shown, and no hidden value can be worked out
from the totals that are shown."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.suppression import (
    PRIMARY,
    SECONDARY,
    THRESHOLD,
    extend_with_totals,
    suppress_column,
    suppress_grid,
    suppress_value,
)

small_counts = st.integers(min_value=0, max_value=14)
tables = st.integers(1, 3).flatmap(
    lambda rows: st.integers(1, 3).flatmap(
        lambda cols: st.lists(
            st.lists(small_counts, min_size=cols, max_size=cols), min_size=rows, max_size=rows
        )
    )
)


def _propagate(lines, bounds):  # noqa: ANN001, ANN202
    """Narrow every cell's [lo, hi] from the line sums; None when no assignment fits."""
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


def _alternative_exists(grid, lines, shown, cell, true_value, cap):  # noqa: ANN001, ANN202
    """Is there an integer assignment of the hidden cells, consistent with everything shown
    (a "<5" is 0-4, a "[c]" is 5 or more), in which `cell` is not `true_value`? A complete
    search: branch on one hidden cell at a time, pruning with the line sums."""
    start = {}
    for pos, v in shown.items():
        if v == PRIMARY:
            start[pos] = (0, THRESHOLD - 1)
        elif v == SECONDARY:
            start[pos] = (THRESHOLD, cap)
        else:
            start[pos] = (v, v)

    def search(bounds: dict) -> bool:
        bounds = _propagate(lines, dict(bounds))
        if bounds is None:
            return False
        open_cells = [p for p, (lo, hi) in bounds.items() if lo != hi]
        if not open_cells:
            return True
        pos = min(open_cells, key=lambda p: bounds[p][1] - bounds[p][0])
        lo, hi = bounds[pos]
        return any(search({**bounds, pos: (v, v)}) for v in range(lo, hi + 1))

    lo, hi = start[cell]
    return any(search({**start, cell: (v, v)}) for v in range(lo, hi + 1) if v != true_value)


@settings(max_examples=300, deadline=None)
@given(tables, st.booleans(), st.booleans())
def test_no_hidden_value_can_be_recovered_from_totals(cells, row_totals, col_totals) -> None:
    grid, lines = extend_with_totals(cells, row_totals=row_totals, col_totals=col_totals)
    out = suppress_grid(cells, row_totals=row_totals, col_totals=col_totals)
    shown = {(r, c): out[r][c] for r in range(len(out)) for c in range(len(out[0]))}
    cap = sum(map(sum, cells)) * 2 + THRESHOLD
    for (r, c), value in shown.items():
        true_value = grid[r][c]
        if value == PRIMARY:
            assert true_value < THRESHOLD
        elif value == SECONDARY:
            assert true_value >= THRESHOLD
        else:
            assert value == true_value
            assert true_value >= THRESHOLD, "a count under 5 was shown"
            continue
        assert _alternative_exists(grid, lines, shown, (r, c), true_value, cap), (
            f"hidden cell {(r, c)} of {cells} can be worked out: {out}"
        )


def test_a_total_worked_out_by_combining_rows_and_columns_is_hidden_too() -> None:
    # Found by hypothesis: column 1's total (3) followed from 8 - (row 2's total 5).
    # Also: [[1, 1], [1, 1]] with every cell "<5" and a grand total of 4 only works with zeros
    # hidden as well.
    cells = [[0, 1, 0], [0, 2, 0], [1, 0, 4]]
    grid, lines = extend_with_totals(cells, row_totals=True, col_totals=True)
    out = suppress_grid(cells, row_totals=True, col_totals=True)
    shown = {(r, c): out[r][c] for r in range(4) for c in range(4)}
    cap = 2 * sum(map(sum, cells)) + THRESHOLD
    for cell, value in shown.items():
        if value in (PRIMARY, SECONDARY):
            assert _alternative_exists(grid, lines, shown, cell, grid[cell[0]][cell[1]], cap)


def test_every_count_under_five_including_zero_is_shown_as_less_than_five() -> None:
    assert suppress_value(4) == PRIMARY
    assert suppress_value(1) == PRIMARY
    assert suppress_value(5) == 5
    assert suppress_value(0) == PRIMARY
    assert suppress_value(None) is None


def test_a_total_that_would_reveal_a_hidden_cell_hides_the_next_smallest() -> None:
    # 3 is hidden; with the total 30 shown, 3 = 30 - 12 - 15, so 12 is hidden too.
    assert suppress_column([3, 12, 15], with_total=True) == [PRIMARY, SECONDARY, 15, 30]


def test_a_table_of_ones_cannot_be_solved_from_its_totals() -> None:
    cells = [[1, 1], [1, 1]]
    grid, lines = extend_with_totals(cells, row_totals=True, col_totals=True)
    out = suppress_grid(cells, row_totals=True, col_totals=True)
    shown = {(r, c): out[r][c] for r in range(3) for c in range(3)}
    assert _alternative_exists(grid, lines, shown, (0, 0), 1, 13)


def test_secondary_suppression_in_a_two_way_table() -> None:
    out = suppress_grid([[2, 10], [8, 9]], row_totals=True, col_totals=True)
    flat = [cell for row in out for cell in row]
    assert out[0][0] == PRIMARY
    assert flat.count(PRIMARY) + flat.count(SECONDARY) >= 4
    # Grand total is shown: the table still adds up for the board.
    assert out[2][2] == 29
