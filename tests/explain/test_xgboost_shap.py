"""XGBoost: our float64 path-dependent TreeSHAP, exact, and checked against XGBoost's own output.

* our values equal brute-force Shapley values of the path-dependent value function (every
  subset enumerated; rows routed from the model's JSON by XGBoost's documented rules, and
  those routes checked against XGBoost's own ``pred_leaf``) on random small models with
  numeric, missing and categorical features (hypothesis);
* they equal XGBoost's own ``pred_contribs`` within float32 rounding on bigger models
  (binary, multiclass, regression, early stopping, forests of parallel trees);
* rows are routed as XGBoost routes them: NaN, the estimator's ``missing`` value, values
  exactly at (and a float32 step around) every threshold, unseen, negative, huge and
  fractional category codes, categories in another order than at training;
* the additivity error recorded by ``compute_attributions`` is at most 1e-6 against the
  float64 sum of the leaves XGBoost routes each row to, and XGBoost's own float32 output is
  checked against that sum within float32 rounding (a wrong output is an error).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xgboost
from conftest import shapley_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit._explain import compute_attributions
from audit._explain import explainers as ex
from audit._explain import trees as tr
from audit._explain.explainers import TreeShapError
from audit._inputs.model import ModelAdapter

OURS = "xgboost_float64_tree_shap"
NATIVE = "xgboost_tree_shap"

warnings.filterwarnings("ignore", category=UserWarning, module="xgboost")


def _adapter(est: object, task: str = "binary") -> ModelAdapter:
    return ModelAdapter(est, task, None, positive_label=1 if task == "binary" else None)  # type: ignore[arg-type]


def _frame(n: int, seed: int = 0, n_cats: int = 6) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    cats = [f"c{i}" for i in range(n_cats)]
    X = pd.DataFrame({
        "a": rng.normal(size=n),
        "colour": pd.Categorical(rng.choice(cats, n), categories=cats),
        "b": rng.normal(size=n),
        "d": rng.integers(0, 5, n).astype(float),
    })
    X.loc[rng.random(n) < 0.1, "a"] = np.nan
    X.loc[rng.random(n) < 0.05, "colour"] = np.nan
    effect = dict(zip(cats, rng.normal(0, 1.5, n_cats)))
    signal = X["a"].fillna(0) + X["b"] * (X["colour"].map(effect).astype(float).fillna(0))
    y = (signal + rng.normal(size=n) > 0).astype(int).to_numpy()
    return X, y


def _native(est: Any, Z: Any) -> np.ndarray:
    dm = xgboost.DMatrix(Z, missing=est.missing, enable_categorical=True)
    return est.get_booster().predict(dm, pred_contribs=True,
                                     iteration_range=est._get_iteration_range(None))


def _ours(est: Any, Z: Any, k: int = 0) -> tuple[np.ndarray, float, np.ndarray]:
    model = tr.xgboost_model(est)
    assert tr.xgboost_unsupported(est, model) is None
    phi, base, ref, allowed = tr.xgboost_float64_contribs(est, Z, k, model)
    assert np.all(allowed > 0)
    return phi, base, ref


# --------------------------------------------------------------------------- brute force


def _route(tree: dict[str, Any], x: np.ndarray, node: int) -> int:
    """XGBoost's rule at an internal node (``GetNextNode`` / ``common::Decision``)."""
    v = np.float32(x[tree["split_indices"][node]])
    if np.isnan(v):
        return tree["left_children" if tree["default_left"][node] else "right_children"][node]
    if tree["split_type"][node] == 1:
        i = tree["categories_nodes"].index(node)
        seg, size = tree["categories_segments"][i], tree["categories_sizes"][i]
        listed = v >= 0 and int(v) in tree["categories"][seg : seg + size]
        return tree["right_children" if listed else "left_children"][node]
    below = v < np.float32(tree["split_conditions"][node])
    return tree["left_children" if below else "right_children"][node]


def _leaf(tree: dict[str, Any], x: np.ndarray) -> int:
    node = 0
    while tree["left_children"][node] >= 0:
        node = _route(tree, x, node)
    return node


def _value(tree: dict[str, Any], x: np.ndarray, node: int, S: frozenset) -> float:
    """Path-dependent E[tree | x_S]: follow x on S, else children weighted by cover."""
    left, right = tree["left_children"][node], tree["right_children"][node]
    if left < 0:
        return float(np.float32(tree["split_conditions"][node]))
    if tree["split_indices"][node] in S:
        return _value(tree, x, _route(tree, x, node), S)
    cover = [float(np.float32(c)) for c in tree["sum_hessian"]]
    return (cover[left] * _value(tree, x, left, S)
            + cover[right] * _value(tree, x, right, S)) / cover[node]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n_cats=st.integers(2, 9), n_trees=st.integers(1, 4),
       depth=st.integers(1, 4), missing=st.sampled_from([0.0, 0.1, 0.3]),
       onehot=st.sampled_from([1, 4, 64]))
