"""Troublemaker features: proxies that drive a gap -> loss-function recommendations.

A *troublemaker* is a model feature that (a) stands in for a protected
attribute -- on its own it predicts the attribute well -- and (b) drives a
fairness gap that fails or needs review.  A protected attribute that is itself
a model input is always a troublemaker ("direct use").

Dropping a proxy rarely removes the bias, because the other features usually
carry the same information.  The remedy this module recommends is to put the
failing criterion *into the training loss*: fairlearn's reductions
(:class:`fairlearn.reductions.ExponentiatedGradient`) retrain the model under a
constraint that matches the failing gap.  The optional what-if retrains a copy
of the model that way on part of the audit data and measures, on the held-out
rest, the gap and accuracy before and after (and after dropping each flagged
feature, for comparison).

How things are measured
-----------------------
Proxy strength
    Cross-validated ROC AUC of a one-feature histogram classifier: numeric
    features are cut into quantile bins (missing values get their own bin),
    categorical features keep their most frequent categories; within each
    training fold the class frequencies per bin (smoothed towards the overall
    frequencies, i.e. target encoding) are the predicted probabilities.  For
    attributes with more than two groups the AUC is one-vs-rest, macro
    averaged; the per-group one-vs-rest AUCs are kept too.  The interval is a
    t-interval over the folds.  Rows whose attribute is unknown are left out.
    For the flag decision the larger of the macro AUC and the one-vs-rest AUC
    of the group whose gap the feature drives is used ("zip code picks out
    Black applicants" matters even when it cannot tell two other groups apart).
    Normalised mutual information (arithmetic normalisation) between the
    binned feature and the attribute is reported alongside.
Recoverability
    Cross-validated AUC of a small histogram gradient-boosting classifier that
    predicts the attribute from all model features except the attribute's own
    columns.  For each flagged proxy it is measured again without that proxy:
    that is the number behind "dropping it would not help".
Dropping a feature in the what-if
    The feature's column is replaced by one constant (its most frequent
    training value) in both the training and the held-out part.  That keeps
    the model's input schema intact, so it works for any estimator or
    Pipeline (a ColumnTransformer still finds its column) while the feature
    carries no information any more.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from .._errors import ConfigError, InputError
from .._explain.explain import CANCEL_SHARE
from .._inputs.model import ModelAdapter
from .._inputs.prepared import Grouping
from .._result.serial import to_jsonable
from .._result.tables import Estimate
from .._result.troublemakers import (
    LOSS_CONFIG_VERSION,
    DriverShare,
    Flag,
    FlagThresholds,
    LossTerm,
    ProxyScore,
    Recoverability,
    Troublemakers,
    WhatIf,
    WhatIfExperiment,
    WhatIfRun,
)

__all__ = [
    "LOSS_CONFIG_VERSION",
    "DriverShare",
    "Flag",
    "FlagThresholds",
    "LossTerm",
    "ProxyScore",
    "Recoverability",
    "Troublemakers",
    "WhatIf",
    "WhatIfExperiment",
    "WhatIfRun",
    "assess_troublemakers",
    "loss_config",
]

_UNKNOWN = "unknown"  # the explicit missing-value group, as audit._groups.UNKNOWN
_MAX_CATEGORIES = 250  # categories kept per feature (the rest pooled); HGB allows < 255
_SMOOTHING = 10.0  # pseudo-rows pulling a bin's class frequencies to the overall ones
_RECOVER_SPLITS = 3
_WHAT_IF_MAX_ROWS = 10000
_WHAT_IF_TEST_SIZE = 0.3
_EG_MAX_ITER = 25
_EG_MIN_ITER = 5
_MIN_GROUP_TEST = 30  # groups smaller than this in the held-out part are not compared
_MIN_CONDITIONAL = 5  # ... nor when fewer positives (TPR) / negatives (FPR) than this
_MAX_EXPERIMENTS = 2


# criterion key -> (fairlearn moment, what the constrained gap compares)
_CONSTRAINTS: dict[str, tuple[str, str]] = {
    "demographic_parity": ("DemographicParity", "selection rate"),
    "equalized_odds": ("EqualizedOdds", "true and false positive rates (the larger difference)"),
    "equal_opportunity": ("TruePositiveRateParity", "true positive rate"),
    "accuracy": ("ErrorRateParity", "error rate"),
    "mean_prediction": ("BoundedGroupLoss", "average prediction"),
    "mae": ("BoundedGroupLoss", "mean absolute error"),
}
_NO_CONSTRAINT: dict[str, str] = {
    "predictive_parity": (
        "fairlearn's reductions have no constraint that equalises precision between groups; "
        "consider per-group calibration of the scores, and note that equal precision usually "
        "conflicts with equal error rates when base rates differ"
    ),
    "calibration": (
        "calibration is not a reductions constraint; recalibrate the scores per group "
        "(e.g. sklearn.calibration.CalibratedClassifierCV fitted within each group)"
    ),
}
_BAD_OUTCOMES = ("fail", "review")


# --------------------------------------------------------------------------- results






















# --------------------------------------------------------------------------- encoding


def _is_numeric(s: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(s.dtype)) and not pd.api.types.is_bool_dtype(
        s.dtype
    )


def _as_float(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
        out[s.isna().to_numpy()] = np.nan
        return out
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _category_codes(s: pd.Series) -> np.ndarray:
    """Codes 0..k-1 for the most frequent categories (k <= _MAX_CATEGORIES), pooled rest = k,
    missing = -1."""
    miss = s.isna().to_numpy()
    text = s.astype(object).where(~s.isna(), None)
    counts = text.value_counts(dropna=True)
    keep = counts.index[:_MAX_CATEGORIES]
    lookup = {v: i for i, v in enumerate(keep)}
    pooled = len(keep)
    codes = np.fromiter(
        (lookup.get(v, pooled) for v in text.to_numpy()), dtype=np.int64, count=len(text)
    )
    codes[miss] = -1
    return codes


def _bin_feature(s: pd.Series, n_bins: int) -> np.ndarray:
    """Bin codes 0..B-1 of one feature (missing values get their own bin)."""
    if _is_numeric(s) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        v = _as_float(s)
        finite = np.isfinite(v)
        uniq = np.unique(v[finite])
        if len(uniq) <= n_bins:
            codes = np.searchsorted(uniq, v).astype(np.int64)
        else:
            edges = np.unique(np.quantile(v[finite], np.linspace(0, 1, n_bins + 1)[1:-1]))
            codes = np.searchsorted(edges, v, side="right").astype(np.int64)
        codes[~finite] = int(codes[finite].max(initial=-1)) + 1
    else:
        codes = _category_codes(s)
        codes[codes < 0] = int(codes.max(initial=-1)) + 1
    _, dense = np.unique(codes, return_inverse=True)
    return dense.astype(np.int64)


# --------------------------------------------------------------------------- statistics


def _t_interval(values: Sequence[float]) -> Estimate:
    vals = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if len(vals) == 0:
        return Estimate(None, reason="no fold could be scored")
    mean = float(vals.mean())
    if len(vals) < 2:
        return Estimate(mean, reason="only one fold could be scored: no interval")
    from scipy import stats

    half = float(stats.t.ppf(0.975, len(vals) - 1) * vals.std(ddof=1) / math.sqrt(len(vals)))
    return Estimate(mean, max(0.0, mean - half), min(1.0, mean + half))


def _ovr_aucs(target: np.ndarray, proba: np.ndarray, n_classes: int) -> np.ndarray:
    """One-vs-rest AUC per class (binary: both entries equal the usual AUC)."""
    from sklearn.metrics import roc_auc_score

    out = np.full(n_classes, np.nan)
    for k in range(n_classes):
        pos = target == k
        if 0 < pos.sum() < len(target):
            out[k] = roc_auc_score(pos, proba[:, k])
    return out


def _usable_target(
    grouping: Grouping, rows: np.ndarray, n_splits: int
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], str | None]:
    """Rows (positions into ``rows``) with a known, large-enough group; dense target codes."""
    codes = grouping.codes[rows]
    labels = list(grouping.labels)
    counts = np.bincount(codes, minlength=len(labels))
    ok = np.array(
        [lab != _UNKNOWN and counts[i] >= 2 * n_splits for i, lab in enumerate(labels)],
        dtype=bool,
    )
    left_out = [
        lab for i, lab in enumerate(labels) if lab != _UNKNOWN and counts[i] and not ok[i]
    ]
    note = (
        f"groups too small to cross-validate were left out: {', '.join(left_out)}"
        if left_out
        else None
    )
    keep = np.flatnonzero(ok[codes])
    kept_labels = tuple(lab for i, lab in enumerate(labels) if ok[i])
    remap = -np.ones(len(labels), dtype=np.int64)
    remap[np.flatnonzero(ok)] = np.arange(int(ok.sum()))
    return keep, remap[codes[keep]], kept_labels, note


def _proxy_score(
    feature: str,
    bins: np.ndarray,
    grouping: Grouping,
    target: np.ndarray,
    labels: tuple[str, ...],
    folds: list[tuple[np.ndarray, np.ndarray]],
    thresholds: FlagThresholds,
    note: str | None,
) -> ProxyScore:
    from sklearn.metrics import normalized_mutual_info_score

    k = len(labels)
    n_bins = int(bins.max()) + 1 if len(bins) else 1
    fold_macro: list[float] = []
    fold_groups: list[np.ndarray] = []
    for train, test in folds:
        counts = np.bincount(bins[train] * k + target[train], minlength=n_bins * k).reshape(
            n_bins, k
        ).astype(float)
        prior = np.bincount(target[train], minlength=k) / len(train)
        proba = (counts + _SMOOTHING * prior) / (counts.sum(axis=1, keepdims=True) + _SMOOTHING)
        aucs = _ovr_aucs(target[test], proba[bins[test]], k)
        fold_groups.append(aucs)
        fold_macro.append(float(aucs[1]) if k == 2 else float(np.nanmean(aucs)))
    auc = _t_interval(fold_macro)
    groups = np.nanmean(np.vstack(fold_groups), axis=0) if fold_groups else np.full(k, np.nan)
    by_group = {lab: float(v) for lab, v in zip(labels, groups) if np.isfinite(v)}
    nmi = float(normalized_mutual_info_score(target, bins)) if len(target) else None
    strong = auc.value is not None and auc.value >= thresholds.proxy_auc
    return ProxyScore(
        feature=feature,
        attribute=grouping.name,
        auc=auc,
        nmi=nmi,
        by_group=by_group,
        n=len(target),
        strong=strong,
        note=note,
    )


def _feature_matrix(X: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Float matrix for HistGradientBoosting plus its categorical mask."""
    mats, cat = [], []
    for c in columns:
        s = X[c]
        if _is_numeric(s) or pd.api.types.is_datetime64_any_dtype(s.dtype):
            mats.append(_as_float(s))
            cat.append(False)
        else:
            codes = _category_codes(s).astype(float)
            codes[codes < 0] = np.nan
            mats.append(codes)
            cat.append(True)
    return np.column_stack(mats), np.asarray(cat, dtype=bool)


