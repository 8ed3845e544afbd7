"""Exact path-dependent TreeSHAP for every tree model, never a model-agnostic fallback.

* LightGBM / XGBoost on categorical columns: our values are their native
  ``pred_contrib`` mapped back onto the original columns (computed by our TreeSHAP over
  their trees: :mod:`test_lightgbm_shap`, :mod:`test_xgboost_shap`);
* HistGradientBoosting without categorical splits: equal to shap's path-dependent
  TreeExplainer to 1e-9;
* HistGradientBoosting with categorical splits, missing values and unknown
  categories: equal to brute-force Shapley values of the path-dependent value
  function (every subset enumerated, rows routed by scikit-learn's own predictor),
  a hypothesis property test over random small models (their trees computed from leaf
  tables), and a model whose trees go to both of the kernel's methods in one call.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import shapley_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from audit._explain import compute_attributions
from audit._explain import explainers as ex
from audit._explain.explainers import TreeShapError, _agnostic_exact
from audit._inputs.model import ModelAdapter

AGNOSTIC = {"exact", "permutation"}


def _adapter(est: object, task: str = "binary", positive: object = 1) -> ModelAdapter:
    return ModelAdapter(est, task, None, positive_label=positive if task == "binary" else None)  # type: ignore[arg-type]


def _frame(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "colour": pd.Categorical(rng.choice(list("pqrstu"), n)),
            "d": rng.integers(0, 5, n).astype(float),
        }
    )
    X.loc[rng.random(n) < 0.1, "a"] = np.nan
    signal = X["a"].fillna(0) + X["b"] * X["colour"].isin(["p", "q"]) - 0.5 * (X["colour"] == "u")
    y = (signal + rng.normal(size=n) > 0).astype(int).to_numpy()
    return X, y


# --------------------------------------------------------------------------- native libraries


@pytest.mark.parametrize("positive", [1, 0])
def test_lightgbm_on_category_columns_equals_its_pred_contrib(positive: int) -> None:
    import lightgbm

    X, y = _frame(600)
    est = lightgbm.LGBMClassifier(n_estimators=30, num_leaves=8, verbose=-1, random_state=0)
    est.fit(X, y)
    att = compute_attributions(_adapter(est, positive=positive), X.iloc[:200], X.iloc[200:300])
    assert att.explainer == "lightgbm_float64_tree_shap" and att.ok and att.max_error < 1e-9
    native = est.predict(X.iloc[:200], pred_contrib=True)
    sign = 1.0 if positive == 1 else -1.0
    np.testing.assert_allclose(att.phi, sign * native[:, :-1], atol=1e-12)
    assert att.base == pytest.approx(sign * native[0, -1], abs=1e-12)


def test_lightgbm_in_a_pipeline_maps_native_contributions_back() -> None:
    import lightgbm

    X, y = _frame(600)
    prep = ColumnTransformer([("num", StandardScaler(), ["b", "a"])], remainder="passthrough")
    prep.set_output(transform="pandas")  # keeps 'colour' a category for LightGBM
    model = make_pipeline(prep, lightgbm.LGBMClassifier(n_estimators=30, verbose=-1)).fit(X, y)
    att = compute_attributions(_adapter(model), X.iloc[:150], X.iloc[200:300])
    assert att.explainer == "lightgbm_float64_tree_shap" and att.ok
    Z = model[0].transform(X.iloc[:150])
    assert str(Z["remainder__colour"].dtype) == "category"
    native = model[-1].predict(Z, pred_contrib=True)[:, :-1]
    by_name = dict(zip(Z.columns, native.T))
    expected = np.column_stack(
        [by_name["num__a"], by_name["num__b"], by_name["remainder__colour"], by_name["remainder__d"]]
    )
    np.testing.assert_allclose(att.phi, expected, atol=1e-12)


def test_xgboost_enable_categorical_equals_its_pred_contribs() -> None:
    import xgboost

    X, y = _frame(600)
    est = xgboost.XGBClassifier(
        n_estimators=30, max_depth=3, enable_categorical=True, tree_method="hist", random_state=0
    ).fit(X, y)
    att = compute_attributions(_adapter(est), X.iloc[:200], X.iloc[200:300])
    assert att.explainer == "xgboost_float64_tree_shap" and att.ok  # ours, in float64
    dm = xgboost.DMatrix(X.iloc[:200], enable_categorical=True)
    native = est.get_booster().predict(dm, pred_contribs=True)
    np.testing.assert_allclose(att.phi, native[:, :-1], atol=1e-6)
    assert att.base == pytest.approx(float(native[0, -1]), abs=1e-6)


# --------------------------------------------------------------------------- HGB numeric vs shap


@pytest.mark.parametrize("cls", [HistGradientBoostingClassifier, HistGradientBoostingRegressor])
def test_hgb_without_categorical_splits_equals_shap_path_dependent(cls: type) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap
    X, y = _frame(800, seed=3)
    Xn = X.assign(colour=X["colour"].cat.codes.astype(float))
    task = "binary" if cls is HistGradientBoostingClassifier else "regression"
    model = cls(max_iter=25, random_state=0).fit(Xn, y)
    att = compute_attributions(_adapter(model, task), Xn.iloc[:200], Xn.iloc[200:300])
    assert att.explainer == "hgb_tree_shap" and att.max_error < 1e-9
    te = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    ref = te.shap_values(Xn.iloc[:200].to_numpy(), check_additivity=False)
    np.testing.assert_allclose(att.phi, ref, atol=1e-9)
    assert att.base == pytest.approx(float(np.ravel(te.expected_value)[0]), abs=1e-9)


# --------------------------------------------------------------------------- HGB categorical vs brute force


def _directions(model: HistGradientBoostingClassifier, X: np.ndarray) -> list[np.ndarray]:
    """Per tree, (n_nodes, n_rows): whether the row goes left, as scikit-learn's predictor routes it."""
    known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
    out = []
    for (pred,) in model._predictors:
        nodes = pred.nodes
        d = np.zeros((len(nodes), len(X)), dtype=bool)
        for i in np.flatnonzero(~nodes["is_leaf"].astype(bool)):
            stub = np.zeros(3, dtype=nodes.dtype)  # this node as a root, leaves 0 (left) / 1
            stub[0] = nodes[i]
            stub[0]["left"], stub[0]["right"] = 1, 2
            stub[1]["is_leaf"], stub[2]["is_leaf"] = 1, 1
            stub[1]["value"], stub[2]["value"] = 0.0, 1.0
            tp = TreePredictor(stub, pred.binned_left_cat_bitsets, pred.raw_left_cat_bitsets)
            d[i] = tp.predict(X, known, f_idx_map, 1) == 0.0
        out.append(d)
    return out


