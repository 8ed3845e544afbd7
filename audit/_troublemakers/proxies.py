"""Proxy strength of each model feature for each protected attribute, and recoverability.

Proxy strength (``words.PROXY_STRENGTH_DEFINITION``)
    Held-out ROC AUC of the optimal one-feature classifier, from sufficient
    statistics: numeric features are cut into ``n_bins`` quantile bins
    (fewer distinct values: one bin each; missing values get their own bin),
    categorical features keep their 250 most frequent categories (the rest
    pooled).  One pass over the rows counts fold x bin x group; for each
    fold, bins are ranked by each group's rate in the *other* folds
    (smoothed towards the overall rate: target encoding) - the ranking that
    maximises AUC for that group against the rest - and the AUC of that
    ranking is read off the held-out fold's counts (ties count one half).
    The cross-fitting is what keeps a high-cardinality noise feature near
    0.5: an in-sample optimal ranking of 500 random categories would reach
    an AUC well above chance.  For attributes with more than two groups the
    AUC is one-vs-rest, macro averaged; the per-group AUCs are kept too, and
    the proxy rule uses the larger of the two (``proxy_strength``).
    The interval is a t-interval over the folds.  Rows whose attribute is
    unknown are left out.  Normalised mutual information (arithmetic
    normalisation) of the bin x group table is reported alongside.  These
    are the numbers the former per-row computation gave (to rounding), at
    the cost of a ``np.bincount`` per feature instead of sorting every fold.
Recoverability (``words.RECOVERABILITY_DEFINITION``)
    Cross-validated AUC of a small histogram gradient-boosting classifier that
    predicts the attribute from all model features except the attribute's own
    columns, on at most ``RECOVER_MAX_ROWS`` rows (stratified by group) with
    at most ``_RECOVER_MAX_TREES`` trees per fold, stopping early once a held-out
    15% of the training fold stops improving (``_RECOVER_NO_CHANGE`` iterations):
    a fixed cost for attributes the features do not reveal.  For each flagged proxy it
    is measured again without that proxy (:func:`recoverability_without`):
    that is the number behind "dropping it would not help".
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._inputs.groups import UNKNOWN
from .._inputs.prepared import Grouping
from .._result.tables import Estimate
from .._result.troublemakers import FlagThresholds, ProxyScore, Recoverability, proxy_strength
from .._words import troublemakers as words

_MAX_CATEGORIES = 250  # categories kept per feature (the rest pooled); HGB allows < 255
_SMOOTHING = 10.0  # pseudo-rows pulling a bin's class frequencies to the overall ones
_RECOVER_SPLITS = 3
#: Rows the recoverability fits use at most (a seeded sample stratified by group).
RECOVER_MAX_ROWS = 10000
#: Trees per fold of a recoverability fit at most: boosting grows one tree per group and
#: iteration, so an attribute with many groups (50 states) gets fewer iterations.
_RECOVER_MAX_TREES = 300
_RECOVER_ITERATIONS = (10, 40)  # fewest and most boosting iterations
_RECOVER_LEARNING_RATE = 0.15
#: Early stopping: a seeded, stratified share of each training fold is held out and the
#: boosting stops when its log-loss has not improved for this many iterations.  An
#: attribute the features do not reveal stops after a handful of iterations (at 100k
#: rows the recoverability fits took 4.9-9.5 s with a fixed 40 iterations and 50 trees
#: per iteration for 50 states; with early stopping 1/4 of that); one they do reveal
#: keeps learning up to the cap, so the AUCs that decide flags are not cut short.
_RECOVER_VALIDATION = 0.15
_RECOVER_NO_CHANGE = 3


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
    """One-vs-rest AUC per class (binary: both entries equal the usual AUC).

    From the average ranks of each class's scores (the Mann-Whitney form; ties count one
    half): the same number as ``roc_auc_score`` without its per-call checks, which cost
    more than the ranking itself with 50 groups.
    """
    from scipy.stats import rankdata

    out = np.full(n_classes, np.nan)
    counts = np.bincount(target, minlength=n_classes)
    n = len(target)
    for k in range(n_classes):
        n_pos = int(counts[k])
        if 0 < n_pos < n:
            ranks = rankdata(proba[:, k])
            out[k] = (float(ranks[target == k].sum()) - n_pos * (n_pos + 1) / 2) / (
                n_pos * (n - n_pos))
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


def _fold_tables(
    bins: np.ndarray, target: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]], k: int
) -> np.ndarray:
    """Counts per fold x bin x group: one pass over the rows (the sufficient statistics)."""
    fold_id = np.empty(len(target), dtype=np.int64)
    for i, (_, test) in enumerate(folds):
        fold_id[test] = i
    n_bins = int(bins.max()) + 1 if len(bins) else 1
    flat = (fold_id * n_bins + bins) * k + target
    return np.bincount(flat, minlength=len(folds) * n_bins * k).reshape(len(folds), n_bins, k)


def _auc_from_counts(score: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC AUC of per-bin scores from per-bin positive and negative counts (ties count 1/2).

    Equal to ``roc_auc_score`` on the rows the counts describe; NaN without both classes.
    """
    n_pos, n_neg = float(pos.sum()), float(neg.sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    seen = (pos + neg) > 0
    _, tie = np.unique(score[seen], return_inverse=True)  # ascending scores, ties merged
    p = np.bincount(tie, weights=pos[seen])
    n = np.bincount(tie, weights=neg[seen])
    below = np.cumsum(n) - n
    return float(np.sum(p * (below + 0.5 * n)) / (n_pos * n_neg))


def _nmi_from_counts(table: np.ndarray) -> float:
    """Arithmetic-normalised mutual information of a group x bin contingency table.

    The same arithmetic as scikit-learn's ``normalized_mutual_info_score`` on the rows.
    """
    from sklearn.metrics import mutual_info_score

    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] == table.shape[1] == 1 or table.size == 0:
        return 1.0
    mi = mutual_info_score(None, None, contingency=table)
    if mi == 0:
        return 0.0

    def entropy(pi: np.ndarray) -> float:
        if pi.size == 1:
            return 0.0
        pi = pi.astype(float)
        total = pi.sum()
        return float(-np.sum((pi / total) * (np.log(pi) - math.log(total))))

    normalizer = max(float(np.mean([entropy(table.sum(axis=1)), entropy(table.sum(axis=0))])),
                     float(np.finfo("float64").eps))
    return float(mi / normalizer)


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
    """Held-out AUC of the optimal one-feature classifier, and NMI, from bin x group counts.

    For each fold the bins are ranked by each group's (smoothed) rate in the other
    folds - the ranking that maximises AUC - and the AUC is read off the held-out
    fold's counts: no model fit, no pass over the rows but one.
    """
    k = len(labels)
    tables = _fold_tables(bins, target, folds, k)
    total = tables.sum(axis=0)
    fold_macro: list[float] = []
    fold_groups: list[np.ndarray] = []
    for test in tables:
        train = (total - test).astype(float)
        prior = train.sum(axis=0) / train.sum()
        proba = (train + _SMOOTHING * prior) / (train.sum(axis=1, keepdims=True) + _SMOOTHING)
        rows = test.sum(axis=1)
        aucs = np.array([_auc_from_counts(proba[:, j], test[:, j], rows - test[:, j])
                         for j in range(k)])
        fold_groups.append(aucs)
        fold_macro.append(float(aucs[1]) if k == 2 else float(np.nanmean(aucs)))
    auc = _t_interval(fold_macro)
    groups = np.nanmean(np.vstack(fold_groups), axis=0) if fold_groups else np.full(k, np.nan)
    by_group = {lab: float(v) for lab, v in zip(labels, groups) if np.isfinite(v)}
    nmi = _nmi_from_counts(total.T) if len(target) else None
    strength, strength_group = proxy_strength(auc.value, by_group)
    strong = strength is not None and strength >= thresholds.proxy_auc
    return ProxyScore(
        feature=feature,
        attribute=grouping.name,
        auc=auc,
        nmi=nmi,
        by_group=by_group,
        n=len(target),
        strong=strong,
        note=note,
        strength=strength,
        strength_group=strength_group,
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


def _recover_iterations(n_classes: int) -> int:
    """Boosting iterations: 40, fewer when the trees per fold would pass the cap, at least 10."""
    trees_per_iteration = 1 if n_classes <= 2 else n_classes
    lo, hi = _RECOVER_ITERATIONS
    return int(min(hi, max(lo, _RECOVER_MAX_TREES // trees_per_iteration)))


def _can_stop_early(target: np.ndarray) -> bool:
    """Early stopping needs a stratified validation split: every group twice in the fold,
    and at least one row of each group's share in the held-out part."""
    counts = np.bincount(target)
    present = counts[counts > 0]
    return bool(len(present) >= 2 and present.min() >= 2
                and math.floor(_RECOVER_VALIDATION * len(target)) >= len(present))


def _recover_rows(target: np.ndarray, seed: int) -> np.ndarray:
    """All rows, or ``RECOVER_MAX_ROWS`` of them drawn per group in proportion (seeded)."""
    n = len(target)
    if n <= RECOVER_MAX_ROWS:
        return np.arange(n)
    from sklearn.model_selection import train_test_split

    strat = target if np.bincount(target).min(initial=n) >= 2 else None
    try:
        rows, _ = train_test_split(np.arange(n), train_size=RECOVER_MAX_ROWS,
                                   random_state=seed, stratify=strat)
    except ValueError:  # a group too small to stratify on
        rows = np.random.default_rng(seed).choice(n, RECOVER_MAX_ROWS, replace=False)
    return np.sort(rows)


def _recoverability(
    X: pd.DataFrame,
    columns: Sequence[str],
    target: np.ndarray,
    n_classes: int,
    seed: int,
    deadline: tuple[float, float] | None = None,
    per_group: list[np.ndarray] | None = None,
) -> Estimate:
    """Cross-validated AUC of a small gradient-boosting model predicting the attribute.

    ``per_group``, when given, receives each fold's one-vs-rest AUC per group.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    if not columns:
        return Estimate(None, reason=words.NO_OTHER_FEATURES)
    rows = _recover_rows(target, seed)
    X, target = X.iloc[rows], target[rows]
    mat, cat = _feature_matrix(X, columns)
    cv = StratifiedKFold(_RECOVER_SPLITS, shuffle=True, random_state=seed)
    scores: list[float] = []
    # One thread: HistGradientBoosting's OpenMP threads slow down badly on busy machines.
    with threadpool_limits(1):
        for train, test in cv.split(mat, target):
            if deadline is not None and time.perf_counter() >= deadline[0]:
                return Estimate(None, reason=words.recover_over_budget(deadline[1]))
            clf = HistGradientBoostingClassifier(
                max_iter=_recover_iterations(n_classes),
                learning_rate=_RECOVER_LEARNING_RATE,
                max_leaf_nodes=15,
                early_stopping=_can_stop_early(target[train]),
                validation_fraction=_RECOVER_VALIDATION,
                n_iter_no_change=_RECOVER_NO_CHANGE,
                categorical_features=cat if cat.any() else None,
                random_state=seed,
            )
            clf.fit(mat[train], target[train])
            proba = clf.predict_proba(mat[test])
            aucs = _ovr_aucs(target[test], proba, n_classes)
            scores.append(float(aucs[1]) if n_classes == 2 else float(np.nanmean(aucs)))
            if per_group is not None:
                per_group.append(aucs)
    return _t_interval(scores)



# --------------------------------------------------------------------------- the step


@dataclass(frozen=True)
class Sample:
    """The rows the proxy measures use, and the model features on them."""

    rows: np.ndarray  # positions into the audited rows
    X: pd.DataFrame  # the model features of those rows, index reset
    features: list[str]
    #: The proxy search's deadline (``time.perf_counter()``) and its seconds, when
    #: ``--budget`` gives it one: recoverability fits (each bounded by RECOVER_MAX_ROWS and
    #: _RECOVER_MAX_TREES) are not started after it, and say so.
    deadline: tuple[float, float] | None = None


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
    auc, strength = _reveal(sample.X.iloc[keep], others, target, labels, seed, sample.deadline)
    out.recover[g.name] = Recoverability(
        attribute=g.name, auc=auc, features=tuple(others), n=len(target), note=note,
        strength=strength,
    )


def recoverability_without(
    sample: Sample, target: Target, own_columns: Sequence[str], feature: str, seed: int
) -> float | None:
    """How well the other model features (not the attribute's own, not ``feature``) reveal it.

    Measured by the proxy rule (``proxy_strength``): the larger of their macro AUC and
    their best group's one-vs-rest AUC, so that "the others reveal little" means they
    pick out no group either -- the same test that made ``feature`` a proxy.
    """
    others = [f for f in sample.features if f not in set(own_columns) and f != feature]
    return _reveal(sample.X.iloc[target.keep], others, target.codes, target.labels, seed,
                   sample.deadline)[1]


def _reveal(X: pd.DataFrame, columns: Sequence[str], codes: np.ndarray,
            labels: tuple[str, ...], seed: int, deadline: tuple[float, float] | None
            ) -> tuple[Estimate, float | None]:
    """Recoverability (macro AUC) and its strength by the proxy rule (``proxy_strength``)."""
    folds: list[np.ndarray] = []
    macro = _recoverability(X, columns, codes, len(labels), seed, deadline, folds)
    if macro.value is None:
        return macro, None
    stack = np.vstack(folds)
    seen = np.isfinite(stack).sum(axis=0)
    groups = np.where(seen > 0, np.nansum(stack, axis=0) / np.maximum(seen, 1), np.nan)
    by_group = {lab: float(v) for lab, v in zip(labels, groups) if np.isfinite(v)}
    return macro, proxy_strength(macro.value, by_group)[0]