def _recoverability(
    X: pd.DataFrame,
    columns: Sequence[str],
    target: np.ndarray,
    n_classes: int,
    seed: int,
) -> Estimate:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    if not columns:
        return Estimate(None, reason="no other model features")
    mat, cat = _feature_matrix(X, columns)
    cv = StratifiedKFold(_RECOVER_SPLITS, shuffle=True, random_state=seed)
    scores: list[float] = []
    # One thread: HistGradientBoosting's OpenMP threads slow down badly on busy machines.
    with threadpool_limits(1):
        for train, test in cv.split(mat, target):
            clf = HistGradientBoostingClassifier(
                max_iter=40,
                learning_rate=0.15,
                max_leaf_nodes=15,
                early_stopping=False,
                categorical_features=cat if cat.any() else None,
                random_state=seed,
            )
            clf.fit(mat[train], target[train])
            proba = clf.predict_proba(mat[test])
            aucs = _ovr_aucs(target[test], proba, n_classes)
            scores.append(float(aucs[1]) if n_classes == 2 else float(np.nanmean(aucs)))
    return _t_interval(scores)


# --------------------------------------------------------------------------- text


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _criteria_text(attribute: str, pairs: Sequence[tuple[str, str]]) -> str:
    """'race fails demographic_parity and needs review on equal_opportunity'."""
    fails = [c for c, o in pairs if o == "fail"]
    reviews = [c for c, o in pairs if o == "review"]
    parts = []
    if fails:
        parts.append("fails " + ", ".join(fails))
    if reviews:
        parts.append("needs review on " + ", ".join(reviews))
    return f"{attribute} " + " and ".join(parts) if parts else f"{attribute} has no failing gap"


def _share_text(share: float) -> str:
    if share > CANCEL_SHARE:
        # other features pull the other way; a percentage like 687% only confuses
        return "more than the whole of"
    if share > 1.0:
        return f"more than all ({_pct(share)}) of"  # other features partly offset the gap
    return f"{_pct(share)} of"