def _value(nodes: np.ndarray, left: np.ndarray, node: int, row: int, S: frozenset) -> float:
    """Path-dependent E[f | x_S]: follow x on features in S, else average children by count."""
    n = nodes[node]
    if n["is_leaf"]:
        return float(n["value"])
    if int(n["feature_idx"]) in S:
        return _value(nodes, left, int(n["left"] if left[node, row] else n["right"]), row, S)
    cl, cr = nodes[n["left"]]["count"], nodes[n["right"]]["count"]
    vl = _value(nodes, left, int(n["left"]), row, S)
    vr = _value(nodes, left, int(n["right"]), row, S)
    return float((cl * vl + cr * vr) / (cl + cr))


def _brute_force(model: HistGradientBoostingClassifier, X: np.ndarray) -> tuple[np.ndarray, float]:
    """Exact Shapley values of the path-dependent value function, every subset enumerated."""
    p = X.shape[1]
    dirs = _directions(model, X)
    trees = [pred.nodes for (pred,) in model._predictors]

    def v(row: int, S: frozenset) -> float:
        return sum(_value(t, d, 0, row, S) for t, d in zip(trees, dirs))

    phi = np.array([shapley_values(lambda S, row=row: v(row, S), p) for row in range(len(X))])
    base = float(np.ravel(model._baseline_prediction)[0]) + v(0, frozenset())
    return phi, base


