"""Views of the sufficient statistics: the named arrays every metric is computed from.

A *view* maps names (``n``, ``tp``, ``fp`` …, ``score_sum``, ``auc``) to arrays
whose last axis is the group axis, with any number of leading axes (for example
one per bootstrap resample), so one metric definition in
:mod:`audit._result.metrics` serves both point estimates and resamples.  This
module builds the point views from :mod:`.stats`, lays out the sparse score
histograms per group and computes AUC from histograms (ties as half).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._result.metrics import _div
from .stats import BinaryStats, RegressionStats


def binary_view(
    counts: np.ndarray, score_sum: np.ndarray | None, auc: np.ndarray | None, has_y: bool
) -> dict[str, np.ndarray]:
    """View of counts shaped ``(..., G, 2, 2)`` (with y) or ``(..., G, 2)`` (without).

    ``has_y`` must be explicit: with two groups and a resample axis, the shapes
    ``(B, G, 2)`` and ``(G, 2, 2)`` cannot be told apart.
    """
    view: dict[str, np.ndarray] = {}
    if has_y:
        tn, fp = counts[..., 0, 0], counts[..., 0, 1]
        fn, tp = counts[..., 1, 0], counts[..., 1, 1]
        view.update(tp=tp, fp=fp, tn=tn, fn=fn, pos=tp + fn, neg=tn + fp)
        view["sel"] = tp + fp
        view["nsel"] = tn + fn
    else:
        view["sel"] = counts[..., 1]
        view["nsel"] = counts[..., 0]
    view["n"] = view["sel"] + view["nsel"]
    if score_sum is not None:
        view["score_sum"] = score_sum
    if auc is not None:
        view["auc"] = auc
    return view


def auc_from_histograms(neg: np.ndarray, pos: np.ndarray,
                        within: np.ndarray | None = None) -> np.ndarray:
    """AUC with ties as half from counts over sorted score bins (last axis).

    ``within`` (one per bin, default 1) is twice the share of a bin's
    (positive, negative) pairs in which the positive scores higher, ties as
    half: 1 when a bin holds one score value.  With the within-bin shares of
    the data, the AUC of the data's own bin counts is its exact AUC.
    """
    below = np.cumsum(neg, axis=-1) - neg
    inside = neg if within is None else neg * within
    twice = (pos * (2 * below + inside)).sum(axis=-1)
    return _div(twice, 2 * pos.sum(axis=-1) * neg.sum(axis=-1))


#: Groups with at most this many distinct scores are resampled over their exact
#: score values; groups with more are resampled over this many quantile bins
#: (interval ends within 0.05 bootstrap standard deviations of resampling rows;
#: see :mod:`.bootstrap`).
MAX_SCORE_BINS = 64


@dataclass(frozen=True)
class ScoreLayout:
    """A per-group score histogram over the cells, sorted by cell then bin.

    Entry ``i`` counts ``count[i]`` rows of flat cell ``cell[i]`` whose scores
    fall in bin ``pos[i]`` of their group (bins ordered by score), with mean
    score ``mean[i]``.  A bin is one distinct score value when the group has at
    most the layout's limit of distinct values (``binned[g]`` False), else a
    range of whole values holding about ``1 / limit`` of the group's rows.
    ``within[g]`` holds, per bin of group ``g``, twice the share of its
    (positive, negative) pairs ordered correctly on the data (see
    :func:`auc_from_histograms`), or ``None`` when the bins are single values;
    ``edges[g]`` the lowest score of each bin of group ``g`` (or ``None``).
    """

    cells_per_group: int
    cell_start: np.ndarray  # (K + 1,) offsets into the entries
    pos: np.ndarray  # per entry: rank of its bin among its group's bins
    count: np.ndarray  # per entry: rows
    mean: np.ndarray  # per entry: mean score
    n_values: np.ndarray  # (G,) bins per group
    binned: np.ndarray  # (G,) whether the group's bins are ranges of values
    within: tuple[np.ndarray | None, ...]
    edges: tuple[np.ndarray | None, ...]

    def group_span(self, g: int) -> tuple[int, int]:
        """Start and end of group ``g``'s entries."""
        cpg = self.cells_per_group
        return int(self.cell_start[g * cpg]), int(self.cell_start[(g + 1) * cpg])

    def cells(self, g: int) -> range:
        """Flat cell ids of group ``g``."""
        return range(g * self.cells_per_group, (g + 1) * self.cells_per_group)


