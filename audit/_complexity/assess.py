"""Interpretability versus complexity: does the model's opacity pay for itself?

The audited model is described by five components (effective features,
non-additivity, non-linearity, size, fidelity of a small decision-tree
surrogate), combined into one documented 0-100 interpretability score.  Two
transparent baselines (a regularised linear model and a depth-3 decision tree)
are fitted on the audit data with cross-validation, scored with the *same*
formula, and compared with the audited model on the same metric and the same
rows.  The result is a plain-language verdict: ``pays_for_itself``,
``review``, ``does_not_pay`` or ``not_applicable``.

Everything is deterministic for a given ``seed``; rows are subsampled to
``max_rows`` to keep the runtime to a few seconds.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ConfigError, InputError
from .._inputs.model import ModelAdapter, describe_estimator
from .._result.complexity import (
    SCORE_FORMULA,
    WEIGHTS,
    Baseline,
    Complexity,
    ComplexityOutcome,
    Component,
    Interpretability,
    MetricKey,
)

# --------------------------------------------------------------------------------------
# Documented constants of the score (also written into every result).
# --------------------------------------------------------------------------------------

#: Share of total mean |SHAP| the "effective features" must hold.
EFFECTIVE_SHARE = 0.90
#: Effective-feature count at which that sub-score is 0.5 is ``1 + FEATURE_HALF``.
FEATURE_HALF = 10.0
#: Size (trees x leaves, coefficients or parameters) at or below which size costs nothing.
SIZE_FREE = 10.0
#: Decades of size above ``SIZE_FREE`` after which the size sub-score reaches 0 (10 -> 10,000).
SIZE_DECADES = 3.0
#: Non-additivity / non-linearity at which those sub-scores reach 0.
SHARE_ZERO = 0.5
#: Probabilities are clipped to [eps, 1 - eps] before taking the logit.
LOGIT_EPS = 1e-3
#: Categorical columns keep at most this many levels (the rest become "(other)").
MAX_LEVELS = 30
#: Fraction of the (subsampled) rows held out to evaluate the surrogates.
HOLDOUT = 0.3
#: Below this best surrogate R^2 the shares are not normalised by it.
REFERENCE_MIN_R2 = 0.5
#: Fewest rows needed to fit and evaluate the surrogates.
MIN_ROWS = 40



_TEXT: dict[str, tuple[str, str, str]] = {
    # key: (title, meaning, formula)
    "effective_features": (
        "Effective features",
        (
            "How many features a reader has to keep in mind: the fewest features that together "
            "carry 90% of the model's total attribution (mean absolute SHAP value)."
        ),
        "smallest k such that the k largest mean |SHAP| values sum to >= 90% of the total",
    ),
    "non_additivity": (
        "Non-additivity",
        (
            "How much of the model's behaviour comes from features acting together (interactions) "
            "rather than one at a time: the share of the model's output that the best "
            "interaction-free (additive) model cannot reproduce."
        ),
        (
            "1 - R^2_additive / R^2_reference, where R^2_additive is the held-out R^2 of a purely "
            "additive surrogate f1(x1) + ... + fp(xp) fitted to the model's output (log-odds for "
            "classifiers, prediction for regression) - a gradient-boosted model whose trees may each "
            "use one feature only - and R^2_reference is the best held-out R^2 of any surrogate "
            "(the same booster with interactions allowed, the additive one, the linear one), which "
            "removes the surrogates' own estimation error; if R^2_reference < 0.5 the plain "
            "1 - R^2_additive is reported"
        ),
    ),
    "non_linearity": (
        "Non-linearity",
        (
            "How far the model is from a straight-line (weighted-sum) rule: the share of its output "
            "that the best linear model cannot reproduce."
        ),
        (
            "1 - R^2_linear / R^2_reference, where R^2_linear is the held-out R^2 of a ridge "
            "regression on one-hot encoded, standardised features fitted to the model's output "
            "(log-odds for classifiers, prediction for regression) and R^2_reference is as for "
            "non-additivity"
        ),
    ),
    "size": (
        "Size",
        (
            "How much there is to read: leaves over all trees for tree ensembles, non-zero "
            "coefficients for linear models, fitted parameters otherwise."
        ),
        (
            "sum of leaves over all trees (= trees x mean leaves per tree); count of non-zero "
            "coefficients; or count of fitted numeric parameters"
        ),
    ),
    "fidelity": (
        "Surrogate fidelity",
        (
            "How well a decision tree of depth 3 (at most 8 rules, readable at a glance) can mimic "
            "the model's decisions on rows it did not see."
        ),
        (
            "held-out accuracy of a depth-3 decision tree trained to reproduce the model's 0/1 "
            "predictions (classifiers) or held-out R^2 against its predictions (regression)"
        ),
    ),
}

_METRIC_LABEL: dict[str, str] = {"auc": "AUC", "accuracy": "accuracy", "r2": "R²"}

IN_SAMPLE_NOTE = (
    "The audited model may have been trained on some of these rows, which would flatter its "
    "metric here; the baselines are always scored on rows they did not see (cross-validation). "
    "A small advantage of the model may therefore be an in-sample artefact."
)

# --------------------------------------------------------------------------------------
# Result dataclasses
# --------------------------------------------------------------------------------------










# --------------------------------------------------------------------------------------
# Feature coding
# --------------------------------------------------------------------------------------


@dataclass
class _Coded:
    names: list[str]
    ordinal: np.ndarray  # (n, p) float; categorical columns hold level codes; NaN = missing
    is_cat: np.ndarray  # (p,) bool
    design: np.ndarray  # (n, q) float, no NaN: standardised numerics, indicators, one-hot
    owner: np.ndarray  # (q,) index of the original feature of each design column


def _as_numeric(col: pd.Series) -> np.ndarray | None:
    """Float values of a numeric/bool/datetime column, else ``None`` (treat as categorical)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return None
    if pd.api.types.is_bool_dtype(col.dtype):
        return np.array(col.astype("float64").to_numpy(dtype=float, na_value=np.nan), copy=True)
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        vals = np.array(col.to_numpy(dtype="datetime64[ns]").astype("int64"), dtype=float)
        vals[col.isna().to_numpy()] = np.nan
        return vals
    if pd.api.types.is_numeric_dtype(col.dtype):
        vals = np.array(col.to_numpy(dtype=float, na_value=np.nan), dtype=float, copy=True)
        vals[~np.isfinite(vals)] = np.nan
        return vals
    return None


