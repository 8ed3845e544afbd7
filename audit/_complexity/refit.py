"""Cross-validate a retrained copy of the audited model on the baselines' folds.

The baselines are scored on rows they did not see; the audited model, given
already fitted, is scored on the audit rows, which it may have been trained on.
To compare like with like, a copy (``sklearn.base.clone``) is retrained on each
fold's training rows and scored on its held-out rows, exactly as the baselines
are.  This costs ``cv`` fits of the model, so it runs only within a time
allowance: two pilot fits on a few hundred rows project the cost before the
first fold, the measured folds project it before each later one, and the copy
is given up (with the reason) rather than overrun.  All folds or none: a
partial copy would be scored on other rows than the baselines.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .._inputs.model import ModelAdapter
from .._words import complexity as words
from .baselines import Fold, _metric

#: Rows of the two pilot fits that project the cost of a fold (fixed cost + cost per row).
PILOT_ROWS = (250, 500)
#: Seconds the copies may take when no ``--budget`` is given.
DEFAULT_SECONDS = 30.0


@dataclass(frozen=True)
class CopyScore:
    """The retrained copies' pooled out-of-fold metric, or why there is none."""

    value: float | None
    folds: tuple[float | None, ...]
    reason: str | None


def _fit(proto: object, X: pd.DataFrame, y: np.ndarray) -> object:
    """A fresh copy of ``proto`` fitted on ``(X, y)``, its warnings kept out of the audit's."""
    from sklearn.base import clone

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clone(proto).fit(X, y)  # type: ignore[attr-defined]


def _held_out(model: ModelAdapter, fitted: object, X: pd.DataFrame, metric: str) -> np.ndarray:
    """The copy's scores (AUC) or predictions (accuracy, R^2) on held-out rows."""
    copy = replace(model, estimator=fitted,
                   positive_label=1 if model.task == "binary" else model.positive_label)
    if metric == "auc":
        scores = copy.score(X)
        if scores is None:
            raise ValueError("the retrained copy has no predict_proba")
        return np.asarray(scores, dtype=float)
    return np.asarray(copy.predict(X), dtype=float)


def _pilot_projection(proto: object, X: pd.DataFrame, y: np.ndarray, train: np.ndarray,
                      n_folds: int, seed: int) -> float | None:
    """Projected seconds for all folds, from fits on 250 and 500 training rows.

    Two sizes separate a fit's fixed cost from its cost per row (a straight line
    through both); ``None`` for small folds, where the first fold is cheap anyway.
    """
    if len(train) <= 2 * PILOT_ROWS[-1]:
        return None
    rng = np.random.default_rng(seed)
    times = []
    for n in PILOT_ROWS:
        rows = np.sort(rng.choice(train, n, replace=False))
        start = time.perf_counter()
        try:
            _fit(proto, X.iloc[rows], y[rows])
        except Exception:
            return None  # the real folds will say what is wrong
        times.append(time.perf_counter() - start)
    per_row = max(0.0, (times[1] - times[0]) / (PILOT_ROWS[1] - PILOT_ROWS[0]))
    return (times[1] + per_row * (len(train) - PILOT_ROWS[1])) * n_folds


def cross_validate_copy(model: ModelAdapter, X: pd.DataFrame, y: np.ndarray,
                        folds: Sequence[Fold], metric: str, seed: int,
                        seconds: float) -> CopyScore:
    """Retrain a copy of the model on each fold and score it on the held-out rows.

    ``y`` holds 0/1 labels (1 = the positive label) or floats; ``folds`` are the
    baselines' folds over the rows of ``X``; ``seconds`` bounds the work (the
    copy is given up, with the reason, when the projection exceeds it).
    """
    from sklearn.base import clone

    if seconds <= 0:
        return CopyScore(None, (), words.copy_no_time(seconds))
    try:
        proto = clone(model.estimator)
    except Exception as exc:
        return CopyScore(None, (), words.copy_not_cloneable(_first_line(exc)))
    start = time.perf_counter()
    projected = _pilot_projection(proto, X, y, folds[0][0], len(folds), seed)
    if projected is not None and time.perf_counter() - start + projected > seconds:
        return CopyScore(None, (), words.copy_too_slow(len(folds), seconds))
    oof = np.zeros(len(y))
    values: list[float | None] = []
    for i, (tr, te) in enumerate(folds):
        spent = time.perf_counter() - start
        if i and spent + (spent / i) * (len(folds) - i) > seconds:
            return CopyScore(None, (), words.copy_too_slow(len(folds), seconds))
        try:
            oof[te] = _held_out(model, _fit(proto, X.iloc[tr], y[tr]), X.iloc[te], metric)
        except Exception as exc:
            return CopyScore(None, (), words.copy_failed(type(exc).__name__, _first_line(exc)))
        values.append(_metric(metric, y[te], oof[te]))
    return CopyScore(_metric(metric, y, oof), tuple(values), None)


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message, at most 160 characters."""
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else type(exc).__name__
