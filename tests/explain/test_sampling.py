"""The explanation sample in one pass (issue 8, item 8): cells found by one count or sort,
rows drawn from per-cell slices, and the sample never larger than asked for."""

from __future__ import annotations

import numpy as np
import pytest

from audit._explain import sampling as S
from audit._explain.sampling import stratified_sample
from audit._inputs.prepared import Grouping


def _grouping(name: str, codes: np.ndarray, k: int) -> Grouping:
    return Grouping(name, name, (name,), codes.astype(np.int64),
                    tuple(f"{name} {i}" for i in range(k)), 0)


def _table(n: int, seed: int = 0, states: int = 50) -> list[Grouping]:
    rng = np.random.default_rng(seed)
    w = rng.pareto(1.2, states) + 0.02
    return [_grouping("race", rng.choice(5, n, p=[.6, .15, .15, .06, .04]), 5),
            _grouping("sex", rng.integers(0, 2, n), 2),
            _grouping("age", rng.integers(0, 7, n), 7),
            _grouping("state", rng.choice(states, n, p=w / w.sum()), states)]


def _cells_by_row_scan(strata: list[Grouping]) -> tuple[np.ndarray, np.ndarray]:
    """The former definition: np.unique over the rows of the code matrix."""
    codes = np.column_stack([g.codes for g in strata])
    cells, inverse = np.unique(codes, axis=0, return_inverse=True)
    return cells, np.asarray(inverse).ravel()


def _draw_by_cell_scan(cell_of_row, alloc, sizes, rng):
    """The former draw: one scan of all rows per cell."""
    rows, weights = [], []
    for c in range(len(alloc)):
        if alloc[c] == 0:
            continue
        pick = rng.choice(np.flatnonzero(cell_of_row == c), size=int(alloc[c]), replace=False)
        rows.append(pick)
        weights.append(np.full(len(pick), sizes[c] / alloc[c]))
    r, w = np.concatenate(rows), np.concatenate(weights)
    order = np.argsort(r, kind="stable")
    return r[order], w[order]


@pytest.mark.parametrize("dims", [(5, 2, 7, 50), (3000, 3000, 2)], ids=["count", "sort"])
def test_cells_equal_the_row_scan(dims):
    rng = np.random.default_rng(1)
    n = 20_000
    strata = [_grouping(f"g{i}", rng.integers(0, d, n), d) for i, d in enumerate(dims)]
    cells, cell_of_row = S._cells(n, strata)
    want_cells, want_rows = _cells_by_row_scan(strata)
    np.testing.assert_array_equal(cells, want_cells)
    np.testing.assert_array_equal(cell_of_row, want_rows)


def test_draw_equals_the_per_cell_scan():
    n = 30_000
    strata = _table(n)
    cells, cell_of_row = S._cells(n, strata)
    sizes = np.bincount(cell_of_row, minlength=len(cells))
    alloc = np.minimum(sizes, np.random.default_rng(2).integers(0, 4, len(sizes)))
    got = S._draw(cell_of_row, alloc, sizes, np.random.default_rng(3))
    want = _draw_by_cell_scan(cell_of_row, alloc, sizes, np.random.default_rng(3))
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


@pytest.mark.parametrize("n_sample", [200, 500, 1000])
def test_fifty_small_states_do_not_push_the_sample_past_the_request(n_sample):
    n = 50_000
    groupings = _table(n)
    rows, w, desc, _ = stratified_sample(n, groupings, n_sample, np.random.default_rng(0))
    assert len(rows) == n_sample  # was 1,500+ for 200: 50 states x at least 30 rows
    floor = S._fitting_floor(n_sample, *_sizes(n, groupings), S.MIN_PER_GROUP)[0]
    assert 1 <= floor < S.MIN_PER_GROUP
    assert f"each group has at least min(its size, {floor}) rows" in desc
    for g in groupings:  # every group has its (lowered) floor
        have = np.bincount(g.codes[rows], minlength=len(g.labels))
        assert np.all(have >= np.minimum(g.counts, floor))
    cells, cell_of_row = S._cells(n, groupings)  # weights add up to the cells they stand for
    sampled = np.unique(cell_of_row[rows])
    np.testing.assert_allclose(w.sum(), np.isin(cell_of_row, sampled).sum())


def _sizes(n: int, groupings: list[Grouping]):
    cells, cell_of_row = S._cells(n, groupings)
    return np.bincount(cell_of_row, minlength=len(cells)), groupings, cells


def test_the_full_floor_is_kept_when_it_fits():
    n = 50_000
    groupings = _table(n)
    rows, _, desc, _ = stratified_sample(n, groupings, 2000, np.random.default_rng(0))
    assert len(rows) == 2000
    assert "each group has at least min(its size, 30) rows" in desc


def test_more_cells_than_rows_asked_for():
    n = 20_000
    groupings = _table(n, states=50)
    rows, w, desc, _ = stratified_sample(n, groupings, 40, np.random.default_rng(0))
    assert len(rows) == 40 and "min(its size, 0)" in desc and "tiny cells have no sampled row" in desc


def test_sampling_is_deterministic():
    n = 40_000
    groupings = _table(n, seed=4)
    a = stratified_sample(n, groupings, 300, np.random.default_rng(7))
    b = stratified_sample(n, groupings, 300, np.random.default_rng(7))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[2:] == b[2:]
