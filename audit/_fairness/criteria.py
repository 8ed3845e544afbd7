"""Fairness criteria: the spread of a metric across groups (largest difference, min / max ratio).

A criterion (demographic parity, equalized odds …, defined in
:data:`audit._result.metrics.CRITERIA`) compares every group with a defined value;
equalized odds takes the larger difference and the smaller ratio of its two rates.
Point values come from the point view, intervals from the bootstrap resamples.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from .._result.metrics import METRICS, CriterionDef, _div
from .._result.tables import Criterion
from .._words import fairness as words
from .bootstrap import estimate, interval


def spread(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
        text = words.too_few_defined(label)
        return text, text
    if ok.max() <= 0 and ok.min() >= 0:
        return None, words.ratio_all_zero(label)
    if ok.min() < 0:
        return None, words.ratio_negative(label)
    return None, None


class _Part(NamedTuple):
    """One metric's point spread within a criterion."""

    key: str
    values: np.ndarray
    diff: float
    ratio: float
    diff_reason: str | None
    ratio_reason: str | None


def _point_parts(cdef: CriterionDef, point: Mapping[str, np.ndarray]) -> list[_Part]:
    """Point spread of each of the criterion's metrics."""
    parts = []
    for key in cdef.metrics:
        v = point[key]
        diff, ratio, _, _ = spread(v[None, :])
        d_reason, r_reason = _spread_reasons(v, METRICS[key].label)
        parts.append(_Part(key, v, float(diff[0]), float(ratio[0]), d_reason, r_reason))
    return parts


def _boot_bounds(cdef: CriterionDef, boot: Mapping[str, np.ndarray] | None,
                 confidence: float) -> tuple[float, float, float, float]:
    """Interval bounds ``(d_lo, d_hi, r_lo, r_hi)`` of the criterion's difference and ratio."""
    if boot is None:
        return np.nan, np.nan, np.nan, np.nan
    spreads = [spread(boot[key]) for key in cdef.metrics]
    diff_b = np.max(np.stack([s[0] for s in spreads]), axis=0)
    ratio_b = np.min(np.stack([s[1] for s in spreads]), axis=0)
    (d_lo, r_lo), (d_hi, r_hi) = interval(np.column_stack([diff_b, ratio_b]), confidence)
    return d_lo, d_hi, r_lo, r_hi


def _worst_and_best(parts: list[_Part], labels: Sequence[str]) -> tuple[str, str]:
    """Lowest- and highest-ranked group on the metric with the largest difference."""
    key, v = max(parts, key=lambda p: p.diff)[:2]
    ok = np.isfinite(v)
    lo_g = int(np.flatnonzero(ok)[np.argmin(v[ok])])
    hi_g = int(np.flatnonzero(ok)[np.argmax(v[ok])])
    if METRICS[key].higher_is_better is False:
        lo_g, hi_g = hi_g, lo_g
    return labels[lo_g], labels[hi_g]


def criterion(
    cdef: CriterionDef,
    labels: Sequence[str],
    point: Mapping[str, np.ndarray],
    boot: Mapping[str, np.ndarray] | None,
    confidence: float,
) -> Criterion:
    """One criterion of one attribute: spread across groups with its interval."""
    parts = _point_parts(cdef, point)
    # equalized odds: the larger difference and the smaller ratio (NaN propagates)
    diff_point = float(np.max([p.diff for p in parts]))
    ratio_point = float(np.min([p.ratio for p in parts]))
    d_reason = next((p.diff_reason for p in parts if p.diff_reason), None)
    r_reason = next((p.ratio_reason for p in parts if p.ratio_reason), None) or d_reason
    d_lo, d_hi, r_lo, r_hi = _boot_bounds(cdef, boot, confidence)
    worst = best = None
    if math.isfinite(diff_point):
        worst, best = _worst_and_best(parts, labels)
    missing_interval = words.NO_INTERVAL if boot is not None else None
    return Criterion(
        key=cdef.key,
        metric=",".join(cdef.metrics),
        difference=estimate(diff_point, d_lo, d_hi, d_reason or missing_interval),
        ratio=estimate(ratio_point, r_lo, r_hi, r_reason or missing_interval),
        worst_group=worst,
        best_group=best,
    )
