"""Exact multinomial bootstrap of the sufficient statistics, and percentile intervals.

Bootstrap
---------
Resampling the ``N`` rows with replacement and counting them per cell is the
same distribution as one ``Multinomial(N, counts / N)`` draw over the cells,
so ``B`` resamples of every confusion-matrix metric cost ``O(B·K)`` for ``K``
cells instead of ``O(B·N)``.  Scores are handled with the aggregation property
of the multinomial: the ``(group, y, pred)`` cells are drawn first and then,
given a cell's resampled count, the counts of its score bins are drawn from
a multinomial with the cell's observed bin frequencies.  The pair of draws
has exactly the distribution of a row bootstrap over the finest cells
``(group, y, pred, score bin)``, whether or not ``pred`` is a threshold of
the score, so ``B`` resamples cost ``O(B·K·bins)`` whatever the number of rows.

Score bins (:func:`~.views.score_layout`): a group with at most
:data:`~.views.MAX_SCORE_BINS` (512) distinct scores is resampled over its
exact values, the exact row bootstrap of AUC, mean score and calibration gap.
A group with more gets 512 quantile bins of whole values (about 1/512 of its
rows each).  A resample's mean score uses each bin's mean score, and its AUC
counts pairs across bins exactly and pairs within a bin with the share
ordered correctly on the data; evaluated on the data's own counts, both are
exact.  Resampling rows and then binning gives these bin counts exactly, so
per resample the binned AUC differs from the row bootstrap's only by the
within-bin pairs' change of order, and the interval endpoints by at most the
largest such difference: measured below 1e-3 for AUC, mean score and
calibration gap (``tests/fairness/test_bootstrap.py``).  Point estimates never
use bins.  Regression needs the rows: group sizes are drawn
``Multinomial(N, n_g / N)`` and then, within each group, ``n_g*`` rows are
drawn uniformly with replacement (the same as multinomial row weights).

The resamples come back as views (see :mod:`.views`) with a leading resample
axis; :func:`interval` turns metric values over resamples into percentile
intervals and :func:`estimate` into an :class:`~audit._result.tables.Estimate`.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from .._result.tables import Estimate
from .._words.fairness import POINT_OUTSIDE_INTERVAL
from .stats import BinaryStats
from .views import MAX_SCORE_BINS, ScoreLayout, auc_from_histograms, binary_view, score_layout

#: Largest number of array elements one bootstrap chunk may allocate.
_CHUNK_ELEMENTS = 4_000_000


def rng_for(seed: int, name: str) -> np.random.Generator:
    """Independent, reproducible stream per grouping (not Python's salted hash)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(name.encode())]))


def _cell_probabilities(counts: np.ndarray) -> np.ndarray:
    """Counts as multinomial probabilities that pass numpy's sum check."""
    p = counts / counts.sum()
    head = p[:-1].sum()
    if head > 1.0:  # guard numpy's sum check against rounding
        p[:-1] /= head
    return p


# --------------------------------------------------------------------------- binary


def resample_binary(
    stats: BinaryStats, n_boot: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Exact row bootstrap of the statistics; view with a leading resample axis.

    Parameters
    ----------
    stats : BinaryStats
    n_boot : int
        Number of resamples ``B``.
    rng : numpy.random.Generator

    Returns
    -------
    dict
        A view whose arrays have shape ``(B, G)``; with scores, also
        ``score_bins`` ``(G,)``: the number of quantile bins a group's scores
        were resampled in, 0 where every distinct score was kept.
    """
    n = stats.n
    shape = stats.counts.shape
    if n == 0:
        counts_b = np.zeros((n_boot, *shape), dtype=np.int64)
    else:
        counts_b = rng.multinomial(n, _cell_probabilities(stats.counts.ravel()), size=n_boot)
        counts_b = counts_b.reshape(n_boot, *shape)
    score_sum_b = auc_b = None
    if stats.has_scores and n > 0:
        score_sum_b, auc_b, bins = _resample_scores(stats, counts_b, rng)
    view = binary_view(counts_b, score_sum_b, auc_b, stats.has_y)
    if score_sum_b is not None:
        view["score_bins"] = bins
    return view


def _draw_cell_scores(drawn: np.ndarray, cell_counts: np.ndarray,
                      rng: np.random.Generator) -> np.ndarray:
    """Counts of a cell's score bins, given its resampled sizes ``drawn`` (B,).

    ``cell_counts`` has at most :data:`~.views.MAX_SCORE_BINS` entries; rows are
    drawn directly only when the cell holds fewer than four times that many.
    """
    n_values = cell_counts.size
    if n_values == 1:
        return drawn[:, None]
    if 4 * n_values < int(cell_counts.sum()):
        # few distinct values (many ties): one multinomial per resample
        return rng.multinomial(drawn, _cell_probabilities(cell_counts))
    # mostly distinct values: draw the rows themselves, uniformly with
    # replacement (the same distribution, cheaper than one binomial per value)
    n_b = drawn.size
    rows_of_value = np.repeat(np.arange(n_values), cell_counts)
    picked = rows_of_value[rng.integers(0, rows_of_value.size, int(drawn.sum()))]
    which = np.repeat(np.arange(n_b), drawn)
    m = np.bincount(which * n_values + picked, minlength=n_b * n_values)
    return m.reshape(n_b, n_values)


def _resample_group_scores(
    layout: ScoreLayout, g: int, drawn_cells: np.ndarray,
    rng: np.random.Generator, with_auc: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Score sums (and AUC) of group ``g`` for one chunk of resamples.

    ``drawn_cells`` holds the resampled cell counts of the chunk, shaped ``(b, K)``.
    """
    n_b = drawn_cells.shape[0]
    u = int(layout.n_values[g])
    score_sum = np.zeros(n_b)
    hist = np.zeros((2, n_b, u), dtype=np.int64) if with_auc else None
    for c in layout.cells(g):
        s, e = layout.cell_start[c], layout.cell_start[c + 1]
        if s == e:
            continue
        m = _draw_cell_scores(drawn_cells[:, c], layout.count[s:e], rng)
        score_sum += m @ layout.mean[s:e]
        if hist is not None:
            hist[(c % 4) // 2][:, layout.pos[s:e]] += m
    auc = None if hist is None else auc_from_histograms(hist[0], hist[1], layout.within[g])
    return score_sum, auc


def _resample_scores(
    stats: BinaryStats, counts_b: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Second stage: per-score counts given each resampled cell count."""
    layout = score_layout(stats, MAX_SCORE_BINS)
    n_boot = counts_b.shape[0]
    flat_b = counts_b.reshape(n_boot, -1)
    score_sum_b = np.zeros((n_boot, stats.n_groups))
    auc_b = np.full((n_boot, stats.n_groups), np.nan) if stats.has_y else None
    for g in range(stats.n_groups):
        u = int(layout.n_values[g])
        if u == 0:
            continue
        lo, hi = layout.group_span(g)
        # rows are drawn directly only in cells of fewer than 4 × bins rows
        rows_g = min(int(layout.count[lo:hi].sum()), 4 * u)
        step = max(1, min(n_boot, _CHUNK_ELEMENTS // max(rows_g, u)))
        for b0 in range(0, n_boot, step):
            b1 = min(n_boot, b0 + step)
            sums, auc = _resample_group_scores(layout, g, flat_b[b0:b1], rng,
                                               with_auc=auc_b is not None)
            score_sum_b[b0:b1, g] += sums
            if auc is not None and auc_b is not None:
                auc_b[b0:b1, g] = auc
    return score_sum_b, auc_b, np.where(layout.binned, layout.n_values, 0)


# --------------------------------------------------------------------------- regression


def _regression_columns(
    y: np.ndarray | None, y_pred: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Per-row values whose group sums the regression metrics need, and their names."""
    pred = np.asarray(y_pred, dtype=np.float64)
    columns = [pred]
    names = ["sum_pred"]
    if y is not None:
        err = pred - np.asarray(y, dtype=np.float64)
        columns += [np.asarray(y, dtype=np.float64), np.abs(err), err * err]
        names += ["sum_y", "sum_abs_err", "sum_sq_err"]
    return np.column_stack(columns), names


def _resample_group_sums(rows: np.ndarray, drawn: np.ndarray, rng: np.random.Generator,
                         out: np.ndarray) -> None:
    """Fill ``out`` (columns × B) with sums of ``drawn[b]`` rows drawn from ``rows``."""
    n_boot = drawn.size
    b0 = 0
    while b0 < n_boot:
        # take as many resamples as fit in one chunk (at least one)
        cum = np.cumsum(drawn[b0:])
        b1 = b0 + max(1, int(np.searchsorted(cum, _CHUNK_ELEMENTS, side="right")))
        counts = drawn[b0:b1]
        idx = rng.integers(0, rows.shape[0], size=int(counts.sum()))
        which = np.repeat(np.arange(b1 - b0), counts)
        picked = rows[idx]
        for k in range(out.shape[0]):
            out[k, b0:b1] = np.bincount(which, weights=picked[:, k], minlength=b1 - b0)
        b0 = b1


def resample_regression(
    codes: np.ndarray,
    n_groups: int,
    y: np.ndarray | None,
    y_pred: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Exact row bootstrap of the regression sums; arrays shaped ``(B, G)``."""
    codes = np.asarray(codes).astype(np.int64, copy=False)
    table, names = _regression_columns(y, y_pred)
    n_g = np.bincount(codes, minlength=n_groups)
    total = int(n_g.sum())
    sums = np.zeros((len(names), n_boot, n_groups))
    if total == 0:
        n_b = np.zeros((n_boot, n_groups), dtype=np.int64)
    else:
        n_b = rng.multinomial(total, _cell_probabilities(n_g.astype(np.float64)), size=n_boot)
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(n_g)])
    for g in range(n_groups):
        if n_g[g] == 0:
            continue
        rows = table[order[starts[g] : starts[g + 1]]]
        group_sums = np.zeros((len(names), n_boot))
        _resample_group_sums(rows, n_b[:, g], rng, group_sums)
        sums[:, :, g] = group_sums
    view = {"n": n_b}
    view.update({name: sums[k] for k, name in enumerate(names)})
    return view


# --------------------------------------------------------------------------- intervals


def interval(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per column of ``samples`` (B, M); NaN resamples skipped.

    Columns where the value is undefined in half or more of the resamples get
    NaN bounds.
    """
    m = samples.shape[1]
    lo = np.full(m, np.nan)
    hi = np.full(m, np.nan)
    if samples.shape[0] == 0:
        return lo, hi
    ok = np.isfinite(samples).sum(axis=0) * 2 > samples.shape[0]
    if ok.any():
        alpha = 1.0 - confidence
        q = np.nanquantile(samples[:, ok], [alpha / 2, 1 - alpha / 2], axis=0)
        lo[ok], hi[ok] = q[0], q[1]
    return lo, hi


def _finite(x: float) -> float | None:
    """``x`` as a float, or ``None`` when it is NaN or infinite."""
    return float(x) if math.isfinite(x) else None


def estimate(value: float, lo: float, hi: float, reason: str | None) -> Estimate:
    """An :class:`Estimate`; ``reason`` says why the value or its interval is missing.

    Every interval reported contains its point. A percentile interval that excludes
    its point (the resamples of a largest-minus-smallest spread are biased away from
    it) is not reported; :data:`~audit._words.fairness.POINT_OUTSIDE_INTERVAL` says so.
    Bounds off by rounding only (1e-12 relative) are widened to the point.
    """
    v = _finite(value)
    if v is None:
        return Estimate(None, None, None, reason or "undefined")
    low, high = _finite(lo), _finite(hi)
    if low is None or high is None:
        return Estimate(v, None, None, reason)
    tol = 1e-12 * max(1.0, abs(v))
    if not low - tol <= v <= high + tol:
        return Estimate(v, None, None, POINT_OUTSIDE_INTERVAL)
    return Estimate(v, min(low, v), max(high, v), None)
