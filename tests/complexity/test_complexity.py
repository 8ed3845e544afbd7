"""Interpretability-vs-complexity score on models whose answer is known."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeRegressor
from threadpoolctl import threadpool_limits

from audit._complexity import assess_complexity
from audit._complexity.baselines import _tree_group_shap
from audit._complexity.coding import _code, _model_output
from audit._complexity.components import _subscore, effective_features, interpretability_score
from audit._complexity.size import model_size
from audit._errors import ConfigError, InputError
from audit._inputs.model import ModelAdapter
from audit._result.complexity import SCORE_FORMULA, Complexity, Component
from audit._result.serial import from_jsonable, to_jsonable


@pytest.fixture(autouse=True)
def _one_thread():
    """Fit the test models single-threaded: OpenMP spinning on busy CI cores is very slow."""
    with threadpool_limits(limits=1):
        yield


def _binary(est, X: pd.DataFrame, positive=1) -> ModelAdapter:
    return ModelAdapter(est, "binary", tuple(map(str, X.columns)), positive_label=positive)


def _component(res_interp, key: str) -> Component:
    return next(c for c in res_interp.components if c.key == key)


def _linear_shap(est: LogisticRegression, X: pd.DataFrame) -> dict[str, float]:
    contrib = (X - X.mean()) * est.coef_[0]
    return {c: float(v) for c, v in contrib.abs().mean().items()}


@pytest.fixture(scope="module")
def additive_data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(1)
    n = 3000
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
    f = 2 * np.sin(1.5 * X.a) + X.b**2 - 1 + X.c  # no interactions, strongly non-linear
    y = (f + rng.logistic(size=n) > 0).astype(np.int8).to_numpy()
    return X, y


@pytest.fixture(scope="module")
def interaction_data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(2)
    n = 3000
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
    y = (X.a * X.b + 0.3 * rng.normal(size=n) > 0).astype(np.int8).to_numpy()  # XOR-like
    return X, y


def test_logistic_regression_on_few_features_scores_high() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["x1", "x2", "x3"])
    y = (X.x1 - 0.7 * X.x2 + 0.2 * X.x3 + rng.logistic(size=n) > 0).astype(np.int8).to_numpy()
    est = LogisticRegression().fit(X, y)
    res = assess_complexity(_binary(est, X), X, y, mean_abs_shap=_linear_shap(est, X))

    assert res.model.score is not None and res.model.score >= 80
    assert _component(res.model, "non_linearity").value < 0.01  # its log-odds are linear
    assert _component(res.model, "non_additivity").value < 0.02
    assert _component(res.model, "size").value == 3
    assert _component(res.model, "effective_features").value in (2.0, 3.0)
    assert "decision_function" in res.output_used
    # the linear baseline is the same kind of model: same metric within a point, same score band
    linear = next(b for b in res.baselines if b.key == "linear")
    assert abs(res.model_metric - linear.metric_value) < 0.01
    assert linear.interpretability.score >= 80
    assert res.outcome == "pays_for_itself"
    assert "no extra opacity" in res.verdict
    assert res.metric == "auc"


def test_gbm_on_additive_data_is_nearly_additive(additive_data) -> None:
    X, y = additive_data
    est = GradientBoostingClassifier(random_state=0).fit(X, y)
    res = assess_complexity(_binary(est, X), X, y, mean_abs_shap=None)
    non_add = _component(res.model, "non_additivity")
    assert non_add.value is not None and non_add.value < 0.05
    # ... but clearly non-linear (sin and square), so the two measures are distinguished
    assert _component(res.model, "non_linearity").value > 0.3


def test_gbm_with_planted_interaction_is_non_additive(additive_data, interaction_data) -> None:
    X, y = interaction_data
    gbm = GradientBoostingClassifier(random_state=0).fit(X, y)
    res = assess_complexity(_binary(gbm, X), X, y, mean_abs_shap=None, max_rows=2000)
    assert _component(res.model, "non_additivity").value > 0.3
    # the model is clearly better than any transparent baseline on this XOR-like target
    assert res.gain is not None and res.gain > 0.1
    assert res.outcome == "pays_for_itself"

    Xa, ya = additive_data
    gbm_add = GradientBoostingClassifier(random_state=0).fit(Xa, ya)
    res_add = assess_complexity(_binary(gbm_add, Xa), Xa, ya, mean_abs_shap=None, max_rows=2000)
    assert res.model.score < res_add.model.score

    big = HistGradientBoostingClassifier(random_state=0).fit(X, y)
    res_big = assess_complexity(
        _binary(big, X),
        X,
        y,
        mean_abs_shap={"a": 1.0, "b": 1.0, "c": 0.05, "d": 0.05},
        max_rows=2000,
    )
    assert res_big.model.score < 50
    assert res_big.model.score < max(b.interpretability.score for b in res_big.baselines) - 30


def test_same_seed_same_result_and_json_round_trip(interaction_data) -> None:
    X, y = interaction_data
    est = RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0).fit(X, y)
    model = _binary(est, X)
    shap = {"a": 0.4, "b": 0.4, "c": 0.01, "d": 0.01}
    first = assess_complexity(model, X, y, mean_abs_shap=shap, seed=3, max_rows=1000)
    second = assess_complexity(model, X, y, mean_abs_shap=shap, seed=3, max_rows=1000)
    assert to_jsonable(first) == to_jsonable(second)
    assert first.n_rows == 3000 and first.n_rows_used == 1000
    assert any("subsample" in note for note in first.notes)
    assert from_jsonable(Complexity, to_jsonable(first)) == first


def test_without_target_the_comparison_is_not_applicable(interaction_data) -> None:
    X, y = interaction_data
    est = GradientBoostingClassifier(n_estimators=30, random_state=0).fit(X, y)
    res = assess_complexity(_binary(est, X), X, None, mean_abs_shap=None, max_rows=1500)
    assert res.outcome == "not_applicable"
    assert res.reason == "the data has no target column"
    assert res.baselines == () and res.gain is None and res.metric is None
    assert res.model.score is not None
    assert _component(res.model, "non_additivity").value > 0.3
    assert _component(res.model, "fidelity").value is not None
    eff = _component(res.model, "effective_features")
    assert eff.value is None and eff.subscore is None and "SHAP" in (eff.reason or "")
    assert "effective_features" not in res.model.used
    assert "cannot be compared" in res.verdict


def test_missing_shap_is_left_out_of_both_scores(additive_data) -> None:
    X, y = additive_data
    est = LogisticRegression().fit(X, y)
    res = assess_complexity(_binary(est, X), X, y, mean_abs_shap=None, max_rows=1000)
    assert "effective_features" not in res.model.used
    for base in res.baselines:
        assert base.interpretability.used == res.model.used
        # the baseline's own effective features are still measured (exact SHAP of the baseline)
        assert _component(base.interpretability, "effective_features").value is not None


def test_regression_path() -> None:
    rng = np.random.default_rng(4)
    n = 1500
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["u", "v", "w"])
    y = (X.u * X.v + np.sin(X.w) + 0.1 * rng.normal(size=n)).to_numpy()
    est = GradientBoostingRegressor(random_state=0).fit(X, y)
    model = ModelAdapter(est, "regression", tuple(X.columns))
    res = assess_complexity(model, X, y, mean_abs_shap={"u": 0.5, "v": 0.5, "w": 0.6})
    assert res.metric == "r2" and res.metric_label == "R²"
    assert "predict()" in res.output_used
    assert _component(res.model, "non_additivity").value > 0.3
    fid = _component(res.model, "fidelity")
    assert fid.value is not None and fid.value < 0.95  # a depth-3 tree cannot mimic x·y + sin(w)
    assert {b.key for b in res.baselines} == {"linear", "tree"}
    assert all(b.metric_value is not None and len(b.fold_values) == 5 for b in res.baselines)
    assert res.gain is not None and res.gain > 0.2
    assert res.outcome in ("pays_for_itself", "review", "does_not_pay")


def test_size_counts_real_structures() -> None:
    lightgbm = pytest.importorskip("lightgbm")
    xgboost = pytest.importorskip("xgboost")
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(600, 4)), columns=list("abcd"))
    y = (X.a + X.b * X.c > 0).astype(int)

    gb = GradientBoostingClassifier(n_estimators=25, max_depth=3, random_state=0).fit(X, y)
    expected = sum(t.get_n_leaves() for t in gb.estimators_.ravel())
    size, note = model_size(gb)
    assert size == expected and "25 trees" in note

    rf = RandomForestClassifier(n_estimators=7, max_depth=4, random_state=0).fit(X, y)
    assert model_size(rf)[0] == sum(t.get_n_leaves() for t in rf.estimators_)

    hgb = HistGradientBoostingClassifier(max_iter=15, max_leaf_nodes=7, random_state=0).fit(X, y)
    hgb_size, hgb_note = model_size(hgb)
    assert hgb_size == sum(p.get_n_leaf_nodes() for it in hgb._predictors for p in it)
    assert "15 trees" in hgb_note

    lgb = lightgbm.LGBMClassifier(n_estimators=12, num_leaves=9, verbose=-1, random_state=0)
    lgb.fit(X, y)
    frame = lgb.booster_.trees_to_dataframe()
    size, note = model_size(lgb)
    assert size == int(frame["split_feature"].isna().sum()) and "LightGBM: 12 trees" in note

    xgb = xgboost.XGBClassifier(n_estimators=9, max_depth=2, random_state=0).fit(X, y)
    xframe = xgb.get_booster().trees_to_dataframe()
    size, note = model_size(xgb)
    assert size == int((xframe["Feature"] == "Leaf").sum()) and "XGBoost: 9 trees" in note

    sparse = LogisticRegression(l1_ratio=1.0, C=0.02, solver="saga", max_iter=5000).fit(X, y)
    size, note = model_size(make_pipeline(StandardScaler(), sparse))
    assert size == int(np.count_nonzero(sparse.coef_)) and size < 4 and "non-zero" in note

    # the XGBoost model runs end to end through the logit-of-probability path
    res = assess_complexity(_binary(xgb, X), X, y.to_numpy(np.int8), mean_abs_shap=None, cv=3)
    assert "logit of predict_proba" in res.output_used
    assert _component(res.model, "size").value == float(
        size_xgb := (xframe["Feature"] == "Leaf").sum()
    )
    assert size_xgb > 0


def test_pipeline_with_one_hot_string_columns_and_missing_values() -> None:
    rng = np.random.default_rng(6)
    n = 1200
    X = pd.DataFrame(
        {
            "income": rng.normal(50, 10, n),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "plan": rng.choice(["basic", "plus", None], n),
        }
    )
    X.loc[rng.choice(n, 60, replace=False), "income"] = np.nan
    y = (X.income.fillna(50) - 50) / 8 + 0.8 * (X.region == "south") + rng.logistic(size=n) > 0
    y = y.astype(np.int8).to_numpy()
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["income"]),
            ("oh", OneHotEncoder(handle_unknown="ignore"), ["region", "plan"]),
        ]
    )
    est = make_pipeline(pre, LogisticRegression()).fit(X, y)
    res = assess_complexity(_binary(est, X), X, y, mean_abs_shap=None)
    size = _component(res.model, "size")
    assert size.value == float(np.count_nonzero(est[-1].coef_)) == 1 + 4 + 3
    assert _component(res.model, "non_linearity").value < 0.05
    assert _component(res.model, "non_additivity").value < 0.05
    assert res.model.score >= 80
    assert all(b.metric_value is not None for b in res.baselines)

    coded = _code(X)
    assert coded.is_cat.tolist() == [False, True, True]
    assert not np.isnan(coded.design).any()
    assert set(coded.owner.tolist()) == {0, 1, 2}


def test_opaque_model_without_gain_does_not_pay_and_thresholds_are_parameters() -> None:
    rng = np.random.default_rng(7)

    def draw(n: int) -> tuple[pd.DataFrame, np.ndarray]:
        X = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
        y = (X.a - X.b + 0.5 * X.c + rng.logistic(size=n) > 0).astype(np.int8).to_numpy()
        return X, y

    X_train, y_train = draw(2000)
    X_audit, y_audit = draw(1500)  # fresh rows: no in-sample advantage for the model
    est = HistGradientBoostingClassifier(max_iter=200, random_state=0).fit(X_train, y_train)
    model = _binary(est, X_train)
    res = assess_complexity(model, X_audit, y_audit, mean_abs_shap=None)
    assert res.compared_with == "linear"
    assert res.gain is not None and res.gain < 0.01
    assert res.outcome == "does_not_pay"
    assert "does not pay for itself" in res.verdict

    lenient = assess_complexity(
        model, X_audit, y_audit, mean_abs_shap=None, min_gain=-1.0, clear_gain=1.0
    )
    assert lenient.outcome == "review"
    assert "review whether the gain justifies the opacity" in lenient.verdict
    assert lenient.thresholds["min_gain"] == -1.0


def test_single_class_target_is_not_applicable(additive_data) -> None:
    X, y = additive_data
    est = LogisticRegression().fit(X, y)
    res = assess_complexity(_binary(est, X), X, np.zeros(len(X), np.int8), mean_abs_shap=None)
    assert res.outcome == "not_applicable"
    assert res.reason == "the rarer class has only 0 rows, fewer than the 5 cross-validation folds"


def test_decision_function_sign_follows_positive_label() -> None:
    rng = np.random.default_rng(8)
    X = pd.DataFrame(rng.normal(size=(300, 2)), columns=["p", "q"])
    labels = np.where(X.p + rng.normal(size=300) > 0, "good", "bad")
    est = LogisticRegression().fit(X, labels)
    for positive in ("good", "bad"):
        model = _binary(est, X, positive=positive)
        out, _ = _model_output(model, X)
        score = model.score(X)
        assert np.corrcoef(out, score)[0, 1] > 0.9


def test_tree_shap_of_baseline_tree_adds_up() -> None:
    rng = np.random.default_rng(9)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=500),
            "b": rng.choice(["x", "y", "z"], 500),
            "c": rng.normal(size=500),
        }
    )
    y = X.a * (X.b == "x") + X.c**2
    coded = _code(X)
    tree = DecisionTreeRegressor(max_depth=3, random_state=0).fit(coded.design, y)
    leaf = tree.tree_.value[:, 0, 0]
    phi = _tree_group_shap(tree, leaf, coded.design, coded.owner, 3)
    expected_value = float(np.average(leaf[tree.apply(coded.design)]))
    np.testing.assert_allclose(
        phi.sum(axis=1) + expected_value, tree.predict(coded.design), atol=1e-9
    )


def test_score_is_monotone_and_documented() -> None:
    for key, values in {
        "effective_features": [1, 2, 5, 20, 100],
        "non_additivity": [0.0, 0.1, 0.3, 0.6],
        "non_linearity": [0.0, 0.1, 0.3, 0.6],
        "size": [1, 10, 100, 10_000, 1e6],
    }.items():
        subs = [_subscore(key, float(v), "binary") for v in values]
        assert subs == sorted(subs, reverse=True) and subs[0] == 1.0, key
    fid = [_subscore("fidelity", v, "binary") for v in (1.0, 0.9, 0.7, 0.5)]
    assert fid == [1.0, pytest.approx(0.8), pytest.approx(0.4), 0.0]
    parts = tuple(
        Component(k, k, 0.0, "", "", s, w)
        for k, s, w in [("size", 1.0, 0.2), ("fidelity", 0.5, 0.2), ("non_additivity", 0.0, 0.25)]
    )
    assert interpretability_score(parts) == pytest.approx(100 * (0.2 + 0.1) / 0.65, abs=0.05)
    assert interpretability_score(parts, ("size",)) == 100.0
    worse = tuple(dataclasses.replace(c, subscore=0.0) if c.key == "size" else c for c in parts)
    assert interpretability_score(worse) < interpretability_score(parts)
    assert "monotone" in SCORE_FORMULA


def test_effective_features_counts_to_ninety_percent() -> None:
    assert effective_features({"a": 5.0, "b": 4.0, "c": 1.0}) == 2
    assert effective_features({"a": 9.0, "b": 1.0}) == 1
    assert effective_features({"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0}) == 4
    assert effective_features({"a": 0.0, "b": 0.0}) == 0


def test_bad_inputs_raise_clear_errors(additive_data) -> None:
    X, y = additive_data
    model = _binary(LogisticRegression().fit(X, y), X)
    with pytest.raises(ConfigError, match=r"^cv: expected an integer >= 2 folds, found 1"):
        assess_complexity(model, X, y, mean_abs_shap=None, cv=1)
    with pytest.raises(InputError, match=r"^y: expected 3000 target values"):
        assess_complexity(model, X, y[:10], mean_abs_shap=None)
    with pytest.raises(InputError, match=r"^y: expected 0/1 labels"):
        assess_complexity(model, X, y * 2, mean_abs_shap=None)
    with pytest.raises(ConfigError, match=r"min_gain <= clear_gain"):
        assess_complexity(model, X, y, mean_abs_shap=None, min_gain=0.1, clear_gain=0.05)


class _PredictOnly:
    """A model exposing only predict(): no scores, no margin, no known structure."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.classes_ = inner.classes_

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.inner.predict(X)