def _quantile_bins(per_value: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin of each distinct value (``per_value`` rows each, in order): whole values, about
    equal rows per bin, empty bins dropped (bins numbered 0, 1, … in order)."""
    before = np.cumsum(per_value) - per_value
    raw = np.floor(before * n_bins / per_value.sum()).astype(np.int64)
    dense = np.zeros(raw.size, dtype=np.int64)  # raw never decreases: number its steps
    np.cumsum(raw[1:] != raw[:-1], out=dense[1:])
    return dense


def _within_bin_shares(first: np.ndarray, neg: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Twice the share of correctly ordered (positive, negative) pairs in each bin.

    ``neg`` and ``pos`` count the negatives and positives of each distinct value (in
    order); bin ``b`` holds the values from ``first[b]`` to ``first[b + 1]``.  Every sum
    is of whole numbers (exact in floating point), so only the final division rounds.
    """
    before = np.cumsum(neg) - neg  # negatives below each value
    neg_in_bin = np.add.reduceat(neg, first)
    below = before - np.repeat(before[first], np.diff(first, append=neg.size))  # same bin
    twice = np.add.reduceat(pos * (2 * below + neg), first)
    pairs = np.add.reduceat(pos, first) * neg_in_bin
    return np.divide(twice, pairs, out=np.ones(first.size), where=pairs > 0)


def _bin_group(cell: np.ndarray, value: np.ndarray, count: np.ndarray, cpg: int,
               max_bins: int, uniq: np.ndarray, inv: np.ndarray) -> tuple[np.ndarray, ...]:
    """One group's entries over quantile bins: cell, bin, rows, mean score, within shares, edges.

    ``uniq`` are the group's distinct scores (ascending), ``inv`` each entry's index into them.
    """
    label = (cell % 4) // 2 if cpg == 4 else np.zeros_like(cell)
    by_label = np.bincount(inv + label * uniq.size, weights=count, minlength=2 * uniq.size)
    neg, pos = by_label[:uniq.size], by_label[uniq.size:]
    value_bin = _quantile_bins(neg + pos, max_bins)
    first = np.flatnonzero(np.diff(value_bin, prepend=-1))
    entry_bin = value_bin[inv]
    key = (cell - cell.min()) * first.size + entry_bin  # already sorted by cell then bin
    new = np.empty(key.size, dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    rows = np.add.reduceat(count, starts)
    sums = np.add.reduceat(value * count, starts)
    within = _within_bin_shares(first, neg, pos)
    return cell[starts], entry_bin[starts], rows, sums / rows, within, uniq[first]


def score_layout(stats: BinaryStats, max_bins: int | None = None) -> ScoreLayout:
    """The score histogram per group, exact or (``max_bins``) in at most that many bins.

    Without ``max_bins`` every distinct score is its own bin (exact AUC and
    means).  With it, a group with more distinct scores than ``max_bins`` gets
    quantile bins, so the layout's size is at most cells × ``max_bins``
    whatever the number of rows.  Every other group keeps its entries as they
    are, its bins being the ranks of :attr:`~.stats.BinaryStats.value_ranks`.
    """
    assert stats.score_cell is not None and stats.score_value is not None
    assert stats.score_count is not None
    cpg = 4 if stats.has_y else 2
    k = stats.counts.size
    rank, distinct, distinct_start = stats.value_ranks
    n_values = np.diff(distinct_start)
    binned = n_values > max_bins if max_bins is not None else np.zeros(n_values.size, bool)
    within: list[np.ndarray | None] = [None] * stats.n_groups
    edges: list[np.ndarray | None] = [None] * stats.n_groups
    cell, pos = stats.score_cell, rank
    count, mean = stats.score_count, stats.score_value
    if binned.any():
        assert max_bins is not None
        start = np.searchsorted(cell, np.arange(0, k + 1, cpg))
        parts: list[tuple[np.ndarray, ...]] = []
        for g in range(stats.n_groups):
            lo, hi = start[g], start[g + 1]
            if not binned[g]:
                parts.append((cell[lo:hi], pos[lo:hi], count[lo:hi], mean[lo:hi]))
                continue
            part = _bin_group(cell[lo:hi], mean[lo:hi], count[lo:hi], cpg, max_bins,
                              distinct[distinct_start[g]:distinct_start[g + 1]], pos[lo:hi])
            parts.append(part[:4])
            n_values[g] = int(part[1].max()) + 1
            within[g], edges[g] = part[4], part[5]
        cell, pos, count, mean = (np.concatenate([p[i] for p in parts]) for i in range(4))
    cell_start = np.searchsorted(cell, np.arange(k + 1))
    return ScoreLayout(cpg, cell_start, pos.astype(np.int64), count.astype(np.int64),
                       mean.astype(np.float64), n_values, binned, tuple(within), tuple(edges))


def _point_auc(stats: BinaryStats, layout: ScoreLayout) -> np.ndarray:
    """AUC per group from a score histogram (exact on the data, binned or not)."""
    auc = np.full(stats.n_groups, np.nan)
    for g in range(stats.n_groups):
        hist = np.zeros((2, int(layout.n_values[g])), dtype=np.int64)
        for c in layout.cells(g):
            s, e = layout.cell_start[c], layout.cell_start[c + 1]
            hist[(c % 4) // 2, layout.pos[s:e]] += layout.count[s:e]
        auc[g] = auc_from_histograms(hist[0], hist[1], layout.within[g])
    return auc


def point_view_binary(stats: BinaryStats) -> dict[str, np.ndarray]:
    """Point view of a binary classifier's statistics (arrays shaped ``(G,)``)."""
    score_sum = auc = None
    if stats.has_scores:
        score_sum = stats.score_sums()
        score_sum = score_sum.reshape(stats.n_groups, -1).sum(axis=1)
        if stats.has_y:
            auc = _point_auc(stats, score_layout(stats))
    return binary_view(stats.counts, score_sum, auc, stats.has_y)


def regression_view(stats: RegressionStats) -> dict[str, np.ndarray]:
    """Point view of a regression model's per-group sums."""
    view = {"n": stats.n, "sum_pred": stats.sum_pred}
    if stats.sum_y is not None:
        assert stats.sum_abs_err is not None and stats.sum_sq_err is not None
        view.update(sum_y=stats.sum_y, sum_abs_err=stats.sum_abs_err, sum_sq_err=stats.sum_sq_err)
    return view
