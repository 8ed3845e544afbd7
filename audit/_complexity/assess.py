"""Interpretability versus complexity: does the model's opacity pay for itself?

The audited model is described by five components (effective features,
non-additivity, non-linearity, size, fidelity of a small decision-tree
surrogate), combined into one documented 0-100 interpretability score.  Two
transparent baselines (a regularised linear model and a depth-3 decision tree)
are fitted on the audit data with cross-validation, scored with the *same*
formula, and compared with the audited model on the same metric and the same
rows.  To compare like with like, a copy of the audited model is retrained on
the baselines' folds and scored on the rows it did not see (:mod:`.refit`), when
it can be copied and retrained within the time allowed; otherwise the model's
metric on the audit rows is used, and a gain that would justify the opacity is
withheld, since the model may have been trained on those rows.  The result is a
plain-language verdict: ``pays_for_itself``, ``review``, ``does_not_pay``,
``simpler_but_worse``, ``withheld`` or ``not_applicable``.

Everything is deterministic for a given ``seed``; rows are subsampled to
``max_rows`` to keep the runtime to a few seconds.  This module orchestrates:
sample, model components (:mod:`.components`, :mod:`.size`), cross-validated
baselines (:mod:`.baselines`), decide (:mod:`.decision`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ConfigError, InputError
from .._inputs.model import ModelAdapter
from .._result.complexity import SCORE_FORMULA, Baseline, Complexity, Interpretability, MetricKey
from .._words import complexity as words
from .baselines import Fold, _metric, cv_folds, fit_baseline
from .coding import _code, _Coded, _model_output
from .components import (
    EFFECTIVE_SHARE,
    MIN_ROWS,
    _apply_size,
    _combine,
    _effective_component,
    _surrogate_components,
    size_component,
)
from .decision import (
    Gains,
    ModelMetric,
    best_baseline,
    comparison_metric,
    copy_needed,
    decide,
    precondition_failure,
)
from .refit import DEFAULT_SECONDS, CopyScore, cross_validate_copy
from .size import model_size

#: Fraction of the (subsampled) rows held out to evaluate the surrogates.
HOLDOUT = 0.3


def _validate(
    model: ModelAdapter,
    X: pd.DataFrame,
    y: np.ndarray | None,
    max_rows: int,
    cv: int,
    min_gain: float,
    clear_gain: float,
    opacity_tolerance: float,
) -> None:
    """Reject inputs and settings the assessment cannot use, saying how to fix them."""
    if not isinstance(X, pd.DataFrame):
        raise InputError(
            f"X: expected a pandas DataFrame of the model's input columns, found "
            f"{type(X).__name__} - pass the feature columns as a DataFrame"
        )
    if len(X) == 0 or X.shape[1] == 0:
        raise InputError(
            f"X: expected at least one row and one column, found {X.shape[0]} rows and "
            f"{X.shape[1]} columns - pass the audited rows with the model's features"
        )
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < MIN_ROWS:
        raise ConfigError(
            f"max_rows: expected an integer >= {MIN_ROWS}, found {max_rows!r} - raise max_rows"
        )
    if isinstance(cv, bool) or not isinstance(cv, int) or cv < 2:
        raise ConfigError(f"cv: expected an integer >= 2 folds, found {cv!r} - use e.g. cv=5")
    if not (math.isfinite(min_gain) and math.isfinite(clear_gain) and min_gain <= clear_gain):
        raise ConfigError(
            f"complexity thresholds: expected finite min_gain <= clear_gain, found min_gain="
            f"{min_gain!r}, clear_gain={clear_gain!r} - e.g. min_gain=0.01, clear_gain=0.05"
        )
    if not opacity_tolerance >= 0.0:
        raise ConfigError(
            f"opacity_tolerance: expected a number of score points >= 0, found "
            f"{opacity_tolerance!r} - e.g. 10"
        )
    if y is not None:
        _validate_target(model, X, y)


def _validate_target(model: ModelAdapter, X: pd.DataFrame, y: np.ndarray) -> None:
    """Check that ``y`` has one valid target value per row of ``X``."""
    arr = np.asarray(y)
    if arr.shape != (len(X),):
        raise InputError(
            f"y: expected {len(X)} target values (one per row of X), found shape "
            f"{arr.shape} - pass the target column of the same rows"
        )
    if model.task == "binary" and not np.isin(arr, (0, 1)).all():
        raise InputError(
            "y: expected 0/1 labels for a binary model, found other values - map the "
            "positive label to 1 and the rest to 0"
        )
    if model.task == "regression" and not np.all(np.isfinite(arr.astype(float))):
        raise InputError(
            "y: expected finite numbers for a regression model, found NaN/infinite values "
            "- drop rows with a missing target"
        )


def assess_complexity(
    model: ModelAdapter, X: pd.DataFrame, y: np.ndarray | None, *,
    mean_abs_shap: dict[str, float] | None, seed: int = 0, max_rows: int = 5000, cv: int = 5,
    min_gain: float = 0.01, clear_gain: float = 0.05, opacity_tolerance: float = 5.0,
    refit_seconds: float = DEFAULT_SECONDS,
) -> Complexity:
    """Weigh the model's accuracy gain over a transparent baseline against its opacity.

    Parameters
    ----------
    model : ModelAdapter
        The fitted model being audited.
    X : pandas.DataFrame
        The model's input columns in model order (strings, categoricals and NaN allowed).
    y : numpy.ndarray or None
        0/1 labels (binary) or floats (regression) for the rows of ``X``; ``None``: no
        baseline comparison, but the model's own components are still measured.
    mean_abs_shap : dict of str to float or None
        Global mean |SHAP| per original feature; ``None`` leaves effective features out.
    seed, max_rows, cv : int, default 0, 5000, 5
        Seed of the row subsample, the surrogates' hold-out split and the CV folds; rows
        are subsampled to at most ``max_rows``; ``cv`` folds for the baselines.
    min_gain, clear_gain : float, default 0.01, 0.05
        Metric gain over the best baseline (0.01 = 1 point of AUC/accuracy/R²) below which
        a less interpretable model ``does_not_pay``, and from which it ``pays_for_itself``;
        in between the outcome is ``review``.
    opacity_tolerance : float, default 5.0
        A model at most this many interpretability points below the baseline is not
        meaningfully more opaque, so there is no opacity to pay for; if it scores at
        least ``min_gain`` lower than the baseline it is ``simpler_but_worse``.
    refit_seconds : float, default 30
        Time allowed for retraining a copy of the model on each of the baselines'
        folds (like-for-like metric); when the copy cannot be made in time (or at
        all), the model's metric on the audit rows is used and a gain of at least
        ``clear_gain`` is ``withheld`` (the model may have been trained on these rows).

    Returns
    -------
    Complexity
        Components, scores, baselines and the verdict.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from audit._inputs.model import ModelAdapter
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    >>> y = (X["a"] + rng.normal(size=400) > 0).astype(np.int8).to_numpy()
    >>> est = LogisticRegression().fit(X, y)
    >>> m = ModelAdapter(est, "binary", ("a", "b"), positive_label=1)
    >>> res = assess_complexity(m, X, y, mean_abs_shap={"a": 0.8, "b": 0.05})
    >>> res.model.score >= 80
    True
    """
    _validate(model, X, y, max_rows, cv, min_gain, clear_gain, opacity_tolerance)
    if not (math.isfinite(refit_seconds) and refit_seconds >= 0):
        raise ConfigError(
            f"refit_seconds: expected a number of seconds >= 0, found {refit_seconds!r} "
            f"- e.g. {DEFAULT_SECONDS:g} (0 skips retraining the model)"
        )
    from threadpoolctl import threadpool_limits

    # One thread: the fits are small, and OpenMP spinning under CPU contention was measured
    # to slow them down tenfold (28 s instead of 3 s on 2 busy cores).
    with threadpool_limits(limits=1):
        gains = Gains(min_gain, clear_gain, opacity_tolerance)
        return _assess(model, X, y, mean_abs_shap, seed, max_rows, cv, gains, refit_seconds)


# --------------------------------------------------------------------------------------
# Steps: sample, model components, CV baselines, decide
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sample:
    """The (subsampled) rows and the surrogates' train / hold-out split."""

    X: pd.DataFrame
    y: np.ndarray | None
    n_total: int
    train: np.ndarray
    test: np.ndarray

    @property
    def n(self) -> int:
        """Rows used."""
        return len(self.X)


