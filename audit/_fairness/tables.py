"""Fairness tables: per-group metrics, gaps to the reference group and criteria, with intervals.

:func:`fairness_tables` is the entry point: one
:class:`~audit._result.tables.AttributeTable` per grouping, from the rows.
:func:`binary_attribute_table` works from (possibly merged) :class:`.stats.BinaryStats`;
:func:`regression_attribute_table` needs the rows for its bootstrap.  Both build a
point view (:mod:`.views`) and a resampled view (:mod:`.bootstrap`) and hand them to
:func:`_assemble`, which evaluates the metrics and lays out the table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .._errors import ConfigError, InputError
from .._inputs.prepared import Grouping
from .._result.metrics import CRITERIA, GAP_METRICS, METRICS, _div, available_metrics
from .._result.spec import Task
from .._result.tables import AttributeTable, Criterion, GapRow, GroupRow, GroupStatus
from .._words import fairness as words
from .bootstrap import estimate, interval, resample_binary, resample_regression, rng_for
from .criteria import criterion
from .stats import BinaryStats, RegressionStats, binary_stats, regression_stats
from .views import point_view_binary, regression_view

__all__ = [
    "binary_attribute_table",
    "fairness_tables",
    "regression_attribute_table",
]

Replicates = dict[tuple[str, str], np.ndarray]
Status = tuple[GroupStatus, str | None]


# --------------------------------------------------------------------------- settings


def _check_settings(n_boot: int, seed: int, min_group_size: int, max_ci_width: float,
                    confidence: float) -> None:
    """Raise :class:`ConfigError` for a setting of the wrong type or range."""
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


def check_rows(name: str, values: np.ndarray | None, n_rows: int, grouping: str) -> None:
    """Raise :class:`InputError` when ``values`` does not have one entry per row."""
    if values is not None and len(values) != n_rows:
        raise InputError(f"{name}: expected {n_rows} values (one per row of grouping "
                         f"'{grouping}'), found {len(values)}; pass arrays of equal length")


# --------------------------------------------------------------------------- assembly


@dataclass(frozen=True)
class _Settings:
    """How a table is judged: interval coverage and the insufficient-evidence rules."""

    confidence: float
    min_group_size: int
    max_ci_width: float
    n_boot: int
    seed: int
    width_scale: float = 1.0  # interval widths are divided by this (regression: prediction SD)


@dataclass(frozen=True)
class _Values:
    """Metric values of one grouping: point, resamples and intervals per metric key."""

    task: Task
    keys: tuple[str, ...]
    labels: Sequence[str]
    ref: int
    n: np.ndarray
    point_view: Mapping[str, np.ndarray]
    point: dict[str, np.ndarray]
    boot: dict[str, np.ndarray] | None
    intervals: dict[str, tuple[np.ndarray, np.ndarray]]


def _evaluate(grouping: Grouping, task: Task, keys: tuple[str, ...],
              point_view: Mapping[str, np.ndarray], boot_view: Mapping[str, np.ndarray] | None,
              confidence: float, replicates: Replicates | None) -> _Values:
    """Evaluate every metric on the point and resampled views; fill ``replicates``."""
    n_groups = len(grouping.labels)
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
            intervals[k] = interval(boot[k], confidence)
    n = np.asarray(point_view["n"]).astype(np.int64)
    return _Values(task, keys, grouping.labels, int(grouping.reference), n, point_view, point,
                   boot, intervals)


def _statuses(v: _Values, s: _Settings) -> list[Status]:
    """Per group: ``ok``, or insufficient evidence (too few rows, too wide an interval)."""
    status_key = "selection_rate" if v.task == "binary" else "mean_prediction"
    statuses: list[Status] = []
    for g in range(len(v.labels)):
        lo, hi = v.intervals[status_key][0][g], v.intervals[status_key][1][g]
        width = (hi - lo) / s.width_scale if s.width_scale > 0 else hi - lo
        if v.n[g] < s.min_group_size:
            statuses.append(("insufficient_evidence",
                             words.too_few_rows(v.n[g], s.min_group_size)))
        elif v.boot is not None and math.isfinite(width) and width > s.max_ci_width:
            reason = words.too_uncertain(METRICS[status_key].label, s.confidence, lo, hi, width,
                                         v.task != "binary", s.max_ci_width)
            statuses.append(("insufficient_evidence", reason))
        else:
            statuses.append(("ok", None))
    return statuses


def _group_rows(v: _Values, statuses: list[Status], members: Mapping[str, Sequence[str]]
                ) -> list[GroupRow]:
    """One row per group: size, share and every metric with its interval."""
    total = int(v.n.sum())
    rows = []
    for g, label in enumerate(v.labels):
        metrics = {}
        for k in v.keys:
            lo, hi = v.intervals[k][0][g], v.intervals[k][1][g]
            why = METRICS[k].reason(v.point_view, g)
            if why is None and v.boot is not None:
                why = words.NO_INTERVAL
            metrics[k] = estimate(v.point[k][g], lo, hi, why)
        rows.append(GroupRow(
            group=label,
            n=int(v.n[g]),
            share=float(v.n[g] / total) if total else 0.0,
            metrics=metrics,
            status=statuses[g][0],
            status_reason=statuses[g][1],
            members=tuple(members.get(label, ())),
        ))
    return rows


def _gap_reasons(v: _Values, k: str, g: int) -> tuple[str | None, str | None]:
    """Why the difference and the ratio of group ``g`` to the reference are undefined."""
    mdef = METRICS[k]
    ref_label = v.labels[v.ref]
    d_reason: str | None = None
    g_reason = mdef.reason(v.point_view, g)
    r_reason = mdef.reason(v.point_view, v.ref)
    if g_reason is not None:
        d_reason = words.undefined_for_group(mdef.label, g_reason)
    elif r_reason is not None:
        d_reason = words.undefined_for_reference(mdef.label, ref_label, r_reason)
    ratio_reason = d_reason
    if d_reason is None and v.point[k][v.ref] == 0:
        ratio_reason = words.reference_is_zero(mdef.label)
    return d_reason, ratio_reason


def _gap_bounds(v: _Values, k: str, confidence: float) -> tuple[np.ndarray, ...]:
    """Interval bounds ``(d_lo, d_hi, r_lo, r_hi)`` per group of the gaps to the reference."""
    if v.boot is None:
        none = np.full(len(v.labels), np.nan)
        return none, none, none, none
    vb = v.boot[k]
    diff_b = vb - vb[:, v.ref : v.ref + 1]
    ratio_b = _div(vb, vb[:, v.ref : v.ref + 1])
    d_lo, d_hi = interval(diff_b, confidence)
    r_lo, r_hi = interval(ratio_b, confidence)
    return d_lo, d_hi, r_lo, r_hi


def _gap_rows(v: _Values, statuses: list[Status], confidence: float) -> list[GapRow]:
    """Difference and ratio of every other group to the reference, per gap metric."""
    gaps = []
    fallback = words.NO_INTERVAL if v.boot is not None else None
    for k in GAP_METRICS[v.task]:
        if k not in v.keys:
            continue
        point = v.point[k]
        d_lo, d_hi, r_lo, r_hi = _gap_bounds(v, k, confidence)
        for g in range(len(v.labels)):
            if g == v.ref:
                continue
            d_reason, ratio_reason = _gap_reasons(v, k, g)
            insufficient = statuses[g][0] != "ok" or statuses[v.ref][0] != "ok"
            gaps.append(GapRow(
                metric=k,
                group=v.labels[g],
                reference=v.labels[v.ref],
                difference=estimate(point[g] - point[v.ref], d_lo[g], d_hi[g],
                                    d_reason or fallback),
                ratio=estimate(float(_div(point[g], point[v.ref])), r_lo[g], r_hi[g],
                               ratio_reason or fallback),
                status="insufficient_evidence" if insufficient else "ok",
            ))
    return gaps


def _criteria(v: _Values, confidence: float) -> tuple[list[Criterion], list[str]]:
    """The task's criteria whose metrics are available, and notes on groups left out."""
    criteria = []
    notes = []
    for cdef in CRITERIA.values():
        if cdef.task != v.task or not set(cdef.metrics) <= set(v.keys):
            continue
        criteria.append(criterion(cdef, v.labels, v.point, v.boot, confidence))
        for k in cdef.metrics:
            left_out = [v.labels[g] for g in range(len(v.labels))
                        if not np.isfinite(v.point[k][g])]
            if left_out:
                notes.append(words.left_out_note(cdef.label, left_out, METRICS[k].label))
    return criteria, notes


