"""Transparent baselines: a regularised linear model and a depth-3 tree, cross-validated.

Both are fitted on the audit data's coded features, scored out-of-fold on the same rows
as the model, and described by the same components as the audited model.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._result.complexity import Baseline, Component, Interpretability
from .._words import complexity as words
from .coding import _Coded, _constant, _logit, _r2
from .components import _apply_size, _combine, _effective_component, _surrogate_components, size_component
from .size import model_size

Fold = tuple[np.ndarray, np.ndarray]


# --------------------------------------------------------------------------------------
# Exact SHAP of the baselines
# --------------------------------------------------------------------------------------


def _tree_group_shap(
    tree: Any, leaf_values: np.ndarray, X: np.ndarray, owner: np.ndarray, p: int
) -> np.ndarray:
    """Exact path-dependent SHAP of one small sklearn tree, grouped by original feature.

    Enumerates subsets of the (at most 7 for depth 3) original features the tree
    uses; ``v(S)`` follows the row's branch at splits on features in ``S`` and
    averages the children by training cover otherwise.  Returns ``(n, p)``.
    """
    t = tree.tree_
    n = X.shape[0]
    split_cols = t.feature[t.feature >= 0]
    groups = sorted({int(owner[c]) for c in split_cols})
    m = len(groups)
    phi = np.zeros((n, p))
    if m == 0:
        return phi
    cover = t.weighted_n_node_samples
    X = X.astype(np.float32)  # sklearn trees compare float32 features with their thresholds

    def value(node: int, active: frozenset[int]) -> np.ndarray:
        left, right = t.children_left[node], t.children_right[node]
        if left < 0:
            return np.full(n, leaf_values[node])
        col = int(t.feature[node])
        vl, vr = value(left, active), value(right, active)
        if int(owner[col]) in active:
            return np.where(X[:, col] <= t.threshold[node], vl, vr)
        return np.asarray((cover[left] * vl + cover[right] * vr) / cover[node])

    v = {
        mask: value(0, frozenset(groups[i] for i in range(m) if mask >> i & 1))
        for mask in range(1 << m)
    }
    fact = [math.factorial(i) for i in range(m + 1)]
    for i in range(m):
        bit = 1 << i
        for mask in range(1 << m):
            if mask & bit:
                continue
            s = mask.bit_count()
            w = fact[s] * fact[m - s - 1] / fact[m]
            phi[:, groups[i]] += w * (v[mask | bit] - v[mask])
    return phi


def _linear_explained(est: Any, coded: _Coded) -> tuple[np.ndarray, np.ndarray, str]:
    """Output, exact SHAP per original feature and its source for a linear baseline."""
    D = coded.design
    coef = np.ravel(est.coef_)
    output = D @ coef + float(np.ravel(est.intercept_)[0])
    contrib = coef * (D - D.mean(axis=0))
    phi = np.zeros((D.shape[0], len(coded.names)))
    np.add.at(phi.T, coded.owner, contrib.T)
    return output, phi, words.SHAP_LINEAR_BASELINE


def _tree_explained(est: Any, coded: _Coded, task: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Output (log-odds for classifiers), exact tree SHAP and its source for a tree baseline."""
    D = coded.design
    if task == "binary":
        val = est.tree_.value[:, 0, :]
        col = list(est.classes_).index(1) if 1 in list(est.classes_) else None
        prob = val[:, col] / val.sum(axis=1) if col is not None else np.zeros(len(val))
        leaf = _logit(prob)
    else:
        leaf = est.tree_.value[:, 0, 0].astype(float)
    output = leaf[est.apply(D)]
    phi = _tree_group_shap(est, leaf, D, coded.owner, len(coded.names))
    return output, phi, words.SHAP_TREE_BASELINE


