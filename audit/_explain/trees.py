"""Path-dependent TreeSHAP of every tree model, in the space the final estimator sees.

One definition for every tree model: *path-dependent* TreeSHAP (Lundberg et al.
2020), where a feature outside a coalition is integrated out by following both
branches of its splits in proportion to the training rows that went each way (the
"cover" stored in the trees).  It is exact, it needs no background sample, and it
is the definition LightGBM and XGBoost compute natively, categorical splits
included; so every tree model gets it, whatever its split types:

* LightGBM: ``predict(Z, pred_contrib=True)`` (its own TreeSHAP, raw-score space);
* XGBoost: ``Booster.predict(DMatrix(Z, enable_categorical=True), pred_contribs=True)``;
* scikit-learn ``HistGradientBoosting*``: our TreeSHAP over the fitted predictor
  nodes (:mod:`.treeshap`), which routes rows exactly as the model does, native
  categorical splits, missing values and unknown categories included
  (``shap.TreeExplainer`` ignores categorical bitsets and is silently wrong there);
* other scikit-learn trees and forests: ``shap.TreeExplainer`` with
  ``feature_perturbation="tree_path_dependent"`` (in :mod:`.explainers`).

Every function returns ``(phi, base)``: contributions per transformed column
``(n_rows, n_columns)`` and the expected value (the base), both in the model's raw
output space for output ``k``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp


def _is_hgb(final: Any) -> bool:
    """A fitted scikit-learn HistGradientBoosting classifier or regressor."""
    return type(final).__module__.startswith("sklearn.ensemble") and hasattr(final, "_predictors")


def _split_contribs(contrib: Any, n_features: int, k: int) -> tuple[np.ndarray, float]:
    """``(phi, base)`` of output ``k`` from a native (n, outputs * (p + 1)) contribution matrix."""
    c = contrib.toarray() if sp.issparse(contrib) else np.asarray(contrib)
    c = np.asarray(c, dtype=float)
    width = n_features + 1
    if c.ndim == 3:  # (n, outputs, p + 1)
        c = c[:, k, :]
    elif c.shape[1] > width:
        c = c[:, k * width : (k + 1) * width]
    return c[:, :-1], float(c[0, -1]) if len(c) else 0.0


def lightgbm_contribs(final: Any, Z: Any, k: int) -> tuple[np.ndarray, float]:
    """LightGBM's own TreeSHAP on the frame as the model sees it (categories kept)."""
    contrib = final.predict(Z, pred_contrib=True)
    if isinstance(contrib, list):  # multiclass on sparse input: one matrix per class
        contrib = contrib[k]
        k = 0
    return _split_contribs(contrib, Z.shape[1], k)


def xgboost_contribs(final: Any, Z: Any, k: int) -> tuple[np.ndarray, float]:
    """XGBoost's own TreeSHAP, with its categorical splits."""
    import xgboost

    booster = final.get_booster() if hasattr(final, "get_booster") else final
    dm = xgboost.DMatrix(Z, missing=getattr(final, "missing", np.nan), enable_categorical=True)
    kwargs: dict[str, Any] = {}
    if hasattr(final, "_get_iteration_range"):
        kwargs["iteration_range"] = final._get_iteration_range(None)
    contrib = booster.predict(dm, pred_contribs=True, **kwargs)
    return _split_contribs(contrib, Z.shape[1], k)


def _flatten(trees: list[Any]) -> tuple[np.ndarray, int, tuple[np.ndarray, ...]]:
    """Roots, maximum depth and the node arrays of HGB predictors laid end to end."""
    nodes = [t.nodes for t in trees]
    sizes = np.array([len(n) for n in nodes], dtype=np.int64)
    roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    bits = [np.asarray(t.raw_left_cat_bitsets, dtype=np.uint32).reshape(-1, 8) for t in trees]
    bit_off = np.concatenate([[0], np.cumsum([len(b) for b in bits])[:-1]]).astype(np.int64)
    allnodes = np.concatenate(nodes)
    node_off = np.repeat(roots, sizes)
    arrays = (
        allnodes["feature_idx"].astype(np.int64),
        allnodes["num_threshold"].astype(np.float64),
        allnodes["left"].astype(np.int64) + node_off,
        allnodes["right"].astype(np.int64) + node_off,
        allnodes["is_leaf"].astype(np.bool_),
        allnodes["value"].astype(np.float64),
        allnodes["count"].astype(np.float64),
        allnodes["missing_go_to_left"].astype(np.bool_),
        allnodes["is_categorical"].astype(np.bool_),
        allnodes["bitset_idx"].astype(np.int64) + np.repeat(bit_off, sizes),
        np.ascontiguousarray(np.concatenate(bits) if bits else np.zeros((0, 8), np.uint32)),
    )
    return roots, int(allnodes["depth"].max()), arrays


def _expected_value(trees: list[Any]) -> float:
    """Sum over the trees of the cover-weighted mean leaf value (the path-dependent base)."""
    total = 0.0
    for t in trees:
        n = t.nodes
        leaf = n["is_leaf"].astype(bool)
        total += float(np.sum(n["value"][leaf] * n["count"][leaf]) / float(n["count"][0]))
    return total


def hgb_contribs(final: Any, Z: Any, k: int) -> tuple[np.ndarray, float]:
    """Our path-dependent TreeSHAP over a fitted HistGradientBoosting model's trees."""
    from .treeshap import tree_shap

    X = np.ascontiguousarray(final._preprocess_X(Z, reset=False), dtype=np.float64)
    trees = [it[k] for it in final._predictors]
    base = float(np.ravel(final._baseline_prediction)[k]) + _expected_value(trees)
    if not trees:
        return np.zeros(X.shape), base
    known, f_idx_map = final._bin_mapper.make_known_categories_bitsets()
    roots, depth, arrays = _flatten(trees)
    T = (*arrays, np.ascontiguousarray(known, dtype=np.uint32).reshape(-1, 8),
         np.asarray(f_idx_map, dtype=np.int64))
    return tree_shap(X, roots, depth, T), base
