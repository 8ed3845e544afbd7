"""Model size: how much a reader would have to read to follow the model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._inputs.model import describe_estimator
from .._words import complexity as words

Size = tuple[int | None, str]


def _trees(n_trees: int, leaves: int, what: str) -> tuple[int, str]:
    """Size of a tree model: its leaves, with a note."""
    return leaves, words.size_trees(what, n_trees, leaves)


def _lightgbm_size(estimator: Any) -> Size | None:
    """Leaves of a LightGBM sklearn wrapper or Booster (up to the best iteration)."""
    booster = getattr(estimator, "booster_", None)
    if (
        booster is None
        and type(estimator).__module__.startswith("lightgbm")
        and hasattr(estimator, "dump_model")
    ):
        booster = estimator
    if booster is None or not hasattr(booster, "dump_model"):
        return None
    dump = booster.dump_model()
    info = dump.get("tree_info", [])
    best = int(getattr(estimator, "best_iteration_", 0) or 0)
    per_iter = int(dump.get("num_tree_per_iteration", 1) or 1)
    if best > 0:
        info = info[: best * per_iter]
    return _trees(len(info), int(sum(int(t.get("num_leaves", 1)) for t in info)), "LightGBM")


def _xgboost_size(estimator: Any) -> Size | None:
    """Leaves of an XGBoost tree booster, or non-zero weights of a linear one."""
    get_booster = getattr(estimator, "get_booster", None)
    xgb_booster = get_booster() if callable(get_booster) else None
    if (
        xgb_booster is None
        and type(estimator).__name__ == "Booster"
        and hasattr(estimator, "get_dump")
    ):
        xgb_booster = estimator
    if xgb_booster is None:
        return None
    dumps = xgb_booster.get_dump()
    if dumps and all("leaf=" in d for d in dumps):
        best_attr = xgb_booster.attr("best_iteration")
        if best_attr is not None:
            rounds = xgb_booster.num_boosted_rounds()
            per_round = max(1, len(dumps) // max(1, rounds))
            dumps = dumps[: (int(best_attr) + 1) * per_round]
        return _trees(len(dumps), sum(d.count("leaf=") for d in dumps), "XGBoost")
    weights = [line for d in dumps for line in d.splitlines()[1:] if line.strip()]
    values = []
    for line in weights:
        try:
            values.append(float(line))
        except ValueError:
            continue
    nz = int(sum(v != 0 for v in values))
    return nz, words.size_linear_booster(nz, len(values))


def _hist_gradient_boosting_size(estimator: Any) -> Size | None:
    """Leaves of an sklearn HistGradientBoosting model."""
    predictors = getattr(estimator, "_predictors", None)
    if predictors is None:
        return None
    flat = [p for it in predictors for p in it]
    leaves = int(sum(int(p.nodes["is_leaf"].sum()) for p in flat))
    return _trees(len(flat), leaves, type(estimator).__name__)


def _single_tree_size(estimator: Any) -> Size | None:
    """Leaves of a single sklearn tree."""
    if hasattr(estimator, "tree_") and hasattr(estimator.tree_, "n_leaves"):
        return _trees(1, int(estimator.tree_.n_leaves), type(estimator).__name__)
    return None


def _ensemble_size(estimator: Any) -> Size | None:
    """Leaves of sklearn forests, gradient boosting and bagged trees; sum of other sub-models."""
    subs = getattr(estimator, "estimators_", None)
    if subs is None:
        return None
    flat_subs = list(np.asarray(subs, dtype=object).ravel())
    if flat_subs and all(hasattr(s, "tree_") for s in flat_subs):
        leaves = int(sum(int(s.tree_.n_leaves) for s in flat_subs))
        return _trees(len(flat_subs), leaves, type(estimator).__name__)
    sizes = [model_size(s) for s in flat_subs]
    if flat_subs and all(s[0] is not None for s in sizes):
        total = int(sum(int(s[0]) for s in sizes if s[0] is not None))
        return total, words.size_submodels(type(estimator).__name__, len(flat_subs))
    return None


def _linear_size(estimator: Any) -> Size | None:
    """Non-zero coefficients of a linear model (support-vector models excluded)."""
    coef = getattr(estimator, "coef_", None)
    if coef is None or hasattr(estimator, "support_vectors_"):
        return None
    arr = np.asarray(coef, dtype=float)
    nz = int(np.count_nonzero(arr))
    return nz, words.size_coefficients(nz, arr.size)


def _network_size(estimator: Any) -> Size | None:
    """Weights and biases of a neural network."""
    if not (hasattr(estimator, "coefs_") and hasattr(estimator, "intercepts_")):
        return None
    n = int(sum(np.asarray(a).size for a in estimator.coefs_))
    n += int(sum(np.asarray(a).size for a in estimator.intercepts_))
    return n, words.size_network(type(estimator).__name__, n)


def _neighbours_size(estimator: Any) -> Size | None:
    """Nearest neighbours: the stored training rows are the model."""
    n_fit = getattr(estimator, "n_samples_fit_", None)
    n_in = getattr(estimator, "n_features_in_", None)
    if isinstance(n_fit, (int, np.integer)) and isinstance(n_in, (int, np.integer)):
        return int(n_fit) * int(n_in), words.size_neighbours(
            type(estimator).__name__, int(n_fit), int(n_in)
        )
    return None


def _generic_size(estimator: Any) -> Size:
    """Numeric fitted attributes (bookkeeping such as classes_ or n_iter_ excluded)."""
    total = 0
    names: list[str] = []
    skip = {"classes_", "feature_names_in_", "class_weight_", "class_count_", "classes"}
    for attr in sorted(vars(estimator)):
        if not attr.endswith("_") or attr.startswith(("_", "n_")) or attr in skip:
            continue
        val = getattr(estimator, attr)
        if isinstance(val, np.ndarray) and val.dtype.kind in "fiu":
            total += int(val.size)
            names.append(attr)
    if total:
        return total, words.size_fitted_values(type(estimator).__name__, total, names)
    return None, words.size_uncountable(describe_estimator(estimator))


#: Counting rules, tried in order; the first that recognises the model wins.
_RULES: tuple[Callable[[Any], Size | None], ...] = (
    _lightgbm_size,
    _xgboost_size,
    _hist_gradient_boosting_size,
    _single_tree_size,
    _ensemble_size,
    _linear_size,
    _network_size,
    _neighbours_size,
)


def model_size(estimator: Any) -> Size:
    """Count what a reader would have to read to follow the model.

    Parameters
    ----------
    estimator : object
        A fitted estimator or Pipeline (the last step is measured; preprocessing is
        not counted).

    Returns
    -------
    size : int or None
        Leaves summed over all trees for tree models (sklearn trees, forests,
        gradient boosting, histogram gradient boosting, LightGBM, XGBoost),
        non-zero coefficients for linear models, the number of fitted numeric
        parameters otherwise; ``None`` when nothing could be counted.
    note : str
        What was counted, e.g. ``"100 trees, 3,100 leaves in total (31.0 per tree)"``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> m = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1])
    >>> model_size(m)
    (2, 'non-zero coefficients: 2 of 2 (intercept not counted)')
    """
    while hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    for rule in _RULES:
        found = rule(estimator)
        if found is not None:
            return found
    return _generic_size(estimator)
