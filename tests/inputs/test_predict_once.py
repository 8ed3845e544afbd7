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