def _code(X: pd.DataFrame) -> _Coded:
    n, p = X.shape
    ordinal = np.empty((n, p), dtype=float)
    is_cat = np.zeros(p, dtype=bool)
    blocks: list[np.ndarray] = []
    owner: list[int] = []
    for j in range(X.shape[1]):
        col = X.iloc[:, j]
        num = _as_numeric(col)
        if num is not None:
            missing = np.isnan(num)
            # an all-missing column carries no information; HistGradientBoosting also
            # fails on it (sklearn 1.9), so it is coded as a constant
            ordinal[:, j] = 0.0 if missing.all() else num
            filled = num.copy()
            med = float(np.nanmedian(num)) if (~missing).any() else 0.0
            filled[missing] = med
            sd = float(filled.std())
            if sd > 0:
                blocks.append(((filled - filled.mean()) / sd)[:, None])
                owner.append(j)
            if missing.any() and not missing.all():
                blocks.append(missing.astype(float)[:, None])
                owner.append(j)
            continue
        is_cat[j] = True
        obj = col.astype(object)
        missing = obj.isna().to_numpy()
        text = np.array(
            ["" if m else str(v) for v, m in zip(obj.to_numpy(), missing)], dtype=object
        )
        counts = pd.Series(text[~missing]).value_counts()
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        keep = [level for level, _ in ranked[:MAX_LEVELS]]
        index = {level: i for i, level in enumerate(keep)}
        other, miss = len(keep), len(keep) + 1
        codes = np.array(
            [miss if m else index.get(t, other) for t, m in zip(text, missing)], dtype=int
        )
        ordinal[:, j] = codes
        for level in np.unique(codes):
            ind = (codes == level).astype(float)
            if 0 < ind.sum() < n:
                blocks.append(ind[:, None])
                owner.append(j)
    if not blocks:  # every column constant: one zero column keeps the linear algebra valid
        blocks.append(np.zeros((n, 1)))
        owner.append(0)
    return _Coded(
        names=[str(c) for c in X.columns],
        ordinal=ordinal,
        is_cat=is_cat,
        design=np.hstack(blocks),
        owner=np.asarray(owner, dtype=int),
    )


# --------------------------------------------------------------------------------------
# Model size
# --------------------------------------------------------------------------------------


def _sklearn_tree_leaves(tree: Any) -> int:
    return int(tree.tree_.n_leaves)


