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


def auc_from_histograms(neg: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """AUC with ties as half from counts over sorted score values (last axis)."""
    below = np.cumsum(neg, axis=-1) - neg
    twice = (pos * (2 * below + neg)).sum(axis=-1)
    return _div(twice, 2 * pos.sum(axis=-1) * neg.sum(axis=-1))


@dataclass(frozen=True)
class ScoreLayout:
    """Where each group's and each cell's entries sit in the sparse histogram."""

    cells_per_group: int
    cell_start: np.ndarray  # (K + 1,) offsets into the sorted sparse arrays
    value_pos: np.ndarray  # per entry: rank of its value among its group's distinct values
    n_values: np.ndarray  # (G,) distinct score values per group

    def group_span(self, g: int) -> tuple[int, int]:
        """Start and end of group ``g``'s entries in the sparse arrays."""
        cpg = self.cells_per_group
        return int(self.cell_start[g * cpg]), int(self.cell_start[(g + 1) * cpg])

    def cells(self, g: int) -> range:
        """Flat cell ids of group ``g``."""
        return range(g * self.cells_per_group, (g + 1) * self.cells_per_group)


def score_layout(stats: BinaryStats) -> ScoreLayout:
    """Cell offsets and per-group value ranks of the sparse score histogram."""
    assert stats.score_cell is not None and stats.score_value is not None
    cpg = 4 if stats.has_y else 2
    k = stats.counts.size
    cell_start = np.searchsorted(stats.score_cell, np.arange(k + 1))
    value_pos = np.zeros(stats.score_cell.size, dtype=np.int64)
    n_values = np.zeros(stats.n_groups, dtype=np.int64)
    for g in range(stats.n_groups):
        lo, hi = cell_start[g * cpg], cell_start[(g + 1) * cpg]
        if lo == hi:
            continue
        uniq, inv = np.unique(stats.score_value[lo:hi], return_inverse=True)
        value_pos[lo:hi] = inv
        n_values[g] = uniq.size
    return ScoreLayout(cpg, cell_start, value_pos, n_values)


def _point_auc(stats: BinaryStats, layout: ScoreLayout) -> np.ndarray:
    """AUC per group from the observed score histogram."""
    assert stats.score_cell is not None and stats.score_count is not None
    auc = np.full(stats.n_groups, np.nan)
    for g in range(stats.n_groups):
        hist = np.zeros((2, int(layout.n_values[g])), dtype=np.int64)
        for c in layout.cells(g):
            s, e = layout.cell_start[c], layout.cell_start[c + 1]
            hist[(c % 4) // 2, layout.value_pos[s:e]] += stats.score_count[s:e]
        auc[g] = auc_from_histograms(hist[0], hist[1])
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
