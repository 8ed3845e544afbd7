"""Exact group-fairness metrics, gaps, criteria and bootstrap intervals.

Everything here is computed from the sufficient statistics of
:mod:`audit._fairness.stats`.  Metric functions take a *view*: a mapping from names
(``n``, ``tp``, ``fp`` …) to arrays whose last axis is the group axis, with
any number of leading axes (for example one per bootstrap resample), so one
definition serves both point estimates and resamples.

Bootstrap
---------
Resampling the ``N`` rows with replacement and counting them per cell is the
same distribution as one ``Multinomial(N, counts / N)`` draw over the cells,
so ``B`` resamples of every confusion-matrix metric cost ``O(B·K)`` for ``K``
cells instead of ``O(B·N)``.  Scores are handled with the aggregation property
of the multinomial: the ``(group, y, pred)`` cells are drawn first and then,
given a cell's resampled count, the counts of its distinct score values are
drawn from a multinomial with the cell's observed score frequencies.  The
pair of draws has exactly the distribution of a row bootstrap over the
finest cells ``(group, y, pred, score value)``, whether or not ``pred`` is a
threshold of the score.  Regression needs the rows: group sizes are drawn
``Multinomial(N, n_g / N)`` and then, within each group, ``n_g*`` rows are
drawn uniformly with replacement (the same as multinomial row weights).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .._errors import ConfigError, InputError
from .._inputs.prepared import Grouping
from .._result.metrics import (  # noqa: F401
    _METRIC_LIST,
    _NO_NEG,
    _NO_POS,
    CRITERIA,
    GAP_METRICS,
    METRICS,
    NO_ROWS,
    CriterionDef,
    MetricDef,
    Need,
    View,
    _div,
    _m,
    available_metrics,
)
from .._result.spec import Task
from .._result.tables import AttributeTable, Criterion, Estimate, GapRow, GroupRow, GroupStatus
from .stats import BinaryStats, RegressionStats, binary_stats, regression_stats

__all__ = [
    "CRITERIA",
    "GAP_METRICS",
    "METRICS",
    "NO_ROWS",
    "CalibrationBin",
    "CalibrationCurve",
    "CriterionDef",
    "GroupCalibration",
    "MetricDef",
    "available_metrics",
    "binary_attribute_table",
    "calibration_curve",
    "fairness_tables",
    "regression_attribute_table",
]


#: Largest number of array elements one bootstrap chunk may allocate.
_CHUNK_ELEMENTS = 4_000_000





# --------------------------------------------------------------------------- registry

















# --------------------------------------------------------------------------- views


def _binary_view(
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


def _auc_from_histograms(neg: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """AUC with ties as half from counts over sorted score values (last axis)."""
    below = np.cumsum(neg, axis=-1) - neg
    twice = (pos * (2 * below + neg)).sum(axis=-1)
    return _div(twice, 2 * pos.sum(axis=-1) * neg.sum(axis=-1))


@dataclass(frozen=True)
class _ScoreLayout:
    """Where each group's and each cell's entries sit in the sparse histogram."""

    cells_per_group: int
    cell_start: np.ndarray  # (K + 1,) offsets into the sorted sparse arrays
    value_pos: np.ndarray  # per entry: rank of its value among its group's distinct values
    n_values: np.ndarray  # (G,) distinct score values per group


def _score_layout(stats: BinaryStats) -> _ScoreLayout:
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
    return _ScoreLayout(cpg, cell_start, value_pos, n_values)


def _point_auc(stats: BinaryStats, layout: _ScoreLayout) -> np.ndarray:
    assert stats.score_cell is not None and stats.score_count is not None
    auc = np.full(stats.n_groups, np.nan)
    cpg = layout.cells_per_group
    for g in range(stats.n_groups):
        hist = np.zeros((2, int(layout.n_values[g])), dtype=np.int64)
        for c in range(g * cpg, (g + 1) * cpg):
            s, e = layout.cell_start[c], layout.cell_start[c + 1]
            hist[(c % 4) // 2, layout.value_pos[s:e]] += stats.score_count[s:e]
        auc[g] = _auc_from_histograms(hist[0], hist[1])
    return auc


def _point_view_binary(stats: BinaryStats) -> dict[str, np.ndarray]:
    score_sum = auc = None
    if stats.has_scores:
        score_sum = stats.score_sums()
        score_sum = score_sum.reshape(stats.n_groups, -1).sum(axis=1)
        if stats.has_y:
            auc = _point_auc(stats, _score_layout(stats))
    return _binary_view(stats.counts, score_sum, auc, stats.has_y)


def _cell_probabilities(counts: np.ndarray) -> np.ndarray:
    p = counts / counts.sum()
    head = p[:-1].sum()
    if head > 1.0:  # guard numpy's sum check against rounding
        p[:-1] /= head
    return p


def _resample_binary(
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
        A view whose arrays have shape ``(B, G)``.
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
        score_sum_b, auc_b = _resample_scores(stats, counts_b, rng)
    return _binary_view(counts_b, score_sum_b, auc_b, stats.has_y)


def _resample_scores(
    stats: BinaryStats, counts_b: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray | None]:
    """Second stage: per-score counts given each resampled cell count."""
    assert stats.score_value is not None and stats.score_count is not None
    layout = _score_layout(stats)
    cpg = layout.cells_per_group
    n_boot = counts_b.shape[0]
    flat_b = counts_b.reshape(n_boot, -1)
    score_sum_b = np.zeros((n_boot, stats.n_groups))
    auc_b = np.full((n_boot, stats.n_groups), np.nan) if stats.has_y else None
    for g in range(stats.n_groups):
        u = int(layout.n_values[g])
        if u == 0:
            continue
        lo, hi = layout.cell_start[g * cpg], layout.cell_start[(g + 1) * cpg]
        rows_g = int(stats.score_count[lo:hi].sum())
        step = max(1, min(n_boot, _CHUNK_ELEMENTS // max(rows_g, u)))
        for b0 in range(0, n_boot, step):
            b1 = min(n_boot, b0 + step)
            hist = np.zeros((2, b1 - b0, u), dtype=np.int64) if auc_b is not None else None
            for c in range(g * cpg, (g + 1) * cpg):
                s, e = layout.cell_start[c], layout.cell_start[c + 1]
                if s == e:
                    continue
                drawn = flat_b[b0:b1, c]
                cell_counts = stats.score_count[s:e]
                if e - s == 1:
                    m = drawn[:, None]
                elif 4 * (e - s) < int(cell_counts.sum()):
                    # few distinct values (many ties): one multinomial per resample
                    m = rng.multinomial(drawn, _cell_probabilities(cell_counts))
                else:
                    # mostly distinct values: draw the rows themselves, uniformly with
                    # replacement (the same distribution, cheaper than one binomial per value)
                    rows_of_value = np.repeat(np.arange(e - s), cell_counts)
                    picked = rows_of_value[rng.integers(0, rows_of_value.size, int(drawn.sum()))]
                    which = np.repeat(np.arange(b1 - b0), drawn)
                    m = np.bincount(which * (e - s) + picked, minlength=(b1 - b0) * (e - s))
                    m = m.reshape(b1 - b0, e - s)
                score_sum_b[b0:b1, g] += m @ stats.score_value[s:e]
                if hist is not None:
                    hist[(c % 4) // 2][:, layout.value_pos[s:e]] += m
            if hist is not None and auc_b is not None:
                auc_b[b0:b1, g] = _auc_from_histograms(hist[0], hist[1])
    return score_sum_b, auc_b


def _regression_view(stats: RegressionStats) -> dict[str, np.ndarray]:
    view = {"n": stats.n, "sum_pred": stats.sum_pred}
    if stats.sum_y is not None:
        assert stats.sum_abs_err is not None and stats.sum_sq_err is not None
        view.update(sum_y=stats.sum_y, sum_abs_err=stats.sum_abs_err, sum_sq_err=stats.sum_sq_err)
    return view


def _resample_regression(
    codes: np.ndarray,
    n_groups: int,
    y: np.ndarray | None,
    y_pred: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Exact row bootstrap of the regression sums; arrays shaped ``(B, G)``."""
    codes = np.asarray(codes).astype(np.int64, copy=False)
    pred = np.asarray(y_pred, dtype=np.float64)
    columns = [pred]
    names = ["sum_pred"]
    if y is not None:
        err = pred - np.asarray(y, dtype=np.float64)
        columns += [np.asarray(y, dtype=np.float64), np.abs(err), err * err]
        names += ["sum_y", "sum_abs_err", "sum_sq_err"]
    table = np.column_stack(columns)
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
        drawn = n_b[:, g]
        b0 = 0
        while b0 < n_boot:
            # take as many resamples as fit in one chunk (at least one)
            cum = np.cumsum(drawn[b0:])
            b1 = b0 + max(1, int(np.searchsorted(cum, _CHUNK_ELEMENTS, side="right")))
            counts = drawn[b0:b1]
            idx = rng.integers(0, int(n_g[g]), size=int(counts.sum()))
            which = np.repeat(np.arange(b1 - b0), counts)
            picked = rows[idx]
            for k in range(len(names)):
                sums[k, b0:b1, g] = np.bincount(which, weights=picked[:, k], minlength=b1 - b0)
            b0 = b1
    view = {"n": n_b}
    view.update({name: sums[k] for k, name in enumerate(names)})
    return view


