"""Every row is predicted once (issue 8, item 6): decisions come from predict_proba when the
model's own predict() is its most probable class, checked on a sample; otherwise predict()
runs on every row, and the spec says which happened."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression

from audit import AuditConfig
from audit._inputs import predictions as PR
from audit._inputs.model import LINK_PROBE_ROWS
from audit._inputs.spec import resolve
from audit._words import inputs as W

N = 5000


def _frame(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"income": rng.normal(50, 10, n), "debt": rng.normal(10, 3, n),
                       "gender": rng.choice(["Female", "Male"], n)})
    df["target"] = np.where((df.income - 50) / 8 + rng.logistic(size=n) > 0, "yes", "no")
    return df


def _lightgbm():
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMClassifier(n_estimators=30, verbose=-1, n_jobs=1)


def _xgboost():
    xgboost = pytest.importorskip("xgboost")
    return xgboost.XGBClassifier(n_estimators=30, n_jobs=1)


class _Counting(ClassifierMixin, BaseEstimator):
    """Wraps a model; counts the rows it is asked to predict; optional custom threshold."""

    def __init__(self, model=None, threshold: float | None = None):
        self.model, self.threshold = model, threshold

    def fit(self, X, y):
        self.model.fit(X, y)
        self.classes_ = self.model.classes_
        self.feature_names_in_ = np.array(list(X.columns), dtype=object)
        self.calls_: list[tuple[str, int]] = []
        return self

    def predict_proba(self, X):
        self.calls_.append(("predict_proba", len(X)))
        return self.model.predict_proba(X)

    def predict(self, X):
        self.calls_.append(("predict", len(X)))
        if self.threshold is None:
            return self.model.predict(X)
        return self.classes_[(self.model.predict_proba(X)[:, 1] >= self.threshold).astype(int)]


FEATURES = ["income", "debt"]


@pytest.mark.parametrize("make", [
    lambda: LogisticRegression(), lambda: RandomForestClassifier(20, random_state=0),
    lambda: HistGradientBoostingClassifier(max_iter=30, random_state=0),
    lambda: GradientBoostingClassifier(n_estimators=30, random_state=0), _lightgbm, _xgboost,
], ids=["logistic", "forest", "hgb", "gbm", "lightgbm", "xgboost"])
def test_decisions_from_scores_equal_predict(make):
    df = _frame()
    df["target"] = (df.target == "yes").astype(int)  # XGBoost wants 0/1
    model = make().fit(df[FEATURES], df.target)
    prepared, spec, _ = resolve(df, model, AuditConfig(target="target"))
    expected = (model.predict(df[FEATURES]) == 1).astype(np.int8)
    assert 0 < expected.mean() < 1
    np.testing.assert_array_equal(prepared.y_pred, expected)
    assert re.fullmatch(r"the model's own predict\(\) \(derived from predict_proba, checked on "
                        r"1,[01]\d\d rows\)", spec.prediction_source)


def test_every_row_is_predicted_once():
    df = _frame()
    model = _Counting(RandomForestClassifier(10, random_state=0)).fit(df[FEATURES], df.target)
    model.calls_.clear()
    resolve(df, model, AuditConfig(target="target", positive_label="yes"))
    (proba, n_proba), (predict, n_checked) = model.calls_
    assert (proba, n_proba, predict) == ("predict_proba", N, "predict")
    assert 1000 <= n_checked <= 1100


def test_a_custom_threshold_model_falls_back_to_predict():
    df = _frame()
    model = _Counting(LogisticRegression(), threshold=0.3).fit(df[FEATURES], df.target)
    model.calls_.clear()
    prepared, spec, _ = resolve(df, model, AuditConfig(target="target", positive_label="yes"))
    (_, n_proba), (m1, n_checked), (m2, n_all) = model.calls_
    assert (n_proba, m1, m2, n_all) == (N, "predict", "predict", N)
    assert 1000 <= n_checked <= 1100
    own = (model.predict(df[FEATURES]) == "yes").astype(np.int8)
    np.testing.assert_array_equal(prepared.y_pred, own)
    assert spec.prediction_source.startswith(
        "the model's own predict() (called on every row: it is not the most probable class "
        "of predict_proba on ")


class _TieBreaker(ClassifierMixin, BaseEstimator):
    """predict_proba is 0.5/0.5 on one row in a thousand; predict says 'yes' there (>=)."""

    def fit(self, X, y):
        self.classes_ = np.array(["no", "yes"])
        self.feature_names_in_ = np.array(list(X.columns), dtype=object)
        return self

    def predict_proba(self, X):
        p = np.where(np.arange(len(X)) % 1000 == 7, 0.5, (X["income"].to_numpy() > 50) * 0.8)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


def test_disagreement_at_ties_only_is_caught_by_the_rows_nearest_a_tie():
    df = _frame(20_000)
    model = _TieBreaker().fit(df[FEATURES], df.target)
    prepared, spec, _ = resolve(df, model, AuditConfig(target="target", positive_label="yes"))
    np.testing.assert_array_equal(prepared.y_pred,
                                  (model.predict(df[FEATURES]) == "yes").astype(np.int8))
    assert "called on every row" in spec.prediction_source


def test_a_small_table_is_checked_on_every_row():
    df = _frame(300)
    model = LogisticRegression().fit(df[FEATURES], df.target)
    _, spec, _ = resolve(df, model, AuditConfig(target="target", positive_label="yes"))
    assert spec.prediction_source == W.predictions_derived(300)


def test_the_check_rows_are_deterministic():
    proba = np.random.default_rng(1).random((50_000, 1))
    proba = np.column_stack([1 - proba[:, 0], proba[:, 0]])
    a, b = PR.check_rows(proba), PR.check_rows(proba.copy())
    np.testing.assert_array_equal(a, b)
    assert len(a) <= 1100 and np.all(np.diff(a) > 0)


# --------------------------------------------------------------------------- margins once


def _category_frame(missing: bool, n: int = N, seed: int = 0) -> pd.DataFrame:
    df = _frame(n, seed)
    rng = np.random.default_rng(seed + 1)
    df["grade"] = pd.Categorical(rng.choice(list("ABCD"), n))
    if missing:
        df.loc[rng.random(n) < 0.05, "income"] = np.nan
    return df


def _pipeline(final):
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["grade"])],
                            remainder="passthrough")
    return make_pipeline(pre, final)


def _spy(model, method: str, calls: list[tuple[str, int]]):
    """Record the rows ``model.method`` runs on (an instance attribute shadows the method)."""
    own = getattr(model, method)

    def counted(X):
        calls.append((method, len(X)))
        return own(X)

    setattr(model, method, counted)
    return model


GRADIENT_BOOSTING = {
    "hgb_categorical": (True, lambda: HistGradientBoostingClassifier(
        max_iter=30, random_state=0, categorical_features="from_dtype")),
    "gbm_pipeline": (False, lambda: _pipeline(
        GradientBoostingClassifier(n_estimators=30, random_state=0))),
}


@pytest.mark.parametrize("name", list(GRADIENT_BOOSTING))
def test_gradient_boosting_runs_its_trees_once_and_its_scores_are_its_predict_proba(name):
    missing, make = GRADIENT_BOOSTING[name]
    df = _category_frame(missing)
    features = ["income", "debt", "grade"]
    model = make().fit(df[features], df.target)
    expected_scores = model.predict_proba(df[features])[:, 1]
    expected_margins = model.decision_function(df[features])
    calls: list[tuple[str, int]] = []
    _spy(_spy(model, "decision_function", calls), "predict_proba", calls)
    prepared, _, _ = resolve(df, model, AuditConfig(target="target", positive_label="yes"))
    # every row through the trees once; predict_proba only on the probe rows
    assert calls[:2] == [("decision_function", N), ("predict_proba", LINK_PROBE_ROWS)]
    assert all(m != "decision_function" and n < N for m, n in calls[2:])
    np.testing.assert_array_equal(prepared.scores, expected_scores)  # bit for bit
    np.testing.assert_array_equal(prepared.margins, expected_margins)


def test_a_model_whose_probabilities_are_not_its_link_runs_predict_proba_on_every_row():
    df = _category_frame(True)
    features = ["income", "debt", "grade"]
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(df[features],
                                                                             df.target)
    own = model.predict_proba
    model.predict_proba = lambda X: 0.5 + 0.9 * (own(X) - 0.5)  # not _loss(decision) any more
    calls: list[tuple[str, int]] = []
    _spy(model, "predict_proba", calls)
    prepared, _, _ = resolve(df, model, AuditConfig(target="target", positive_label="yes"))
    assert calls[:2] == [("predict_proba", LINK_PROBE_ROWS), ("predict_proba", N)]
    np.testing.assert_array_equal(prepared.scores, model.predict_proba(df[features])[:, 1])
    np.testing.assert_array_equal(prepared.margins, model.decision_function(df[features]))


@pytest.mark.parametrize("make", [
    lambda: LogisticRegression(), lambda: RandomForestClassifier(10, random_state=0),
], ids=["logistic", "forest"])
def test_other_classifiers_give_no_margins(make):
    df = _frame()
    model = make().fit(df[FEATURES], df.target)
    prepared, _, _ = resolve(df, model, AuditConfig(target="target", positive_label="yes"))
    assert prepared.margins is None


def test_a_regressors_predictions_are_its_margins():
    from sklearn.ensemble import HistGradientBoostingRegressor

    df = _category_frame(True)
    df["amount"] = df.income.fillna(50) * 3 + df.debt
    features = ["income", "debt", "grade"]
    model = HistGradientBoostingRegressor(max_iter=20, random_state=0).fit(df[features],
                                                                            df.amount)
    prepared, _, _ = resolve(df, model, AuditConfig(target="amount"))
    assert prepared.margins is prepared.y_pred
