"""The decisions being audited: from the model (predict, or scores at a threshold) or from columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._config import AuditConfig
from .._errors import InputError, UnsupportedError
from .._result.spec import Task
from .._words import fairness as FW
from .._words import inputs as W
from . import groups as G
from .columns import align_text_columns
from .model import ModelAdapter, infer_task
from .target import positive_label

_fmt = G.format_value


@dataclass(frozen=True)
class ScoresMeaning:
    """Whether scores are probabilities, how that was decided, and if not why (for tables)."""

    probabilities: bool
    how: str
    reason: str | None = None


@dataclass
class Decisions:
    """The task, the decisions and scores, and where they came from."""

    task: Task
    y_pred: np.ndarray
    scores: np.ndarray | None
    source: str  # how the decisions were made, in words (``prediction_source``)
    positive: Any = None  # the positive label (a class of the model, or a column value)
    model: ModelAdapter | None = None
    X: pd.DataFrame | None = None
    scores_meaning: ScoresMeaning | None = None  # None: no scores
    #: The model's raw output on every row of ``X`` when the predictions gave it for free
    #: (a regressor's predictions; a gradient-boosting classifier's decision function, see
    #: :meth:`ModelAdapter.probabilities_and_margins`), so the explanations need not rerun
    #: the model on the rows they explain; else ``None``.
    margins: np.ndarray | None = None


#: A model's predict_proba() is a probability.
MODEL_PROBABILITIES = ScoresMeaning(True, W.SCORES_FROM_MODEL)

SAID_BUT_NOT_PROBABILITIES = (
    "scores column '{column}' in {source} is said to hold probabilities "
    "(scores_are_probabilities) but its values run from {lo:g} to {hi:g} - expected values in "
    "[0, 1]; drop --scores-are-probabilities to audit them as a ranking only"
)


def scores_meaning(scores: np.ndarray, column: str, cfg: AuditConfig, source: str
                   ) -> ScoresMeaning:
    """A scores column is a probability only if it lies in [0, 1] and the user says so.

    Outside [0, 1] (decile scores 1-10, a decision function) it is a ranking: AUC uses
    it, the average score and the calibration gap do not apply.
    """
    lo, hi = float(scores.min()), float(scores.max())
    range_text = W.score_range(lo, hi)
    in_unit = lo >= 0 and hi <= 1
    if cfg.scores_are_probabilities and not in_unit:
        raise InputError(SAID_BUT_NOT_PROBABILITIES.format(column=column, source=source,
                                                           lo=lo, hi=hi))
    if cfg.scores_are_probabilities:
        return ScoresMeaning(True, W.scores_declared(column, range_text))
    if in_unit:
        return ScoresMeaning(False, W.scores_undeclared(column, range_text),
                             FW.SCORES_NOT_DECLARED)
    return ScoresMeaning(False, W.scores_not_probabilities(column, range_text),
                         FW.scores_not_probabilities(range_text))


def from_model(df: pd.DataFrame, estimator: Any, cfg: AuditConfig, features: tuple[str, ...],
               model_source: str, notes: list[str]) -> tuple[pd.DataFrame, Decisions]:
    """Run the model on ``df`` (text columns aligned first); the decisions and scores."""
    task = infer_task(estimator, model_source)
    model = ModelAdapter(estimator, task, features, None, model_source)
    positive: Any = None
    if task == "binary":
        positive = positive_label(list(model.classes), cfg, f"{model_source}: the model's classes")
        model.positive_label = positive
    df = align_text_columns(df, estimator, features, notes)
    X = df.loc[:, list(features)]
    proba, margins = model.probabilities_and_margins(X) if model.has_scores else (None, None)
    scores = None if proba is None else model.positive_scores(proba)
    if cfg.threshold is not None:
        if scores is None:
            raise InputError(f"{model_source}: --threshold needs scores, but the model has no "
                             "predict_proba() - drop --threshold")
        y_pred = (scores >= cfg.threshold).astype(np.int8)
        source = W.scores_at_threshold(cfg.threshold)
    else:
        y_pred, source = model_decisions(model, X, proba)
    if task == "regression":
        margins = y_pred
    meaning = None if scores is None else MODEL_PROBABILITIES
    return df, Decisions(task, y_pred, scores, source, positive, model, X, meaning, margins)


#: Decisions derived from ``predict_proba`` are checked against ``predict()`` on this many
#: random rows ...
CHECK_RANDOM_ROWS = 1000
#: ... and on this many rows nearest a tie between the classes (where ``>`` and ``>=``,
#: or a decision function and its rounded probability, part ways)
CHECK_TIE_ROWS = 100


def model_decisions(model: ModelAdapter, X: pd.DataFrame, proba: np.ndarray | None
                    ) -> tuple[np.ndarray, str]:
    """The model's own decisions, predicted once: from ``predict_proba`` when ``predict`` agrees.

    For most classifiers (scikit-learn's forests, trees and histogram boosting, LightGBM,
    XGBoost, calibrated models) ``predict`` is the most probable class of
    ``predict_proba``, so the decisions follow from the scores without a second pass
    over the rows.  That is checked on a sample (random rows and the rows nearest a
    tie); a model whose ``predict`` disagrees on any of them (a custom threshold, an
    SVM) has ``predict`` called on every row.
    """
    if proba is None:
        return model.predict(X), W.PREDICTIONS_FROM_MODEL
    derived = (np.argmax(proba, axis=1) == model.positive_index).astype(np.int8)
    rows = check_rows(proba)
    own = model.predict(X.iloc[rows]) if len(rows) < len(X) else model.predict(X)
    disagree = int(np.count_nonzero(own != derived[rows]))
    if disagree == 0:
        return derived, W.predictions_derived(len(rows))
    return model.predict(X), W.predictions_not_derived(disagree, len(rows))


def check_rows(proba: np.ndarray) -> np.ndarray:
    """The rows on which derived decisions are checked (every row of a small table); sorted."""
    n = len(proba)
    if n <= CHECK_RANDOM_ROWS + CHECK_TIE_ROWS:
        return np.arange(n)
    top2 = np.sort(proba, axis=1)[:, -2:] if proba.shape[1] > 2 else proba
    margin = np.abs(top2[:, -1] - top2[:, 0])
    nearest = np.argpartition(margin, CHECK_TIE_ROWS)[:CHECK_TIE_ROWS]
    random = np.random.default_rng(0).choice(n, CHECK_RANDOM_ROWS, replace=False)
    return np.unique(np.concatenate([nearest, random]))


def _scores_column(df: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """A scores column as floats; refuses missing or non-numeric values."""
    scores = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(scores)):
        raise InputError(
            f"scores column '{column}' in {source} has "
            f"{int((~np.isfinite(scores)).sum())} missing or non-numeric values - "
            "expected a number on every row (probabilities or scores)")
    return scores


def _column_positive(df: pd.DataFrame, column: str, uniq: list[Any], target: str | None,
                     cfg: AuditConfig, source: str) -> Any:
    """The positive label of a predictions column (with the target's values, if any)."""
    if target is not None:
        tv = list(pd.unique(df[target]))
        values = sorted(set(map(_fmt, uniq)) | set(map(_fmt, tv)))
        return positive_label([next(v for v in uniq + tv if _fmt(v) == s) for s in values], cfg,
                              f"{source}: '{column}'/'{target}'")
    return positive_label(sorted(uniq, key=_fmt), cfg, f"predictions column '{column}'")


def missing_predictions(df: pd.DataFrame, column: str, source: str) -> None:
    """Refuse a predictions column with missing values."""
    if df[column].isna().any():
        raise InputError(f"predictions column '{column}' in {source} has "
                         f"{int(df[column].isna().sum())} missing values - fill or drop those rows")


def from_columns(df: pd.DataFrame, cfg: AuditConfig, column: str, target: str | None,
                 source: str) -> Decisions:
    """Decisions (and scores) read from the predictions ``column`` of the data, without a model."""
    pcol = df[column]
    missing_predictions(df, column, source)
    scores = None if cfg.scores is None else _scores_column(df, cfg.scores, source)
    uniq = list(pd.unique(pcol))
    positive: Any = None
    task: Task
    if pd.api.types.is_float_dtype(pcol) and len(uniq) > 2:
        task = "regression"
        y_pred = pcol.to_numpy(dtype=float)
    else:
        task = "binary"
        if len(uniq) > 2:
            raise UnsupportedError(
                f"predictions column '{column}' has {len(uniq)} distinct values - "
                "only binary decisions or numeric (regression) predictions are supported")
        positive = _column_positive(df, column, uniq, target, cfg, source)
        codes, written = G.label_codes(pcol)
        y_pred = np.array([w == _fmt(positive) for w in written], dtype=np.int8)[codes]
    pred_source = W.predictions_column(column)
    if scores is not None and cfg.scores is not None and cfg.threshold is not None:
        y_pred = (scores >= cfg.threshold).astype(np.int8)
        pred_source = W.scores_column_at_threshold(cfg.scores, cfg.threshold)
    meaning = None if scores is None or cfg.scores is None else scores_meaning(
        scores, cfg.scores, cfg, source)
    return Decisions(task, y_pred, scores, pred_source, positive, scores_meaning=meaning)