def _assemble(
    grouping: Grouping,
    task: Task,
    keys: tuple[str, ...],
    point_view: Mapping[str, np.ndarray],
    boot_view: Mapping[str, np.ndarray] | None,
    settings: _Settings,
    replicates: Replicates | None = None,
) -> AttributeTable:
    """Evaluate the metrics and lay out the attribute table."""
    s = settings
    v = _evaluate(grouping, task, keys, point_view, boot_view, s.confidence, replicates)
    statuses = _statuses(v, s)
    rows = _group_rows(v, statuses, grouping.members)
    gaps = _gap_rows(v, statuses, s.confidence)
    criteria, notes = _criteria(v, s.confidence)
    if v.boot is not None:
        notes.append(words.intervals_note(s.confidence, s.n_boot, s.seed))
    if any(status[0] != "ok" for status in statuses):
        notes.append(words.CRITERIA_INCLUDE_UNCERTAIN)
    return AttributeTable(
        attribute=grouping.name,
        family=grouping.family,
        columns=tuple(grouping.columns),
        how_found=grouping.how_found,
        reference=v.labels[v.ref],
        groups=tuple(rows),
        gaps=tuple(gaps),
        criteria=tuple(criteria),
        notes=tuple(dict.fromkeys(notes)),
    )


# --------------------------------------------------------------------------- entry points