def _baseline_components(
    key: str,
    est: Any,
    coded: _Coded,
    train: np.ndarray,
    test: np.ndarray,
    task: str,
    seed: int,
) -> tuple[Component, ...]:
    """Components of a baseline fitted on ``coded.design`` (all subsampled rows)."""
    if key == "linear":
        output, phi, shap_note = _linear_explained(est, coded)
    else:
        output, phi, shap_note = _tree_explained(est, coded, task)
    size, size_note = model_size(est)
    labels = est.predict(coded.design)
    if task == "binary":
        labels = (np.asarray(labels) == 1).astype(np.int8)
    mean_abs = dict(zip(coded.names, np.abs(phi).mean(axis=0).tolist()))
    eff = _effective_component(mean_abs, task, shap_note)
    size_c = size_component(size, size_note, task)
    non_add, non_lin, fid = _surrogate_components(output, labels, coded, train, test, task, seed)
    return _apply_size((eff, non_add, non_lin, size_c, fid))


# --------------------------------------------------------------------------------------
# Fitting and scoring
# --------------------------------------------------------------------------------------


def _metric(key: str, y: np.ndarray, value: np.ndarray) -> float | None:
    """AUC, accuracy or R^2 of ``value`` against ``y``; ``None`` when undefined."""
    from sklearn.metrics import roc_auc_score

    if key == "auc":
        if len(np.unique(y)) < 2:
            return None
        return float(roc_auc_score(y, value))
    if key == "accuracy":
        return float(np.mean(y == value))
    if _constant(y):
        return None
    return _r2(y.astype(float), value.astype(float))


def _fit_quietly(est: Any, X: np.ndarray, y: np.ndarray) -> tuple[Any, bool]:
    """Fit, reporting (not raising) a convergence warning."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        est.fit(X, y)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return est, converged


def _make_baseline(key: str, task: str, seed: int) -> Any:
    """An unfitted linear (``"linear"``) or depth-3 tree (``"tree"``) baseline."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if key == "linear":
        return LogisticRegression(C=1.0, max_iter=2000) if task == "binary" else Ridge(alpha=1.0)
    if task == "binary":
        return DecisionTreeClassifier(max_depth=3, random_state=seed)
    return DecisionTreeRegressor(max_depth=3, random_state=seed)


def cv_folds(design: np.ndarray, y: np.ndarray, task: str, cv: int, seed: int) -> list[Fold]:
    """Shuffled (stratified for classifiers) cross-validation folds."""
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = (
        StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
        if task == "binary"
        else KFold(n_splits=cv, shuffle=True, random_state=seed)
    )
    return list(splitter.split(design, y))


def _out_of_fold(
    key: str, coded: _Coded, y: np.ndarray, folds: Sequence[Fold], task: str, metric: str, seed: int
) -> tuple[np.ndarray, list[float | None], bool]:
    """Out-of-fold predictions, per-fold metric and whether every fit converged."""
    D = coded.design
    oof = np.zeros(len(y))
    fold_values: list[float | None] = []
    converged = True
    for tr, te in folds:
        est, ok = _fit_quietly(_make_baseline(key, task, seed), D[tr], y[tr])
        converged &= ok
        if task == "binary":
            proba = est.predict_proba(D[te])[:, list(est.classes_).index(1)]
            oof[te] = proba if metric == "auc" else (proba >= 0.5).astype(float)
        else:
            oof[te] = est.predict(D[te])
        fold_values.append(_metric(metric, y[te], oof[te]))
    return oof, fold_values, converged


def fit_baseline(
    key: str,
    coded: _Coded,
    y: np.ndarray,
    folds: Sequence[Fold],
    holdout: tuple[np.ndarray, np.ndarray],
    task: str,
    metric: str,
    seed: int,
    model_keys: tuple[str, ...],
) -> Baseline:
    """Cross-validate one baseline, refit it on all rows and score it on ``model_keys``."""
    oof, fold_values, converged = _out_of_fold(key, coded, y, folds, task, metric, seed)
    final, ok = _fit_quietly(_make_baseline(key, task, seed), coded.design, y)
    train, test = holdout
    comps = _baseline_components(key, final, coded, train, test, task, seed)
    keys = tuple(k for k in model_keys if any(c.key == k and c.subscore is not None for c in comps))
    name = words.BASELINE_NAME[(key, task)]
    return Baseline(
        key=key,
        name=name,
        metric_value=_metric(metric, y, oof),
        fold_values=tuple(fold_values),
        interpretability=Interpretability(
            subject=words.baseline_subject(key),
            description=name,
            score=_combine(comps, keys),
            components=comps,
            used=keys,
        ),
        reason=None if converged and ok else words.NOT_CONVERGED,
    )