@dataclass(frozen=True)
class _Measured:
    """The audited model's interpretability and the outputs the comparison needs."""

    interpretability: Interpretability
    output_used: str
    labels: np.ndarray
    scores: np.ndarray | None


def _sample(X: pd.DataFrame, y: np.ndarray | None, seed: int, max_rows: int) -> _Sample:
    """Subsample to ``max_rows`` rows (seeded) and split off the surrogates' hold-out."""
    n_total = len(X)
    rng = np.random.default_rng(seed)
    rows = (
        np.sort(rng.choice(n_total, size=max_rows, replace=False))
        if n_total > max_rows
        else np.arange(n_total)
    )
    n = len(rows)
    perm = np.random.default_rng(seed + 1).permutation(n)
    n_test = round(HOLDOUT * n)
    return _Sample(
        X=X.iloc[rows],
        y=None if y is None else np.asarray(y)[rows],
        n_total=n_total,
        train=np.sort(perm[n_test:]),
        test=np.sort(perm[:n_test]),
    )


def _measure_model(
    model: ModelAdapter,
    sample: _Sample,
    coded: _Coded,
    mean_abs_shap: dict[str, float] | None,
    seed: int,
) -> _Measured:
    """The audited model's five components and its combined score."""
    task = model.task
    output, output_used = _model_output(model, sample.X)
    labels = model.predict(sample.X)
    scores = model.score(sample.X) if task == "binary" else None
    size, size_note = model_size(model.estimator)
    non_add, non_lin, fid = _surrogate_components(
        output, labels, coded, sample.train, sample.test, task, seed
    )
    effective = _effective_component(mean_abs_shap, task, words.SHAP_FROM_EXPLANATION)
    components = _apply_size((effective, non_add, non_lin, size_component(size, size_note, task), fid))
    keys = tuple(c.key for c in components if c.subscore is not None)
    interpretability = Interpretability(
        subject=words.MODEL_SUBJECT,
        description=model.name,
        score=_combine(components, keys),
        components=components,
        used=keys,
        reason=None if keys else words.NO_COMPONENT,
    )
    return _Measured(interpretability, output_used, labels, scores)


