"""Proxy strength of each model feature for each protected attribute, and recoverability.

Proxy strength
    Cross-validated ROC AUC of a one-feature histogram classifier: numeric
    features are cut into quantile bins (missing values get their own bin),
    categorical features keep their most frequent categories; within each
    training fold the class frequencies per bin (smoothed towards the overall
    frequencies, i.e. target encoding) are the predicted probabilities.  For
    attributes with more than two groups the AUC is one-vs-rest, macro
    averaged; the per-group one-vs-rest AUCs are kept too.  The interval is a
    t-interval over the folds.  Rows whose attribute is unknown are left out.
    Normalised mutual information (arithmetic normalisation) between the
    binned feature and the attribute is reported alongside.
Recoverability
    Cross-validated AUC of a small histogram gradient-boosting classifier that
    predicts the attribute from all model features except the attribute's own
    columns.  For each flagged proxy it is measured again without that proxy
    (:func:`recoverability_without`): that is the number behind "dropping it
    would not help".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._inputs.groups import UNKNOWN
from .._inputs.prepared import Grouping
from .._result.tables import Estimate
from .._result.troublemakers import FlagThresholds, ProxyScore, Recoverability
from .._words import troublemakers as words

_MAX_CATEGORIES = 250  # categories kept per feature (the rest pooled); HGB allows < 255
_SMOOTHING = 10.0  # pseudo-rows pulling a bin's class frequencies to the overall ones
_RECOVER_SPLITS = 3


# --------------------------------------------------------------------------- encoding


def _is_numeric(s: pd.Series) -> bool:
    """Numeric and not boolean."""
    return bool(pd.api.types.is_numeric_dtype(s.dtype)) and not pd.api.types.is_bool_dtype(
        s.dtype
    )


def _as_float(s: pd.Series) -> np.ndarray:
    """Floats of a numeric or datetime column (missing -> NaN)."""
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
    """Mean of the fold scores with a 95% t-interval."""
    vals = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if len(vals) == 0:
        return Estimate(None, reason=words.NO_FOLD)
    mean = float(vals.mean())
    if len(vals) < 2:
        return Estimate(mean, reason=words.ONE_FOLD)
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
        [lab != UNKNOWN and counts[i] >= 2 * n_splits for i, lab in enumerate(labels)],
        dtype=bool,
    )
    left_out = [
        lab for i, lab in enumerate(labels) if lab != UNKNOWN and counts[i] and not ok[i]
    ]
    note = words.small_groups_note(left_out) if left_out else None
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
    """Cross-validated AUC and NMI of one binned feature against one attribute."""
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
    """Cross-validated AUC of a small gradient-boosting model predicting the attribute."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    if not columns:
        return Estimate(None, reason=words.NO_OTHER_FEATURES)
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



# --------------------------------------------------------------------------- the step


@dataclass(frozen=True)
class Sample:
    """The rows the proxy measures use, and the model features on them."""

    rows: np.ndarray  # positions into the audited rows
    X: pd.DataFrame  # the model features of those rows, index reset
    features: list[str]


@dataclass(frozen=True)
class Target:
    """One attribute as a classification target: kept rows, dense codes, their labels."""

    keep: np.ndarray  # positions into Sample.rows
    codes: np.ndarray
    labels: tuple[str, ...]


@dataclass
class ProxyMeasures:
    """Proxy scores and recoverability, plus each measured attribute's target."""

    proxies: list[ProxyScore] = field(default_factory=list)
    recover: dict[str, Recoverability] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)


def measure_proxies(
    sample: Sample, groupings: Sequence[Grouping], thresholds: FlagThresholds, seed: int
) -> ProxyMeasures:
    """Proxy strength of every feature for every (non-intersection) attribute; recoverability."""
    out = ProxyMeasures()
    bins = {f: _bin_feature(sample.X[f], thresholds.n_bins) for f in sample.features}
    for g in groupings:
        if g.family != "intersection":
            _measure_attribute(out, sample, bins, g, groupings, thresholds, seed)
    return out


def _measure_attribute(
    out: ProxyMeasures,
    sample: Sample,
    bins: dict[str, np.ndarray],
    g: Grouping,
    groupings: Sequence[Grouping],
    thresholds: FlagThresholds,
    seed: int,
) -> None:
    """Add one attribute's proxy scores, recoverability and target to ``out``."""
    from sklearn.model_selection import StratifiedKFold

    keep, target, labels, note = _usable_target(g, sample.rows, thresholds.n_splits)
    if len(labels) < 2:
        out.recover[g.name] = Recoverability(
            g.name, Estimate(None, reason=words.TOO_FEW_GROUPS), (), 0, note
        )
        return
    out.targets[g.name] = Target(keep, target, labels)
    cv = StratifiedKFold(thresholds.n_splits, shuffle=True, random_state=seed)
    folds = list(cv.split(np.zeros(len(target)), target))
    own = set(g.columns)
    # A protected column of the same family (zip code within state) is part of the
    # same attribute, not a proxy for it: it is audited, and flagged, in its own right.
    same_family = {c for h in groupings if h.family == g.family and h.family != "other"
                   for c in h.columns}
    for f in sample.features:
        if f not in own and f not in same_family:
            out.proxies.append(
                _proxy_score(f, bins[f][keep], g, target, labels, folds, thresholds, note)
            )
    others = [f for f in sample.features if f not in own]
    out.recover[g.name] = Recoverability(
        attribute=g.name,
        auc=_recoverability(sample.X.iloc[keep], others, target, len(labels), seed),
        features=tuple(others),
        n=len(target),
        note=note,
    )


def recoverability_without(
    sample: Sample, target: Target, own_columns: Sequence[str], feature: str, seed: int
) -> float | None:
    """AUC of the other model features (not the attribute's own, not ``feature``)."""
    others = [f for f in sample.features if f not in set(own_columns) and f != feature]
    return _recoverability(
        sample.X.iloc[target.keep], others, target.codes, len(target.labels), seed
    ).value
