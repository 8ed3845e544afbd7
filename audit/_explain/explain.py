"""SHAP explanations of the audited model, by group, and the disparity decomposition.

The explainer is chosen per model and always verified:

* **linear** final estimators (``LogisticRegression``, ``Ridge``, ...) get exact
  interventional SHAP computed directly, ``phi_j = w_j (z_j - mean_background z_j)``,
  in the space the final estimator sees;
* **tree** ensembles (scikit-learn forests / boosting / single trees, LightGBM,
  XGBoost) get ``shap.TreeExplainer`` in *interventional* mode with the
  background sample;
* anything else, and any explainer whose values fail the additivity check, gets a
  model-agnostic shap explainer (``ExactExplainer`` for up to
  :data:`EXACT_MAX_FEATURES` columns, ``PermutationExplainer`` above) on
  numerically coded original columns.

Why interventional for trees: it is the same game the linear and model-agnostic
explainers play (features outside a coalition are drawn from the background), so
attributions mean the same thing whichever explainer ran, and the base value is
the mean model output over a sample of the audited population rather than over
the training data the model remembers in its node counts.

For scikit-learn Pipelines every step but the last is applied, the final estimator
is explained in its own (transformed) space, and the attributions of all the
transformed columns that come from one original column are summed back onto it,
so the report speaks of ``zip_code``, not ``onehot__zip_code_94110``.  For linear
final estimators the summed values are exactly the interventional Shapley values
of the original columns; for trees they are the (exactly additive) sum of the
per-column values, the usual convention for one-hot encoded inputs.

Whatever explainer ran, ``base_value + sum(phi)`` is compared with the model's own
output (``decision_function`` / raw margin / logit of ``predict_proba`` in
log-odds space, ``predict_proba`` in probability space, ``predict`` for
regression).  ``shap.TreeExplainer`` is silently wrong on
``HistGradientBoostingClassifier`` with native categorical splits; this check is
what catches it.

Sampling
--------
The explanation sample is stratified on the cells formed by the single-attribute
groupings (intersections are not used as strata; they are the cells themselves).
Every group of every single-attribute grouping gets at least
``min(n_group, MIN_PER_GROUP)`` rows; the rest is allocated proportionally.
Within a cell rows are drawn without replacement, so every row's inclusion
probability is ``n_cell / N_cell``; each sampled row carries the Horvitz-Thompson
weight ``N_cell / n_cell`` and *every* mean reported here (global and per group)
is weighted by it, so oversampled small groups do not distort population figures.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._errors import InputError, ModelError, UnsupportedError
from .._inputs.model import ModelAdapter
from .._inputs.prepared import Grouping
from .._result.explanation import (  # noqa: F401
    CANCEL_SHARE,
    EXPLAINER_DESCRIPTIONS,
    Beeswarm,
    BeeswarmFeature,
    Contribution,
    DriverItem,
    DriverSummary,
    Explanation,
    FeatureImportance,
    GapDecomposition,
    GroupAttribution,
    GroupingAttribution,
    OutputSpace,
)
from .._result.tables import Estimate

#: every group of a single-attribute grouping gets at least min(its size, this) sample rows
MIN_PER_GROUP = 30
#: model-agnostic fallback: exact enumeration up to this many original columns
EXACT_MAX_FEATURES = 6
#: model-agnostic fallback: background rows used (small, it multiplies the cost)
AGNOSTIC_BACKGROUND = 50
#: model-agnostic fallback: antithetic permutation pairs per row
PERMUTATIONS = 5
#: features shown in the beeswarm plot data
BEESWARM_TOP = 10
#: at most this many rows per feature in the beeswarm plot data
BEESWARM_MAX_POINTS = 1000
#: top drivers listed in the sentence-ready summaries
SUMMARY_TOP = 3



# --------------------------------------------------------------------------- results






















# --------------------------------------------------------------------------- sampling


def _strata_groupings(groupings: Sequence[Grouping]) -> list[Grouping]:
    single = [g for g in groupings if g.family != "intersection"]
    return single if single else list(groupings)


def _largest_remainder(total: int, sizes: np.ndarray) -> np.ndarray:
    """Split ``total`` proportionally to ``sizes`` into integers summing to ``total``."""
    if sizes.sum() == 0:
        return np.zeros_like(sizes)
    exact = total * sizes / sizes.sum()
    out = np.floor(exact).astype(np.int64)
    left = int(total - out.sum())
    if left > 0:
        order = np.argsort(-(exact - out), kind="stable")[:left]
        out[order] += 1
    return out


def stratified_sample(
    n_rows: int,
    groupings: Sequence[Grouping],
    n_sample: int,
    rng: np.random.Generator,
    min_per_group: int = MIN_PER_GROUP,
) -> tuple[np.ndarray, np.ndarray, str, bool]:
    """Draw the explanation sample, stratified by the single-attribute groupings.

    Parameters
    ----------
    n_rows : int
        Number of rows to sample from.
    groupings : sequence of Grouping
        Per-row group codes; cells of the single-attribute groupings are the strata.
    n_sample : int
        Target sample size (may be exceeded only when the per-group minimums need it).
    rng : numpy.random.Generator
        Source of randomness.
    min_per_group : int
        Every group gets at least ``min(group size, min_per_group)`` rows.

    Returns
    -------
    rows, weights, description, weighted
        Sorted row positions, their Horvitz-Thompson weights, a plain-language
        description and whether the weights are not all equal.

    Examples
    --------
    >>> rows, w, _, _ = stratified_sample(10, [], 4, np.random.default_rng(0))
    >>> len(rows), float(w[0])
    (4, 2.5)
    """
    if n_rows <= n_sample:
        return (
            np.arange(n_rows),
            np.ones(n_rows),
            f"all {n_rows} rows explained (no sampling)",
            False,
        )
    strata = _strata_groupings(groupings)
    if strata:
        codes = np.column_stack([np.asarray(g.codes, dtype=np.int64) for g in strata])
        cells, cell_of_row = np.unique(codes, axis=0, return_inverse=True)
        cell_of_row = np.asarray(cell_of_row).ravel()
    else:
        cells = np.zeros((1, 0), dtype=np.int64)
        cell_of_row = np.zeros(n_rows, dtype=np.int64)
    sizes = np.bincount(cell_of_row, minlength=len(cells)).astype(np.int64)
    alloc = _largest_remainder(n_sample, sizes.astype(float))
    alloc = np.minimum(alloc, sizes)
    # keep every non-empty cell represented when the budget allows it
    if len(cells) <= n_sample:
        alloc = np.maximum(alloc, (sizes > 0).astype(np.int64))
    # per-group minimums: (grouping k, group g) -> target
    targets: list[tuple[np.ndarray, int]] = []
    for k, g in enumerate(strata):
        gsizes = np.bincount(np.asarray(g.codes), minlength=len(g.labels))
        for gi, size in enumerate(gsizes):
            if size > 0:
                members = np.flatnonzero(cells[:, k] == gi)
                targets.append((members, int(min(size, min_per_group))))
    for _ in range(4):  # boosting one group never lowers another; a few passes settle it
        changed = False
        for members, target in targets:
            have = int(alloc[members].sum())
            if have < target:
                room = sizes[members] - alloc[members]
                extra = np.minimum(_largest_remainder(target - have, room.astype(float)), room)
                alloc[members] += extra
                changed = True
        if not changed:
            break
    # trim the excess from cells whose groups stay above their minimums
    excess = int(alloc.sum()) - n_sample
    protected_floor = np.where(sizes > 0, 1, 0) if len(cells) <= n_sample else np.zeros_like(sizes)
    while excess > 0:
        ok = alloc > protected_floor
        for members, target in targets:
            if alloc[members].sum() <= target:
                ok[members] = False
        if not ok.any():
            break
        # trim the most over-represented cell (relative to proportional allocation)
        ratio = np.where(ok, alloc / np.maximum(sizes, 1), -np.inf)
        c = int(np.argmax(ratio))
        alloc[c] -= 1
        excess -= 1
    rows: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for c in range(len(cells)):
        if alloc[c] == 0:
            continue
        members = np.flatnonzero(cell_of_row == c)
        pick = rng.choice(members, size=int(alloc[c]), replace=False)
        rows.append(pick)
        weights.append(np.full(len(pick), sizes[c] / alloc[c]))
    rows_a = np.concatenate(rows)
    weights_a = np.concatenate(weights)
    order = np.argsort(rows_a, kind="stable")
    rows_a, weights_a = rows_a[order], weights_a[order]
    weighted = bool(np.ptp(weights_a) > 1e-12 * weights_a.max())
    missing_cells = int(((alloc == 0) & (sizes > 0)).sum())
    names = ", ".join(g.name for g in strata) if strata else "nothing"
    desc = (
        f"{len(rows_a)} of {n_rows} rows, stratified by {names} "
        f"({len(cells)} cells; each group has at least min(its size, {min_per_group}) rows); "
        + (
            "means are weighted back to the population (weights N_cell/n_cell)"
            if weighted
            else "proportional allocation, so no reweighting is needed"
        )
        + (f"; {missing_cells} tiny cells have no sampled row" if missing_cells else "")
    )
    return rows_a, weights_a, desc, weighted


# --------------------------------------------------------------------------- model plumbing


def _flatten_pipeline(estimator: Any) -> tuple[list[Any], Any]:
    """Preprocessing steps (in order) and the final estimator of a nested Pipeline."""
    pre: list[Any] = []
    while hasattr(estimator, "steps"):
        steps = [s for _, s in estimator.steps]
        pre.extend(s for s in steps[:-1] if s is not None and s != "passthrough")
        estimator = steps[-1]
    return pre, estimator


def _transform(pre: list[Any], X: Any) -> Any:
    Z = X
    for step in pre:
        Z = step.transform(Z)
    return Z


def _is_tree(final: Any) -> bool:
    mod = type(final).__module__
    name = type(final).__name__
    if mod.startswith(("sklearn.ensemble", "sklearn.tree")):
        return name in {
            "RandomForestClassifier",
            "RandomForestRegressor",
            "ExtraTreesClassifier",
            "ExtraTreesRegressor",
            "GradientBoostingClassifier",
            "GradientBoostingRegressor",
            "HistGradientBoostingClassifier",
            "HistGradientBoostingRegressor",
            "DecisionTreeClassifier",
            "DecisionTreeRegressor",
            "ExtraTreeClassifier",
            "ExtraTreeRegressor",
        }
    return _is_lightgbm(final) or _is_xgboost(final)


def _is_lightgbm(final: Any) -> bool:
    return type(final).__module__.startswith("lightgbm") and hasattr(final, "booster_")


def _is_xgboost(final: Any) -> bool:
    return type(final).__module__.startswith("xgboost") and hasattr(final, "get_booster")


def _is_linear(final: Any) -> bool:
    mod = type(final).__module__
    linear_mod = mod.startswith("sklearn.linear_model") or type(final).__name__ in {
        "LinearSVC",
        "LinearSVR",
    }
    return linear_mod and hasattr(final, "coef_") and hasattr(final, "intercept_")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p.astype(float), 1e-300, 1.0)
    q = np.clip(1.0 - p, 1e-300, 1.0)
    return np.log(p) - np.log(q)


@dataclass
class _ModelOutput:
    """The quantity being explained, computed from the model on original columns."""

    model: ModelAdapter
    pre: list[Any]
    final: Any
    space: OutputSpace
    kind: Literal["decision", "lgbm", "xgb", "logit", "proba", "predict"]
    class_idx: int  # column of predict_proba for the positive label
    sign: float  # -1 when the positive label is classes_[0] for margins

    def __call__(self, X: pd.DataFrame) -> np.ndarray:
        est = self.model.estimator
        try:
            if self.kind == "predict":
                return np.asarray(est.predict(X), dtype=float).ravel()
            if self.kind == "proba":
                return np.asarray(est.predict_proba(X), dtype=float)[:, self.class_idx]
            if self.kind == "decision":
                return self.sign * np.asarray(est.decision_function(X), dtype=float).ravel()
            if self.kind == "lgbm":
                Z = _transform(self.pre, X)
                return (
                    self.sign
                    * np.asarray(self.final.predict(Z, raw_score=True), dtype=float).ravel()
                )
            if self.kind == "xgb":
                Z = _transform(self.pre, X)
                return (
                    self.sign
                    * np.asarray(self.final.predict(Z, output_margin=True), dtype=float).ravel()
                )
            p = np.asarray(est.predict_proba(X), dtype=float)[:, self.class_idx]
            return _logit(p)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ModelError(
                f"{self.model.source}: the model failed while being explained "
                f"({type(exc).__name__}: {first[:200]}) - check that the data has the columns "
                "and types the model was trained on"
            ) from exc


def _choose_output(
    model: ModelAdapter, pre: list[Any], final: Any, X: pd.DataFrame
) -> _ModelOutput:
    est = model.estimator
    if model.task == "regression":
        return _ModelOutput(model, pre, final, "raw", "predict", 0, 1.0)
    classes = list(getattr(est, "classes_", getattr(final, "classes_", [0, 1])))
    pos = model.positive_label if model.positive_label is not None else classes[-1]
    if pos not in classes:
        raise InputError(
            f"{model.source}: positive label {pos!r} is not one of the model's classes "
            f"{classes} - pass a positive label the model knows"
        )
    class_idx = classes.index(pos)
    sign = 1.0 if class_idx == len(classes) - 1 else -1.0
    kind: Literal["decision", "lgbm", "xgb", "logit", "proba", "predict"] | None = None
    if hasattr(est, "decision_function"):
        kind = "decision"
    elif _is_lightgbm(final):
        kind = "lgbm"
    elif _is_xgboost(final):
        kind = "xgb"
    has_proba = hasattr(est, "predict_proba")
    if kind is not None:
        margin = _ModelOutput(model, pre, final, "log-odds", kind, class_idx, sign)
        if not has_proba:
            return _ModelOutput(model, pre, final, "raw", kind, class_idx, sign)
        probe = X.iloc[: min(len(X), 200)]
        m = margin(probe)
        p = _ModelOutput(model, pre, final, "probability", "proba", class_idx, sign)(probe)
        z = np.clip(m, -700, 700)
        if np.allclose(1.0 / (1.0 + np.exp(-z)), p, rtol=0, atol=1e-7):
            return margin
        return _ModelOutput(model, pre, final, "probability", "proba", class_idx, sign)
    if has_proba:
        return _ModelOutput(model, pre, final, "probability", "proba", class_idx, sign)
    raise UnsupportedError(
        f"{model.source}: the classifier has neither predict_proba nor decision_function - "
        "SHAP needs a continuous output; use a model that provides scores"
    )


def _units(out: _ModelOutput) -> str:
    if out.model.task == "regression":
        return "units of the model's prediction"
    pos = out.model.positive_label
    label = f"'{pos}'" if pos is not None else "the positive class"
    if out.space == "log-odds":
        return f"log-odds of predicting {label}"
    if out.space == "probability":
        return f"probability of predicting {label}"
    return f"decision score for {label}"


# --------------------------------------------------------------------------- pipeline mapping


class _Unmappable(Exception):
    """A preprocessing step whose output columns cannot be traced to one input column each."""


_ONE_TO_ONE = {
    "StandardScaler",
    "MinMaxScaler",
    "MaxAbsScaler",
    "RobustScaler",
    "QuantileTransformer",
    "PowerTransformer",
    "Binarizer",
    "OrdinalEncoder",
    "TargetEncoder",
}


def _resolve_columns(cols: Any, names: list[str] | None, n_in: int) -> np.ndarray:
    if callable(cols):
        raise _Unmappable("callable column selector")
    if isinstance(cols, slice):
        if isinstance(cols.start, str) or isinstance(cols.stop, str):
            if names is None:
                raise _Unmappable("string slice without feature names")
            start = names.index(cols.start) if cols.start is not None else 0
            stop = names.index(cols.stop) + 1 if cols.stop is not None else n_in
            return np.arange(start, stop)
        return np.arange(n_in)[cols]
    if isinstance(cols, (str, int, np.integer)):
        cols = [cols]
    arr = list(cols)
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int64)
    if all(isinstance(c, (bool, np.bool_)) for c in arr):
        return np.flatnonzero(np.asarray(arr, dtype=bool))
    if all(isinstance(c, str) for c in arr):
        if names is None:
            raise _Unmappable("column names without feature_names_in_")
        return np.asarray([names.index(c) for c in arr], dtype=np.int64)
    return np.asarray(arr, dtype=np.int64)


def _owner_map(step: Any, n_in: int) -> np.ndarray:
    """For each output column of a fitted transformer, the input column it comes from."""
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return np.arange(n_in)
    name = type(step).__name__
    if hasattr(step, "steps"):  # nested Pipeline
        owner = np.arange(n_in)
        for _, sub in step.steps:
            if sub is None or (isinstance(sub, str) and sub == "passthrough"):
                continue
            owner = owner[_owner_map(sub, len(owner))]
        return owner
    if name == "ColumnTransformer":
        n_out = max((s.stop for s in step.output_indices_.values()), default=0)
        owner = np.full(n_out, -1, dtype=np.int64)
        names = list(getattr(step, "feature_names_in_", [])) or None
        private = getattr(step, "_transformer_to_input_indices", {})
        for tname, trans, cols in step.transformers_:
            sl = step.output_indices_.get(tname)
            if sl is None or sl.stop == sl.start or (isinstance(trans, str) and trans == "drop"):
                continue
            if tname in private:
                in_idx = np.asarray(private[tname], dtype=np.int64)
            else:
                in_idx = _resolve_columns(cols, names, step.n_features_in_)
            sub = _owner_map(trans, len(in_idx))
            if len(sub) != sl.stop - sl.start:
                raise _Unmappable(f"{tname}: {len(sub)} != {sl.stop - sl.start} outputs")
            owner[sl] = in_idx[sub]
        if (owner < 0).any():
            raise _Unmappable("ColumnTransformer outputs not covered")
        return owner
    if name == "FeatureUnion":
        parts = [
            _owner_map(t, n_in)
            for _, t in step.transformer_list
            if not (isinstance(t, str) and t == "drop")
        ]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if name == "OneHotEncoder":
        counts = getattr(step, "_n_features_outs", None)
        if counts is None:
            drop = getattr(step, "drop_idx_", None)
            counts = [
                len(c) - (0 if drop is None or drop[i] is None else 1)
                for i, c in enumerate(step.categories_)
            ]
        return np.repeat(np.arange(n_in), np.asarray(counts, dtype=np.int64))
    if name == "SimpleImputer":
        stats = np.asarray(step.statistics_, dtype=object)
        empty = np.asarray(pd.isna(pd.Series(stats, dtype=object)), dtype=bool)
        keep = np.arange(n_in) if step.keep_empty_features else np.flatnonzero(~empty)
        if step.add_indicator and getattr(step, "indicator_", None) is not None:
            keep = np.concatenate([keep, np.asarray(step.indicator_.features_, dtype=np.int64)])
        return keep
    if name == "MissingIndicator":
        return np.asarray(step.features_, dtype=np.int64)
    if name == "KBinsDiscretizer":
        if step.encode == "ordinal":
            return np.arange(n_in)
        enc = getattr(step, "_encoder", None)
        if enc is not None:
            return _owner_map(enc, n_in)
        return np.repeat(np.arange(n_in), np.asarray(step.n_bins_, dtype=np.int64))
    if name == "SplineTransformer":
        n_out = int(step.n_features_out_)
        if n_in == 0 or n_out % n_in:
            raise _Unmappable("SplineTransformer layout")
        return np.repeat(np.arange(n_in), n_out // n_in)
    if name == "FunctionTransformer":
        func = step.func
        if func is None or isinstance(func, np.ufunc) or step.feature_names_out == "one-to-one":
            return np.arange(n_in)
        raise _Unmappable("FunctionTransformer with an arbitrary function")
    if hasattr(step, "get_support") and type(step).__module__.startswith(
        "sklearn.feature_selection"
    ):
        return np.asarray(step.get_support(indices=True), dtype=np.int64)
    if name in _ONE_TO_ONE:
        n_out = getattr(step, "n_features_out_", None)
        if name == "TargetEncoder" and len(getattr(step, "classes_", [])) > 2:
            raise _Unmappable("multiclass TargetEncoder")
        if n_out is not None and n_out != n_in:
            raise _Unmappable(f"{name} changes the number of columns")
        return np.arange(n_in)
    raise _Unmappable(f"{name} is not a known column-wise transformer")


def _sum_back_matrix(pre: list[Any], X: pd.DataFrame, n_transformed: int) -> sp.csr_matrix:
    """Sparse (n_transformed x n_original) 0/1 matrix mapping transformed to original columns."""
    p = X.shape[1]
    owner = np.arange(p)
    for step in pre:
        names_in = getattr(step, "feature_names_in_", None)
        if (
            step is pre[0]
            and names_in is not None
            and [str(c) for c in names_in] != [str(c) for c in X.columns]
        ):
            raise _Unmappable("the pipeline expects its columns in another order")
        owner = owner[_owner_map(step, len(owner))]
    if len(owner) != n_transformed:
        raise _Unmappable(f"mapped {len(owner)} columns but the pipeline made {n_transformed}")
    return sp.csr_matrix(
        (np.ones(n_transformed), (np.arange(n_transformed), owner)), shape=(n_transformed, p)
    )


# --------------------------------------------------------------------------- explainers


@dataclass
class _Raw:
    phi: np.ndarray  # (n_sample, n_features) on original columns
    base: float
    explainer: str
    n_background: int


def _as_matrix(Z: Any) -> Any:
    if sp.issparse(Z):
        return sp.csr_matrix(Z, dtype=float)
    return np.asarray(Z, dtype=float)


def _dense(Z: Any) -> np.ndarray:
    return Z.toarray() if sp.issparse(Z) else np.asarray(Z, dtype=float)


def _linear(out: _ModelOutput, Zs: Any, Zb: Any, M: sp.csr_matrix) -> _Raw:
    final = out.final
    coef = np.asarray(final.coef_, dtype=float)
    if coef.ndim == 2:
        if coef.shape[0] != 1:
            raise _Unmappable("multi-output linear model")
        coef = coef[0]
    intercept = (
        float(np.ravel(np.asarray(final.intercept_, dtype=float))[0])
        if np.ndim(final.intercept_)
        else float(final.intercept_)
    )
    w = out.sign * coef
    b = out.sign * intercept
    mu = np.asarray(Zb.mean(axis=0), dtype=float).ravel()
    shift = (mu * w) @ M  # (p,)
    if sp.issparse(Zs):
        phi = np.asarray((Zs @ sp.diags(w) @ M).todense()) - shift
    else:
        phi = (Zs * w) @ M - shift
    return _Raw(np.asarray(phi, dtype=float), float(mu @ w + b), "linear_exact", Zb.shape[0])


def _import_shap() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap

    return shap


def _tree(
    out: _ModelOutput, Zs: Any, Zb: Any, M: sp.csr_matrix, interventional: bool = True
) -> _Raw:
    shap = _import_shap()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer = shap.TreeExplainer(
            out.final,
            data=_dense(Zb) if interventional else None,
            feature_perturbation="interventional" if interventional else "tree_path_dependent",
            model_output="raw",
        )
        values = np.asarray(explainer.shap_values(_dense(Zs), check_additivity=False), dtype=float)
    expected = np.ravel(np.asarray(explainer.expected_value, dtype=float))
    if values.ndim == 3:  # one output per class (forests): take the positive class
        values = values[:, :, out.class_idx]
        base = float(expected[out.class_idx])
    else:
        values = out.sign * values
        base = out.sign * float(expected[0])
    name = "tree_interventional" if interventional else "tree_path_dependent"
    return _Raw(
        np.asarray(values @ M, dtype=float), base, name, Zb.shape[0] if interventional else 0
    )


class _Codec:
    """Numeric coding of a DataFrame for model-agnostic explainers, and its inverse."""

    def __init__(self, frames: Sequence[pd.DataFrame]) -> None:
        ref = frames[0]
        self.columns = list(ref.columns)
        self.dtypes = [ref[c].dtype for c in self.columns]
        self.categories: list[np.ndarray | None] = []
        for j, c in enumerate(self.columns):
            dt = self.dtypes[j]
            if pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt):
                self.categories.append(None)
                continue
            vals = pd.concat([f[c] for f in frames], ignore_index=True)
            uniq = pd.unique(vals[vals.notna()].astype(object))
            self.categories.append(np.asarray(uniq, dtype=object))

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(X), len(self.columns)), dtype=float)
        for j, c in enumerate(self.columns):
            cats = self.categories[j]
            col = X[c]
            if cats is None:
                out[:, j] = pd.to_numeric(col, errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan
                )
            else:
                lookup = {v: i for i, v in enumerate(cats)}
                out[:, j] = [np.nan if pd.isna(v) else float(lookup[v]) for v in col.astype(object)]
        return out

    def decode(self, A: np.ndarray) -> pd.DataFrame:
        data: dict[str, Any] = {}
        for j, c in enumerate(self.columns):
            cats = self.categories[j]
            dt = self.dtypes[j]
            col = A[:, j]
            if cats is None:
                if pd.api.types.is_integer_dtype(dt) and not np.isnan(col).any():
                    data[c] = pd.array(np.rint(col).astype(np.int64)).astype(dt)
                else:
                    data[c] = pd.array(col, dtype=dt) if pd.api.types.is_float_dtype(dt) else col
            else:
                nan = np.isnan(col)
                idx = np.where(nan, 0, np.rint(np.nan_to_num(col))).astype(np.int64)
                vals = (
                    np.asarray(cats, dtype=object)[idx]
                    if len(cats)
                    else np.full(len(col), None, dtype=object)
                )
                vals[nan] = None
                data[c] = pd.array(list(vals), dtype=dt)
        return pd.DataFrame(data, columns=self.columns)


def _agnostic(out: _ModelOutput, Xs: pd.DataFrame, Xb: pd.DataFrame, seed: int) -> _Raw:
    shap = _import_shap()
    codec = _Codec([Xs, Xb])
    A = codec.encode(Xs)
    Ab = codec.encode(Xb.iloc[: min(len(Xb), AGNOSTIC_BACKGROUND)])
    p = A.shape[1]

    def f(arr: np.ndarray) -> np.ndarray:
        return out(codec.decode(np.asarray(arr, dtype=float)))

    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    state = np.random.get_state()  # PermutationExplainer reseeds numpy's global RNG
    try:
        # thousands of small model calls: thread start-up costs more than it saves
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            masker = shap.maskers.Independent(Ab, max_samples=len(Ab))
            if p <= EXACT_MAX_FEATURES:
                res = shap.ExactExplainer(f, masker)(A, silent=True)
                name = "exact"
            else:
                res = shap.PermutationExplainer(f, masker, seed=seed)(
                    A, max_evals=PERMUTATIONS * (2 * p + 1), silent=True
                )
                name = "permutation"
    finally:
        np.random.set_state(state)
    values = np.asarray(res.values, dtype=float)
    base = float(np.ravel(np.asarray(res.base_values, dtype=float))[0])
    return _Raw(values, base, name, len(Ab))


@dataclass
class Attributions:
    """Per-row SHAP values on original columns (not serialised; for :func:`explain` and tests).

    ``phi[i, j]`` is the attribution of ``features[j]`` on row ``i``; ``base + phi.sum(1)``
    reproduces ``output_values`` (the model's own output) within ``tolerance`` when ``ok``.
    """

    raw: _Raw
    output: _ModelOutput
    output_values: np.ndarray
    max_error: float
    tolerance: float
    ok: bool
    notes: list[str]

    @property
    def phi(self) -> np.ndarray:
        return self.raw.phi

    @property
    def base(self) -> float:
        return self.raw.base

    @property
    def explainer(self) -> str:
        return self.raw.explainer

    @property
    def output_space(self) -> OutputSpace:
        return self.output.space


def compute_attributions(
    model: ModelAdapter, Xs: pd.DataFrame, Xb: pd.DataFrame, *, seed: int = 0
) -> Attributions:
    """SHAP values of the rows ``Xs`` against the background ``Xb``, checked for additivity.

    Chooses the explainer (linear exact / TreeExplainer / model-agnostic), sums
    pipeline attributions back onto the original columns and falls back to a
    model-agnostic explainer when the values do not add up to the model's output.

    Parameters
    ----------
    model : ModelAdapter
        The fitted model.
    Xs, Xb : pandas.DataFrame
        Rows to explain and background rows, both with the model's input columns.
    seed : int
        Seed of the permutation explainer (when used).

    Returns
    -------
    Attributions
    """
    Xs = Xs.reset_index(drop=True)
    Xb = Xb.reset_index(drop=True)
    X = Xs
    pre, final = _flatten_pipeline(model.estimator)
    out = _choose_output(model, pre, final, Xs)
    fx = out(Xs)
    scale = max(1.0, float(np.max(np.abs(fx))) if len(fx) else 1.0)
    tol = (1e-4 if _is_xgboost(final) else 1e-6) * scale  # XGBoost computes in float32

    notes: list[str] = []
    raw: _Raw | None = None
    first_try: str | None = None
    kind = (
        "linear"
        if _is_linear(final) and out.space != "probability"
        else ("tree" if _is_tree(final) else "other")
    )
    if kind != "other":
        first_try = "exact linear SHAP" if kind == "linear" else "shap.TreeExplainer"
        try:
            Zs = _as_matrix(_transform(pre, Xs))
            Zb = _as_matrix(_transform(pre, Xb))
            M = _sum_back_matrix(pre, X, Zs.shape[1])
            raw = _linear(out, Zs, Zb, M) if kind == "linear" else _tree(out, Zs, Zb, M)
        except _Unmappable as exc:
            notes.append(
                f"{first_try} was not used: a preprocessing step cannot be traced back to the "
                f"original columns ({exc}); a model-agnostic explainer was used instead"
            )
            raw = None
        except Exception as exc:
            notes.append(
                f"{first_try} failed on this model ({type(exc).__name__}); "
                "a model-agnostic explainer was used instead"
            )
            raw = None
        if raw is not None:
            err = float(np.max(np.abs(raw.base + raw.phi.sum(1) - fx)))
            if not err <= tol and kind == "tree":
                # shap's interventional TreeExplainer rounds split thresholds to float32 and can
                # send a row down the other branch than the model; the path-dependent algorithm
                # reads the same trees without that problem in most cases.
                bad = int(np.sum(np.abs(raw.base + raw.phi.sum(1) - fx) > tol))
                try:
                    alt = _tree(out, Zs, Zb, M, interventional=False)
                    alt_err = float(np.max(np.abs(alt.base + alt.phi.sum(1) - fx)))
                except Exception:
                    alt, alt_err = None, math.inf
                if alt is not None and alt_err <= tol:
                    notes.append(
                        f"the interventional TreeExplainer did not add up to the model's output "
                        f"on {bad} of {len(fx)} rows (largest error {err:.3g}), so the "
                        "path-dependent TreeExplainer was used; its values add up exactly but "
                        "treat absent features through the training data's tree paths rather "
                        "than the background sample"
                    )
                    raw, err = alt, alt_err
            if not err <= tol:
                notes.append(
                    f"{first_try} gave attributions that do not add up to the model's own "
                    f"output (largest error {err:.3g} {_units(out)}; allowed {tol:.1g}), so they "
                    "were discarded and a model-agnostic explainer was used instead"
                )
                raw = None
    if raw is None:
        raw = _agnostic(out, Xs, Xb, seed)
    err = float(np.max(np.abs(raw.base + raw.phi.sum(1) - fx)))
    ok = bool(err <= tol)
    if not ok:
        notes.append(
            f"the attributions do not add up to the model's output (largest error {err:.3g}); "
            "treat the explanation with caution"
        )

    return Attributions(raw, out, fx, err, tol, ok, notes)


# --------------------------------------------------------------------------- aggregation


def _wmean(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.asarray((w @ a) / w.sum())


def _rank01(x: np.ndarray) -> list[float | None]:
    ok = ~np.isnan(x)
    out: list[float | None] = [None] * len(x)
    if ok.sum() == 0:
        return out
    r = pd.Series(x[ok]).rank(method="average").to_numpy()
    m = ok.sum()
    scaled = (r - 1) / (m - 1) if m > 1 else np.full(m, 0.5)
    for i, v in zip(np.flatnonzero(ok), scaled):
        out[int(i)] = round(float(v), 4)
    return out


def _beeswarm(
    phi: np.ndarray,
    Xs: pd.DataFrame,
    order: list[int],
    features: list[str],
    rng: np.random.Generator,
) -> Beeswarm:
    n = phi.shape[0]
    rows = np.arange(n)
    if n > BEESWARM_MAX_POINTS:
        rows = np.sort(rng.choice(n, BEESWARM_MAX_POINTS, replace=False))
    feats: list[BeeswarmFeature] = []
    for j in order[:BEESWARM_TOP]:
        col = Xs.iloc[rows, j]
        dt = col.dtype
        numeric = bool(pd.api.types.is_numeric_dtype(dt))
        if numeric:
            colour = _rank01(col.to_numpy(dtype=float, na_value=np.nan))
        else:
            colour = [None] * len(rows)
        feats.append(
            BeeswarmFeature(
                feature=features[j],
                numeric=numeric,
                shap=tuple(round(float(v), 4) for v in phi[rows, j]),
                colour=tuple(colour),
            )
        )
    return Beeswarm(n_points=len(rows), features=tuple(feats))


def _ci(samples: np.ndarray) -> tuple[float | None, float | None]:
    s = samples[np.isfinite(samples)]
    if len(s) < 2:
        return None, None
    lo, hi = np.percentile(s, [2.5, 97.5])
    return float(lo), float(hi)


def _fmt(x: float) -> str:
    return f"{x:+.3g}"


def _summary(dec: GapDecomposition, units: str, space: OutputSpace) -> DriverSummary | None:
    if dec.reason is not None or dec.gap.value is None:
        return None
    gap = dec.gap.value
    gap_pp = dec.gap_pp.value if dec.gap_pp is not None else None
    direction: Literal["higher", "lower", "equal"] = (
        "higher" if gap > 0 else "lower" if gap < 0 else "equal"
    )
    pp_ok = (
        space == "log-odds"
        and gap_pp is not None
        and abs(gap) > 1e-12
        and np.sign(gap_pp) == np.sign(gap)
    )
    items: list[DriverItem] = []
    for c in dec.contributions[:SUMMARY_TOP]:
        v = c.value.value if c.value.value is not None else 0.0
        pp = c.share * gap_pp if (pp_ok and c.share is not None and gap_pp is not None) else None
        items.append(
            DriverItem(
                feature=c.feature,
                contribution=v,
                lo=c.value.lo,
                hi=c.value.hi,
                share=c.share,
                pp=pp,
                direction="raises" if v >= 0 else "lowers",
            )
        )
    head = (
        f"On {dec.attribute}, the mean model output for '{dec.group}' is "
        f"{abs(gap):.3g} {direction} than for '{dec.reference}' ({units})"
    )
    if gap_pp is not None:
        head += f", {abs(gap_pp):.3g} percentage points of predicted probability"
    parts = []
    for it in items:
        txt = f"{it.feature} {_fmt(it.contribution)}"
        if it.lo is not None and it.hi is not None:
            txt += f" (95% interval {it.lo:.3g} to {it.hi:.3g})"
        if it.pp is not None:
            txt += f", about {it.pp:+.2g} pp"
        parts.append(txt)
    sentence = head + (". Largest drivers: " + "; ".join(parts) + "." if parts else ".")
    return DriverSummary(
        attribute=dec.attribute,
        group=dec.group,
        reference=dec.reference,
        units=units,
        gap=gap,
        gap_pp=gap_pp,
        direction=direction,
        drivers=tuple(items),
        sentence=sentence,
    )


def _decompose(
    grouping: Grouping,
    codes: np.ndarray,
    phi: np.ndarray,
    fx: np.ndarray,
    prob: np.ndarray | None,
    w: np.ndarray,
    features: list[str],
    n_boot: int,
    rng: np.random.Generator,
) -> list[GapDecomposition]:
    ref = grouping.reference
    ref_label = grouping.labels[ref]
    rmask = codes == ref
    out: list[GapDecomposition] = []
    for gi, label in enumerate(grouping.labels):
        if gi == ref:
            continue
        gmask = codes == gi
        ng, nr = int(gmask.sum()), int(rmask.sum())
        if ng == 0 or nr == 0:
            who = f"'{label}'" if ng == 0 else f"the reference group '{ref_label}'"
            out.append(
                GapDecomposition(
                    attribute=grouping.name,
                    group=label,
                    reference=ref_label,
                    n_group=ng,
                    n_reference=nr,
                    gap=Estimate(None, reason=f"{who} has no rows in the explanation sample"),
                    contributions=(),
                    residual=None,
                    reason=f"{who} has no rows in the explanation sample",
                )
            )
            continue
        pg, pr = phi[gmask], phi[rmask]
        wg, wr = w[gmask], w[rmask]
        contrib = _wmean(pg, wg) - _wmean(pr, wr)
        gap = float(_wmean(fx[gmask], wg) - _wmean(fx[rmask], wr))
        gap_pp_val = (
            float(100 * (_wmean(prob[gmask], wg) - _wmean(prob[rmask], wr)))
            if prob is not None
            else None
        )
        boot_ok = n_boot > 0 and ng >= 2 and nr >= 2
        if boot_ok:
            cg = rng.multinomial(ng, np.full(ng, 1.0 / ng), size=n_boot) * wg
            cr = rng.multinomial(nr, np.full(nr, 1.0 / nr), size=n_boot) * wr
            sg, sr = cg.sum(1, keepdims=True), cr.sum(1, keepdims=True)
            bc = (cg @ pg) / sg - (cr @ pr) / sr  # (B, p)
            bgap = ((cg @ fx[gmask])[:, None] / sg - (cr @ fx[rmask])[:, None] / sr).ravel()
            bpp = (
                100 * ((cg @ prob[gmask])[:, None] / sg - (cr @ prob[rmask])[:, None] / sr).ravel()
                if prob is not None
                else None
            )
        no_ci = None if boot_ok else "fewer than 2 rows in a group: no interval"
        order = np.argsort(-np.abs(contrib), kind="stable")
        shares_ok = abs(gap) > 1e-12
        contributions = []
        for j in order:
            lo, hi = _ci(bc[:, j]) if boot_ok else (None, None)
            contributions.append(
                Contribution(
                    feature=features[j],
                    value=Estimate(float(contrib[j]), lo, hi, no_ci),
                    share=float(contrib[j] / gap) if shares_ok else None,
                )
            )
        glo, ghi = _ci(bgap) if boot_ok else (None, None)
        gap_pp = None
        if gap_pp_val is not None:
            plo, phi_ = _ci(bpp) if (boot_ok and bpp is not None) else (None, None)
            gap_pp = Estimate(gap_pp_val, plo, phi_, no_ci)
        out.append(
            GapDecomposition(
                attribute=grouping.name,
                group=label,
                reference=ref_label,
                n_group=ng,
                n_reference=nr,
                gap=Estimate(gap, glo, ghi, no_ci),
                contributions=tuple(contributions),
                residual=float(gap - contrib.sum()),
                gap_pp=gap_pp,
            )
        )
    return out


# --------------------------------------------------------------------------- entry point


def explain(
    model: ModelAdapter,
    X: pd.DataFrame,
    groupings: Sequence[Grouping],
    *,
    seed: int = 0,
    n_sample: int = 2000,
    n_background: int = 100,
    n_boot: int = 200,
) -> Explanation:
    """Explain the model with SHAP on a stratified sample, by group, with gap decompositions.

    Parameters
    ----------
    model : ModelAdapter
        The fitted model.
    X : pandas.DataFrame
        The model's input columns in model order, one row per audited row.
    groupings : sequence of Grouping
        Protected attributes / intersections; ``codes`` are aligned with ``X``'s rows.
    seed : int
        Seed for the samples, the permutation explainer and the bootstrap.
    n_sample : int
        Rows explained (stratified by group, see the module docstring).
    n_background : int
        Background rows (simple random sample) that define "feature absent".
    n_boot : int
        Bootstrap resamples for the gap decomposition intervals (0 = none).

    Returns
    -------
    Explanation
        Frozen, JSON-serialisable result.

    Raises
    ------
    InputError
        Empty data, bad sizes or groupings not aligned with ``X``.
    UnsupportedError
        A classifier with no continuous output.
    ModelError
        The model fails while predicting.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> X = pd.DataFrame({"a": [0.0, 1, 2, 3], "b": [1.0, 0, 1, 0]})
    >>> m = ModelAdapter(LinearRegression().fit(X, [0.0, 1, 2, 3]), "regression", ("a", "b"))
    >>> e = explain(m, X, [], n_boot=0)
    >>> e.explainer, e.additivity_ok
    ('linear_exact', True)
    """
    if not isinstance(X, pd.DataFrame) or len(X) == 0 or X.shape[1] == 0:
        raise InputError(
            "explain: X must be a non-empty DataFrame of the model's input columns - "
            f"found {type(X).__name__} with shape {getattr(X, 'shape', None)}"
        )
    for name, value in (("n_sample", n_sample), ("n_background", n_background)):
        if int(value) < 1:
            raise InputError(f"explain: {name} must be at least 1 - found {value}")
    if n_boot < 0:
        raise InputError(f"explain: n_boot must be 0 or more - found {n_boot}")
    for g in groupings:
        if len(g.codes) != len(X):
            raise InputError(
                f"explain: grouping '{g.name}' has {len(g.codes)} rows but X has {len(X)} - "
                "build the groupings from the same rows as X"
            )
    rng = np.random.default_rng(seed)
    rows, weights, sampling, weighted = stratified_sample(len(X), groupings, n_sample, rng)
    bg_rows = np.sort(rng.choice(len(X), size=min(n_background, len(X)), replace=False))
    Xs = X.iloc[rows].reset_index(drop=True)
    Xb = X.iloc[bg_rows].reset_index(drop=True)
    features = [str(c) for c in X.columns]

    att = compute_attributions(model, Xs, Xb, seed=seed)
    out, fx, raw, err, tol, ok, notes = (
        att.output,
        att.output_values,
        att.raw,
        att.max_error,
        att.tolerance,
        att.ok,
        att.notes,
    )
    phi = raw.phi
    # ---- global ranking (population-weighted)
    mean_abs = _wmean(np.abs(phi), weights)
    order = [int(j) for j in np.argsort(-mean_abs, kind="stable")]
    global_importance = tuple(FeatureImportance(features[j], float(mean_abs[j])) for j in order)
    prob: np.ndarray | None = None
    if out.space == "log-odds":
        prob = 1.0 / (1.0 + np.exp(-np.clip(fx, -700, 700)))
    elif out.space == "probability":
        prob = fx
    # ---- per group
    grouping_results: list[GroupingAttribution] = []
    gaps: list[GapDecomposition] = []
    boot_rng = np.random.default_rng([seed, 1])
    for g in groupings:
        codes = np.asarray(g.codes)[rows]
        groups: list[GroupAttribution] = []
        for gi, label in enumerate(g.labels):
            m = codes == gi
            n = int(m.sum())
            if n == 0:
                groups.append(
                    GroupAttribution(
                        label, 0, None, None, {}, {}, "no rows of this group in the sample"
                    )
                )
                continue
            wg = weights[m]
            ms = _wmean(phi[m], wg)
            ma = _wmean(np.abs(phi[m]), wg)
            groups.append(
                GroupAttribution(
                    group=label,
                    n=n,
                    mean_output=float(_wmean(fx[m], wg)),
                    mean_probability=float(_wmean(prob[m], wg)) if prob is not None else None,
                    mean_shap={features[j]: float(ms[j]) for j in order},
                    mean_abs_shap={features[j]: float(ma[j]) for j in order},
                )
            )
        grouping_results.append(GroupingAttribution(g.name, g.labels[g.reference], tuple(groups)))
        gaps.extend(
            _decompose(
                g,
                codes,
                phi,
                fx,
                prob if out.space == "log-odds" else None,
                weights,
                features,
                n_boot,
                boot_rng,
            )
        )
    units = _units(out)
    summaries = tuple(s for s in (_summary(d, units, out.space) for d in gaps) if s is not None)
    beeswarm = _beeswarm(phi, Xs, order, features, np.random.default_rng([seed, 2]))
    return Explanation(
        explainer=raw.explainer,
        explainer_description=EXPLAINER_DESCRIPTIONS[raw.explainer],
        output_space=out.space,
        units=units,
        base_value=raw.base,
        n_sample=len(rows),
        n_background=raw.n_background,
        seed=seed,
        additivity_max_error=err,
        additivity_tolerance=tol,
        additivity_ok=ok,
        note="; ".join(notes) if notes else None,
        sampling=sampling,
        weighted=weighted,
        features=tuple(features),
        global_importance=global_importance,
        groupings=tuple(grouping_results),
        gaps=tuple(gaps),
        summaries=summaries,
        beeswarm=beeswarm,
    )


def driver_shares(expl: Explanation) -> dict[str, dict[str, dict[str, float]]]:
    """Each feature's share of each group's gap: ``{attribute: {group: {feature: share}}}``.

    ``share = contribution / gap``, so the shares of one group sum to 1 (up to the
    additivity residual).  Shares can be negative (a feature narrowing the gap) or
    above 1.  Groups whose gap is zero or undefined are left out (their shares are
    undefined); the reference group never appears.

    Parameters
    ----------
    expl : Explanation
        Result of :func:`explain`.

    Returns
    -------
    dict
        Nested mapping attribute -> group -> feature -> share.

    Examples
    --------
    >>> empty = Explanation("linear_exact", "", "raw", "", 0.0, 0, 0, 0, 0.0, 1e-6, True, None,
    ...     "", False, (), (), (), (), (), Beeswarm(0, ()))
    >>> driver_shares(empty)
    {}
    """
    out: dict[str, dict[str, dict[str, float]]] = {}
    for dec in expl.gaps:
        if dec.reason is not None or not dec.contributions:
            continue
        if any(c.share is None for c in dec.contributions):
            continue
        out.setdefault(dec.attribute, {})[dec.group] = {
            c.feature: float(c.share) for c in dec.contributions if c.share is not None
        }
    return out