_MODELS = {
    "seed": st.integers(0, 2**31 - 1),
    "n_cats": st.integers(3, 9),
    "n_numeric": st.integers(1, 3),
    "max_iter": st.integers(1, 4),
    "max_leaf_nodes": st.integers(2, 8),
    "missing": st.sampled_from([0.0, 0.1, 0.3]),
}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_MODELS)
def test_hgb_categorical_tree_shap_equals_brute_force(**kw: Any) -> None:
    _check_against_brute_force(**kw)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_MODELS)
def test_hgb_categorical_tree_shap_equals_brute_force_many_models(**kw: Any) -> None:
    _check_against_brute_force(**kw)


def test_brute_force_with_trees_on_both_kernel_methods(monkeypatch) -> None:
    """Leaf tables for the first trees only (a small table budget), Algorithm 2 for the rest:
    the values of one call still equal brute force."""
    from audit._explain import treeshap
    from audit._explain.trees import _flatten

    monkeypatch.setattr(treeshap, "TABLE_MAX_BYTES", 8 * 40)
    model = _check_against_brute_force(seed=3, n_cats=6, n_numeric=2, max_iter=4,
                                       max_leaf_nodes=6, missing=0.1)
    roots, depth, arrays = _flatten([it[0] for it in model._predictors])
    known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
    T = (*arrays, np.ascontiguousarray(known, dtype=np.uint32).reshape(-1, 8),
         np.asarray(f_idx_map, dtype=np.int64))
    used = treeshap.table_trees(roots, depth, T)
    assert used.any() and not used.all()


def _check_against_brute_force(
    seed: int, n_cats: int, n_numeric: int, max_iter: int, max_leaf_nodes: int, missing: float
) -> HistGradientBoostingClassifier:
    """Random small HGB with a categorical feature: our values == brute force to 1e-9."""
    rng = np.random.default_rng(seed)
    n = 300
    cat = rng.integers(0, n_cats, n).astype(float)
    effect = rng.normal(0, 2, n_cats)
    Xa = np.column_stack([cat, rng.normal(size=(n, n_numeric))])
    Xa[rng.random(Xa.shape) < missing] = np.nan
    logit = np.nan_to_num(effect[np.nan_to_num(Xa[:, 0]).astype(int)] + Xa[:, 1])
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    cols = ["cat"] + [f"x{i}" for i in range(n_numeric)]
    model = HistGradientBoostingClassifier(
        categorical_features=[0], max_iter=max_iter, max_leaf_nodes=max_leaf_nodes,
        min_samples_leaf=5, random_state=0,
    ).fit(pd.DataFrame(Xa, columns=cols), y)
    rows = Xa[:12].copy()
    rows[0, 0], rows[1, 0], rows[2, 0] = n_cats + 3, -1.0, np.nan  # unknown, negative, missing
    Xs = pd.DataFrame(rows, columns=cols)
    att = compute_attributions(_adapter(model), Xs, Xs)
    assert att.explainer == "hgb_tree_shap"
    ref, base = _brute_force(model, rows)
    np.testing.assert_allclose(att.phi, ref, atol=1e-9)
    assert att.base == pytest.approx(base, abs=1e-9)
    np.testing.assert_allclose(att.base + att.phi.sum(1), model.decision_function(Xs), atol=1e-9)
    return model


# --------------------------------------------------------------------------- never a fallback


def _tree_models() -> list[tuple[str, object, str]]:
    import lightgbm
    import xgboost

    return [
        ("rf", RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0), "binary"),
        ("et", ExtraTreesClassifier(n_estimators=10, max_depth=4, random_state=0), "binary"),
        ("gb", GradientBoostingRegressor(n_estimators=10, random_state=0), "regression"),
        ("dt", DecisionTreeRegressor(max_depth=4, random_state=0), "regression"),
        ("hgb", HistGradientBoostingClassifier(max_iter=10, categorical_features="from_dtype"),
         "binary"),
        ("lgbm", lightgbm.LGBMClassifier(n_estimators=10, verbose=-1), "binary"),
        ("xgb", xgboost.XGBClassifier(n_estimators=10, enable_categorical=True), "binary"),
    ]