def model_size(estimator: Any) -> tuple[int | None, str]:
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

    def trees(n_trees: int, leaves: int, what: str) -> tuple[int, str]:
        per = leaves / n_trees if n_trees else 0.0
        return leaves, f"{what}: {n_trees:,} trees, {leaves:,} leaves in total ({per:.1f} per tree)"

    # LightGBM sklearn wrapper or Booster
    booster = getattr(estimator, "booster_", None)
    if (
        booster is None
        and type(estimator).__module__.startswith("lightgbm")
        and hasattr(estimator, "dump_model")
    ):
        booster = estimator
    if booster is not None and hasattr(booster, "dump_model"):
        dump = booster.dump_model()
        info = dump.get("tree_info", [])
        best = int(getattr(estimator, "best_iteration_", 0) or 0)
        per_iter = int(dump.get("num_tree_per_iteration", 1) or 1)
        if best > 0:
            info = info[: best * per_iter]
        return trees(len(info), int(sum(int(t.get("num_leaves", 1)) for t in info)), "LightGBM")

    # XGBoost sklearn wrapper or Booster
    get_booster = getattr(estimator, "get_booster", None)
    xgb_booster = get_booster() if callable(get_booster) else None
    if (
        xgb_booster is None
        and type(estimator).__name__ == "Booster"
        and hasattr(estimator, "get_dump")
    ):
        xgb_booster = estimator
    if xgb_booster is not None:
        dumps = xgb_booster.get_dump()
        if dumps and all("leaf=" in d for d in dumps):
            best_attr = xgb_booster.attr("best_iteration")
            if best_attr is not None:
                rounds = xgb_booster.num_boosted_rounds()
                per_round = max(1, len(dumps) // max(1, rounds))
                dumps = dumps[: (int(best_attr) + 1) * per_round]
            return trees(len(dumps), sum(d.count("leaf=") for d in dumps), "XGBoost")
        weights = [line for d in dumps for line in d.splitlines()[1:] if line.strip()]
        values = []
        for line in weights:
            try:
                values.append(float(line))
            except ValueError:
                continue
        nz = int(sum(v != 0 for v in values))
        return nz, f"XGBoost linear booster: non-zero weights: {nz} of {len(values)}"

    # sklearn HistGradientBoosting
    predictors = getattr(estimator, "_predictors", None)
    if predictors is not None:
        flat = [p for it in predictors for p in it]
        leaves = int(sum(int(p.nodes["is_leaf"].sum()) for p in flat))
        return trees(len(flat), leaves, type(estimator).__name__)

    # a single sklearn tree
    if hasattr(estimator, "tree_") and hasattr(estimator.tree_, "n_leaves"):
        return trees(1, _sklearn_tree_leaves(estimator), type(estimator).__name__)

    # sklearn forests, gradient boosting, bagging of trees
    subs = getattr(estimator, "estimators_", None)
    if subs is not None:
        flat_subs = list(np.asarray(subs, dtype=object).ravel())
        if flat_subs and all(hasattr(s, "tree_") for s in flat_subs):
            leaves = int(sum(_sklearn_tree_leaves(s) for s in flat_subs))
            return trees(len(flat_subs), leaves, type(estimator).__name__)
        sizes = [model_size(s) for s in flat_subs]
        if flat_subs and all(s[0] is not None for s in sizes):
            total = int(sum(int(s[0]) for s in sizes if s[0] is not None))
            return total, f"{type(estimator).__name__}: sum over {len(flat_subs)} sub-models"

    # linear models
    coef = getattr(estimator, "coef_", None)
    if coef is not None and not hasattr(estimator, "support_vectors_"):
        arr = np.asarray(coef, dtype=float)
        nz = int(np.count_nonzero(arr))
        return nz, f"non-zero coefficients: {nz} of {arr.size} (intercept not counted)"

    # neural networks
    if hasattr(estimator, "coefs_") and hasattr(estimator, "intercepts_"):
        n = int(sum(np.asarray(a).size for a in estimator.coefs_))
        n += int(sum(np.asarray(a).size for a in estimator.intercepts_))
        return n, f"{type(estimator).__name__}: {n:,} weights and biases"

    # nearest neighbours: the stored training rows are the model
    n_fit = getattr(estimator, "n_samples_fit_", None)
    n_in = getattr(estimator, "n_features_in_", None)
    if isinstance(n_fit, (int, np.integer)) and isinstance(n_in, (int, np.integer)):
        total_nn = int(n_fit) * int(n_in)
        return total_nn, (
            f"{type(estimator).__name__}: {int(n_fit):,} stored training rows x {int(n_in)} "
            "features"
        )

    # generic: numeric fitted attributes (bookkeeping such as classes_ or n_iter_ excluded)
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
        return total, (
            f"{type(estimator).__name__}: {total:,} fitted numeric values ({', '.join(names[:5])})"
        )
    return (
        None,
        f"{describe_estimator(estimator)}: no fitted structure the audit knows how to count",
    )


# --------------------------------------------------------------------------------------
# Model outputs
# --------------------------------------------------------------------------------------


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, LOGIT_EPS, 1.0 - LOGIT_EPS)
    out: np.ndarray = np.log(q) - np.log1p(-q)
    return out


def _model_output(model: ModelAdapter, X: pd.DataFrame) -> tuple[np.ndarray, str]:
    """The model's continuous output (margin for classifiers) and what it is."""
    if model.task == "regression":
        return model.predict(X), "the model's predict() output"
    est = model.estimator
    if hasattr(est, "decision_function"):
        raw = model._call("decision_function", X).astype(float)
        if raw.ndim == 1 and raw.shape[0] == len(X) and np.all(np.isfinite(raw)):
            # decision_function's sign favours classes_[1]
            sign = -1.0 if model.classes and model.positive_index == 0 else 1.0
            return sign * raw, "the model's decision_function() (log-odds or margin)"
    score = model.score(X)
    if score is not None:
        return _logit(score), (
            f"the logit of predict_proba() clipped to [{LOGIT_EPS}, {1 - LOGIT_EPS}]"
        )
    return model.predict(X).astype(float), (
        "the model's 0/1 predictions (it has neither decision_function nor predict_proba)"
    )