def binary_attribute_table(
    grouping: Grouping,
    stats: BinaryStats,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    min_group_size: int = 30,
    max_ci_width: float = 0.30,
    confidence: float = 0.95,
    replicates: Replicates | None = None,
) -> AttributeTable:
    """Fairness table of a binary classifier from (possibly merged) statistics.

    Parameters
    ----------
    grouping : Grouping
        The grouping the statistics were built with (labels, reference, names).
    stats : BinaryStats
        Counts from :func:`audit._fairness.stats.binary_stats`, possibly merged over
        chunks.
    n_boot, seed, min_group_size, max_ci_width, confidence
        See :func:`fairness_tables`.

    Returns
    -------
    AttributeTable
    """
    _check_settings(n_boot, seed, min_group_size, max_ci_width, confidence)
    keys = available_metrics("binary", stats.has_y, stats.has_scores)
    point_view = point_view_binary(stats)
    boot_view = resample_binary(stats, n_boot, rng_for(seed, grouping.name)) if n_boot else None
    settings = _Settings(confidence, min_group_size, max_ci_width, n_boot, seed)
    table = _assemble(grouping, "binary", keys, point_view, boot_view, settings, replicates)
    bins = None if boot_view is None else boot_view.get("score_bins")
    if bins is not None and bins.any():
        binned = [label for label, k in zip(grouping.labels, bins) if k]
        note = words.score_bins_note(int(bins.max()), binned)
        table = replace(table, notes=table.notes + (note,))
    return table


def _prediction_sd(stats: RegressionStats) -> float:
    """Standard deviation of all predictions (0 without rows)."""
    total = float(stats.n.sum())
    if total <= 0:
        return 0.0
    mean = float(stats.sum_pred.sum()) / total
    return math.sqrt(max(float(stats.sum_pred_sq.sum()) / total - mean * mean, 0.0))


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
    replicates: Replicates | None = None,
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
    point_view = regression_view(stats)
    boot_view = None
    if n_boot:
        boot_view = resample_regression(grouping.codes, n_groups, y, y_pred, n_boot,
                                        rng_for(seed, grouping.name))
    settings = _Settings(confidence, min_group_size, max_ci_width, n_boot, seed,
                         width_scale=_prediction_sd(stats))
    return _assemble(grouping, "regression", keys, point_view, boot_view, settings, replicates)


def _check_task(task: Task, scores: np.ndarray | None) -> None:
    """Raise :class:`InputError` for an unknown task or scores given to a regression model."""
    if task not in ("binary", "regression"):
        raise InputError(f"task: expected 'binary' or 'regression', found {task!r}")
    if task == "regression" and scores is not None:
        raise InputError("scores: expected None for a regression model, found an array; "
                         "pass scores=None")


def _as_arrays(
    y: np.ndarray | None, y_pred: np.ndarray, scores: np.ndarray | None
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """``(y, y_pred, scores)`` as arrays; raise :class:`InputError` for non-finite scores."""
    pred = np.asarray(y_pred)
    target = None if y is None else np.asarray(y)
    prob = None if scores is None else np.asarray(scores, dtype=np.float64)
    if prob is not None and not np.isfinite(prob).all():
        raise InputError("scores: expected finite probabilities, found NaN or infinite values; "
                         "drop those rows or fix the model output")
    return target, pred, prob


def _table(grouping: Grouping, task: Task, target: np.ndarray | None, pred: np.ndarray,
           prob: np.ndarray | None, s: _Settings, replicates: Replicates | None,
           prob_order: np.ndarray | None = None) -> AttributeTable:
    """The table of one grouping, after checking the arrays have one entry per row.

    ``prob_order`` is ``np.argsort(prob)``, sorted once for every grouping.
    """
    n_rows = len(grouping.codes)
    check_rows("y_pred", pred, n_rows, grouping.name)
    check_rows("y", target, n_rows, grouping.name)
    check_rows("scores", prob, n_rows, grouping.name)
    if task == "binary":
        stats = binary_stats(grouping.codes, len(grouping.labels), target, pred, prob,
                             prob_order)
        return binary_attribute_table(
            grouping, stats, n_boot=s.n_boot, seed=s.seed, min_group_size=s.min_group_size,
            max_ci_width=s.max_ci_width, confidence=s.confidence, replicates=replicates)
    return regression_attribute_table(
        grouping, target, pred, n_boot=s.n_boot, seed=s.seed, min_group_size=s.min_group_size,
        max_ci_width=s.max_ci_width, confidence=s.confidence, replicates=replicates)


def fairness_tables(
    groupings: Sequence[Grouping], y: np.ndarray | None, y_pred: np.ndarray,
    scores: np.ndarray | None, task: Task, *, n_boot: int = 1000, seed: int = 0,
    min_group_size: int = 30, max_ci_width: float = 0.30, confidence: float = 0.95,
    replicates: Replicates | None = None,
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
    _check_task(task, scores)
    _check_settings(n_boot, seed, min_group_size, max_ci_width, confidence)
    target, pred, prob = _as_arrays(y, y_pred, scores)
    settings = _Settings(confidence, min_group_size, max_ci_width, n_boot, seed)
    order = None
    if prob is not None and len(groupings) > 1 and all(len(g.codes) == len(prob)
                                                       for g in groupings):
        order = np.argsort(prob)  # the same scores for every grouping: sort them once
    return tuple(_table(g, task, target, pred, prob, settings, replicates, order)
                 for g in groupings)