def test_predict_only_model_with_an_all_missing_column() -> None:
    rng = np.random.default_rng(10)
    n = 1000
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    X["empty"] = np.nan
    y = (X.a + X.b + rng.logistic(size=n) > 0).astype(np.int8).to_numpy()
    inner = make_pipeline(SimpleImputer(keep_empty_features=True), LogisticRegression()).fit(X, y)
    res = assess_complexity(_binary(_PredictOnly(inner), X), X, y, mean_abs_shap=None)
    assert res.metric == "accuracy"
    assert "0/1 predictions" in res.output_used
    size = _component(res.model, "size")
    assert size.value is None and "no fitted structure" in (size.reason or "")
    assert "size" not in res.model.used
    assert all(b.interpretability.used == res.model.used for b in res.baselines)
    assert res.outcome in ("pays_for_itself", "review", "does_not_pay")


def test_shape_surrogates_are_cheap_and_still_fit_a_known_shape(monkeypatch) -> None:
    """The surrogates stop within a few hundred iterations (0.1/20 took 461) and still
    recover an additive curved output: non-additivity 0, non-linearity as measured before."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    from audit._complexity.components import _shape_components

    seen: list[int] = []
    fit = HistGradientBoostingRegressor.fit

    def recording(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        out = fit(self, *args, **kwargs)
        seen.append(int(self.n_iter_))
        return out

    monkeypatch.setattr(HistGradientBoostingRegressor, "fit", recording)
    rng = np.random.default_rng(0)
    n = 4000
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "c": rng.choice(list("xyz"), n)})
    output = np.sin(X["a"].to_numpy()) + X["b"].to_numpy() ** 2 + (X["c"] == "x").to_numpy()
    perm = rng.permutation(n)
    train, test = np.sort(perm[1200:]), np.sort(perm[:1200])
    with threadpool_limits(1):
        non_add, non_lin = _shape_components(output, _code(X), train, test, "regression", 0)
    assert len(seen) == 2 and max(seen) <= 250
    assert non_add.value == pytest.approx(0.0, abs=0.01)
    assert non_add.extra["r2_additive"] > 0.95
    assert non_lin.value == pytest.approx(0.769, abs=0.01)