# --------------------------------------------------------------------------------------
# Components
# --------------------------------------------------------------------------------------


def _subscore(key: str, value: float | None, task: str) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    if key == "effective_features":
        return 1.0 / (1.0 + max(value - 1.0, 0.0) / FEATURE_HALF)
    if key in ("non_additivity", "non_linearity"):
        return max(0.0, 1.0 - value / SHARE_ZERO)
    if key == "size":
        if value <= SIZE_FREE:
            return 1.0
        return 1.0 - min(1.0, math.log10(value / SIZE_FREE) / SIZE_DECADES)
    if key == "fidelity":
        if task == "binary":
            return min(1.0, max(0.0, (value - 0.5) / 0.5))
        return min(1.0, max(0.0, value))
    raise KeyError(key)


def _component(
    key: str,
    value: float | None,
    task: str,
    *,
    reason: str | None = None,
    note: str = "",
    extra: dict[str, float | None] | None = None,
) -> Component:
    title, meaning, formula = _TEXT[key]
    if value is not None and not math.isfinite(value):
        value, reason = None, reason or "the computation gave a non-finite number"
    return Component(
        key=key,
        title=title,
        value=None if value is None else float(value),
        meaning=meaning,
        formula=formula,
        subscore=_subscore(key, value, task),
        weight=WEIGHTS[key],
        reason=reason if value is None else None,
        note=note,
        extra=dict(extra or {}),
    )


def _apply_size(components: tuple[Component, ...]) -> tuple[Component, ...]:
    """Let interactions and curves cost in proportion to the model's size (see SCORE_FORMULA)."""
    size = next((c for c in components if c.key == "size"), None)
    s_size = None if size is None else size.subscore
    out = []
    for c in components:
        if c.key in ("non_additivity", "non_linearity") and c.subscore is not None:
            raw = c.subscore
            if s_size is None:
                note = f"{c.note}; size unknown, so the full shape penalty applies".lstrip("; ")
                c = replace(c, note=note, extra={**c.extra, "shape_subscore": raw})
            else:
                adjusted = 1.0 - (1.0 - raw) * (1.0 - s_size)
                c = replace(c, subscore=adjusted, extra={**c.extra, "shape_subscore": raw})
        out.append(c)
    return tuple(out)


def effective_features(mean_abs: dict[str, float], share: float = EFFECTIVE_SHARE) -> int:
    """Fewest features whose mean |SHAP| values together reach ``share`` of the total.

    Parameters
    ----------
    mean_abs : dict of str to float
        Global mean absolute SHAP value per feature (non-finite values are ignored).
    share : float, default 0.9
        Fraction of the total attribution to cover.

    Returns
    -------
    int
        The count; 0 when every attribution is zero (a constant model).

    Examples
    --------
    >>> effective_features({"a": 5.0, "b": 4.0, "c": 1.0})
    2
    """
    vals = np.array(sorted((abs(v) for v in mean_abs.values() if math.isfinite(v)), reverse=True))
    total = float(vals.sum())
    if total <= 0:
        return 0
    cum = np.cumsum(vals)
    return int(np.searchsorted(cum, share * total * (1 - 1e-12)) + 1)


def _effective_component(mean_abs: dict[str, float] | None, task: str, note: str) -> Component:
    if mean_abs is None:
        return _component(
            "effective_features",
            None,
            task,
            reason="global SHAP values were not available, so effective features were not measured",
        )
    finite = {k: float(v) for k, v in mean_abs.items() if v is not None and math.isfinite(v)}
    if not finite:
        return _component(
            "effective_features", None, task, reason="no finite SHAP values were supplied"
        )
    k = effective_features(finite)
    total = sum(abs(v) for v in finite.values())
    text = f"{note}; {k} of {len(finite)} features carry 90% of total mean |SHAP|"
    if total == 0:
        text = f"{note}; every SHAP value is zero (the output does not depend on any feature)"
    return _component(
        "effective_features",
        float(k),
        task,
        note=text,
        extra={"features_with_shap": float(len(finite))},
    )


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    ss_tot = float(((y - y.mean()) ** 2).sum())
    ss_res = float(((y - pred) ** 2).sum())
    return 1.0 - ss_res / ss_tot


def _constant(values: np.ndarray) -> bool:
    scale = max(1.0, float(np.max(np.abs(values)))) if values.size else 1.0
    return bool(values.size == 0 or float(np.ptp(values)) <= 1e-12 * scale)


