"""Calibration curves per group, and the tables of scores that are not probabilities.

Curves (binned mean score against the observed positive rate) are computed from the rows
in one pass (``np.bincount`` on group × bin); used for plotting, not for the verdict (the
verdict's calibration check uses the calibration gap metric).

Scores that are not probabilities (decile scores 1-10, a column the user did not call
probabilities) have no average score and no calibration gap: :func:`without_probability_metrics`
takes them out of a table, with the reason (issue 10, item 1).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._errors import ConfigError
from .._inputs.prepared import Grouping
from .._result.tables import AttributeTable, Estimate
from .._words import fairness as words
from .tables import check_rows

__all__ = ["CalibrationBin", "CalibrationCurve", "GroupCalibration", "calibration_curve",
           "without_probability_metrics"]

#: The group metrics that read scores as probabilities (AUC reads them as a ranking).
PROBABILITY_METRICS = ("mean_score", "calibration_gap")


def without_probability_metrics(table: AttributeTable, reason: str, *,
                                keep_rows: bool = False) -> AttributeTable:
    """``table`` without the average score and calibration gap, which need probabilities.

    With ``keep_rows`` (the overall table) both stay as undefined values with ``reason``;
    otherwise they are left out of every group (so no calibration check is made) and a
    table note gives the reason.
    """
    groups = tuple(
        replace(row, metrics={k: (Estimate(None, reason=reason) if k in PROBABILITY_METRICS
                                  else e)
                              for k, e in row.metrics.items()
                              if keep_rows or k not in PROBABILITY_METRICS})
        for row in table.groups)
    notes = table.notes if keep_rows else table.notes + (words.probability_metrics_note(reason),)
    return replace(table, groups=groups, notes=notes)



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


def _binned_sums(codes: np.ndarray, n_groups: int, target: np.ndarray, prob: np.ndarray,
                 edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, score sum and positives per (group, bin), each shaped ``(G, n_bins)``."""
    n_bins = edges.size - 1
    bin_id = np.searchsorted(edges[1:-1], prob)
    key = np.asarray(codes).astype(np.int64) * n_bins + bin_id
    size = n_groups * n_bins
    count = np.bincount(key, minlength=size).reshape(n_groups, n_bins)
    score_sum = np.bincount(key, weights=prob, minlength=size).reshape(n_groups, n_bins)
    pos = np.bincount(key, weights=target, minlength=size).reshape(n_groups, n_bins)
    return count, score_sum, pos


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
    check_rows("y", target, len(grouping.codes), grouping.name)
    check_rows("scores", prob, len(grouping.codes), grouping.name)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    count, score_sum, pos = _binned_sums(grouping.codes, len(grouping.labels), target, prob,
                                         edges)
    groups = []
    for g, label in enumerate(grouping.labels):
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
        groups.append(GroupCalibration(label, int(count[g].sum()), bins))
    return CalibrationCurve(grouping.name, n_bins, tuple(groups))