def _auc_text(est: Estimate) -> str:
    if est.value is None:
        return "AUC unavailable"
    if est.lo is not None and est.hi is not None:
        return f"AUC {est.value:.2f} (0.5 = chance; 95% interval {est.lo:.2f}–{est.hi:.2f})"
    return f"AUC {est.value:.2f} (0.5 = chance)"


def _drop_sentence(feature: str, attribute: str, without: float | None, thr: float) -> str:
    if without is None:
        return (
            f"Whether the other features carry the same information about {attribute} could "
            "not be measured."
        )
    if without >= thr:
        return (
            f"Dropping '{feature}' rarely removes the bias: the other model features together "
            f"still predict {attribute} with AUC {without:.2f}, so a retrained model can learn "
            "the same pattern from them. Put the fairness criterion into the training loss "
            "instead (see the recommended loss terms)."
        )
    return (
        f"Without '{feature}' the other model features predict {attribute} only with AUC "
        f"{without:.2f}, so dropping it may help here; still, check it with the what-if and "
        "prefer putting the fairness criterion into the training loss (see the recommended "
        "loss terms)."
    )


# --------------------------------------------------------------------------- snippets

_ROUTER_SOURCE = '''\
from sklearn.base import BaseEstimator, clone


class RouteSampleWeight(BaseEstimator):
    """Give ExponentiatedGradient's sample weights to the last step of a Pipeline."""

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y, sample_weight=None):
        self.estimator_ = clone(self.estimator)
        kwargs = {}
        if sample_weight is not None:
            path, step = [], self.estimator_
            while hasattr(step, "steps"):
                path.append(step.steps[-1][0])
                step = step.steps[-1][1]
            kwargs["__".join(path + ["sample_weight"])] = sample_weight
        self.estimator_.fit(X, y, **kwargs)
        return self

    def predict(self, X):
        return self.estimator_.predict(X)
'''


def _snippet(
    constraint: str, bound_name: str, bound: float | None, attribute: str, pipeline: bool | None
) -> str:
    """Runnable code; expects ``estimator``, ``X``, ``y`` and ``sensitive`` to be defined."""
    lines = [
        f"# Retrain with the {attribute} fairness criterion inside the training loss.",
        "# Define first: estimator = an unfitted copy of your model (sklearn.base.clone(model)),",
        "# X, y = training features and labels"
        + (" (0/1, 1 = favourable)" if constraint != "BoundedGroupLoss" else "")
        + f", sensitive = each row's {attribute} group.",
    ]
    if constraint == "BoundedGroupLoss":
        lines += [
            "import numpy as np",
            "from fairlearn.reductions import AbsoluteLoss, BoundedGroupLoss, ExponentiatedGradient",
        ]
    else:
        lines.append(f"from fairlearn.reductions import {constraint}, ExponentiatedGradient")
    wrap = pipeline is None or pipeline
    if wrap:
        if pipeline is None:
            lines.append("# The wrapper is needed for Pipelines and harmless otherwise.")
        lines.append(_ROUTER_SOURCE)
    if constraint == "BoundedGroupLoss":
        bound_expr = (
            repr(round(bound, 6))
            if bound is not None
            else "float(np.mean(np.abs(np.asarray(y) - np.median(y))))"
        )
        lines += [
            "loss = AbsoluteLoss(min_val=float(np.min(y)), max_val=float(np.max(y)))",
            f"constraint = BoundedGroupLoss(loss, upper_bound={bound_expr})",
        ]
    else:
        lines.append(f"constraint = {constraint}({bound_name}={bound!r})")
    est = "RouteSampleWeight(estimator)" if wrap else "estimator"
    lines += [
        f"mitigator = ExponentiatedGradient({est}, constraints=constraint, max_iter=50)",
        "mitigator.fit(X, y, sensitive_features=sensitive)",
        "y_pred = mitigator.predict(X, random_state=0)",
    ]
    return "\n".join(lines) + "\n"


class _TimeUp(Exception):
    """The what-if's time budget ran out during a fit."""


class _RouteSampleWeight(BaseEstimator):
    """Library twin of the snippet's ``RouteSampleWeight``: sample weights to a Pipeline's end.

    ExponentiatedGradient calls ``fit(X, y, sample_weight=w)``; a Pipeline only
    accepts ``<last step>__sample_weight``.  (fairlearn's ``sample_weight_name``
    cannot be used for this: it is also passed to the DummyClassifier that
    fairlearn substitutes when a reweighted problem has a single class.)
    ``deadline`` (a ``time.perf_counter()`` value) stops the reduction
    between two of its fits once the what-if's time budget is spent.
    """

    def __init__(self, estimator: Any, deadline: float | None = None) -> None:
        self.estimator = estimator
        self.deadline = deadline

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _RouteSampleWeight:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise _TimeUp
        self.estimator_ = clone(self.estimator)
        kwargs: dict[str, Any] = {}
        if sample_weight is not None:
            path, step = [], self.estimator_
            while hasattr(step, "steps"):
                path.append(step.steps[-1][0])
                step = step.steps[-1][1]
            kwargs["__".join([*path, "sample_weight"])] = sample_weight
        self.estimator_.fit(X, y, **kwargs)
        return self

    def predict(self, X: Any) -> Any:
        return self.estimator_.predict(X)


# --------------------------------------------------------------------------- gaps