def _cv_baselines(
    coded: _Coded,
    y: np.ndarray,
    sample: _Sample,
    task: str,
    metric: MetricKey,
    folds: list[Fold],
    seed: int,
    model_keys: tuple[str, ...],
) -> tuple[list[Baseline], list[str]]:
    """Both baselines on the same folds, and a note for each that lacks a model component."""
    baselines: list[Baseline] = []
    notes: list[str] = []
    for key in ("linear", "tree"):
        b = fit_baseline(
            key, coded, y, folds, (sample.train, sample.test), task, metric, seed, model_keys
        )
        lacking = set(model_keys) - set(b.interpretability.used)
        if lacking:
            notes.append(words.baseline_lacks_note(key, sorted(lacking)))
        baselines.append(b)
    return baselines, notes


def _not_applicable(
    common: dict[str, Any],
    reason: str,
    metric: MetricKey | None,
    notes: list[str],
    metric_value: float | None = None,
) -> Complexity:
    """A result whose comparison with the baselines could not be made, and why."""
    model: Interpretability = common["model"]
    return Complexity(
        outcome="not_applicable",
        verdict=words.not_applicable_verdict(reason, model.score),
        reason=reason,
        metric=metric,
        model_metric=metric_value,
        model_metric_note="" if metric_value is None else words.IN_SAMPLE_NOTE,
        baselines=(),
        compared_with=None,
        gain=None,
        notes=tuple(notes),
        **common,
    )


def _model_notes(sample: _Sample, seed: int, interp: Interpretability) -> list[str]:
    """Notes on the subsample and on the model's components that could not be measured."""
    notes = [] if sample.n == sample.n_total else [words.subsample_note(sample.n, sample.n_total, seed)]
    missing = [c.title.lower() for c in interp.components if c.subscore is None]
    if missing:
        notes.append(words.unmeasured_note(missing))
    return notes


def _common_fields(
    task: str,
    metric: MetricKey,
    sample: _Sample,
    measured: _Measured,
    seed: int,
    cv: int,
    gains: Gains,
) -> dict[str, Any]:
    """The result's fields that do not depend on the comparison."""
    return {
        "task": task,
        "metric_label": words.METRIC_LABEL[metric],
        "model": measured.interpretability,
        "n_rows": sample.n_total,
        "n_rows_used": sample.n,
        "seed": seed,
        "cv": cv,
        "output_used": measured.output_used,
        "score_formula": SCORE_FORMULA,
        "thresholds": {
            "min_gain": float(gains.min_gain),
            "clear_gain": float(gains.clear_gain),
            "opacity_tolerance": float(gains.opacity_tolerance),
            "overlap_gap": float(gains.overlap_gap),
            "effective_share": EFFECTIVE_SHARE,
            "holdout_fraction": HOLDOUT,
        },
    }