def test_equals_brute_force_shapley_values(seed: int, n_cats: int, n_trees: int, depth: int,
                                           missing: float, onehot: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    cat = rng.integers(0, n_cats, n).astype(float)
    Xa = np.column_stack([cat, rng.normal(size=(n, 2))])
    Xa[rng.random(Xa.shape) < missing] = np.nan
    effect = rng.normal(0, 2, n_cats)
    logit = np.nan_to_num(effect[np.nan_to_num(Xa[:, 0]).astype(int)] + Xa[:, 1])
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    y[:2] = [0, 1]
    est = xgboost.XGBClassifier(
        n_estimators=n_trees, max_depth=depth, feature_types=["c", "q", "q"],
        enable_categorical=True, max_cat_to_onehot=onehot, tree_method="hist", random_state=0,
    ).fit(Xa, y)
    rows = Xa[:10].copy()
    rows[0, 0], rows[1, 0], rows[2, 0], rows[3, 0] = n_cats + 3, -1.0, np.nan, 2.5
    phi, base, ref = _ours(est, rows)
    trees = json.loads(est.get_booster().save_raw("json"))["learner"]["gradient_booster"]
    trees = trees["model"]["trees"]
    leaves = est.get_booster().predict(xgboost.DMatrix(rows, feature_types=["c", "q", "q"],
                                                       enable_categorical=True), pred_leaf=True)
    leaves = np.asarray(leaves, dtype=int).reshape(len(rows), -1)
    for i, x in enumerate(rows):
        assert [_leaf(t, x) for t in trees] == list(leaves[i])  # our reading of XGBoost's rules
        expected = shapley_values(lambda S, x=x: sum(_value(t, x, 0, S) for t in trees), 3)
        np.testing.assert_allclose(phi[i], expected, atol=1e-9)
        total = sum(_value(t, x, 0, frozenset(range(3))) for t in trees)
        margin = ref[i] - total  # XGBoost's base margin
        empty = sum(_value(t, x, 0, frozenset()) for t in trees)
        assert base == pytest.approx(margin + empty, abs=1e-9)
    np.testing.assert_allclose(base + phi.sum(1), ref, atol=1e-9)


# --------------------------------------------------------------------------- XGBoost's own values


def test_equals_pred_contribs_on_a_bigger_model_with_early_stopping() -> None:
    X, y = _frame(3000, seed=1)
    est = xgboost.XGBClassifier(n_estimators=300, max_depth=5, learning_rate=0.3,
                                enable_categorical=True, early_stopping_rounds=5,
                                eval_metric="logloss", random_state=0)
    est.fit(X.iloc[:2000], y[:2000], eval_set=[(X.iloc[2000:], y[2000:])], verbose=False)
    assert 0 < est.best_iteration < 299  # the range XGBoost predicts with is not every tree
    phi, base, ref = _ours(est, X.iloc[:1000])
    native = _native(est, X.iloc[:1000])
    np.testing.assert_allclose(phi, native[:, :-1], atol=2e-5)
    assert base == pytest.approx(float(native[0, -1]), abs=2e-5)
    np.testing.assert_allclose(ref, est.predict(X.iloc[:1000], output_margin=True), atol=2e-5)
    np.testing.assert_allclose(base + phi.sum(1), ref, rtol=0, atol=1e-12)


def test_multiclass_each_output_equals_pred_contribs() -> None:
    X, _ = _frame(1500, seed=2)
    y = np.asarray(X["colour"].cat.codes % 3 + (X["b"] > 1)) % 3
    est = xgboost.XGBClassifier(n_estimators=20, max_depth=4, enable_categorical=True,
                                random_state=0).fit(X, y)
    native = _native(est, X.iloc[:300])
    margins = est.predict(X.iloc[:300], output_margin=True)
    for k in range(3):
        phi, base, ref = _ours(est, X.iloc[:300], k)
        np.testing.assert_allclose(phi, native[:, k, :-1], atol=1e-5)
        np.testing.assert_allclose(ref, margins[:, k], atol=1e-5)
        np.testing.assert_allclose(base + phi.sum(1), ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["regression", "forest"])
def test_regression_and_parallel_trees_equal_pred_contribs(kind: str) -> None:
    X, y = _frame(1500, seed=3)
    target = X["b"] * 2 + y
    if kind == "regression":
        est = xgboost.XGBRegressor(n_estimators=40, max_depth=4, enable_categorical=True)
    else:
        est = xgboost.XGBRFRegressor(n_estimators=8, max_depth=4, enable_categorical=True)
    est.fit(X, target)
    phi, base, ref = _ours(est, X.iloc[:400])
    native = _native(est, X.iloc[:400])
    np.testing.assert_allclose(phi, native[:, :-1], atol=1e-5)
    np.testing.assert_allclose(ref, est.predict(X.iloc[:400]), atol=1e-5)
    np.testing.assert_allclose(base + phi.sum(1), ref, rtol=0, atol=1e-12)
    att = compute_attributions(_adapter(est, "regression"), X.iloc[:400], X.iloc[400:500])
    assert att.explainer == OURS and att.ok and att.max_error <= 1e-6


# --------------------------------------------------------------------------- routing


def _numeric_model(missing: float = np.nan) -> tuple[Any, np.ndarray]:
    rng = np.random.default_rng(4)
    Xa = rng.normal(size=(800, 3)).round(2)  # many rows share a value: thresholds sit on data
    Xa[rng.random(Xa.shape) < 0.1] = np.nan
    y = (np.nan_to_num(Xa[:, 0]) + Xa[:, 1] > 0).astype(int)
    est = xgboost.XGBClassifier(n_estimators=25, max_depth=4, missing=missing,
                                random_state=0).fit(Xa, y)
    return est, Xa


def _at_thresholds(est: Any, p: int) -> np.ndarray:
    """Rows whose values are every threshold, the float32 just around it, and float64 values
    just below it (rounding up to it in float32) and just above the float32 below it
    (rounding down to that one)."""
    trees = tr.xgboost_model(est)["learner"]["gradient_booster"]["model"]["trees"]
    conds = {(t["split_indices"][i], np.float32(t["split_conditions"][i]))
             for t in trees for i in range(len(t["left_children"])) if t["left_children"][i] >= 0}
    rows = []
    for f, c in sorted(conds):
        below = float(np.nextafter(c, np.float32(-np.inf)))
        for v in (float(c), below, float(np.nextafter(c, np.float32(np.inf))),
                  np.nextafter(float(c), -np.inf), np.nextafter(below, np.inf)):
            row = np.full(p, np.nan)
            row[f] = v
            rows.append(row)
            rows.append(np.where(np.isnan(row), 0.25, row))
    return np.array(rows)


def test_routing_at_thresholds_and_missing_values_equals_pred_leaf() -> None:
    est, _ = _numeric_model()
    rows = _at_thresholds(est, 3)
    phi, base, ref = _ours(est, rows)
    np.testing.assert_allclose(base + phi.sum(1), ref, rtol=0, atol=1e-12)  # ref: pred_leaf
    np.testing.assert_allclose(ref, est.predict(rows, output_margin=True), atol=1e-5)


def test_a_missing_value_other_than_nan_is_missing() -> None:
    est, Xa = _numeric_model(missing=0.25)
    rows = np.vstack([_at_thresholds(est, 3), np.nan_to_num(Xa[:50], nan=0.25)])
    phi, base, ref = _ours(est, rows)
    np.testing.assert_allclose(base + phi.sum(1), ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(phi, _native(est, rows)[:, :-1], atol=1e-5)


def test_unseen_negative_huge_and_fractional_category_codes_route_as_xgboost() -> None:
    rng = np.random.default_rng(5)
    Xa = np.column_stack([rng.integers(0, 7, 900).astype(float), rng.normal(size=900)])
    y = ((Xa[:, 0] % 3 == 0) ^ (Xa[:, 1] > 0.3)).astype(int)
    est = xgboost.XGBClassifier(n_estimators=20, max_depth=3, feature_types=["c", "q"],
                                enable_categorical=True, max_cat_to_onehot=1,
                                random_state=0).fit(Xa, y)
    codes = [0, 1, 2.5, 6, 6.99, 7, 9, 200, 255, 256, 300, 1e7, 2.0**24, 2.0**30, -0.5, -1,
             -300, np.nan]
    rows = np.array([[c, x] for c in codes for x in (-1.0, 0.3, 2.0)])
    phi, base, ref = _ours(est, rows)
    np.testing.assert_allclose(base + phi.sum(1), ref, rtol=0, atol=1e-12)
    dm = xgboost.DMatrix(rows, feature_types=["c", "q"], enable_categorical=True)
    np.testing.assert_allclose(ref, est.get_booster().predict(dm, output_margin=True), atol=1e-5)


def test_categories_in_another_order_than_at_training_are_recoded_as_xgboost_does() -> None:
    X, y = _frame(1200, seed=6)
    est = xgboost.XGBClassifier(n_estimators=15, max_depth=4, enable_categorical=True,
                                random_state=0).fit(X, y)
    shuffled = X.assign(colour=X["colour"].cat.reorder_categories(
        list(reversed(X["colour"].cat.categories))))
    phi, base, ref = _ours(est, shuffled.iloc[:300])
    same, _, _ = _ours(est, X.iloc[:300])
    if hasattr(est.get_booster(), "get_categories"):  # XGBoost 3.1 and later recode
        np.testing.assert_array_equal(phi, same)
    else:  # XGBoost 2.x reads a frame's own codes: so do we (checked on 2.1.4)
        assert not np.array_equal(phi, same)
    np.testing.assert_allclose(base + phi.sum(1), ref, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- in the audit


def test_additivity_on_category_columns_is_recorded_within_1e6() -> None:
    X, y = _frame(3000, seed=7)
    est = xgboost.XGBClassifier(n_estimators=200, max_depth=6, enable_categorical=True,
                                random_state=0).fit(X, y)
    att = compute_attributions(_adapter(est), X.iloc[:2000], X.iloc[2000:2100])
    assert att.explainer == OURS and att.ok, att.notes
    scale = max(1.0, float(np.max(np.abs(att.output_values))))
    assert att.max_error <= 1e-6 and att.tolerance == pytest.approx(1e-6 * scale)
    float32 = est.predict(X.iloc[:2000], output_margin=True).astype(float)
    rounding = float(np.max(np.abs(float32 - att.output_values)))
    assert 0 < rounding < 1e-4  # the output is the float64 sum, not XGBoost's float32 one
    assert len(att.notes) == 1 and "float32" in att.notes[0] and f"{rounding:.2g}" in att.notes[0]


def test_a_float32_output_far_from_the_float64_sum_is_an_error(monkeypatch) -> None:
    X, y = _frame(600, seed=8)
    est = xgboost.XGBClassifier(n_estimators=20, max_depth=3, enable_categorical=True).fit(X, y)
    real = ex.xgboost_float64_contribs

    def off(final, Z, k, model):  # type: ignore[no-untyped-def]
        phi, base, ref, allowed = real(final, Z, k, model)
        # adds up, but is not XGBoost's output
        return phi + np.array([1e-3, 0, 0, 0]), base, ref + 1e-3, allowed

    monkeypatch.setattr(ex, "xgboost_float64_contribs", off)
    with pytest.raises(TreeShapError, match="float32"):
        compute_attributions(_adapter(est), X.iloc[:200], X.iloc[200:300])


def test_a_model_we_cannot_read_keeps_xgboosts_own_values_and_says_why() -> None:
    X, y = _frame(600, seed=9)
    est = xgboost.XGBClassifier(booster="dart", n_estimators=10, max_depth=3, rate_drop=0.1,
                                enable_categorical=True, random_state=0).fit(X, y)
    att = compute_attributions(_adapter(est), X.iloc[:200], X.iloc[200:300])
    assert att.explainer == NATIVE and att.ok
    assert any("dart" in n for n in att.notes), att.notes


def test_the_cost_model_prices_the_implementation_that_runs() -> None:
    from audit._explain import budget, cost

    X, y = _frame(600, seed=10)
    costs = {}
    for booster in ("gbtree", "dart"):
        est = xgboost.XGBClassifier(booster=booster, n_estimators=10, max_depth=3,
                                    enable_categorical=True, random_state=0).fit(X, y)
        m = _adapter(est)
        impl, work, _ = cost.tree_work(est, budget._choose_output(m, [], est, X.iloc[:50]))
        costs[booster] = (impl, work)
    assert costs["gbtree"][0] == "xgboost_float64" and costs["dart"][0] == "xgboost"
    assert cost.SECONDS_PER_UNIT["xgboost_float64"] > cost.SECONDS_PER_UNIT["xgboost"]


def test_a_sparse_one_hot_pipeline_and_blocks_of_rows(monkeypatch) -> None:
    """In a sparse matrix an entry not stored is missing for XGBoost, not 0."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    X, y = _frame(900, seed=11)
    X = X.assign(colour=X["colour"].astype(str))
    prep = ColumnTransformer([("oh", OneHotEncoder(sparse_output=True), ["colour"])],
                             remainder="passthrough", sparse_threshold=1.0)
    model = make_pipeline(prep, xgboost.XGBClassifier(n_estimators=20, max_depth=4,
                                                      random_state=0)).fit(X, y)
    Z = model[0].transform(X.iloc[:300])
    assert hasattr(Z, "tocsr")
    monkeypatch.setattr(tr, "_LEAF_BLOCK", 64)  # pred_leaf in blocks: the same sums
    phi, base, ref = _ours(model[-1], Z)
    np.testing.assert_allclose(phi, _native(model[-1], Z)[:, :-1], atol=1e-5)
    np.testing.assert_allclose(base + phi.sum(1), ref, rtol=0, atol=1e-12)
    att = compute_attributions(_adapter(model), X.iloc[:300], X.iloc[300:400])
    assert att.explainer == OURS and att.ok and att.max_error <= 1e-6