def _group_rates(
    criterion: str,
    task: str,
    y: np.ndarray,
    pred: np.ndarray,
    codes: np.ndarray,
    k: int,
    weights: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Per-group arrays whose (max - min) is the gap; NaN where a group is too small."""
    w = np.ones(len(y)) if weights is None else weights
    ones = np.ones(len(y))

    def rate(num: np.ndarray, mask: np.ndarray, need: int) -> np.ndarray:
        den = np.bincount(codes, weights=w * mask, minlength=k)
        top = np.bincount(codes, weights=w * mask * num, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = top / den
        out[den < need] = np.nan
        return out

    if task == "regression":
        num = np.abs(y - pred) if criterion == "mae" else pred
        return [rate(num, ones, _MIN_GROUP_TEST)]
    if criterion == "demographic_parity":
        return [rate(pred, ones, _MIN_GROUP_TEST)]
    tpr = rate(pred, (y == 1).astype(float), _MIN_CONDITIONAL)
    if criterion == "equal_opportunity":
        return [tpr]
    if criterion == "equalized_odds":
        return [tpr, rate(pred, (y == 0).astype(float), _MIN_CONDITIONAL)]
    return [rate((pred != y).astype(float), ones, _MIN_GROUP_TEST)]  # accuracy / error rate


def _gap(parts: list[np.ndarray], allowed: np.ndarray) -> float:
    vals = []
    for p in parts:
        q = p[allowed]
        q = q[np.isfinite(q)]
        if len(q) < 2:
            return math.nan
        vals.append(float(q.max() - q.min()))
    return max(vals)


def _performance(task: str, y: np.ndarray, pred: np.ndarray, w: np.ndarray | None) -> float:
    ww = np.ones(len(y)) if w is None else w
    if task == "regression":
        return float(np.sum(ww * np.abs(y - pred)) / np.sum(ww))
    return float(np.sum(ww * (pred == y)) / np.sum(ww))


def _measure(
    crit: str,
    task: str,
    y: np.ndarray,
    pred: np.ndarray,
    codes: np.ndarray,
    k: int,
    allowed: np.ndarray,
    boot_w: list[np.ndarray],
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Gap and performance, plus their values on each (shared, paired) bootstrap resample."""
    gap = _gap(_group_rates(crit, task, y, pred, codes, k), allowed)
    perf = _performance(task, y, pred, None)
    bg = np.empty(len(boot_w))
    bp = np.empty(len(boot_w))
    for i, w in enumerate(boot_w):
        bg[i] = _gap(_group_rates(crit, task, y, pred, codes, k, w), allowed)
        bp[i] = _performance(task, y, pred, w)
    return gap, perf, bg, bp


def _interval(point: float, boot: np.ndarray, what: str) -> Estimate:
    if not np.isfinite(point):
        return Estimate(None, reason=f"{what} undefined: fewer than two groups large enough")
    b = boot[np.isfinite(boot)]
    if len(b) < 10:
        return Estimate(point, reason="too few valid bootstrap resamples for an interval")
    lo, hi = np.percentile(b, [2.5, 97.5])
    return Estimate(point, float(lo), float(hi))


# --------------------------------------------------------------------------- main entry


def _bad_criteria(outcomes: dict[str, str]) -> list[tuple[str, str]]:
    return [(c, o) for c, o in outcomes.items() if o in _BAD_OUTCOMES]


def assess_troublemakers(
    model: ModelAdapter | None,
    X: pd.DataFrame,
    data: pd.DataFrame,
    groupings: Sequence[Grouping],
    *,
    y: np.ndarray | None,
    task: str,
    criterion_outcomes: dict[str, dict[str, str]],
    driver_shares: dict[str, dict[str, dict[str, float]]] | None,
    seed: int = 0,
    thresholds: FlagThresholds = FlagThresholds(),
    what_if: bool = True,
    what_if_seconds: float = 120.0,
    max_rows: int = 20000,
) -> Troublemakers:
    """Find proxy features that drive failing gaps and recommend fairness loss terms.

    Parameters
    ----------
    model : ModelAdapter or None
        The audited model; ``None`` in predictions-only mode (then only the
        proxy measures run and the what-if says why it cannot).
    X : pandas.DataFrame
        The model's input columns, row-aligned with ``data``.
    data : pandas.DataFrame
        All audited rows (may hold protected columns that are not model inputs).
    groupings : sequence of Grouping
        Protected attributes; intersections are used only for loss terms.
    y : numpy.ndarray or None
        True labels (0/1 for binary, floats for regression), or ``None``.
    task : {"binary", "regression"}
        The model's task.
    criterion_outcomes : dict
        ``attribute -> criterion key -> "pass" | "review" | "fail" |
        "insufficient_evidence"``.
    driver_shares : dict or None
        ``attribute -> group -> feature -> share`` of that group's gap vs the
        reference group driven by the feature; ``None`` when unavailable.
    seed : int, default 0
        Seed for subsampling, cross-validation, the split and the bootstrap.
    thresholds : FlagThresholds
        When a feature is flagged; see :class:`FlagThresholds`.
    what_if : bool, default True
        Retrain copies of the model with the recommended constraint.
    what_if_seconds : float, default 120
        Time budget of the what-if, checked before every fit.
    max_rows : int, default 20000
        Rows used (a seeded random subsample when there are more).

    Returns
    -------
    Troublemakers
        Proxy scores, recoverability, driver shares, flags, loss terms and
        the what-if.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from audit._inputs.prepared import Grouping
    >>> rng = np.random.default_rng(0)
    >>> race = rng.integers(0, 2, 400)
    >>> X = pd.DataFrame({"zip": np.where(rng.random(400) < 0.9, race, 1 - race).astype(str),
    ...                   "income": rng.normal(size=400)})
    >>> g = Grouping("race", "race", ("race",), race, ("A", "B"), 0)
    >>> tm = assess_troublemakers(
    ...     None, X, X.assign(race=race), [g], y=None, task="binary",
    ...     criterion_outcomes={"race": {"demographic_parity": "fail"}},
    ...     driver_shares={"race": {"B": {"zip": 0.8, "income": 0.1}}}, what_if=False)
    >>> [(f.feature, f.kind) for f in tm.flags]
    [('zip', 'proxy_driver')]
    >>> tm.loss_terms[0].constraint
    'DemographicParity'
    """
    if task not in ("binary", "regression"):
        raise InputError(
            f"task: expected 'binary' or 'regression', found {task!r} - pass the model's task"
        )
    if len(X) != len(data):
        raise InputError(
            f"model features: expected one row per audited row ({len(data)}), found {len(X)} "
            "- pass X built from the same rows as data"
        )
    if y is not None and len(y) != len(data):
        raise InputError(
            f"labels: expected one label per audited row ({len(data)}), found {len(y)}"
        )
    if max_rows < 50:
        raise ConfigError(f"max_rows: expected at least 50 rows, found {max_rows}")
    notes: list[str] = []
    n_all = len(data)
    rng = np.random.default_rng(seed)
    if n_all > max_rows:
        rows = np.sort(rng.choice(n_all, size=max_rows, replace=False))
        notes.append(f"proxy measures used a random sample of {max_rows} of {n_all} rows")
    else:
        rows = np.arange(n_all)
    Xs = X.iloc[rows].reset_index(drop=True)
    features = [str(c) for c in X.columns]
    singles = [g for g in groupings if g.family != "intersection"]

    # 1-2. proxy strength and recoverability
    proxies: list[ProxyScore] = []
    recover: dict[str, Recoverability] = {}
    targets: dict[str, tuple[np.ndarray, np.ndarray, tuple[str, ...]]] = {}
    bins = {f: _bin_feature(Xs[f], thresholds.n_bins) for f in features}
    from sklearn.model_selection import StratifiedKFold

    for g in singles:
        keep, target, labels, note = _usable_target(g, rows, thresholds.n_splits)
        if len(labels) < 2:
            recover[g.name] = Recoverability(
                g.name, Estimate(None, reason="fewer than two groups with enough rows"), (), 0,
                note,
            )
            continue
        targets[g.name] = (keep, target, labels)
        cv = StratifiedKFold(thresholds.n_splits, shuffle=True, random_state=seed)
        folds = list(cv.split(np.zeros(len(target)), target))
        own = set(g.columns)
        # A protected column of the same family (zip code within state) is part of the
        # same attribute, not a proxy for it: it is audited, and flagged, in its own right.
        same_family = {c for h in groupings if h.family == g.family and h.family != "other"
                       for c in h.columns}
        for f in features:
            if f in own or f in same_family:
                continue
            proxies.append(
                _proxy_score(f, bins[f][keep], g, target, labels, folds, thresholds, note)
            )
        others = [f for f in features if f not in own]
        recover[g.name] = Recoverability(
            attribute=g.name,
            auc=_recoverability(Xs.iloc[keep], others, target, len(labels), seed),
            features=tuple(others),
            n=len(target),
            note=note,
        )

    # 4. driver shares over attributes with failing / review criteria
    bad = {a: _bad_criteria(o) for a, o in criterion_outcomes.items()}
    drivers: list[DriverShare] = []
    best_driver: dict[tuple[str, str], DriverShare] = {}
    if driver_shares is not None:
        for attr, per_group in driver_shares.items():
            if not bad.get(attr):
                continue
            for group, per_feature in per_group.items():
                for feat, share in per_feature.items():
                    if share is None or not np.isfinite(share):
                        continue
                    key = (str(feat), attr)
                    cur = best_driver.get(key)
                    if cur is None or share > cur.share:
                        best_driver[key] = DriverShare(str(feat), attr, str(group), float(share))
        drivers = sorted(best_driver.values(), key=lambda d: (d.attribute, -d.share, d.feature))
    else:
        notes.append(
            "driver shares were unavailable (no SHAP disparity decomposition), so strong "
            "proxies of attributes with failing gaps are flagged as unconfirmed"
        )

    # 3 + 5. flags
    flags: list[Flag] = []
    proxy_by = {(p.feature, p.attribute): p for p in proxies}
    for g in singles:
        crits = tuple(c for c, _ in bad.get(g.name, []))
        failing = any(o == "fail" for _, o in bad.get(g.name, []))
        rec = recover.get(g.name)
        rec_auc = rec.auc.value if rec is not None else None
        for col in g.columns:
            if col not in features:
                continue
            d = best_driver.get((col, g.name))
            extra = (
                f" It drives {_share_text(d.share)} the gap between '{d.group}' and the reference "
                f"'{g.labels[g.reference]}'."
                if d is not None
                else ""
            )
            rec_text = (
                f" Removing it is not enough on its own: the other model features predict "
                f"{g.name} with AUC {rec_auc:.2f}."
                if rec_auc is not None and rec_auc >= thresholds.proxy_auc
                else ""
            )
            flags.append(
                Flag(
                    feature=col,
                    attribute=g.name,
                    kind="direct_use",
                    severity="high",
                    proxy_auc=None,
                    driver_share=d.share if d is not None else None,
                    driver_group=d.group if d is not None else None,
                    criteria=crits,
                    recoverability_without=rec_auc,
                    explanation=(
                        f"'{col}' is the protected attribute {g.name} itself and the model uses "
                        f"it as an input, so decisions can depend on {g.name} directly.{extra} "
                        "Remove it from the model's inputs, or document why the law and the use "
                        f"case allow it.{rec_text}"
                    ),
                )
            )
        if not crits:
            continue
        for f in features:
            p = proxy_by.get((f, g.name))
            if p is None or p.auc.value is None:
                continue
            d = best_driver.get((f, g.name))
            strength = p.auc.value
            if d is not None and d.group in p.by_group:
                strength = max(strength, p.by_group[d.group])
            if strength < thresholds.proxy_auc:
                continue
            if driver_shares is not None and (d is None or d.share < thresholds.driver_share):
                continue
            flags.append(
                _proxy_flag(
                    f, g, p, d, strength, crits, criterion_outcomes.get(g.name, {}), failing,
                    thresholds, driver_shares,
                )
            )

    # recoverability without each flagged proxy -> explanation
    final_flags: list[Flag] = []
    for fl in flags:
        if fl.kind == "direct_use" or fl.attribute not in targets:
            final_flags.append(fl)
            continue
        keep, target, labels = targets[fl.attribute]
        g = next(g for g in singles if g.name == fl.attribute)
        others = [f for f in features if f not in set(g.columns) and f != fl.feature]
        without = _recoverability(Xs.iloc[keep], others, target, len(labels), seed).value
        final_flags.append(
            dataclasses.replace(
                fl,
                recoverability_without=without,
                explanation=fl.explanation
                + " "
                + _drop_sentence(fl.feature, fl.attribute, without, thresholds.proxy_auc),
            )
        )
    sev_rank = {"high": 0, "medium": 1}
    final_flags.sort(key=lambda f: (sev_rank[f.severity], f.kind != "direct_use", f.attribute,
                                    -(f.driver_share or 0.0), f.feature))

    # 6. loss terms
    terms = _loss_terms(
        model, X, y, task, groupings, bad, final_flags, best_driver, thresholds, notes
    )

    # 7. what-if
    wi = _what_if(
        model=model,
        X=X,
        y=y,
        task=task,
        groupings=groupings,
        terms=terms,
        flags=final_flags,
        seed=seed,
        thresholds=thresholds,
        enabled=what_if,
        budget=what_if_seconds,
        max_rows=max_rows,
    )
    return Troublemakers(
        proxies=tuple(proxies),
        recoverability=tuple(recover[g.name] for g in singles if g.name in recover),
        drivers=tuple(drivers),
        flags=tuple(final_flags),
        loss_terms=terms,
        what_if=wi,
        thresholds=thresholds,
        n_rows=len(rows),
        seed=seed,
        notes=tuple(notes),
    )


def _proxy_flag(
    feature: str,
    g: Grouping,
    p: ProxyScore,
    d: DriverShare | None,
    strength: float,
    crits: tuple[str, ...],
    outcomes: dict[str, str],
    failing: bool,
    thr: FlagThresholds,
    driver_shares: Any,
) -> Flag:
    group_part = ""
    if d is not None and d.group in p.by_group and p.by_group[d.group] > (p.auc.value or 0):
        group_part = (
            f" and tells '{d.group}' apart from everyone else with AUC {p.by_group[d.group]:.2f}"
        )
    pairs = [(c, o) for c, o in outcomes.items() if c in crits]
    if driver_shares is None:
        return Flag(
            feature=feature,
            attribute=g.name,
            kind="proxy_unconfirmed",
            severity="medium",
            proxy_auc=strength,
            driver_share=None,
            driver_group=None,
            criteria=crits,
            recoverability_without=None,
            explanation=(
                f"'{feature}' stands in for {g.name}: on its own it predicts {g.name} with "
                f"{_auc_text(p.auc)}{group_part}. {_criteria_text(g.name, pairs)}; "
                f"whether '{feature}' drives those gaps could not be measured because the "
                "SHAP decomposition was unavailable."
            ),
        )
    assert d is not None
    high = failing and strength >= thr.high_proxy_auc and d.share >= thr.high_driver_share
    return Flag(
        feature=feature,
        attribute=g.name,
        kind="proxy_driver",
        severity="high" if high else "medium",
        proxy_auc=strength,
        driver_share=d.share,
        driver_group=d.group,
        criteria=crits,
        recoverability_without=None,
        explanation=(
            f"'{feature}' stands in for {g.name}: on its own it predicts {g.name} with "
            f"{_auc_text(p.auc)}{group_part}, and it drives {_share_text(d.share)} "
            f"the gap between '{d.group}' and the reference '{g.labels[g.reference]}'. "
            f"{_criteria_text(g.name, pairs)}."
        ),
    )


def _loss_terms(
    model: ModelAdapter | None,
    X: pd.DataFrame,
    y: np.ndarray | None,
    task: str,
    groupings: Sequence[Grouping],
    bad: dict[str, list[tuple[str, str]]],
    flags: list[Flag],
    best_driver: dict[tuple[str, str], DriverShare],
    thr: FlagThresholds,
    notes: list[str],
) -> tuple[LossTerm, ...]:
    by_name = {g.name: g for g in groupings}
    pipeline = None if model is None else hasattr(model.estimator, "steps")
    regression_bound: float | None = None
    if task == "regression" and model is not None and y is not None and any(bad.values()):
        # Suggested worst-group error: the model's current overall mean absolute error,
        # i.e. "no group worse off than the average applicant today".
        try:
            regression_bound = float(np.mean(np.abs(np.asarray(y, float) - model.predict(X))))
        except Exception as exc:
            notes.append(f"could not compute the suggested upper_bound: {type(exc).__name__}")
    out: list[tuple[int, int, LossTerm]] = []
    for attr, crits in bad.items():
        g = by_name.get(attr)
        if g is None:
            continue
        for crit, outcome in crits:
            if crit not in _CONSTRAINTS:
                if crit in _NO_CONSTRAINT:
                    notes.append(f"{attr}: {crit} {outcome}s; no loss term - {_NO_CONSTRAINT[crit]}")
                continue
            if (task == "regression") != (crit in ("mean_prediction", "mae")):
                continue
            constraint, what = _CONSTRAINTS[crit]
            feats = [f.feature for f in flags if f.attribute == attr]
            if not feats:
                feats = [
                    d.feature
                    for (feat, a), d in sorted(best_driver.items(), key=lambda kv: -kv[1].share)
                    if a == attr and d.share >= thr.driver_share
                ]
            if constraint == "BoundedGroupLoss":
                bound_name, bound, loss = "upper_bound", regression_bound, "AbsoluteLoss"
                rationale = (
                    f"{attr}: {crit} {'fails' if outcome == 'fail' else 'needs review'}. "
                    "Train with BoundedGroupLoss(AbsoluteLoss): the optimiser keeps every "
                    f"{attr} group's mean absolute error below "
                    + (f"{bound:.4g} (today's overall error)" if bound is not None
                       else "the upper bound")
                    + ". It bounds the worst group's error; it does not equalise average "
                    "predictions, so re-check the average-prediction gap afterwards."
                )
            else:
                bound_name, bound, loss = "difference_bound", thr.difference_bound, None
                rationale = (
                    f"{attr}: {crit} {'fails' if outcome == 'fail' else 'needs review'}. "
                    f"Train with {constraint}(difference_bound={bound}): the optimiser "
                    f"penalises any difference in {what} between {attr} groups above {bound}, "
                    "so the model cannot lean on "
                    + (", ".join(f"'{f}'" for f in feats) if feats else "any feature")
                    + f" to treat {attr} groups differently."
                )
            term = LossTerm(
                constraint=constraint,
                criterion=crit,
                outcome=outcome,
                attribute=attr,
                sensitive_columns=tuple(g.columns),
                bound_name=bound_name,
                bound=bound,
                loss=loss,
                features=tuple(feats),
                rationale=rationale,
                snippet=_snippet(constraint, bound_name, bound, attr, pipeline),
            )
            out.append((0 if outcome == "fail" else 1, 0 if feats else 1, term))
    out.sort(key=lambda t: (t[0], t[1]))  # stable: keeps attribute and criterion order
    return tuple(t for _, _, t in out)


# --------------------------------------------------------------------------- what-if


def _make_moment(term: LossTerm, y: np.ndarray) -> Any:
    import fairlearn.reductions as red

    if term.constraint == "BoundedGroupLoss":
        loss = red.AbsoluteLoss(min_val=float(np.min(y)), max_val=float(np.max(y)))
        return red.BoundedGroupLoss(loss, upper_bound=term.bound)
    return getattr(red, term.constraint)(difference_bound=term.bound)


def _accepts_sample_weight(estimator: Any) -> bool:
    from sklearn.utils.validation import has_fit_parameter

    from .._inputs.model import final_estimator

    try:
        return bool(has_fit_parameter(final_estimator(estimator), "sample_weight"))
    except Exception:
        return False


def _err(exc: BaseException) -> str:
    """``TypeName: first line of the message`` (shortened)."""
    text = str(exc).strip()
    first = text.splitlines()[0][:200] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _fit_quietly(seen: list[str], fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; warnings it raises are collected in ``seen`` instead of propagating."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, FutureWarning)) or (
            w.category.__module__.startswith("pandas")
        ):
            continue  # library-internal deprecations say nothing about the model
        msg = f"{w.category.__name__}: {str(w.message).splitlines()[0][:160]}"
        if msg not in seen:
            seen.append(msg)
    return out


def _what_if(**kwargs: Any) -> WhatIf:
    """Run :func:`_what_if_inner` with one BLAS thread.

    The what-if makes many small fits; multi-threaded BLAS makes each of them
    several times slower on a busy machine (measured: 0.16 s vs 0.013 s for a
    LogisticRegression pipeline on 300 rows).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _what_if_inner(**kwargs)


def _what_if_inner(
    *,
    model: ModelAdapter | None,
    X: pd.DataFrame,
    y: np.ndarray | None,
    task: str,
    groupings: Sequence[Grouping],
    terms: tuple[LossTerm, ...],
    flags: list[Flag],
    seed: int,
    thresholds: FlagThresholds,
    enabled: bool,
    budget: float,
    max_rows: int,
) -> WhatIf:
    drop_method = (
        "a dropped feature's column is replaced by its most frequent training value in both "
        "parts, so the model's inputs keep their shape while the feature carries no information"
    )
    if not enabled:
        return WhatIf("skipped", "the what-if was switched off (what_if=False)")
    if budget <= 0:
        return WhatIf("skipped", f"the what-if has no time budget (what_if_seconds={budget})")
    if model is None:
        return WhatIf(
            "not_possible",
            "no model was given (predictions-only mode): the what-if needs to retrain the model",
        )
    if y is None:
        return WhatIf(
            "not_possible",
            "the data has no labels: retraining under a fairness constraint needs the true "
            "outcomes",
        )
    if not terms:
        return WhatIf(
            "not_needed",
            "no criterion with a matching fairlearn constraint fails or needs review",
        )
    from sklearn.base import clone

    try:
        base = clone(model.estimator)
    except Exception as exc:
        return WhatIf(
            "not_possible",
            f"the model cannot be copied for retraining (sklearn.base.clone failed: "
            f"{_err(exc)})",
        )
    try:
        import fairlearn.reductions  # noqa: F401
    except Exception as exc:
        return WhatIf("not_possible", f"fairlearn could not be imported ({type(exc).__name__})")

    t_start = time.perf_counter()
    rng = np.random.default_rng([seed, 7])
    notes: list[str] = []
    seen_warnings: list[str] = []
    n = len(X)
    limit = min(max_rows, _WHAT_IF_MAX_ROWS)
    rows = np.sort(rng.choice(n, size=limit, replace=False)) if n > limit else np.arange(n)
    if n > limit:
        notes.append(f"the what-if used a random sample of {limit} of {n} rows")
    by_name = {g.name: g for g in groupings}

    # one experiment per attribute, in the loss terms' priority order
    chosen: list[LossTerm] = []
    for lt in terms:
        if lt.attribute in by_name and all(c.attribute != lt.attribute for c in chosen):
            chosen.append(lt)
    # failing criteria first, then the classic families before geography and the rest
    family_rank = {"race": 0, "gender": 1, "age": 2, "geography": 3}
    chosen.sort(key=lambda lt: (lt.outcome != "fail",
                                family_rank.get(by_name[lt.attribute].family, 4)))
    if len(chosen) > _MAX_EXPERIMENTS:
        notes.append(f"only the first {_MAX_EXPERIMENTS} attributes were tried")
        chosen = chosen[:_MAX_EXPERIMENTS]

    from sklearn.model_selection import train_test_split

    yv = np.asarray(y)[rows]
    strat: np.ndarray | None = None
    if task == "binary":
        first = by_name[chosen[0].attribute].codes[rows]
        combo = yv.astype(np.int64) * (int(first.max()) + 1) + first
        _, cnt = np.unique(combo, return_counts=True)
        strat = combo if cnt.min() >= 2 else yv
        if np.unique(strat, return_counts=True)[1].min() < 2:
            strat = None
    try:
        tr, te = train_test_split(
            np.arange(len(rows)), test_size=_WHAT_IF_TEST_SIZE, random_state=seed, stratify=strat
        )
    except ValueError as exc:
        return WhatIf("not_possible", f"the data could not be split for the what-if: {exc}")
    tr, te = np.sort(tr), np.sort(te)
    Xr = X.iloc[rows].reset_index(drop=True)
    X_tr, X_te = Xr.iloc[tr].reset_index(drop=True), Xr.iloc[te].reset_index(drop=True)
    y_tr, y_te = yv[tr], yv[te]
    if task == "binary":
        y_tr, y_te = y_tr.astype(np.int64), y_te.astype(np.int64)
    else:
        y_tr, y_te = y_tr.astype(float), y_te.astype(float)
    perf_name = "accuracy" if task == "binary" else "mean absolute error"
    boot_w = [
        np.bincount(rng.integers(0, len(te), len(te)), minlength=len(te)).astype(float)
        for _ in range(thresholds.n_boot)
    ]

    def predict(est: Any, Xt: pd.DataFrame, randomized: bool) -> np.ndarray:
        out = est.predict(Xt, random_state=seed) if randomized else est.predict(Xt)
        out = np.asarray(out).ravel()
        return out.astype(np.int64) if task == "binary" else out.astype(float)

    def remaining() -> float:
        return budget - (time.perf_counter() - t_start)

    # baseline
    t = time.perf_counter()
    try:
        fitted = _fit_quietly(seen_warnings, clone(base).fit, X_tr, y_tr)
        base_pred = predict(fitted, X_te, False)
    except Exception as exc:
        return WhatIf(
            "failed",
            f"retraining a copy of the model failed: {_err(exc)}",
            perf_name, len(tr), len(te), drop_method,
        )
    base_secs = time.perf_counter() - t
    preds: dict[str, tuple[np.ndarray | None, float | None, str | None]] = {
        "baseline": (base_pred, base_secs, None)
    }
    incomplete = False

    # constrained fits
    from fairlearn.reductions import ExponentiatedGradient

    weights_ok = _accepts_sample_weight(model.estimator)
    for term in chosen:
        key = f"constrained:{term.attribute}:{term.criterion}"
        if not weights_ok:
            preds[key] = (
                None,
                None,
                "the model's fit() does not accept sample_weight, which ExponentiatedGradient needs",
            )
            incomplete = True
            continue
        # Each iteration of the reduction is about one fit; fewer iterations when time is short.
        max_iter = int(min(_EG_MAX_ITER, remaining() / max(base_secs, 1e-3) / 1.5))
        if max_iter < _EG_MIN_ITER:
            preds[key] = (
                None,
                None,
                (
                    f"time cap of {budget:.0f} s reached: {remaining():.0f} s left, too little "
                    f"for {_EG_MIN_ITER} fits of about {base_secs:.1f} s each"
                ),
            )
            incomplete = True
            continue
        g_attr = by_name[term.attribute]
        sens_tr = np.asarray(g_attr.labels, dtype=object)[g_attr.codes[rows][tr]]
        est = _RouteSampleWeight(clone(base), deadline=t_start + budget)
        mitigator = ExponentiatedGradient(
            est, constraints=_make_moment(term, y_tr), max_iter=max_iter
        )
        t = time.perf_counter()
        try:
            _fit_quietly(seen_warnings, mitigator.fit, X_tr, y_tr, sensitive_features=sens_tr)
            pred = _fit_quietly(seen_warnings, predict, mitigator, X_te, True)
            preds[key] = (pred, time.perf_counter() - t, None)
            if max_iter < _EG_MAX_ITER:
                notes.append(
                    f"{term.constraint} on {term.attribute}: the reduction was limited to "
                    f"{max_iter} iterations to stay within the time cap"
                )
        except _TimeUp:
            preds[key] = (
                None,
                time.perf_counter() - t,
                f"time cap of {budget:.0f} s hit while retraining with {term.constraint}",
            )
            incomplete = True
        except Exception as exc:
            preds[key] = (
                None,
                time.perf_counter() - t,
                f"fairlearn ExponentiatedGradient failed: {_err(exc)}",
            )
            incomplete = True

    # dropped-feature fits
    chosen_attrs = {c.attribute for c in chosen}
    drop_feats: list[str] = []
    for fl in flags:
        if fl.attribute in chosen_attrs and fl.feature in X.columns and fl.feature not in drop_feats:
            drop_feats.append(fl.feature)
    for feat in drop_feats:
        key = f"drop:{feat}"
        if remaining() < 1.5 * base_secs:
            preds[key] = (None, None, f"time cap of {budget:.0f} s reached before this fit")
            incomplete = True
            continue
        col = X_tr[feat]
        mode = col.mode(dropna=True)
        const = mode.iloc[0] if len(mode) else col.iloc[0]
        Xd_tr = X_tr.copy()
        Xd_te = X_te.copy()
        Xd_tr[feat] = pd.Series([const] * len(Xd_tr), dtype=col.dtype)
        Xd_te[feat] = pd.Series([const] * len(Xd_te), dtype=col.dtype)
        t = time.perf_counter()
        try:
            m = _fit_quietly(seen_warnings, clone(base).fit, Xd_tr, y_tr)
            preds[key] = (predict(m, Xd_te, False), time.perf_counter() - t, None)
        except Exception as exc:
            preds[key] = (
                None, time.perf_counter() - t, f"retraining without '{feat}' failed: {_err(exc)}"
            )
            incomplete = True

    # measure
    experiments: list[WhatIfExperiment] = []
    for term in chosen:
        g = by_name[term.attribute]
        codes = g.codes[rows][te]
        k = len(g.labels)
        sizes = np.bincount(codes, minlength=k)
        # 'unknown' is trained on as a group but is not a demographic group to compare
        allowed = (sizes >= _MIN_GROUP_TEST) & (np.asarray(g.labels, dtype=object) != _UNKNOWN)
        crit = term.criterion

        stats: dict[str, tuple[float, float, np.ndarray, np.ndarray]] = {}
        for key, (pred, _, _) in preds.items():
            if pred is not None:
                stats[key] = _measure(crit, task, y_te, pred, codes, k, allowed, boot_w)
        runs: list[WhatIfRun] = []
        wanted = ["baseline", f"constrained:{term.attribute}:{term.criterion}"] + [
            f"drop:{fl.feature}" for fl in flags if fl.attribute == term.attribute
        ]
        for key in dict.fromkeys(wanted):
            if key not in preds:
                continue
            pred, secs, why = preds[key]
            kind: Literal["baseline", "constrained", "drop_feature"]
            run_feature: str | None
            if key == "baseline":
                kind, label, run_feature = "baseline", "retrained as is", None
            elif key.startswith("constrained:"):
                kind, run_feature = "constrained", None
                label = (f"retrained with {term.constraint}"
                         + (f"({term.bound_name}={term.bound:.4g})" if term.bound is not None
                            else ""))
            else:
                kind, run_feature = "drop_feature", key.split(":", 1)[1]
                label = f"retrained without '{run_feature}'"
            if pred is None or key not in stats:
                runs.append(WhatIfRun(label, kind, "failed" if secs is not None else "skipped",
                                      run_feature, reason=why))
                continue
            gp, pf, bg, bp = stats[key]
            b_gp, b_pf, b_bg, b_bp = stats["baseline"]
            runs.append(
                WhatIfRun(
                    label=label,
                    kind=kind,
                    status="ok",
                    feature=run_feature,
                    performance=_interval(pf, bp, perf_name),
                    gap=_interval(gp, bg, "the gap"),
                    gap_change=(_interval(gp - b_gp, bg - b_bg, "the gap change")
                                if kind != "baseline" else Estimate(None, reason="baseline")),
                    performance_change=(_interval(pf - b_pf, bp - b_bp, perf_name)
                                        if kind != "baseline" else Estimate(None,
                                                                            reason="baseline")),
                )
            )
        experiments.append(
            WhatIfExperiment(
                constraint=term.constraint,
                criterion=crit,
                attribute=term.attribute,
                gap_metric=f"difference in {_CONSTRAINTS[crit][1]} between {term.attribute} "
                "groups (largest minus smallest)",
                groups_compared=tuple(lab for lab, a in zip(g.labels, allowed) if a),
                runs=tuple(runs),
            )
        )
    notes.insert(
        0,
        f"copies of the model were retrained on {len(tr)} rows and measured on the other "
        f"{len(te)} held-out rows; numbers describe those copies, not the audited model",
    )
    notes += [f"warning during retraining: {w}" for w in seen_warnings[:5]]
    return WhatIf(
        status="partial" if incomplete else "ran",
        reason="some runs were skipped or failed; see each run's reason" if incomplete else None,
        performance_metric=perf_name,
        n_train=len(tr),
        n_test=len(te),
        drop_method=drop_method,
        experiments=tuple(experiments),
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- config


def loss_config(tm: Troublemakers) -> dict[str, Any]:
    """The JSON-safe content of ``--emit-loss-config loss.json``.

    Parameters
    ----------
    tm : Troublemakers
        Output of :func:`assess_troublemakers`.

    Returns
    -------
    dict
        ``{"version": 1, "library": "fairlearn", "method": "ExponentiatedGradient",
        "terms": [...], "flags": [...], "thresholds": {...}}``; each term holds the
        constraint name, criterion, attribute, sensitive columns, bound, loss,
        features and a runnable snippet.
    """
    return {
        "version": LOSS_CONFIG_VERSION,
        "library": "fairlearn",
        "method": "ExponentiatedGradient",
        "placeholders": {
            "estimator": "an unfitted copy of the model, e.g. sklearn.base.clone(model)",
            "X": "training features",
            "y": "training labels (0/1 for classifiers, 1 = favourable outcome)",
            "sensitive": "each training row's group for the term's attribute",
        },
        "terms": [to_jsonable(t) for t in tm.loss_terms],
        "flags": [
            {
                "feature": f.feature,
                "attribute": f.attribute,
                "kind": f.kind,
                "severity": f.severity,
                "proxy_auc": to_jsonable(f.proxy_auc),
                "driver_share": to_jsonable(f.driver_share),
            }
            for f in tm.flags
        ],
        "thresholds": to_jsonable(tm.thresholds),
    }