@dataclass(frozen=True)
class _Comparison:
    """What the comparison needs besides the common fields."""

    model: ModelAdapter
    coded: _Coded
    y: np.ndarray
    sample: _Sample
    metric: MetricKey
    model_metric: float
    gains: Gains
    refit_seconds: float


def _copy(common: dict[str, Any], c: _Comparison, folds: list[Fold], best: Baseline,
          model_score: float | None) -> CopyScore:
    """The retrained copy's cross-validated metric, when it could change the verdict."""
    assert best.metric_value is not None
    bs = best.interpretability.score
    opacity = None if model_score is None or bs is None else bs - model_score
    if not copy_needed(c.model_metric - best.metric_value, opacity, c.gains):
        return CopyScore(None, (), words.COPY_NOT_NEEDED)
    return cross_validate_copy(c.model, c.sample.X, c.y, folds, c.metric, common["seed"],
                               c.refit_seconds)


def _compare(common: dict[str, Any], c: _Comparison, notes: list[str]) -> Complexity:
    """Cross-validate the baselines and a retrained copy of the model; decide."""
    interp: Interpretability = common["model"]
    metric_label: str = common["metric_label"]
    folds = cv_folds(c.coded.design, c.y, common["task"], common["cv"], common["seed"])
    baselines, baseline_notes = _cv_baselines(
        c.coded, c.y, c.sample, common["task"], c.metric, folds, common["seed"], interp.used
    )
    notes = [*notes, *baseline_notes]
    best = best_baseline(baselines)
    if best is None:
        reason = words.baseline_metric_undefined(metric_label)
        return _not_applicable(common, reason, c.metric, notes, c.model_metric)
    copy = _copy(common, c, folds, best, interp.score)
    measured = ModelMetric(c.model_metric, copy.value, common["cv"],
                           copy.reason or (None if copy.value is not None else
                                           words.model_metric_undefined(metric_label)))
    decision = decide(measured, interp.score, best, metric_label=metric_label,
                      n_rows=c.sample.n, gains=c.gains)
    return Complexity(
        outcome=decision.outcome,
        verdict=decision.verdict,
        reason=None,
        metric=c.metric,
        model_metric=c.model_metric,
        model_metric_note=(words.CROSS_VALIDATED_NOTE if copy.value is not None
                           else words.IN_SAMPLE_NOTE),
        baselines=tuple(baselines),
        compared_with=decision.compared_with,
        gain=decision.gain,
        notes=tuple(notes),
        model_cv_metric=copy.value,
        model_cv_folds=copy.folds,
        model_cv_reason=measured.why_not,
        compared_on="cross_validated" if copy.value is not None else "audit_rows",
        likely_overlap=decision.overlap,
        **common,
    )


def _assess(
    model: ModelAdapter,
    X: pd.DataFrame,
    y: np.ndarray | None,
    mean_abs_shap: dict[str, float] | None,
    seed: int,
    max_rows: int,
    cv: int,
    gains: Gains,
    refit_seconds: float,
) -> Complexity:
    """Sample, measure the model's components, cross-validate the baselines, decide."""
    task = model.task
    sample = _sample(X, y, seed, max_rows)
    coded = _code(sample.X)
    measured = _measure_model(model, sample, coded, mean_abs_shap, seed)
    notes = _model_notes(sample, seed, measured.interpretability)
    metric = comparison_metric(task, measured.scores is not None)
    common = _common_fields(task, metric, sample, measured, seed, cv, gains)
    if sample.y is None:
        return _not_applicable(common, words.NO_TARGET, None, notes)
    ys = sample.y.astype(np.int8) if task == "binary" else sample.y
    failure = precondition_failure(task, ys, cv)
    if failure is not None:
        return _not_applicable(common, failure, metric, notes)
    model_value = measured.scores if metric == "auc" else measured.labels
    model_metric = _metric(metric, ys, np.asarray(model_value))
    if model_metric is None:
        reason = words.model_metric_undefined(common["metric_label"])
        return _not_applicable(common, reason, metric, notes)
    comparison = _Comparison(model, coded, ys, sample, metric, model_metric, gains, refit_seconds)
    return _compare(common, comparison, notes)