@pytest.mark.parametrize("i", range(7))
def test_no_tree_model_ends_in_a_model_agnostic_explainer(i: int) -> None:
    name, est, task = _tree_models()[i]
    X, y = _frame(400)
    if name in {"rf", "et", "gb", "dt"}:  # scikit-learn trees take numbers only
        X = X.assign(colour=X["colour"].cat.codes.astype(float), a=X["a"].fillna(0.0))
    est.fit(X, y)  # type: ignore[attr-defined]
    att = compute_attributions(_adapter(est, task), X.iloc[:100], X.iloc[100:200])
    assert att.explainer not in AGNOSTIC and att.ok, (name, att.explainer, att.notes)
    # XGBoost: the one note is its float32 rounding, measured
    assert att.notes == [] if name != "xgb" else len(att.notes) == 1 and "float32" in att.notes[0]


def test_tree_values_that_do_not_add_up_are_an_error_not_a_fallback(monkeypatch) -> None:
    X, y = _frame(300)
    model = HistGradientBoostingClassifier(max_iter=5, categorical_features="from_dtype").fit(X, y)

    def wrong(final, Z, k):  # type: ignore[no-untyped-def]
        return np.zeros((len(Z), Z.shape[1])), 0.0

    monkeypatch.setattr(ex, "hgb_contribs", wrong)
    with pytest.raises(TreeShapError, match="do not add up.*rather than replaced by sampled values"):
        compute_attributions(_adapter(model), X.iloc[:50], X.iloc[50:100])


def test_model_agnostic_choice_follows_the_cost_of_exact_enumeration() -> None:
    assert _agnostic_exact(7, 2000, 50)  # 128 coalitions vs 75 sampled evaluations per row
    assert _agnostic_exact(9, 500, 50)  # 12.8M model rows: within the exact budget
    assert not _agnostic_exact(12, 2000, 50)  # 4096 coalitions x 100k rows: sample instead


def test_hgb_tree_shap_does_not_depend_on_the_number_of_threads() -> None:
    from audit._explain import treeshap
    from audit._explain.trees import _flatten

    X, y = _frame(600, seed=5)
    model = HistGradientBoostingClassifier(max_iter=10, categorical_features="from_dtype",
                                           random_state=0).fit(X, y)
    Z = np.ascontiguousarray(model._preprocess_X(X, reset=False), dtype=np.float64)
    roots, depth, arrays = _flatten([it[0] for it in model._predictors])
    known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
    T = (*arrays, np.ascontiguousarray(known, dtype=np.uint32).reshape(-1, 8),
         np.asarray(f_idx_map, dtype=np.int64))
    one = treeshap.tree_shap(Z, roots, depth, T, threads=1)
    for k in (2, 3, 7):
        assert np.array_equal(treeshap.tree_shap(Z, roots, depth, T, threads=k), one)


def test_the_model_runs_once_on_the_explained_rows() -> None:
    """The margin is computed once on the sample; predict_proba only on the check's rows."""
    X, y = _frame(900, seed=2)
    Xn = X.assign(colour=X["colour"].cat.codes.astype(float))
    model = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(Xn, y)
    rows: dict[str, list[int]] = {"decision_function": [], "predict_proba": []}
    for name in rows:
        method = getattr(model, name)

        def counted(Z: Any, _m: Any = method, _n: str = name) -> Any:
            rows[_n].append(len(Z))
            return _m(Z)

        setattr(model, name, counted)
    att = compute_attributions(_adapter(model), Xn.iloc[:700], Xn.iloc[700:])
    assert att.output_space == "log-odds" and att.max_error < 1e-9
    assert rows["decision_function"] == [700]
    assert sum(rows["predict_proba"]) <= 200