# --------------------------------------------------------------------------- intervals


def _interval(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
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


_NO_INTERVAL = "the value was undefined in most bootstrap resamples, so there is no interval"


def _f(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _estimate(value: float, lo: float, hi: float, reason: str | None) -> Estimate:
    v = _f(value)
    if v is None:
        return Estimate(None, None, None, reason or "undefined")
    low, high = _f(lo), _f(hi)
    if low is None or high is None:
        return Estimate(v, None, None, reason)
    return Estimate(v, low, high, None)


# --------------------------------------------------------------------------- criteria


def _spread(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """max − min, min / max, count of defined groups and min over the last axis."""
    ok = np.isfinite(values)
    count = ok.sum(axis=-1)
    vmax = np.where(ok, values, -np.inf).max(axis=-1)
    vmin = np.where(ok, values, np.inf).min(axis=-1)
    enough = count >= 2
    diff = np.where(enough, np.where(enough, vmax, 0) - np.where(enough, vmin, 0), np.nan)
    ratio_ok = enough & (vmin >= 0) & (vmax > 0)
    ratio = _div(np.where(ratio_ok, vmin, np.nan), np.where(ratio_ok, vmax, 0))
    return diff, ratio, count, np.where(enough, vmin, np.nan)


def _spread_reasons(values: np.ndarray, label: str) -> tuple[str | None, str | None]:
    """Plain reasons why the point difference / ratio are undefined (or None)."""
    ok = values[np.isfinite(values)]
    if ok.size < 2:
        text = f"fewer than two groups have a defined {label}"
        return text, text
    if ok.max() <= 0 and ok.min() >= 0:
        return None, f"every group's {label} is 0, so the ratio is undefined"
    if ok.min() < 0:
        return None, f"some groups have a negative {label}, so the ratio is undefined"
    return None, None


def _criterion(
    cdef: CriterionDef,
    labels: Sequence[str],
    point: Mapping[str, np.ndarray],
    boot: Mapping[str, np.ndarray] | None,
    confidence: float,
) -> Criterion:
    parts = []
    for key in cdef.metrics:
        v = point[key]
        diff, ratio, _, _ = _spread(v[None, :])
        d_reason, r_reason = _spread_reasons(v, METRICS[key].label)
        parts.append((key, v, float(diff[0]), float(ratio[0]), d_reason, r_reason))
    # equalized odds: the larger difference and the smaller ratio (NaN propagates)
    diff_point = float(np.max([p[2] for p in parts]))
    ratio_point = float(np.min([p[3] for p in parts]))
    d_reason = next((p[4] for p in parts if p[4]), None)
    r_reason = next((p[5] for p in parts if p[5]), None) or d_reason
    if boot is not None:
        spreads = [_spread(boot[key]) for key in cdef.metrics]
        diff_b = np.max(np.stack([s[0] for s in spreads]), axis=0)
        ratio_b = np.min(np.stack([s[1] for s in spreads]), axis=0)
        (d_lo, r_lo), (d_hi, r_hi) = _interval(np.column_stack([diff_b, ratio_b]), confidence)
    else:
        d_lo = d_hi = r_lo = r_hi = np.nan
    worst = best = None
    if math.isfinite(diff_point):
        key, v = max(parts, key=lambda p: p[2])[:2]
        ok = np.isfinite(v)
        lo_g = int(np.flatnonzero(ok)[np.argmin(v[ok])])
        hi_g = int(np.flatnonzero(ok)[np.argmax(v[ok])])
        if METRICS[key].higher_is_better is False:
            lo_g, hi_g = hi_g, lo_g
        worst, best = labels[lo_g], labels[hi_g]
    missing_interval = _NO_INTERVAL if boot is not None else None
    return Criterion(
        key=cdef.key,
        metric=",".join(cdef.metrics),
        difference=_estimate(diff_point, d_lo, d_hi, d_reason or missing_interval),
        ratio=_estimate(ratio_point, r_lo, r_hi, r_reason or missing_interval),
        worst_group=worst,
        best_group=best,
    )


# --------------------------------------------------------------------------- tables


def _check_settings(n_boot: int, seed: int, min_group_size: int, max_ci_width: float,
                    confidence: float) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ConfigError(f"n_boot: expected a whole number >= 0, found {n_boot!r}; "
                          "use e.g. n_boot=1000 (0 turns intervals off)")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed: expected a whole number >= 0, found {seed!r}; use e.g. seed=0")
    if isinstance(min_group_size, bool) or not isinstance(min_group_size, (int, np.integer)) \
            or min_group_size < 1:
        raise ConfigError(f"min_group_size: expected a whole number >= 1, found "
                          f"{min_group_size!r}; use e.g. min_group_size=30")
    if not (isinstance(max_ci_width, (int, float)) and max_ci_width > 0):
        raise ConfigError(f"max_ci_width: expected a number > 0, found {max_ci_width!r}; "
                          "use e.g. max_ci_width=0.30")
    if not (isinstance(confidence, float) and 0.0 < confidence < 1.0):
        raise ConfigError(f"confidence: expected a number between 0 and 1, found "
                          f"{confidence!r}; use e.g. confidence=0.95")


def _rng(seed: int, name: str) -> np.random.Generator:
    """Independent, reproducible stream per grouping (not Python's salted hash)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(name.encode())]))


def _assemble(
    grouping: Grouping,
    task: Task,
    keys: tuple[str, ...],
    point_view: Mapping[str, np.ndarray],
    boot_view: Mapping[str, np.ndarray] | None,
    *,
    confidence: float,
    min_group_size: int,
    max_ci_width: float,
    width_scale: float,
    n_boot: int,
    seed: int,
    replicates: dict[tuple[str, str], np.ndarray] | None = None,
) -> AttributeTable:
    labels = grouping.labels
    n_groups = len(labels)
    ref = int(grouping.reference)
    n = np.asarray(point_view["n"]).astype(np.int64)
    total = int(n.sum())
    point = {k: METRICS[k].evaluate(point_view) for k in keys}
    boot = None if boot_view is None else {k: METRICS[k].evaluate(boot_view) for k in keys}
    if replicates is not None and boot is not None:
        for k in keys:  # (resamples × groups) metric values, for multiple-testing control
            replicates[(grouping.name, k)] = boot[k]
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for k in keys:
        if boot is None:
            intervals[k] = (np.full(n_groups, np.nan), np.full(n_groups, np.nan))
        else:
            intervals[k] = _interval(boot[k], confidence)

    # status per group
    status_key = "selection_rate" if task == "binary" else "mean_prediction"
    pct = f"{confidence:.0%}"
    statuses: list[tuple[GroupStatus, str | None]] = []
    for g in range(n_groups):
        lo, hi = intervals[status_key][0][g], intervals[status_key][1][g]
        width = (hi - lo) / width_scale if width_scale > 0 else hi - lo
        if n[g] < min_group_size:
            reason = (f"only {n[g]} rows in this group; at least {min_group_size} are "
                      "needed for a reliable comparison")
            statuses.append(("insufficient_evidence", reason))
        elif boot is not None and math.isfinite(width) and width > max_ci_width:
            unit = "" if task == "binary" else " prediction standard deviations"
            reason = (f"the {METRICS[status_key].label} is too uncertain: its {pct} "
                      f"interval ({lo:.3g} to {hi:.3g}) is {width:.2f}{unit} wide, more "
                      f"than the {max_ci_width:.2f} allowed")
            statuses.append(("insufficient_evidence", reason))
        else:
            statuses.append(("ok", None))

    rows = []
    for g in range(n_groups):
        metrics = {}
        for k in keys:
            lo, hi = intervals[k][0][g], intervals[k][1][g]
            why = METRICS[k].reason(point_view, g)
            if why is None and boot is not None:
                why = _NO_INTERVAL
            metrics[k] = _estimate(point[k][g], lo, hi, why)
        rows.append(GroupRow(
            group=labels[g],
            n=int(n[g]),
            share=float(n[g] / total) if total else 0.0,
            metrics=metrics,
            status=statuses[g][0],
            status_reason=statuses[g][1],
            members=tuple(grouping.members.get(labels[g], ())),
        ))

    gaps = []
    ref_label = labels[ref]
    for k in GAP_METRICS[task]:
        if k not in keys:
            continue
        mdef = METRICS[k]
        v = point[k]
        if boot is not None:
            vb = boot[k]
            diff_b = vb - vb[:, ref : ref + 1]
            ratio_b = _div(vb, vb[:, ref : ref + 1])
            d_lo, d_hi = _interval(diff_b, confidence)
            r_lo, r_hi = _interval(ratio_b, confidence)
        else:
            d_lo = d_hi = r_lo = r_hi = np.full(n_groups, np.nan)
        for g in range(n_groups):
            if g == ref:
                continue
            d_reason: str | None = None
            g_reason = mdef.reason(point_view, g)
            r_reason = mdef.reason(point_view, ref)
            if g_reason is not None:
                d_reason = f"the {mdef.label} is undefined for this group: {g_reason}"
            elif r_reason is not None:
                d_reason = (f"the {mdef.label} is undefined for the reference group "
                            f"'{ref_label}': {r_reason}")
            ratio_reason = d_reason
            if d_reason is None and v[ref] == 0:
                ratio_reason = (f"the reference group's {mdef.label} is 0, so the ratio is "
                                "undefined")
            fallback = _NO_INTERVAL if boot is not None else None
            insufficient = statuses[g][0] != "ok" or statuses[ref][0] != "ok"
            gaps.append(GapRow(
                metric=k,
                group=labels[g],
                reference=ref_label,
                difference=_estimate(v[g] - v[ref], d_lo[g], d_hi[g], d_reason or fallback),
                ratio=_estimate(float(_div(v[g], v[ref])), r_lo[g], r_hi[g],
                                ratio_reason or fallback),
                status="insufficient_evidence" if insufficient else "ok",
            ))

    criteria = []
    notes = []
    for cdef in CRITERIA.values():
        if cdef.task != task or not set(cdef.metrics) <= set(keys):
            continue
        criteria.append(_criterion(cdef, labels, point, boot, confidence))
        for k in cdef.metrics:
            left_out = [labels[g] for g in range(n_groups) if not np.isfinite(point[k][g])]
            if left_out:
                note = (f"{cdef.label}: {', '.join(left_out)} left out of the comparison "
                        f"because the {METRICS[k].label} is undefined there")
                notes.append(note)
    if boot is not None:
        notes.append(f"Intervals are {pct} percentile bootstrap intervals from {n_boot} "
                     f"resamples of the rows (seed {seed}).")
    if any(s[0] != "ok" for s in statuses):
        notes.append("Criteria compare every group with a defined value, including groups "
                     "marked as insufficient evidence.")
    return AttributeTable(
        attribute=grouping.name,
        family=grouping.family,
        columns=tuple(grouping.columns),
        how_found=grouping.how_found,
        reference=ref_label,
        groups=tuple(rows),
        gaps=tuple(gaps),
        criteria=tuple(criteria),
        notes=tuple(dict.fromkeys(notes)),
    )


def binary_attribute_table(
    grouping: Grouping,
    stats: BinaryStats,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    min_group_size: int = 30,
    max_ci_width: float = 0.30,
    confidence: float = 0.95,
    replicates: dict[tuple[str, str], np.ndarray] | None = None,
) -> AttributeTable:
    """Fairness table of a binary classifier from (possibly merged) statistics.

    Parameters
    ----------
    grouping : Grouping
        The grouping the statistics were built with (labels, reference, names).
    stats : BinaryStats
        Counts from :func:`audit._stats.binary_stats`, possibly merged over
        chunks.
    n_boot, seed, min_group_size, max_ci_width, confidence
        See :func:`fairness_tables`.

    Returns
    -------
    AttributeTable
    """
    _check_settings(n_boot, seed, min_group_size, max_ci_width, confidence)
    keys = available_metrics("binary", stats.has_y, stats.has_scores)
    point_view = _point_view_binary(stats)
    boot_view = _resample_binary(stats, n_boot, _rng(seed, grouping.name)) if n_boot else None
    return _assemble(grouping, "binary", keys, point_view, boot_view, confidence=confidence,
                     min_group_size=min_group_size, max_ci_width=max_ci_width, width_scale=1.0,
                     n_boot=n_boot, seed=seed, replicates=replicates)


def regression_attribute_table(
    grouping: Grouping,
    y: np.ndarray | None,
    y_pred: np.ndarray,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    min_group_size: int = 30,
    max_ci_width: float = 0.30,
    confidence: float = 0.95,
    replicates: dict[tuple[str, str], np.ndarray] | None = None,
) -> AttributeTable:
    """Fairness table of a regression model (the bootstrap needs the rows).

    The interval-width rule uses the width of the average-prediction interval
    divided by the standard deviation of all predictions, so ``max_ci_width``
    means the same on any scale.

    Parameters
    ----------
    grouping : Grouping
    y : numpy.ndarray or None
        Targets, or ``None``.
    y_pred : numpy.ndarray
        Predictions.
    n_boot, seed, min_group_size, max_ci_width, confidence
        See :func:`fairness_tables`.

    Returns
    -------
    AttributeTable
    """
    _check_settings(n_boot, seed, min_group_size, max_ci_width, confidence)
    n_groups = len(grouping.labels)
    stats: RegressionStats = regression_stats(grouping.codes, n_groups, y, y_pred)
    keys = available_metrics("regression", stats.has_y, False)
    point_view = _regression_view(stats)
    boot_view = None
    if n_boot:
        boot_view = _resample_regression(grouping.codes, n_groups, y, y_pred, n_boot,
                                         _rng(seed, grouping.name))
    total = float(stats.n.sum())
    scale = 0.0
    if total > 0:
        mean = float(stats.sum_pred.sum()) / total
        scale = math.sqrt(max(float(stats.sum_pred_sq.sum()) / total - mean * mean, 0.0))
    return _assemble(grouping, "regression", keys, point_view, boot_view,
                     confidence=confidence, min_group_size=min_group_size,
                     max_ci_width=max_ci_width, width_scale=scale, n_boot=n_boot, seed=seed,
                     replicates=replicates)


def _check_rows(name: str, values: np.ndarray | None, n_rows: int, grouping: str) -> None:
    if values is not None and len(values) != n_rows:
        raise InputError(f"{name}: expected {n_rows} values (one per row of grouping "
                         f"'{grouping}'), found {len(values)}; pass arrays of equal length")


def fairness_tables(
    groupings: Sequence[Grouping],
    y: np.ndarray | None,
    y_pred: np.ndarray,
    scores: np.ndarray | None,
    task: Task,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    min_group_size: int = 30,
    max_ci_width: float = 0.30,
    confidence: float = 0.95,
    replicates: dict[tuple[str, str], np.ndarray] | None = None,
) -> tuple[AttributeTable, ...]:
    """Group metrics, gaps to the reference group, criteria and intervals.

    Parameters
    ----------
    groupings : sequence of Grouping
        One table is produced per grouping, in order.
    y : numpy.ndarray or None
        True labels (0/1 for binary, float for regression) or ``None``;
        metrics needing it are then left out.
    y_pred : numpy.ndarray
        Predictions (0/1 for binary, float for regression).
    scores : numpy.ndarray or None
        Predicted probability of the positive label (binary only) or ``None``.
    task : {"binary", "regression"}
    n_boot : int, default 1000
        Bootstrap resamples; 0 skips intervals.
    seed : int, default 0
        Seed; each grouping gets its own stream derived from the seed and the
        grouping's name, so results do not depend on the order of groupings.
    min_group_size : int, default 30
        Groups with fewer rows are marked "insufficient_evidence".
    max_ci_width : float, default 0.30
        Groups whose selection-rate interval (regression: average-prediction
        interval, in prediction standard deviations) is wider are marked
        "insufficient_evidence".
    confidence : float, default 0.95
        Coverage of the percentile intervals.
    replicates : dict, optional
        When given, filled with ``(grouping name, metric key) -> array`` of the
        bootstrap values (resamples × groups), for multiple-testing control.

    Returns
    -------
    tuple of AttributeTable

    Examples
    --------
    >>> import numpy as np
    >>> from audit._inputs.prepared import Grouping
    >>> g = Grouping("sex", "gender", ("sex",), np.array([0, 0, 1, 1]), ("f", "m"), 1)
    >>> (t,) = fairness_tables([g], None, np.array([1, 0, 1, 1], dtype=np.int8), None,
    ...                        "binary", n_boot=0)
    >>> t.criteria[0].difference.value
    0.5
    """
    if task not in ("binary", "regression"):
        raise InputError(f"task: expected 'binary' or 'regression', found {task!r}")
    if task == "regression" and scores is not None:
        raise InputError("scores: expected None for a regression model, found an array; "
                         "pass scores=None")
    _check_settings(n_boot, seed, min_group_size, max_ci_width, confidence)
    pred = np.asarray(y_pred)
    target = None if y is None else np.asarray(y)
    prob = None if scores is None else np.asarray(scores, dtype=np.float64)
    if prob is not None and not np.isfinite(prob).all():
        raise InputError("scores: expected finite probabilities, found NaN or infinite values; "
                         "drop those rows or fix the model output")
    tables = []
    for grouping in groupings:
        n_rows = len(grouping.codes)
        _check_rows("y_pred", pred, n_rows, grouping.name)
        _check_rows("y", target, n_rows, grouping.name)
        _check_rows("scores", prob, n_rows, grouping.name)
        if task == "binary":
            stats = binary_stats(grouping.codes, len(grouping.labels), target, pred, prob)
            tables.append(binary_attribute_table(
                grouping, stats, n_boot=n_boot, seed=seed, min_group_size=min_group_size,
                max_ci_width=max_ci_width, confidence=confidence, replicates=replicates))
        else:
            tables.append(regression_attribute_table(
                grouping, target, pred, n_boot=n_boot, seed=seed,
                min_group_size=min_group_size, max_ci_width=max_ci_width,
                confidence=confidence, replicates=replicates))
    return tuple(tables)


# --------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class CalibrationBin:
    """One score bin of a calibration curve (empty bins are left out)."""

    lower: float
    upper: float
    mean_score: float
    observed_rate: float
    n: int


@dataclass(frozen=True)
class GroupCalibration:
    """Calibration curve of one group."""

    group: str
    n: int
    bins: tuple[CalibrationBin, ...]


@dataclass(frozen=True)
class CalibrationCurve:
    """Per-group calibration curves of one attribute, for plotting."""

    attribute: str
    n_bins: int
    groups: tuple[GroupCalibration, ...]


def calibration_curve(
    grouping: Grouping, y: np.ndarray, scores: np.ndarray, n_bins: int = 10
) -> CalibrationCurve:
    """Binned mean score vs observed positive rate per group.

    Bins are ``n_bins`` equal-width intervals of [0, 1], assigned as
    :func:`sklearn.calibration.calibration_curve` does (``strategy="uniform"``).

    Parameters
    ----------
    grouping : Grouping
    y : numpy.ndarray
        True labels, 0/1.
    scores : numpy.ndarray
        Predicted probabilities of the positive label.
    n_bins : int, default 10

    Returns
    -------
    CalibrationCurve

    Examples
    --------
    >>> import numpy as np
    >>> from audit._inputs.prepared import Grouping
    >>> g = Grouping("sex", "gender", ("sex",), np.array([0, 0, 1]), ("f", "m"), 0)
    >>> c = calibration_curve(g, np.array([0, 1, 1]), np.array([0.1, 0.9, 0.8]), n_bins=2)
    >>> [(b.mean_score, b.observed_rate, b.n) for b in c.groups[0].bins]
    [(0.1, 0.0, 1), (0.9, 1.0, 1)]
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ConfigError(f"n_bins: expected a whole number >= 1, found {n_bins!r}; "
                          "use e.g. n_bins=10")
    prob = np.asarray(scores, dtype=np.float64)
    target = np.asarray(y, dtype=np.float64)
    _check_rows("y", target, len(grouping.codes), grouping.name)
    _check_rows("scores", prob, len(grouping.codes), grouping.name)
    n_groups = len(grouping.labels)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_id = np.searchsorted(edges[1:-1], prob)
    key = np.asarray(grouping.codes).astype(np.int64) * n_bins + bin_id
    size = n_groups * n_bins
    count = np.bincount(key, minlength=size).reshape(n_groups, n_bins)
    score_sum = np.bincount(key, weights=prob, minlength=size).reshape(n_groups, n_bins)
    pos = np.bincount(key, weights=target, minlength=size).reshape(n_groups, n_bins)
    groups = []
    for g in range(n_groups):
        bins = tuple(
            CalibrationBin(
                lower=float(edges[b]),
                upper=float(edges[b + 1]),
                mean_score=float(score_sum[g, b] / count[g, b]),
                observed_rate=float(pos[g, b] / count[g, b]),
                n=int(count[g, b]),
            )
            for b in range(n_bins)
            if count[g, b] > 0
        )
        groups.append(GroupCalibration(grouping.labels[g], int(count[g].sum()), bins))
    return CalibrationCurve(grouping.name, n_bins, tuple(groups))
