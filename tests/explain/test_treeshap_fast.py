"""The leaf-table TreeSHAP kernel equals Algorithm 2, and deep trees keep Algorithm 2.

:func:`audit._explain.treeshap.tree_shap` computes each tree from per-leaf tables
(``tables=True``, the default) unless the tree is too deep for them; ``tables=False``
runs Lundberg's Algorithm 2 on every tree.  Both must agree to 1e-12 of the row's scale
on every kind of tree the kernel reads: HistGradientBoosting with native categorical
splits, missing values and unknown categories, regression, multiclass, deep chains that
keep Algorithm 2, and XGBoost's trees in float64.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import shapley_values
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from audit._explain import trees as tr
from audit._explain import treeshap

warnings.filterwarnings("ignore", category=UserWarning, module="xgboost")


def _hgb_inputs(model: Any, X: Any, k: int = 0) -> tuple[np.ndarray, np.ndarray, int, tuple]:
    """The kernel's inputs for output ``k`` of a fitted HistGradientBoosting model."""
    Z = np.ascontiguousarray(model._preprocess_X(X, reset=False), dtype=np.float64)
    roots, depth, arrays = tr._flatten([it[k] for it in model._predictors])
    known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
    T = (*arrays, np.ascontiguousarray(known, dtype=np.uint32).reshape(-1, 8),
         np.asarray(f_idx_map, dtype=np.int64))
    return Z, roots, depth, T


def _assert_same(Z: np.ndarray, roots: np.ndarray, depth: int, T: tuple) -> np.ndarray:
    """Tables and Algorithm 2 agree to 1e-12 of each row's scale; the tables' values."""
    fast = treeshap.tree_shap(Z, roots, depth, T)
    slow = treeshap.tree_shap(Z, roots, depth, T, tables=False)
    scale = np.maximum(np.abs(slow).sum(axis=1, keepdims=True), 1e-300)
    assert np.all(np.abs(fast - slow) <= 1e-12 * scale), np.max(np.abs(fast - slow) / scale)
    return treeshap.table_trees(roots, depth, T)


def _categorical_frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "a": rng.normal(size=n),
        "colour": pd.Categorical(rng.choice(list("pqrstuvw"), n)),
        "b": rng.normal(size=n),
        "d": rng.integers(0, 5, n).astype(float),
        "shape": pd.Categorical(rng.choice(list("xyz"), n)),
    })
    X.loc[rng.random(n) < 0.1, "a"] = np.nan
    X.loc[rng.random(n) < 0.05, "colour"] = np.nan
    signal = X["a"].fillna(0) + X["b"] * X["colour"].isin(["p", "q"]) - (X["shape"] == "x")
    y = (signal + rng.normal(size=n) > 0).astype(int).to_numpy()
    return X, y


def test_hgb_categorical_missing_and_unknown_categories() -> None:
    X, y = _categorical_frame(2000, seed=1)
    model = HistGradientBoostingClassifier(max_iter=30, categorical_features="from_dtype",
                                           random_state=0).fit(X.iloc[:1500], y[:1500])
    rows = X.iloc[1500:].copy()
    rows["colour"] = rows["colour"].cat.add_categories(["never"])
    rows.iloc[:20, rows.columns.get_loc("colour")] = "never"  # unknown at training
    used = _assert_same(*_hgb_inputs(model, rows))
    assert used.all()


def test_hgb_regression() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3000, 9))
    X[rng.random(X.shape) < 0.05] = np.nan
    y = np.nansum(X[:, :4], axis=1) * np.nan_to_num(X[:, 4]) + rng.normal(size=3000)
    model = HistGradientBoostingRegressor(max_iter=40, max_leaf_nodes=63, random_state=0).fit(X, y)
    used = _assert_same(*_hgb_inputs(model, rng.normal(size=(400, 9))))
    assert used.all()


