"""Path-dependent TreeSHAP of every tree model, in the space the final estimator sees.

One definition for every tree model: *path-dependent* TreeSHAP (Lundberg et al.
2020), where a feature outside a coalition is integrated out by following both
branches of its splits in proportion to the training rows that went each way (the
"cover" stored in the trees).  It is exact, it needs no background sample, and it
is the definition LightGBM and XGBoost compute natively, categorical splits
included; so every tree model gets it, whatever its split types:

* LightGBM: our TreeSHAP (:mod:`.treeshap`) over its trees, read from the booster's model
  text (``model_to_string``: the trees ``predict`` uses, every double to 17 digits), with
  LightGBM's covers (``internal_count`` / ``leaf_count``), each row routed exactly as
  LightGBM routes it (:func:`_lgbm_tree`, :func:`lightgbm_matrix`): the same values as its
  ``pred_contrib`` to about 1e-15, adding up to its float64 raw score.  LightGBM's own
  ``predict(Z, pred_contrib=True)`` is kept for a model we do not read
  (:func:`lightgbm_unsupported`: linear trees, category codes of 256 or more in a split, a
  feature split both as a category and as a number or with and without zero as missing)
  and whenever our values do not add up to its raw score within 1e-9 of its scale;
* XGBoost: our TreeSHAP (:mod:`.treeshap`) in float64 over its trees, read from its JSON
  model (``save_raw("json")``), each row routed exactly as XGBoost routes it (float32
  values, ``x < split``, default directions for missing values, its categorical splits);
  the values add up to the float64 sum of the leaves XGBoost routes each row to
  (``pred_leaf``), which is checked against XGBoost's own float32 output.  XGBoost's own
  TreeSHAP computes in float32 (its values add up to its output only to about 1e-6), so
  it is kept only for a model we do not read (:func:`xgboost_unsupported`: dart or linear
  boosters, vector leaves, category codes beyond 254, a non-NaN ``missing`` with
  categorical splits): ``Booster.predict(DMatrix(Z, enable_categorical=True),
  pred_contribs=True)``;
* scikit-learn ``HistGradientBoosting*``: our TreeSHAP over the fitted predictor
  nodes (:mod:`.treeshap`), which routes rows exactly as the model does, native
  categorical splits, missing values and unknown categories included
  (``shap.TreeExplainer`` ignores categorical bitsets and is silently wrong there);
* scikit-learn ``RandomForest*`` and ``ExtraTrees*`` (one output): our TreeSHAP over the
  fitted trees (:func:`forest_contribs`), rows rounded to float32 and routed as the trees
  route them (``x <= threshold``, missing values to the side in ``missing_go_to_left``),
  the same values as ``shap.TreeExplainer`` to about 1e-15 and two to three times faster
  on two cores (leaf tables, and the rows split across threads); shap's is kept when ours
  do not add up to the forest's own output within 1e-9 of its scale;
* other scikit-learn trees (``GradientBoosting*``, ``DecisionTree*``): ``shap.TreeExplainer``
  with ``feature_perturbation="tree_path_dependent"`` (in :mod:`.explainers`).

Every function returns ``(phi, base)``: contributions per transformed column
``(n_rows, n_columns)`` and the expected value (the base), both in the model's raw
output space for output ``k``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
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
    return float(sum(_cover_mean(t.nodes["value"], t.nodes["count"],
                                 t.nodes["is_leaf"].astype(bool)) for t in trees))


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


# --------------------------------------------------------------------------- scikit-learn forests


def _forest_classes() -> tuple[type, ...]:
    """The forest classes our TreeSHAP reads (imported when first asked)."""
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )

    return RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor


def is_sklearn_forest(final: Any) -> bool:
    """A fitted scikit-learn RandomForest or ExtraTrees model with one output (these classes
    exactly: a subclass may predict otherwise)."""
    return (type(final) in _forest_classes() and hasattr(final, "estimators_")
            and int(getattr(final, "n_outputs_", 1)) == 1)


def _forest_trees(final: Any, k: int) -> tuple[list[Any], list[np.ndarray]]:
    """A forest's trees (``tree_``) and, per tree, its nodes' share of output ``k`` of the
    forest's mean: class ``k``'s fraction of the node (normalised as ``predict_proba``
    normalises a tree's leaf) for a classifier, the node's value for a regressor, over the
    number of trees."""
    trees = [e.tree_ for e in final.estimators_]
    classifier = hasattr(final, "classes_")
    values = []
    for t in trees:
        v = np.asarray(t.value[:, 0, :], dtype=np.float64)
        v = v[:, k] / v.sum(axis=1) if classifier else v[:, 0]
        values.append(v / len(trees))
    return trees, values


def _sklearn_tree(tree: Any, value: np.ndarray) -> tuple[np.ndarray, ...]:
    """One scikit-learn tree (numeric splits only) as the kernel's node arrays, with its node
    values and the covers shap uses (``weighted_n_node_samples``), for :func:`_join`."""
    leaf = tree.children_left < 0
    n = int(tree.node_count)
    return (
        np.where(leaf, 0, tree.feature).astype(np.int64),
        tree.threshold.astype(np.float64),
        tree.children_left.astype(np.int64),
        tree.children_right.astype(np.int64),
        leaf,
        value.astype(np.float64),
        tree.weighted_n_node_samples.astype(np.float64),
        tree.missing_go_to_left.astype(np.bool_),
        np.zeros(n, np.bool_),  # no categorical splits
        np.zeros(n, np.int64),
        np.zeros((0, 8), np.uint32),
    )


def _cover_mean(value: np.ndarray, cover: np.ndarray, is_leaf: np.ndarray) -> float:
    """A tree's path-dependent mean: its leaves' values weighted by their covers."""
    return float(np.sum(value[is_leaf] * cover[is_leaf]) / float(cover[0]))


def forest_contribs(final: Any, Z: Any, k: int) -> tuple[np.ndarray, float]:
    """Our path-dependent TreeSHAP over a RandomForest / ExtraTrees model
    (:func:`is_sklearn_forest`): output ``k``'s values and base, the rows rounded to float32
    as the trees read them."""
    from .treeshap import tree_shap

    dense = Z.toarray() if sp.issparse(Z) else np.asarray(Z)
    X = np.ascontiguousarray(dense.astype(np.float32), dtype=np.float64)
    trees, values = _forest_trees(final, k)
    base = sum(_cover_mean(v, t.weighted_n_node_samples, t.children_left < 0)
               for t, v in zip(trees, values))
    if not trees:
        return np.zeros(X.shape), float(base)
    roots, T = _join([_sklearn_tree(t, v) for t, v in zip(trees, values)], X.shape[1])
    return tree_shap(X, roots, max(int(t.max_depth) for t in trees), T), float(base)


# --------------------------------------------------------------------------- XGBoost in float64

#: split types of XGBoost trees (``split_type``): numeric, categorical
_XGB_NUMERIC, _XGB_CATEGORICAL = 0, 1
#: categories the kernel's bitsets hold (eight 32-bit words)
_MAX_CATEGORIES = 256
#: rows per call of XGBoost's pred_leaf (its result holds rows x trees)
_LEAF_BLOCK = 32_768


@dataclass(frozen=True)
class XgbTrees:
    """XGBoost's trees of one output, as our TreeSHAP kernel reads them.

    ``ids``: the trees' positions in the booster (those of output ``k`` within the
    iteration range); ``roots``, ``depth``, ``T``: the flattened node arrays
    (:func:`_flatten`'s layout); ``leaf``: per tree, its nodes' values (a leaf's value,
    read as the float32 XGBoost stores); ``expected``: the path-dependent mean of each tree;
    ``categorical``: the categorical features; ``sentinel``: per categorical feature, a
    category that no split lists (a value XGBoost treats as an invalid category is routed
    as this one: left at every split, as XGBoost sends it).
    """

    ids: np.ndarray
    roots: np.ndarray
    depth: int
    T: tuple[np.ndarray, ...]
    leaf: list[np.ndarray]
    expected: np.ndarray
    categorical: np.ndarray
    sentinel: dict[int, int]


def xgboost_model(final: Any) -> dict[str, Any]:
    """The fitted booster's JSON model (trees, base score, objective)."""
    return dict(json.loads(final.get_booster().save_raw("json")))


def xgboost_unsupported(final: Any, model: dict[str, Any]) -> str | None:
    """Why our float64 TreeSHAP cannot reproduce this XGBoost model exactly (``None``: it can)."""
    learner = model["learner"]
    booster = learner["gradient_booster"]
    if booster.get("name") != "gbtree":
        return f"booster '{booster.get('name')}' (only gbtree's trees are read)"
    trees = booster["model"]["trees"]
    if any(int(t["tree_param"].get("size_leaf_vector", "1")) > 1 for t in trees):
        return "vector leaves (multi_strategy='multi_output_tree')"
    kinds = {int(s) for t in trees for s in t.get("split_type", [])}
    if kinds - {_XGB_NUMERIC, _XGB_CATEGORICAL}:
        return f"unknown split types {sorted(kinds - {_XGB_NUMERIC, _XGB_CATEGORICAL})}"
    if any(c >= _MAX_CATEGORIES - 1 for t in trees for c in t.get("categories", [])):
        return f"a categorical split on a category code of {_MAX_CATEGORIES - 1} or more"
    missing = getattr(final, "missing", np.nan)
    has_cat = any(s == _XGB_CATEGORICAL for t in trees for s in t.get("split_type", []))
    if missing is not None and not np.isnan(missing) and has_cat:
        return f"missing={missing} with categorical splits"
    for t in trees:
        left, cover = np.asarray(t["left_children"]), np.asarray(t["sum_hessian"], dtype=float)
        if np.any(cover[left >= 0] <= 0):
            return "an internal node with no training cover"
    return None


def _f32(values: Any) -> np.ndarray:
    """A JSON list of XGBoost's float32 values, exactly as stored, in float64."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def _left_bitsets(tree: dict[str, Any], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per node, its row in the bitsets, and the bitsets of the categories that go *left*.

    XGBoost sends the categories a split lists to the right and every other category
    (unlisted, negative, beyond the list) to the left (``common::Decision``): the left
    bitset is the complement of the list within the kernel's 256 categories.
    """
    rows = np.zeros(n, dtype=np.int64)
    nodes = list(tree.get("categories_nodes", []))
    bits = np.full((len(nodes), 8), 0xFFFFFFFF, dtype=np.uint32)
    cats = np.asarray(tree.get("categories", []), dtype=np.int64)
    for r, (node, seg, size) in enumerate(zip(nodes, tree.get("categories_segments", []),
                                             tree.get("categories_sizes", []))):
        rows[node] = r
        for c in cats[seg : seg + size]:
            bits[r, c >> 5] &= ~np.uint32(1 << (c & 31))
    return rows, bits


def _walk(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes reachable from the root in breadth-first order, and each node's depth."""
    depth = np.zeros(len(left), dtype=np.int64)
    order, level = [np.zeros(1, np.int64)], np.zeros(1, np.int64)
    while level.size:
        inner = level[left[level] >= 0]
        level = np.concatenate([left[inner], right[inner]])
        depth[level] = np.concatenate([depth[inner], depth[inner]]) + 1
        order.append(level)
    return np.concatenate(order), depth


def _tree_mean(left: np.ndarray, right: np.ndarray, value: np.ndarray, cover: np.ndarray,
               order: np.ndarray) -> float:
    """The tree's path-dependent mean: a node's mean is its children's, weighted by
    ``cover(child) / cover(node)`` as the kernel weighs them (XGBoost's covers are float32
    sums: a parent's need not equal its children's to the last bit)."""
    mean = value.copy()
    for i in order[::-1]:
        if left[i] >= 0:
            mean[i] = (cover[left[i]] * mean[left[i]] + cover[right[i]] * mean[right[i]]) / cover[i]
    return float(mean[0])


def _xgb_tree(tree: dict[str, Any]) -> tuple[tuple[np.ndarray, ...], np.ndarray, float, int]:
    """One XGBoost tree as the kernel's node arrays, its node values, mean and depth.

    XGBoost casts a feature to float32 and goes left when ``x < split`` (strictly): the
    kernel goes left when ``x <= threshold``, so the threshold is the float32 just below
    the split (the same side for every float32 ``x``).  A leaf's value is stored in
    ``split_conditions``.
    """
    left = np.asarray(tree["left_children"], dtype=np.int64)
    right = np.asarray(tree["right_children"], dtype=np.int64)
    n = len(left)
    cond = np.asarray(tree["split_conditions"], dtype=np.float32)
    below = np.nextafter(cond, np.float32(-np.inf)).astype(np.float64)
    cover = _f32(tree["sum_hessian"])
    is_leaf = left < 0
    value = np.where(is_leaf, cond.astype(np.float64), 0.0)
    order, depth = _walk(left, right)
    rows, bits = _left_bitsets(tree, n)
    kinds = np.asarray(tree.get("split_type", [_XGB_NUMERIC] * n), dtype=np.int64)
    arrays = (
        np.asarray(tree["split_indices"], dtype=np.int64), below, left, right, is_leaf,
        value, cover, np.asarray(tree["default_left"], dtype=np.bool_),
        kinds == _XGB_CATEGORICAL, rows, bits,
    )
    return arrays, value, _tree_mean(left, right, value, cover, order), int(depth[order].max())


#: the dtypes of :func:`_flatten`'s first ten node arrays (feature, threshold, left, right,
#: is_leaf, value, count, missing_go_to_left, is_categorical, bitset_idx)
_NODE_DTYPES = (np.int64, np.float64, np.int64, np.int64, np.bool_, np.float64, np.float64,
                np.bool_, np.bool_, np.int64)


def _join(trees: list[tuple[np.ndarray, ...]], n_features: int
          ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Roots and node arrays of trees laid end to end (:func:`_flatten`'s layout), from each
    tree's eleven arrays (its bitsets last): children and bitset rows are offset to their
    places in the joined arrays; the known-category bitsets say every category is known,
    so one not listed at a categorical split goes right."""
    sizes = np.array([len(t[0]) for t in trees], dtype=np.int64)
    roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    n_bits = np.array([len(t[10]) for t in trees], dtype=np.int64)
    bit_off = np.concatenate([[0], np.cumsum(n_bits)[:-1]]).astype(np.int64)
    cols = [np.concatenate([t[i] for t in trees]) if trees else np.zeros(0, dtype)
            for i, dtype in enumerate(_NODE_DTYPES)]
    for i in (2, 3):  # children: positions in the joined arrays (a leaf's -1 is never read)
        cols[i] = cols[i] + np.repeat(roots, sizes)
    cols[9] = cols[9] + np.repeat(bit_off, sizes)
    bits = np.concatenate([t[10] for t in trees]) if trees else np.zeros((0, 8), np.uint32)
    known = np.full((1, 8), 0xFFFFFFFF, dtype=np.uint32)
    return roots, (*cols, np.ascontiguousarray(bits, dtype=np.uint32), known,
                   np.zeros(n_features, dtype=np.int64))


def _xgb_flatten(
    trees: list[dict[str, Any]], n_features: int
) -> tuple[np.ndarray, int, tuple[np.ndarray, ...], list[np.ndarray], np.ndarray]:
    """Roots, maximum depth, node arrays laid end to end (:func:`_join`), each tree's node
    values and each tree's mean."""
    parts = [_xgb_tree(t) for t in trees]
    roots, T = _join([p[0] for p in parts], n_features)
    depth = max((p[3] for p in parts), default=0)
    return roots, depth, T, [p[1] for p in parts], np.array([p[2] for p in parts])


def _xgb_tree_ids(final: Any, model: dict[str, Any], k: int) -> np.ndarray:
    """Positions of output ``k``'s trees within the iteration range XGBoost predicts with
    (the sklearn wrapper's: up to ``best_iteration`` when early stopping set one)."""
    gbm = model["learner"]["gradient_booster"]["model"]
    info = np.asarray(gbm["tree_info"], dtype=np.int64)
    indptr = gbm.get("iteration_indptr")
    if indptr is None:  # XGBoost 2.x: every iteration has the same number of trees
        per = int(gbm["gbtree_model_param"].get("num_parallel_tree", 1)) * (int(info.max()) + 1)
        indptr = list(range(0, len(info) + 1, max(per, 1)))
    begin, end = final._get_iteration_range(None) if hasattr(final, "_get_iteration_range") \
        else (0, 0)
    end = len(indptr) - 1 if end == 0 else min(int(end), len(indptr) - 1)
    ids = np.arange(int(indptr[begin]), int(indptr[end]))
    return ids[info[ids] == k]


def xgboost_trees(final: Any, model: dict[str, Any], k: int, n_features: int) -> XgbTrees:
    """Output ``k``'s trees of an XGBoost model (:func:`xgboost_unsupported` is ``None``)."""
    ids = _xgb_tree_ids(final, model, k)
    trees = [model["learner"]["gradient_booster"]["model"]["trees"][i] for i in ids]
    roots, depth, T, leaf, expected = _xgb_flatten(trees, n_features)
    cat = np.unique(T[0][T[8]]).astype(np.int64)
    return XgbTrees(ids, roots, depth, T, leaf, expected, cat,
                    {int(f): _MAX_CATEGORIES - 1 for f in cat})


def xgboost_base_margin(final: Any, model: dict[str, Any]) -> np.ndarray:
    """The margin XGBoost starts every row from (per output), exactly as it adds it.

    Read by predicting with the same model whose leaves are all set to 0 (the float32
    sum of the base and zeros is the base itself): whatever the objective's link turns
    ``base_score`` into, in XGBoost's own float32 arithmetic.
    """
    import xgboost

    zero = json.loads(json.dumps(model))
    for t in zero["learner"]["gradient_booster"]["model"]["trees"]:
        t["split_conditions"] = [0.0 if lc < 0 else c
                                 for lc, c in zip(t["left_children"], t["split_conditions"])]
        t["base_weights"] = [0.0] * len(t["base_weights"])
    booster = xgboost.Booster(model_file=bytearray(json.dumps(zero).encode()))
    p = int(model["learner"]["learner_model_param"]["num_feature"])
    names = model["learner"].get("feature_names") or None
    types = model["learner"].get("feature_types") or None
    dm = xgboost.DMatrix(np.full((1, p), np.nan, dtype=np.float32), feature_names=names,
                         feature_types=types, enable_categorical=True)
    return np.ravel(booster.predict(dm, output_margin=True)).astype(np.float64)


def _training_categories(final: Any) -> list[Any] | None:
    """Per feature, the categories XGBoost (3.1 and later) stored at training (``None`` each
    for a numeric feature), to which it recodes a frame's categories; ``None`` when it
    stored none (the frame's own category codes are then used as they are)."""
    booster = final.get_booster()
    if not hasattr(booster, "get_categories"):
        return None
    cats = booster.get_categories(export_to_arrow=True)
    if cats.empty():
        return None
    return [None if arr is None else arr.to_pylist() for _, arr in cats.to_arrow()]


def _frame_matrix(final: Any, Z: pd.DataFrame) -> np.ndarray:
    """A frame as XGBoost reads it: numbers in float32, categories as its codes, NaN missing."""
    known = _training_categories(final)
    X = np.empty(Z.shape, dtype=np.float32)
    for j, (_, col) in enumerate(Z.items()):
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes = col.cat.codes.to_numpy().astype(np.int64)
            if known is not None and known[j] is not None:
                recode = pd.Index(known[j]).get_indexer(col.cat.categories)
                codes = np.where(codes >= 0, recode[np.maximum(codes, 0)], -1)
            X[:, j] = np.where(codes >= 0, codes, np.nan)
        else:
            X[:, j] = col.to_numpy(dtype=np.float32, na_value=np.nan)
    return X


def xgboost_matrix(final: Any, Z: Any, trees: XgbTrees) -> np.ndarray:
    """The rows as XGBoost routes them, in float64 for the kernel.

    Values in float32 (XGBoost's cast); missing: NaN, the estimator's ``missing`` value
    and, in a sparse matrix, every entry not stored; in a categorical feature, a value
    XGBoost treats as an invalid category (negative, 256 or more) becomes the feature's
    sentinel category, which every split sends left, as XGBoost sends it.
    """
    if isinstance(Z, pd.DataFrame):
        X = _frame_matrix(final, Z)
    elif sp.issparse(Z):
        coo = sp.coo_matrix(Z)
        X = np.full(coo.shape, np.nan, dtype=np.float32)
        X[coo.row, coo.col] = coo.data.astype(np.float32)
    else:
        X = np.array(Z, dtype=np.float32)
    missing = getattr(final, "missing", np.nan)
    if missing is not None and not np.isnan(missing):
        X[X == np.float32(missing)] = np.nan
    for f, code in trees.sentinel.items():
        v = X[:, f]
        v[(v < 0) | (v >= _MAX_CATEGORIES)] = code
    return np.ascontiguousarray(X, dtype=np.float64)


def xgboost_leaf_output(
    final: Any, Z: Any, trees: XgbTrees, base: float
) -> tuple[np.ndarray, np.ndarray]:
    """The model's output summed in float64 from the leaves XGBoost itself routes each row
    to (``pred_leaf``, same iteration range; the float32 leaf values exactly as stored), and
    per row how far XGBoost's own float32 sum of the same terms may be from it.

    XGBoost adds the base and the ``n`` trees' leaf values one by one in float32; the error
    of such a sum is at most ``(n - 1) u`` times the sum of the terms' magnitudes, ``u =
    2^-24`` the unit roundoff (Higham, *Accuracy and Stability of Numerical Algorithms*,
    2002, section 4.2).  The bound given is ``(n + 1) 2^-23`` times that sum: more than
    twice the worst case, so a row beyond it is not rounding.
    """
    n = Z.shape[0]
    total = np.full(n, base)
    size = np.full(n, abs(base))
    for lo in range(0, n, _LEAF_BLOCK):  # pred_leaf holds rows x trees: bounded blocks
        leaves = _leaves(final, Z.iloc[lo : lo + _LEAF_BLOCK] if isinstance(Z, pd.DataFrame)
                         else Z[lo : lo + _LEAF_BLOCK])
        for t, values in zip(trees.ids, trees.leaf):  # the range starts at the first tree
            v = values[leaves[:, t]]
            total[lo : lo + len(v)] += v
            size[lo : lo + len(v)] += np.abs(v)
    return total, (len(trees.ids) + 1) * 2.0**-23 * size


def _leaves(final: Any, Z: Any) -> np.ndarray:
    """XGBoost's ``pred_leaf``: per row and tree of the iteration range, the leaf it reaches."""
    import xgboost

    dm = xgboost.DMatrix(Z, missing=getattr(final, "missing", np.nan), enable_categorical=True)
    kwargs: dict[str, Any] = {}
    if hasattr(final, "_get_iteration_range"):
        kwargs["iteration_range"] = final._get_iteration_range(None)
    leaves = np.asarray(final.get_booster().predict(dm, pred_leaf=True, **kwargs))
    return leaves.reshape(leaves.shape[0], -1).astype(np.int64)


def xgboost_float64_contribs(
    final: Any, Z: Any, k: int, model: dict[str, Any]
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Our float64 path-dependent TreeSHAP of an XGBoost model (``model``: its JSON, which
    :func:`xgboost_unsupported` accepted), its base, the float64 output it adds up to and
    the float32 rounding allowed per row (:func:`xgboost_leaf_output`)."""
    from .treeshap import tree_shap

    trees = xgboost_trees(final, model, k, Z.shape[1])
    margin = float(xgboost_base_margin(final, model)[k])
    base = margin + float(np.sum(trees.expected))
    reference, allowed = xgboost_leaf_output(final, Z, trees, margin)
    if not len(trees.ids):
        return np.zeros(Z.shape), base, reference, allowed
    phi = tree_shap(xgboost_matrix(final, Z, trees), trees.roots, trees.depth, trees.T)
    return phi, base, reference, allowed


# --------------------------------------------------------------------------- LightGBM in float64

#: LightGBM's ``kZeroThreshold`` (``1e-35f``: a float32 literal stored as a double): a value
#: ``v`` with ``-kZeroThreshold < v <= kZeroThreshold`` is zero for missing type Zero
_LGBM_ZERO = float(np.float32(1e-35))
#: LightGBM's missing types (``decision_type >> 2 & 3``)
_LGBM_NONE, _LGBM_ZERO_TYPE, _LGBM_NAN = 0, 1, 2


@dataclass(frozen=True)
class LgbmTrees:
    """LightGBM's trees of one output, as our TreeSHAP kernel reads them.

    ``roots``, ``depth``, ``T``: the flattened node arrays (:func:`_flatten`'s layout) of
    the trees with a split; ``expected``: the sum of every tree's path-dependent mean (a
    single leaf's value for a tree without split); ``categorical``: the features split on
    as categories; ``zero``: the features whose splits treat zero as missing.
    """

    roots: np.ndarray
    depth: int
    T: tuple[np.ndarray, ...]
    expected: float
    categorical: np.ndarray
    zero: np.ndarray


#: a LightGBM model as read from its text: the header's fields and each tree's fields
LgbmModel = tuple[dict[str, str], list[dict[str, str]]]


def lightgbm_model(final: Any) -> LgbmModel:
    """The fitted booster's model, read from its text, with the trees ``predict`` uses
    (``model_to_string`` saves up to the best iteration when early stopping set one, as
    ``predict`` predicts).

    The text holds every double (thresholds, leaf values) to 17 significant digits, so it
    reads back exactly; the JSON dump holds the same numbers, nested, and is slower to read.
    """
    return _lightgbm_text(str(final.booster_.model_to_string()))


def _lightgbm_text(text: str) -> LgbmModel:
    """The header's fields and each tree's fields of a LightGBM model text."""
    body = text.split("\nend of trees", 1)[0]
    head, *blocks = body.split("\nTree=")
    header: dict[str, str] = {}
    for line in head.splitlines():  # a flag such as 'average_output' has no value
        key, _, value = line.partition("=")
        header[key] = value
    trees = [dict(line.split("=", 1) for line in b.splitlines()[1:] if "=" in line)
             for b in blocks]
    return header, trees


def _ints(tree: dict[str, str], key: str) -> np.ndarray:
    """A space-separated field of integers (empty when the tree has none)."""
    return np.array(tree.get(key, "").split(), dtype=np.int64)


def lightgbm_unsupported(model: LgbmModel) -> str | None:
    """Why our TreeSHAP cannot reproduce this LightGBM model exactly (``None``: it can)."""
    _, trees = model
    if any(t.get("is_linear", "0") != "0" for t in trees):
        return "linear trees (linear_tree=True)"
    kinds: dict[int, set[int]] = {}
    for t in trees:
        if int(t["num_leaves"]) < 2:
            continue
        if np.any(_ints(t, "internal_count") <= 0):
            return "an internal node with no training rows"
        words = _ints(t, "cat_threshold").astype(np.uint64)
        if np.any(words[_word_index(t) >= _MAX_CATEGORIES // 32]):
            return f"a categorical split on a category code of {_MAX_CATEGORIES} or more"
        for f, d in zip(_ints(t, "split_feature"), _ints(t, "decision_type")):
            kinds.setdefault(int(f), set()).add(-1 if d & 1 else int(d) >> 2 & 3)
    for f, seen in kinds.items():
        if -1 in seen and len(seen) > 1:
            return f"feature {f} split both as a category and as a number"
        if _LGBM_ZERO_TYPE in seen and len(seen) > 1:
            return f"feature {f} split with zero as missing and without"
    return None


def _word_index(tree: dict[str, str]) -> np.ndarray:
    """For each word of a tree's ``cat_threshold``, its position within its split's bitset."""
    bounds = _ints(tree, "cat_boundaries")
    sizes = np.diff(bounds)
    return np.arange(int(bounds[-1]) if len(bounds) else 0) - np.repeat(bounds[:-1], sizes)


def _lgbm_tree(tree: dict[str, str]) -> tuple[tuple[np.ndarray, ...], float, int]:
    """One LightGBM tree with a split as the kernel's node arrays, its mean and its depth.

    LightGBM's internal nodes are ``0 .. L-2`` and a negative child ``c`` is leaf ``~c``;
    here leaf ``j`` is node ``L - 1 + j``.  Routing (``Tree::NumericalDecision`` /
    ``CategoricalDecision``): a number goes left when ``x <= threshold``; NaN goes to the
    default side for missing type NaN and Zero (and so does a zero, read as missing by
    :func:`lightgbm_matrix`), and is read as 0.0 for missing type None (so it goes left
    when ``0.0 <= threshold``); a category goes left when its bit is set, and NaN, negative
    codes and codes beyond the bitset go right.
    """
    n_leaves = int(tree["num_leaves"])
    inner = n_leaves - 1
    kids = np.concatenate([_ints(tree, "left_child"), _ints(tree, "right_child")])
    kids = np.where(kids >= 0, kids, inner + ~kids)
    left, right = kids[:inner], kids[inner:]
    pad = np.zeros(n_leaves, dtype=np.int64)
    thr = np.array(tree["threshold"].split(), dtype=np.float64)
    kind = _ints(tree, "decision_type")
    is_cat = (kind & 1).astype(np.bool_)
    missing = kind >> 2 & 3
    default_left = (kind & 2).astype(np.bool_)
    miss_left = np.where(missing == _LGBM_NONE, 0.0 <= thr, default_left) & ~is_cat
    bounds = _ints(tree, "cat_boundaries")
    words = _ints(tree, "cat_threshold").astype(np.uint32)
    bits = np.zeros((max(len(bounds) - 1, 0), 8), dtype=np.uint32)
    for r in range(len(bits)):
        w = words[bounds[r] : min(bounds[r + 1], bounds[r] + 8)]
        bits[r, : len(w)] = w
    value = np.concatenate([np.zeros(inner), np.array(tree["leaf_value"].split(), dtype=float)])
    count = np.concatenate([_ints(tree, "internal_count"), _ints(tree, "leaf_count")])
    left_all, right_all = np.concatenate([left, -pad - 1]), np.concatenate([right, -pad - 1])
    order, depth = _walk(left_all, right_all)
    arrays = (
        np.concatenate([_ints(tree, "split_feature"), pad]),
        np.concatenate([np.where(is_cat, 0.0, thr), np.zeros(n_leaves)]),
        left_all, right_all, np.concatenate([np.zeros(inner, np.bool_), np.ones(n_leaves, np.bool_)]),
        value, count.astype(np.float64),
        np.concatenate([miss_left, np.zeros(n_leaves, np.bool_)]),
        np.concatenate([is_cat, np.zeros(n_leaves, np.bool_)]),
        np.concatenate([np.where(is_cat, thr, 0.0).astype(np.int64), pad]), bits,
    )
    mean = _tree_mean(left_all, right_all, value, count.astype(np.float64), order)
    return arrays, mean, int(depth[order].max())


def lightgbm_output_trees(model: LgbmModel, k: int) -> tuple[list[dict[str, str]], float]:
    """Output ``k``'s trees with a split (tree ``i`` belongs to output ``i %
    num_tree_per_iteration``), and the sum of its single-leaf trees' values."""
    header, trees = model
    mine = trees[k :: int(header.get("num_tree_per_iteration", "1"))]
    split = [t for t in mine if int(t["num_leaves"]) >= 2]
    return split, sum(float(t["leaf_value"].split()[0]) for t in mine
                      if int(t["num_leaves"]) < 2)


def lightgbm_trees(model: LgbmModel, k: int, n_features: int) -> LgbmTrees:
    """Output ``k``'s trees of a LightGBM model (:func:`lightgbm_unsupported` is ``None``)."""
    split, single = lightgbm_output_trees(model, k)
    parts = [_lgbm_tree(t) for t in split]
    roots, T = _join([p[0] for p in parts], n_features)
    inner = ~T[4].astype(bool)
    feature = T[0].astype(np.int64)
    zero = np.array(sorted({int(f) for t in split for f, d in zip(
        _ints(t, "split_feature"), _ints(t, "decision_type"))
        if not d & 1 and d >> 2 & 3 == _LGBM_ZERO_TYPE}), dtype=np.int64)
    cat = np.unique(feature[inner & T[8].astype(bool)]).astype(np.int64)
    depth = max((p[2] for p in parts), default=0)
    return LgbmTrees(roots, depth, T, single + float(sum(p[1] for p in parts)), cat, zero)


def _lgbm_frame(final: Any, Z: pd.DataFrame) -> np.ndarray:
    """A frame as LightGBM reads it (``basic._data_from_pandas``): each ``category`` column
    recoded to the categories seen at training (``pandas_categorical``; a category unseen
    there is NaN), its codes as numbers, NaN for a missing one; other columns as float64."""
    known = getattr(final.booster_, "pandas_categorical", None)
    X = np.empty(Z.shape, dtype=np.float64)
    i = 0
    for j, (_, col) in enumerate(Z.items()):
        if isinstance(col.dtype, pd.CategoricalDtype):
            if known is not None and i < len(known):
                col = col.cat.set_categories(known[i])
            i += 1
            codes = col.cat.codes.to_numpy().astype(np.int64)
            X[:, j] = np.where(codes >= 0, codes, np.nan)
        else:
            X[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
    return X


def lightgbm_matrix(final: Any, Z: Any, trees: LgbmTrees) -> np.ndarray:
    """The rows as LightGBM routes them, in float64 for the kernel.

    LightGBM reads a dense row's values with ``|x| <= kZeroThreshold`` as 0.0
    (``RowPairFunctionFromDenseMatric`` keeps only the others) and a sparse matrix's stored
    values as they are, the entries not stored as 0.0.  A categorical feature's value is
    truncated toward zero (``static_cast<int>``: -0.5 is category 0); in a feature whose
    splits treat zero as missing, every value with ``-kZeroThreshold < x <= kZeroThreshold``
    becomes NaN, which those splits send to their default side, as they send NaN.
    """
    if sp.issparse(Z):
        X = np.asarray(Z.toarray(), dtype=np.float64)
    else:
        X = _lgbm_frame(final, Z) if isinstance(Z, pd.DataFrame) else \
            np.array(Z, dtype=np.float64)
        X[np.abs(X) <= _LGBM_ZERO] = 0.0
    if len(trees.categorical):
        X[:, trees.categorical] = np.trunc(X[:, trees.categorical])
    for f in trees.zero:
        v = X[:, f]
        v[(v > -_LGBM_ZERO) & (v <= _LGBM_ZERO)] = np.nan
    return np.ascontiguousarray(X)


def lightgbm_float64_contribs(final: Any, Z: Any, k: int, model: LgbmModel
                              ) -> tuple[np.ndarray, float]:
    """Our path-dependent TreeSHAP of output ``k`` of a LightGBM model (``model``: as
    :func:`lightgbm_model` read it and :func:`lightgbm_unsupported` accepted it) and its
    base: the same definition as
    LightGBM's ``pred_contrib`` (its covers are the trees' ``internal_count`` /
    ``leaf_count``), computed by our kernel."""
    from .treeshap import tree_shap

    trees = lightgbm_trees(model, k, Z.shape[1])
    if not len(trees.roots):
        return np.zeros(Z.shape), trees.expected
    phi = tree_shap(lightgbm_matrix(final, Z, trees), trees.roots, trees.depth, trees.T)
    return phi, trees.expected
