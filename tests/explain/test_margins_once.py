"""The rows explained are not run through the model again when predicting gave their raw
output (issue 8, item 6): the explanation is the same, number for number."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from audit import AuditConfig
from audit._explain.entry import explain
from audit._inputs.spec import resolve

N = 3000


def _frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"income": rng.normal(50, 10, N), "debt": rng.normal(10, 3, N),
                       "grade": pd.Categorical(rng.choice(list("ABCD"), N)),
                       "gender": rng.choice(["Female", "Male"], N)})
    df.loc[rng.random(N) < 0.05, "income"] = np.nan
    logit = (df.income.fillna(50) - 50) / 8 + (df.grade == "A") - 0.5 * (df.gender == "Male")
    df["target"] = (logit + rng.logistic(size=N) > 0).astype(int)
    df["amount"] = df.income.fillna(50) * 3 + df.debt + rng.normal(0, 1, N)
    return df


FEATURES = ["income", "debt", "grade"]


@pytest.mark.parametrize("task", ["binary", "binary_first_class_positive", "regression"])
def test_the_explanation_from_the_predictions_margins_is_the_same(task):
    df = _frame()
    if task.startswith("binary"):
        model = HistGradientBoostingClassifier(max_iter=30, random_state=0,
                                               categorical_features="from_dtype")
        positive = "0" if task == "binary_first_class_positive" else None  # margins negated
        cfg, target, method = (AuditConfig(target="target", positive_label=positive),
                               "target", "decision_function")
    else:
        model = HistGradientBoostingRegressor(max_iter=30, random_state=0,
                                              categorical_features="from_dtype")
        cfg, target, method = AuditConfig(target="amount"), "amount", "predict"
    model.fit(df[FEATURES], df[target])
    prepared, _, _ = resolve(df.drop(columns=["target" if task == "regression" else "amount"]),
                             model, cfg)
    assert prepared.margins is not None and len(prepared.margins) == N
    singles = [g for g in prepared.groupings if g.family != "intersection"]
    plain = explain(prepared.model, prepared.X, singles, n_sample=2000, n_boot=50)
    calls: list[int] = []
    own = getattr(model, method)
    setattr(model, method, lambda X: calls.append(len(X)) or own(X))
    given = explain(prepared.model, prepared.X, singles, n_sample=2000, n_boot=50,
                    margins=prepared.margins)
    assert given == plain
    assert given.additivity_ok and given.n_sample == 2000
    assert all(n < 2000 for n in calls)  # the sample's rows were not run again