def _surrogate_components(
    output: np.ndarray,
    labels: np.ndarray,
    coded: _Coded,
    train: np.ndarray,
    test: np.ndarray,
    task: str,
    seed: int,
) -> tuple[Component, Component, Component]:
    """Non-additivity, non-linearity and fidelity from surrogates fitted to one model."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    n = len(train) + len(test)
    if n < MIN_ROWS or len(test) < 10:
        why = f"only {n} rows; at least {MIN_ROWS} are needed to fit and check surrogates"
        return (
            _component("non_additivity", None, task, reason=why),
            _component("non_linearity", None, task, reason=why),
            _component("fidelity", None, task, reason=why),
        )

    # --- non-additivity and non-linearity (surrogates of the continuous output) ---
    if _constant(output):
        const_note = (
            "the model's output is constant on these rows, which is exactly additive and linear"
        )
        non_add = _component("non_additivity", 0.0, task, note=const_note)
        non_lin = _component("non_linearity", 0.0, task, note=const_note)
    else:
        y_tr, y_te = output[train], output[test]
        Xo_tr, Xo_te = coded.ordinal[train], coded.ordinal[test]
        p = coded.ordinal.shape[1]
        cats = coded.is_cat if coded.is_cat.any() else None
        common: dict[str, Any] = {
            "max_iter": 500,
            "learning_rate": 0.1,
            "max_leaf_nodes": 15,
            "early_stopping": True,
            "validation_fraction": 0.15,
            "n_iter_no_change": 20,
            "random_state": seed,
            "categorical_features": cats,
        }
        additive = HistGradientBoostingRegressor(
            interaction_cst=[[i] for i in range(p)], **common
        ).fit(Xo_tr, y_tr)
        full = HistGradientBoostingRegressor(**common).fit(Xo_tr, y_tr)
        ridge = Ridge(alpha=1.0).fit(coded.design[train], y_tr)
        if _constant(y_te):
            why = "the model's output is constant on the held-out rows"
            non_add = _component("non_additivity", None, task, reason=why)
            non_lin = _component("non_linearity", None, task, reason=why)
        else:
            r2_add = _r2(y_te, additive.predict(Xo_te))
            r2_full = _r2(y_te, full.predict(Xo_te))
            r2_lin = _r2(y_te, ridge.predict(coded.design[test]))
            r2_ref = max(r2_full, r2_add, r2_lin)
            extra: dict[str, float | None] = {
                "r2_additive": r2_add,
                "r2_linear": r2_lin,
                "r2_with_interactions": r2_full,
                "r2_reference": r2_ref,
            }
            if r2_ref >= REFERENCE_MIN_R2:
                v_add = 1.0 - r2_add / r2_ref
                v_lin = 1.0 - r2_lin / r2_ref
                how = f"relative to the best surrogate's R^2 = {r2_ref:.3f}"
            else:
                v_add, v_lin = 1.0 - r2_add, 1.0 - r2_lin
                how = (
                    f"no surrogate reproduces the output well (best R^2 = {r2_ref:.3f}), so the "
                    "plain unexplained share 1 - R^2 is reported"
                )
            non_add = _component(
                "non_additivity",
                min(1.0, max(0.0, v_add)),
                task,
                note=(
                    f"additive surrogate held-out R^2 = {r2_add:.3f}, with interactions allowed "
                    f"R^2 = {r2_full:.3f}; {how}"
                ),
                extra=extra,
            )
            non_lin = _component(
                "non_linearity",
                min(1.0, max(0.0, v_lin)),
                task,
                note=f"linear surrogate held-out R^2 = {r2_lin:.3f}; {how}",
                extra=extra,
            )

    # --- fidelity of a depth-3 tree to the model's predictions ---
    if task == "binary":
        tree_c = DecisionTreeClassifier(max_depth=3, random_state=seed)
        tree_c.fit(coded.design[train], labels[train])
        acc = float(np.mean(tree_c.predict(coded.design[test]) == labels[test]))
        agree = float(max(labels[test].mean(), 1 - labels[test].mean()))
        fid = _component(
            "fidelity",
            acc,
            task,
            note=(
                f"the depth-3 tree matches {acc:.1%} of the model's held-out decisions "
                f"(always predicting the model's more frequent decision would match {agree:.1%})"
            ),
            extra={"majority_agreement": agree},
        )
    else:
        if _constant(labels[test]):
            fid = _component(
                "fidelity",
                1.0,
                task,
                note="the model's predictions are constant, which a depth-3 tree reproduces exactly",
            )
        else:
            tree_r = DecisionTreeRegressor(max_depth=3, random_state=seed)
            tree_r.fit(coded.design[train], labels[train])
            r2 = _r2(labels[test], tree_r.predict(coded.design[test]))
            fid = _component(
                "fidelity",
                r2,
                task,
                note=f"depth-3 tree held-out R^2 = {r2:.3f} against predictions",
            )
    return non_add, non_lin, fid


def _combine(components: tuple[Component, ...], keys: tuple[str, ...]) -> float | None:
    num = den = 0.0
    for c in components:
        if c.key in keys and c.subscore is not None:
            num += c.weight * c.subscore
            den += c.weight
    if den == 0:
        return None
    return round(100.0 * num / den, 1)


def interpretability_score(
    components: tuple[Component, ...], keys: tuple[str, ...] | None = None
) -> float | None:
    """Combine components into the 0-100 interpretability score of :data:`SCORE_FORMULA`.

    Parameters
    ----------
    components : tuple of Component
        Measured components (unavailable ones have ``subscore=None``).
    keys : tuple of str, optional
        Restrict the score to these component keys (to compare two models on the
        same footing); all available components by default.

    Returns
    -------
    float or None
        The score rounded to 0.1, or ``None`` when no component is available.
    """
    if keys is None:
        keys = tuple(c.key for c in components)
    return _combine(components, keys)


# --------------------------------------------------------------------------------------
# Baselines
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
    D = coded.design
    p = len(coded.names)
    if key == "linear":
        coef = np.ravel(est.coef_)
        output = D @ coef + float(np.ravel(est.intercept_)[0])
        contrib = coef * (D - D.mean(axis=0))
        phi = np.zeros((D.shape[0], p))
        np.add.at(phi.T, coded.owner, contrib.T)
        shap_note = "exact linear SHAP of the baseline, summed over each feature's columns"
        size, size_note = model_size(est)
    else:
        if task == "binary":
            val = est.tree_.value[:, 0, :]
            col = list(est.classes_).index(1) if 1 in list(est.classes_) else None
            prob = val[:, col] / val.sum(axis=1) if col is not None else np.zeros(len(val))
            leaf = _logit(prob)
        else:
            leaf = est.tree_.value[:, 0, 0].astype(float)
        output = leaf[est.apply(D)]
        phi = _tree_group_shap(est, leaf, D, coded.owner, p)
        shap_note = "exact path-dependent tree SHAP of the baseline (log-odds for classifiers)"
        size, size_note = model_size(est)
    labels = est.predict(D)
    if task == "binary":
        labels = (np.asarray(labels) == 1).astype(np.int8)
    mean_abs = dict(zip(coded.names, np.abs(phi).mean(axis=0).tolist()))
    eff = _effective_component(mean_abs, task, shap_note)
    size_c = _component(
        "size", None if size is None else float(size), task, reason=size_note, note=size_note
    )
    non_add, non_lin, fid = _surrogate_components(output, labels, coded, train, test, task, seed)
    return _apply_size((eff, non_add, non_lin, size_c, fid))


def _metric(key: str, y: np.ndarray, value: np.ndarray) -> float | None:
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
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if key == "linear":
        return LogisticRegression(C=1.0, max_iter=2000) if task == "binary" else Ridge(alpha=1.0)
    if task == "binary":
        return DecisionTreeClassifier(max_depth=3, random_state=seed)
    return DecisionTreeRegressor(max_depth=3, random_state=seed)


_BASELINE_NAME = {
    ("linear", "binary"): "logistic regression, L2-regularised (C = 1) on one-hot encoded, "
    "standardised features",
    ("linear", "regression"): "ridge regression (alpha = 1), on one-hot encoded, standardised "
    "features",
    ("tree", "binary"): "decision tree of depth 3 (at most 8 rules)",
    ("tree", "regression"): "regression tree of depth 3 (at most 8 rules)",
}


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


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
    model: ModelAdapter,
    X: pd.DataFrame,
    y: np.ndarray | None,
    *,
    mean_abs_shap: dict[str, float] | None,
    seed: int = 0,
    max_rows: int = 5000,
    cv: int = 5,
    min_gain: float = 0.01,
    clear_gain: float = 0.05,
    opacity_tolerance: float = 5.0,
) -> Complexity:
    """Weigh the model's accuracy gain over a transparent baseline against its opacity.

    Parameters
    ----------
    model : ModelAdapter
        The fitted model being audited.
    X : pandas.DataFrame
        The model's input columns in model order (strings, categoricals and NaN allowed).
    y : numpy.ndarray or None
        0/1 labels (binary) or floats (regression) for the rows of ``X``; ``None``
        when the data has no target (the baseline comparison is then not applicable,
        but the model's own components are still measured).
    mean_abs_shap : dict of str to float or None
        Global mean |SHAP| per original feature; ``None`` leaves the
        effective-features component unmeasured (and out of both scores).
    seed : int, default 0
        Seed for the row subsample, the surrogate hold-out split and the CV folds.
    max_rows : int, default 5000
        Rows are subsampled (without replacement) to at most this many.
    cv : int, default 5
        Cross-validation folds for the baselines.
    min_gain : float, default 0.01
        Below this metric gain over the best baseline (1 point of AUC/accuracy/R²)
        a less interpretable model ``does_not_pay``.
    clear_gain : float, default 0.05
        From this gain (5 points) on, the opacity ``pays_for_itself``; between
        ``min_gain`` and ``clear_gain`` the outcome is ``review``.
    opacity_tolerance : float, default 5.0
        A model scoring at most this many interpretability points below the baseline
        is not meaningfully more opaque, so there is no opacity to pay for.

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
    from threadpoolctl import threadpool_limits

    # One thread: the fits are small, and OpenMP spinning under CPU contention was measured
    # to slow them down tenfold (28 s instead of 3 s on 2 busy cores).
    with threadpool_limits(limits=1):
        return _assess(
            model, X, y, mean_abs_shap, seed, max_rows, cv, min_gain, clear_gain, opacity_tolerance
        )


def _assess(
    model: ModelAdapter,
    X: pd.DataFrame,
    y: np.ndarray | None,
    mean_abs_shap: dict[str, float] | None,
    seed: int,
    max_rows: int,
    cv: int,
    min_gain: float,
    clear_gain: float,
    opacity_tolerance: float,
) -> Complexity:
    task = model.task
    thresholds = {
        "min_gain": float(min_gain),
        "clear_gain": float(clear_gain),
        "opacity_tolerance": float(opacity_tolerance),
        "effective_share": EFFECTIVE_SHARE,
        "holdout_fraction": HOLDOUT,
    }
    n_total = len(X)
    rng = np.random.default_rng(seed)
    rows = (
        np.sort(rng.choice(n_total, size=max_rows, replace=False))
        if n_total > max_rows
        else np.arange(n_total)
    )
    Xs = X.iloc[rows]
    ys = None if y is None else np.asarray(y)[rows]
    n = len(rows)
    perm = np.random.default_rng(seed + 1).permutation(n)
    n_test = round(HOLDOUT * n)
    test, train = np.sort(perm[:n_test]), np.sort(perm[n_test:])
    notes: list[str] = []
    if n < n_total:
        notes.append(f"Measured on a random subsample of {n:,} of {n_total:,} rows (seed {seed}).")

    coded = _code(Xs)
    output, output_used = _model_output(model, Xs)
    labels = model.predict(Xs)
    scores = model.score(Xs) if task == "binary" else None

    size, size_note = model_size(model.estimator)
    shap_note = "global mean |SHAP| per feature supplied by the explanation stage"
    non_add, non_lin, fid = _surrogate_components(output, labels, coded, train, test, task, seed)
    model_components = _apply_size(
        (
            _effective_component(mean_abs_shap, task, shap_note),
            non_add,
            non_lin,
            _component(
                "size",
                None if size is None else float(size),
                task,
                reason=size_note,
                note=size_note,
            ),
            fid,
        )
    )
    model_keys = tuple(c.key for c in model_components if c.subscore is not None)
    missing = [c.title.lower() for c in model_components if c.subscore is None]
    if missing:
        notes.append(
            "Not measured for the model, so left out of every score: " + ", ".join(missing) + "."
        )
    model_interp = Interpretability(
        subject="audited model",
        description=model.name,
        score=_combine(model_components, model_keys),
        components=model_components,
        used=model_keys,
        reason=None if model_keys else "no component could be measured",
    )

    metric: MetricKey = (
        "r2" if task == "regression" else ("auc" if scores is not None else "accuracy")
    )
    metric_label = _METRIC_LABEL[metric]
    base: dict[str, Any] = {
        "task": task,
        "metric_label": metric_label,
        "model": model_interp,
        "n_rows": n_total,
        "n_rows_used": n,
        "seed": seed,
        "cv": cv,
        "output_used": output_used,
        "score_formula": SCORE_FORMULA,
        "thresholds": thresholds,
    }
    ms = model_interp.score
    ms_text = "n/a" if ms is None else f"{ms:.0f}/100"

    def not_applicable(reason: str, metric_value: float | None = None) -> Complexity:
        return Complexity(
            outcome="not_applicable",
            verdict=f"{reason[0].upper()}{reason[1:]}, so the model cannot be compared with a "
            f"transparent baseline; its interpretability is {ms_text}.",
            reason=reason,
            metric=metric if ys is not None else None,
            model_metric=metric_value,
            model_metric_note="" if metric_value is None else IN_SAMPLE_NOTE,
            baselines=(),
            compared_with=None,
            gain=None,
            notes=tuple(notes),
            **base,
        )

    if ys is None:
        return not_applicable("the data has no target column")

    if task == "binary":
        ys = ys.astype(np.int8)
        minority = int(min((ys == 0).sum(), (ys == 1).sum()))
        if minority < cv:
            return not_applicable(
                f"the rarer class has only {minority} rows, fewer than the {cv} cross-validation "
                "folds"
            )
    elif n < 2 * cv or _constant(ys.astype(float)):
        return not_applicable(
            "the target is constant"
            if n >= 2 * cv
            else f"only {n} rows for {cv}-fold cross-validation"
        )

    model_value = scores if metric == "auc" else labels
    model_metric = _metric(metric, ys, np.asarray(model_value))
    if model_metric is None:
        return not_applicable(f"the model's {metric_label} is undefined on these rows")

    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = (
        StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
        if task == "binary"
        else KFold(n_splits=cv, shuffle=True, random_state=seed)
    )
    folds = list(splitter.split(coded.design, ys))
    baselines: list[Baseline] = []
    for key in ("linear", "tree"):
        oof = np.zeros(n)
        fold_values: list[float | None] = []
        converged = True
        for tr, te in folds:
            est, ok = _fit_quietly(_make_baseline(key, task, seed), coded.design[tr], ys[tr])
            converged &= ok
            if task == "binary":
                proba = est.predict_proba(coded.design[te])[:, list(est.classes_).index(1)]
                oof[te] = proba if metric == "auc" else (proba >= 0.5).astype(float)
            else:
                oof[te] = est.predict(coded.design[te])
            fold_values.append(_metric(metric, ys[te], oof[te]))
        value = _metric(metric, ys, oof)
        final, ok = _fit_quietly(_make_baseline(key, task, seed), coded.design, ys)
        converged &= ok
        comps = _baseline_components(key, final, coded, train, test, task, seed)
        keys = tuple(
            k for k in model_keys if any(c.key == k and c.subscore is not None for c in comps)
        )
        if set(keys) != set(model_keys):
            notes.append(
                f"The {key} baseline's score leaves out components it lacks: "
                + ", ".join(sorted(set(model_keys) - set(keys)))
                + "."
            )
        baselines.append(
            Baseline(
                key=key,
                name=_BASELINE_NAME[(key, task)],
                metric_value=value,
                fold_values=tuple(fold_values),
                interpretability=Interpretability(
                    subject=f"{key} baseline",
                    description=_BASELINE_NAME[(key, task)],
                    score=_combine(comps, keys),
                    components=comps,
                    used=keys,
                ),
                reason=None if converged else "the solver did not fully converge",
            )
        )

    valid = [b for b in baselines if b.metric_value is not None]
    if not valid:
        return not_applicable(
            f"the baselines' {metric_label} is undefined on these rows", model_metric
        )
    best = max(valid, key=lambda b: (b.metric_value, b.interpretability.score or -1.0))
    assert best.metric_value is not None
    gain = model_metric - best.metric_value
    bs = best.interpretability.score
    pts = 100.0 * gain
    direction = "better" if pts >= 0 else "worse"
    metric_phrase = (f"{abs(pts):.1f} {metric_label} points {direction}" if abs(pts) >= 0.1
                     else f"less than 0.1 {metric_label} points {direction}")
    bs_text = "n/a" if bs is None else f"{bs:.0f}/100"
    context = (
        f" ({metric_label} {model_metric:.3f} vs {best.metric_value:.3f} cross-validated for the "
        f"{best.key} baseline, a {best.name}, on the same {n:,} rows)"
    )
    caveat = (
        " The model may have been trained on some of these rows, so its gain may be optimistic."
        if gain > 0
        else ""
    )
    opacity = None if (ms is None or bs is None) else bs - ms
    outcome: ComplexityOutcome
    if opacity is None:
        outcome = "not_applicable"
        sentence = (
            f"The model is {metric_phrase} than a transparent baseline{context}, but the "
            "interpretability scores could not be computed, so the trade-off cannot be judged."
        )
    elif opacity <= opacity_tolerance:
        outcome = "pays_for_itself"
        sentence = (
            f"The model is about as interpretable as a transparent baseline "
            f"({ms_text} vs {bs_text}), so it has no extra opacity to justify; it is "
            f"{metric_phrase} than the baseline{context}."
        )
    elif gain >= clear_gain:
        outcome = "pays_for_itself"
        sentence = (
            f"The model is {metric_phrase} than a transparent baseline{context}, at "
            f"interpretability {ms_text} vs {bs_text}; the gain is large enough to justify "
            "the opacity."
        )
    elif gain >= min_gain:
        outcome = "review"
        sentence = (
            f"The model is {metric_phrase} than a transparent baseline{context}, at "
            f"interpretability {ms_text} vs {bs_text}; review whether the gain justifies "
            "the opacity."
        )
    else:
        outcome = "does_not_pay"
        sentence = (
            f"The model is {metric_phrase} than a transparent baseline{context}, at "
            f"interpretability {ms_text} vs {bs_text}; its extra complexity does not pay for "
            "itself - consider the transparent model."
        )
    return Complexity(
        outcome=outcome,
        verdict=sentence + caveat,
        reason=None,
        metric=metric,
        model_metric=model_metric,
        model_metric_note=IN_SAMPLE_NOTE,
        baselines=tuple(baselines),
        compared_with=best.key,
        gain=gain,
        notes=tuple(notes),
        **base,
    )
