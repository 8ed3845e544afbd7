"""The fairness stage's fast paths equal their plain definitions, number for number.

Each shortcut (ranks of the scores merged from the sorted cell runs, one sort of the
scores shared by every grouping, the score layout built from those ranks, the
second-stage draw with its bookkeeping trimmed) is compared bit for bit with the
straightforward code it replaces, on data with ties, empty groups and cells, with and
without a target, and scores both few-valued (exact bins) and continuous (quantile bins).
"""

from __future__ import annotations

import numpy as np
import pytest

from audit._fairness.bootstrap import _ScorePlan
from audit._fairness.stats import BinaryStats, binary_stats
from audit._fairness.views import MAX_SCORE_BINS, ScoreLayout, score_layout


def _rows(seed: int, n: int, n_groups: int, decimals: int | None, with_y: bool
          ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = rng.choice(n_groups, size=n, p=np.arange(1, n_groups + 1) / (n_groups * (n_groups + 1) / 2))
    codes[codes == 1] = 0  # group 1 is empty
    scores = rng.beta(2, 3, n)
    if decimals is not None:
        scores = np.round(scores, decimals)
    y = (rng.random(n) < scores).astype(np.int8) if with_y else None
    pred = (scores >= 0.45).astype(np.int8)
    return codes, y, pred, scores


def _stats(seed: int, decimals: int | None, with_y: bool, n: int = 5000) -> BinaryStats:
    codes, y, pred, scores = _rows(seed, n, 5, decimals, with_y)
    return binary_stats(codes, 5, y, pred, scores)


CASES = [(s, d, wy) for s, d in ((1, 2), (2, 3), (3, None), (4, 1)) for wy in (True, False)]


@pytest.mark.parametrize(("seed", "decimals", "with_y"), CASES)
def test_value_ranks_equal_np_unique_per_group(seed: int, decimals: int | None,
                                               with_y: bool) -> None:
    stats = _stats(seed, decimals, with_y)
    assert stats.score_cell is not None and stats.score_value is not None
    rank, distinct, start = stats.value_ranks
    per = 4 if with_y else 2
    entry_start = np.searchsorted(stats.score_cell, np.arange(0, stats.counts.size + 1, per))
    for g in range(stats.n_groups):
        lo, hi = entry_start[g], entry_start[g + 1]
        uniq, inv = np.unique(stats.score_value[lo:hi], return_inverse=True)
        assert np.array_equal(distinct[start[g]:start[g + 1]], uniq)
        assert np.array_equal(rank[lo:hi], inv)
    assert start[2] == start[1]  # the empty group has no values


@pytest.mark.parametrize(("seed", "decimals", "with_y"), CASES)
def test_shared_score_order_gives_the_same_statistics(seed: int, decimals: int | None,
                                                      with_y: bool) -> None:
    codes, y, pred, scores = _rows(seed, 5000, 5, decimals, with_y)
    plain = binary_stats(codes, 5, y, pred, scores)
    shared = binary_stats(codes, 5, y, pred, scores, np.argsort(scores))
    assert plain.equals(shared)
    for a, b in zip((plain.score_cell, plain.score_value, plain.score_count),
                    (shared.score_cell, shared.score_value, shared.score_count)):
        assert a is not None and b is not None and a.dtype == b.dtype


def _plain_quantile_bins(inv: np.ndarray, count: np.ndarray, n_values: int,
                         n_bins: int) -> np.ndarray:
    """Bin of each distinct value: whole values, about equal rows per bin, in order."""
    per_value = np.bincount(inv, weights=count, minlength=n_values)
    before = np.cumsum(per_value) - per_value
    raw = np.floor(before * n_bins / per_value.sum()).astype(np.int64)
    return np.unique(raw, return_inverse=True)[1]  # empty bins dropped


def _plain_bin_group(cell: np.ndarray, value: np.ndarray, count: np.ndarray, cpg: int,
                     max_bins: int | None) -> tuple[np.ndarray, ...]:
    """One group's entries over bins, from ``np.unique`` (the layout's definition)."""
    uniq, inv = np.unique(value, return_inverse=True)
    if max_bins is None or uniq.size <= max_bins:
        return cell, inv, count, value, np.zeros(0), np.zeros(0)
    value_bin = _plain_quantile_bins(inv, count, uniq.size, max_bins)
    key = (cell - cell.min()) * (int(value_bin.max()) + 1) + value_bin[inv]
    starts = np.flatnonzero(np.diff(key, prepend=-1))
    rows = np.add.reduceat(count, starts)
    sums = np.add.reduceat(value * count, starts)
    n_bins = int(value_bin.max()) + 1
    label = (cell % 4) // 2 if cpg == 4 else np.zeros_like(cell)
    neg = np.bincount(value_bin[inv[label == 0]], weights=count[label == 0], minlength=n_bins)
    within = np.ones(n_bins)
    for b in range(n_bins):  # pairs (positive, negative) in bin b, ordered by value, ties half
        pos_v = inv[(label == 1) & (value_bin[inv] == b)]
        neg_v = inv[(label == 0) & (value_bin[inv] == b)]
        pos_n = count[(label == 1) & (value_bin[inv] == b)]
        neg_n = count[(label == 0) & (value_bin[inv] == b)]
        pairs = pos_n.sum() * neg_n.sum()
        if pairs:
            above = (pos_v[:, None] > neg_v[None, :]) + 0.5 * (pos_v[:, None] == neg_v[None, :])
            within[b] = 2 * float((above * pos_n[:, None] * neg_n[None, :]).sum()) / pairs
    del neg
    first = np.flatnonzero(np.diff(value_bin, prepend=-1))
    return cell[starts], value_bin[inv][starts], rows, sums / rows, within, uniq[first]


@pytest.mark.parametrize("max_bins", [None, MAX_SCORE_BINS, 7])
@pytest.mark.parametrize(("seed", "decimals", "with_y"), CASES)
def test_score_layout_equals_the_per_group_definition(seed: int, decimals: int | None,
                                                      with_y: bool, max_bins: int | None) -> None:
    stats = _stats(seed, decimals, with_y)
    assert stats.score_cell is not None and stats.score_value is not None
    assert stats.score_count is not None
    layout = score_layout(stats, max_bins)
    cpg = 4 if with_y else 2
    start = np.searchsorted(stats.score_cell, np.arange(stats.counts.size + 1))
    parts = []
    for g in range(stats.n_groups):
        lo, hi = start[g * cpg], start[(g + 1) * cpg]
        if lo == hi:
            assert layout.n_values[g] == 0 and not layout.binned[g]
            continue
        part = _plain_bin_group(stats.score_cell[lo:hi], stats.score_value[lo:hi],
                                stats.score_count[lo:hi], cpg, max_bins)
        parts.append(part[:4])
        assert layout.n_values[g] == int(part[1].max()) + 1
        assert layout.binned[g] == (part[4].size > 0)
        if part[4].size:
            assert np.array_equal(layout.within[g], part[4])
            assert np.array_equal(layout.edges[g], part[5])
        else:
            assert layout.within[g] is None and layout.edges[g] is None
    cell, pos, count, mean = (np.concatenate([p[i] for p in parts]) for i in range(4))
    assert np.array_equal(layout.cell_start, np.searchsorted(cell, np.arange(stats.counts.size + 1)))
    assert np.array_equal(layout.pos, pos) and layout.pos.dtype == np.int64
    assert np.array_equal(layout.count, count) and layout.count.dtype == np.int64
    assert np.array_equal(layout.mean, mean)  # bit for bit: the same sums in the same order


def test_interval_equals_nanquantile_per_column() -> None:
    """Columns without NaN take np.quantile, the rest np.nanquantile: the same bounds."""
    from audit._fairness.bootstrap import interval

    rng = np.random.default_rng(5)
    for trial in range(40):
        b, k = int(rng.integers(1, 600)), int(rng.integers(1, 30))
        samples = rng.random((b, k)) * (1e-6 if trial % 4 == 0 else 1.0)
        if trial % 3 == 0:
            samples = np.round(samples, 2)
        samples[rng.random((b, k)) < rng.choice([0.0, 0.02, 0.6])] = np.nan
        lo, hi = interval(samples, 0.95)
        ok = np.isfinite(samples).sum(axis=0) * 2 > b
        want = np.full((2, k), np.nan)
        alpha = 1.0 - 0.95
        if ok.any():
            want[:, ok] = np.nanquantile(samples[:, ok], [alpha / 2, 1 - alpha / 2], axis=0)
        assert np.array_equal(lo, want[0], equal_nan=True)
        assert np.array_equal(hi, want[1], equal_nan=True)


def _plain_draw(layout: ScoreLayout, cell_counts: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """Conditional binomial splitting, one call per rank, bookkeeping kept in full."""
    cell = np.repeat(np.arange(layout.cell_start.size - 1), np.diff(layout.cell_start))
    cum = np.cumsum(layout.count)
    last_of_cell = layout.cell_start[cell + 1] - 1
    q = layout.count / (cum[last_of_cell] - (cum - layout.count))
    rank = np.arange(cell.size) - layout.cell_start[cell]
    is_last = np.arange(cell.size) == last_of_cell
    cells, cpos = np.unique(cell, return_inverse=True)
    left = cell_counts[:, cells].astype(np.int64)
    m = np.empty((cell_counts.shape[0], q.size), dtype=np.int64)
    for j in range(int(rank.max()) + 1):
        drawn, last = (rank == j) & ~is_last, (rank == j) & is_last
        if drawn.any():
            x = rng.binomial(left[:, cpos[drawn]], q[drawn])
            m[:, drawn] = x
            left[:, cpos[drawn]] -= x
        m[:, last] = left[:, cpos[last]]
    return m


def _plain_aucs(plan: _ScorePlan, m: np.ndarray) -> np.ndarray:
    """AUC per group of each resample from its (label, bin) histogram, as in the module."""
    layout, n_bins = plan.layout, plan.within.size
    cell = np.repeat(np.arange(layout.cell_start.size - 1), np.diff(layout.cell_start))
    offset = np.zeros(plan.n_groups, dtype=np.int64)
    offset[plan.groups] = plan.bin_start
    target = (cell % 4) // 2 * n_bins + offset[cell // 4] + layout.pos
    hist = np.zeros((m.shape[0], 2 * n_bins))
    for pred in (0, 1):
        hist[:, target[cell % 2 == pred]] += m[:, cell % 2 == pred]
    neg, pos = hist[:, :n_bins], hist[:, n_bins:]
    bin_group = np.repeat(np.arange(plan.groups.size), np.diff(plan.bin_start, append=n_bins))
    below = np.cumsum(neg, axis=1) - neg
    below -= below[:, plan.bin_start][:, bin_group]
    twice = np.add.reduceat(pos * (2 * below + neg * plan.within), plan.bin_start, axis=1)
    pairs = (np.add.reduceat(pos, plan.bin_start, axis=1)
             * np.add.reduceat(neg, plan.bin_start, axis=1))
    out = np.full((m.shape[0], plan.n_groups), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, plan.groups] = np.where(pairs != 0, twice / (2 * pairs), np.nan)
    return out


@pytest.mark.parametrize(("seed", "decimals", "with_y"), CASES)
def test_draw_and_aucs_equal_their_plain_definitions(seed: int, decimals: int | None,
                                                     with_y: bool) -> None:
    """The same binomial calls in the same order: the same counts, bit for bit."""
    stats = _stats(seed, decimals, with_y)
    layout = score_layout(stats, MAX_SCORE_BINS)
    plan = _ScorePlan.of(layout, stats.n_groups)
    ranks = np.diff(layout.cell_start)
    assert ranks.min() < ranks.max()  # cells hold different numbers of entries
    cells = np.random.default_rng(seed).multinomial(
        stats.n, stats.counts.ravel() / stats.n, size=300)
    cells[:3] = 0  # resamples with empty cells
    m = plan.draw(cells, np.random.default_rng(seed + 100))
    assert np.array_equal(m, _plain_draw(layout, cells, np.random.default_rng(seed + 100)))
    if with_y:
        assert np.array_equal(plan.aucs(m), _plain_aucs(plan, m), equal_nan=True)


@pytest.mark.parametrize("n_cells", [7, 70_000])
@pytest.mark.parametrize("with_counts", [False, True])
@pytest.mark.parametrize("decimals", [None, 2])
def test_aggregate_cells_equals_summing_equal_pairs(n_cells: int, with_counts: bool,
                                                    decimals: int | None) -> None:
    """Every distinct (cell, value) pair once, sorted, with its summed count."""
    from audit._fairness.stats import _aggregate_cells

    rng = np.random.default_rng(n_cells + with_counts)
    n = 20_000
    cell = rng.integers(0, n_cells, n)
    value = rng.random(n) if decimals is None else np.round(rng.random(n), decimals)
    cell[-3:], value[-3:] = cell[:3], value[:3]  # a few equal pairs among distinct ones
    count = rng.integers(1, 5, n) if with_counts else None
    pairs, inverse = np.unique(np.stack([cell, value]), axis=1, return_inverse=True)
    want = np.bincount(inverse.ravel(), weights=count if with_counts else None).astype(np.int64)
    for order in (None, np.argsort(value)):
        got = _aggregate_cells(cell, value, count, order)
        assert np.array_equal(got[0], pairs[0].astype(np.int64)) and got[0].dtype == np.int64
        assert np.array_equal(got[1], pairs[1]) and got[1].dtype == np.float64
        assert np.array_equal(got[2], want) and got[2].dtype == np.int64