@pytest.mark.parametrize("k", [0, 1, 2])
def test_hgb_multiclass(k: int) -> None:
    X, _ = _categorical_frame(1500, seed=3)
    y = np.digitize(X["b"] + (X["colour"] == "p"), [-0.5, 0.5])
    model = HistGradientBoostingClassifier(max_iter=15, categorical_features="from_dtype",
                                           random_state=0).fit(X, y)
    _assert_same(*_hgb_inputs(model, X.iloc[:300], k))


def _deep_and_shallow(deep_trees: int) -> tuple[HistGradientBoostingRegressor, np.ndarray]:
    """A regressor of ``deep_trees`` trees meeting up to 20 distinct features on a path
    (beyond the tables' cap), then 3 shallow ones (same columns, numeric only); its rows."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(800, 20))
    y = np.prod(np.tanh(3 * X), axis=1) * 10 + X.sum(axis=1)
    deep = HistGradientBoostingRegressor(max_iter=deep_trees, max_leaf_nodes=None,
                                         max_depth=None, min_samples_leaf=2,
                                         random_state=0).fit(X, y)
    shallow = HistGradientBoostingRegressor(max_iter=3, max_depth=4, random_state=0).fit(X, y)
    deep._predictors = deep._predictors + shallow._predictors
    return deep, X


def test_deep_trees_keep_algorithm_2_and_agree() -> None:
    """Trees meeting up to 20 distinct features on a path (beyond the tables' cap) and
    shallow ones, in one call: each tree by its own method."""
    rng = np.random.default_rng(4)
    deep, _ = _deep_and_shallow(deep_trees=2)
    Z, roots, depth, T = _hgb_inputs(deep, rng.normal(size=(100, 20)))
    deepest = np.array([_deepest(T, r) for r in roots])
    used = _assert_same(Z, roots, depth, T)
    assert np.array_equal(used, deepest <= treeshap.TABLE_MAX_FEATURES)
    assert not used[:2].all() and used[2:].all()  # a deep one by Algorithm 2, shallow ones not


def test_the_cost_model_prices_each_tree_by_the_method_that_runs(monkeypatch) -> None:
    """The cost model reads the distinct features of every leaf's path from the model (no
    kernel run) and decides tables or Algorithm 2 per tree exactly as the kernel does."""
    from audit._explain import cost

    deep, X = _deep_and_shallow(deep_trees=3)
    Z, roots, depth, T = _hgb_inputs(deep, X[:5])
    paths = [cost._leaf_paths(p[0].nodes["left"], p[0].nodes["right"],
                              p[0].nodes["feature_idx"], p[0].nodes["is_leaf"].astype(bool))
             for p in deep._predictors]
    assert [int(d.max()) for _, d in paths] == [_deepest(T, r) for r in roots]
    used = treeshap.table_trees(roots, depth, T)
    alg2 = sum(float(np.sum((dep + 1.0) ** 2 + cost.LEAF_UNITS))
               for (dep, _), u in zip(paths, used) if not u)
    table = sum(cost.TABLE_TREE_UNITS + float(np.sum(dep + 1)) for (dep, _), u in zip(paths, used)
                if u)
    ratio = cost.TABLE_SECONDS_PER_UNIT["hgb"] / cost.SECONDS_PER_UNIT["hgb"]
    assert (~used).any() and used.any()
    assert cost._hgb_work(deep, 0) == pytest.approx(alg2 + ratio * table, rel=1e-12)
    monkeypatch.setattr(cost, "TABLE_CACHE_BYTES", 8)  # tables beyond the caches: dearer
    assert cost._hgb_work(deep, 0) == pytest.approx(
        alg2 + ratio * cost.TABLE_MEMORY_FACTOR * table, rel=1e-12)


def _deepest(T: tuple, root: int) -> int:
    """The most distinct features on a root-to-leaf path of the tree at ``root``."""
    feature, left, right, is_leaf = T[0], T[2], T[3], T[4]
    best, stack = 0, [(root, frozenset())]
    while stack:
        node, seen = stack.pop()
        if is_leaf[node]:
            best = max(best, len(seen))
            continue
        seen = seen | {int(feature[node])}
        stack += [(int(left[node]), seen), (int(right[node]), seen)]
    return best


def test_the_memory_cap_keeps_algorithm_2_for_the_trees_beyond_it(monkeypatch) -> None:
    X, y = _categorical_frame(1500, seed=5)
    model = HistGradientBoostingClassifier(max_iter=10, categorical_features="from_dtype",
                                           random_state=0).fit(X, y)
    Z, roots, depth, T = _hgb_inputs(model, X.iloc[:200])
    sizes = treeshap._plan(roots, depth, T).table_sizes
    monkeypatch.setattr(treeshap, "TABLE_MAX_BYTES", 8 * int(sizes[:4].sum()))
    used = _assert_same(Z, roots, depth, T)
    assert used[:4].all() and not used[4:].any()


def test_a_leaf_with_no_cover_keeps_algorithm_2() -> None:
    X, y = _categorical_frame(800, seed=6)
    model = HistGradientBoostingClassifier(max_iter=3, random_state=0).fit(
        X.assign(colour=X["colour"].cat.codes, shape=X["shape"].cat.codes), y)
    Z, roots, depth, T = _hgb_inputs(model, X.assign(colour=X["colour"].cat.codes,
                                                     shape=X["shape"].cat.codes).iloc[:50])
    count = T[6].copy()
    count[np.flatnonzero(T[4])[0]] = 0.0  # the first tree's first leaf: no training rows
    T = (*T[:6], count, *T[7:])
    assert list(treeshap.table_trees(roots, depth, T)) == [False, True, True]
    # Algorithm 2 divides by that zero (the audit's additivity check reports such values):
    # the same values, NaN included, from the tree it keeps
    fast = treeshap.tree_shap(Z, roots, depth, T)
    slow = treeshap.tree_shap(Z, roots, depth, T, tables=False)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-14, equal_nan=True)


def test_xgboost_float64() -> None:
    xgboost = pytest.importorskip("xgboost")
    X, y = _categorical_frame(3000, seed=7)
    est = xgboost.XGBClassifier(n_estimators=40, max_depth=6, enable_categorical=True,
                                tree_method="hist", random_state=0).fit(X, y)
    model = tr.xgboost_model(est)
    trees = tr.xgboost_trees(est, model, 0, X.shape[1])
    Z = tr.xgboost_matrix(est, X.iloc[:500], trees)
    used = _assert_same(Z, trees.roots, trees.depth, trees.T)
    assert used.all()


def test_xgboost_multiclass_float64() -> None:
    xgboost = pytest.importorskip("xgboost")
    X, _ = _categorical_frame(2000, seed=8)
    y = np.digitize(X["b"] + (X["colour"] == "p"), [-0.5, 0.5])
    est = xgboost.XGBClassifier(n_estimators=10, max_depth=8, enable_categorical=True,
                                tree_method="hist", random_state=0).fit(X, y)
    model = tr.xgboost_model(est)
    for k in range(3):
        trees = tr.xgboost_trees(est, model, k, X.shape[1])
        _assert_same(tr.xgboost_matrix(est, X.iloc[:300], trees), trees.roots, trees.depth,
                     trees.T)


# --------------------------------------------------------------------------- the tables' algebra


@pytest.mark.parametrize("d", [1, 2, 3, 5, 7])
def test_a_leaf_table_gives_the_shapley_values_of_its_leaf_term(d: int) -> None:
    """One leaf's term v prod_S o_j prod_(P-S) z_j: the table's values are its Shapley values."""
    rng = np.random.default_rng(d)
    z = rng.uniform(0.05, 1.0, d)
    v = float(rng.normal())
    tab = np.zeros(2**d)
    treeshap._leaf_table(tab, 0, z, d, v)
    coef = (1.0 - z) / z
    for U in range(2**d):
        o = [(U >> j) & 1 for j in range(d)]

        def term(S: frozenset, o: list = o) -> float:
            return v * math.prod(o[j] if j in S else z[j] for j in range(d))

        ours = [coef[i] * tab[U ^ (1 << i)] if o[i] else -tab[U] for i in range(d)]
        np.testing.assert_allclose(ours, shapley_values(term, d), rtol=1e-12, atol=1e-14)
