"""Issue 10, item 11: "complexity pays for itself" must not come from in-sample AUC.

An overfit model audited on its own training rows scores far above a transparent
baseline on those rows.  The comparison retrains a copy of it on the baselines'
folds (like with like); without a copy the verdict is withheld.  A model that is
no more opaque than the baseline but worse gets its own outcome.  Gains are a
difference in AUC ("0.026 higher AUC"), never "AUC points".
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from audit._complexity import assess_complexity
from audit._errors import ConfigError
from audit._inputs.model import ModelAdapter
from audit._result.complexity import Complexity
from audit._result.serial import from_jsonable, to_jsonable


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):
        yield


def _data(n: int = 1200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 5)), columns=list("abcde"))
    y = (X.a + 0.5 * X.b + 1.2 * rng.normal(size=n) > 0).astype(np.int8).to_numpy()
    return X, y


def _adapter(est, X: pd.DataFrame) -> ModelAdapter:
    return ModelAdapter(est, "binary", tuple(X.columns), positive_label=1)


@pytest.fixture(scope="module")
def overfit() -> tuple[ModelAdapter, pd.DataFrame, np.ndarray]:
    """Gradient boosting that memorises its training rows, audited on those very rows."""
    X, y = _data()
    with threadpool_limits(limits=1):
        gb = GradientBoostingClassifier(n_estimators=100, max_depth=6, random_state=0).fit(X, y)
    return _adapter(gb, X), X, y


def _no_points(res: Complexity) -> None:
    assert "points" not in res.verdict
    assert "AUC" in res.verdict and (" higher AUC" in res.verdict or " lower AUC" in res.verdict)


def test_overfit_model_is_compared_like_with_like(overfit) -> None:
    model, X, y = overfit
    res = assess_complexity(model, X, y, mean_abs_shap=None)
    assert res.model_metric > 0.99  # in-sample: it memorised the rows
    assert res.compared_on == "cross_validated"
    assert res.model_cv_metric is not None and res.model_cv_metric < res.model_metric - 0.1
    assert len(res.model_cv_folds) == res.cv
    best = next(b for b in res.baselines if b.key == res.compared_with)
    assert res.gain == pytest.approx(res.model_cv_metric - best.metric_value)
    assert res.outcome != "pays_for_itself"
    assert res.likely_overlap
    assert "probably trained on some of these rows" in res.verdict
    assert "justify the opacity" not in res.verdict
    _no_points(res)
    assert from_jsonable(Complexity, to_jsonable(res)) == res


def test_without_a_copy_the_in_sample_gain_is_withheld(overfit) -> None:
    model, X, y = overfit
    res = assess_complexity(model, X, y, mean_abs_shap=None, refit_seconds=0)
    assert res.outcome == "withheld"
    assert res.compared_on == "audit_rows" and res.model_cv_metric is None
    assert res.model_cv_reason and "no time" in res.model_cv_reason
    assert res.likely_overlap
    assert "no verdict is given" in res.verdict
    _no_points(res)


class _NotCloneable:
    """A fitted model that sklearn.base.clone refuses (no get_params)."""

    def __init__(self, est) -> None:
        self._est = est
        self.classes_ = est.classes_

    def predict(self, X):
        return self._est.predict(X)

    def predict_proba(self, X):
        return self._est.predict_proba(X)


def test_a_model_that_cannot_be_copied_is_withheld_and_says_why(overfit) -> None:
    model, X, y = overfit
    res = assess_complexity(_adapter(_NotCloneable(model.estimator), X), X, y,
                            mean_abs_shap=None)
    assert res.outcome in ("withheld", "not_applicable")  # no size: may have no score
    assert res.model_cv_reason and "cannot be copied" in res.model_cv_reason


class _SlowBoosting(GradientBoostingClassifier):
    """Gradient boosting whose every fit takes at least ``DELAY`` seconds."""

    DELAY = 0.6

    def fit(self, X, y, sample_weight=None, monitor=None):
        time.sleep(self.DELAY)
        return super().fit(X, y, sample_weight=sample_weight, monitor=monitor)


def test_the_copy_respects_its_time_allowance() -> None:
    X, y = _data(n=1500)
    est = _SlowBoosting(n_estimators=100, max_depth=6, random_state=0).fit(X, y)
    start = time.perf_counter()
    res = assess_complexity(_adapter(est, X), X, y, mean_abs_shap=None, refit_seconds=1.0)
    elapsed = time.perf_counter() - start
    assert res.outcome == "withheld"
    assert "would take longer than the 1 s allowed" in res.model_cv_reason
    # two pilot fits at most, never a fold: the 5 folds alone would take 3 s of sleep
    assert elapsed < 2 * _SlowBoosting.DELAY + 15


def test_simpler_but_worse_has_its_own_outcome() -> None:
    """A depth-3 tree clearly worse than the linear baseline is not 'pays for itself'."""
    rng = np.random.default_rng(3)
    n = 3000
    X = pd.DataFrame(rng.normal(size=(n, 6)), columns=list("abcdef"))
    y = (X.sum(axis=1) + 0.5 * rng.normal(size=n) > 0).astype(np.int8).to_numpy()
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X.iloc[:1000], y[:1000])
    res = assess_complexity(_adapter(tree, X), X.iloc[1000:], y[1000:], mean_abs_shap=None)
    linear = next(b for b in res.baselines if b.key == "linear")
    assert linear.metric_value - res.model_metric > 0.05
    assert res.outcome == "simpler_but_worse"
    assert f"{-res.gain:.3f} lower AUC" in res.verdict
    assert "baseline is" in res.verdict and "better" in res.verdict
    assert "no extra opacity to justify" not in res.verdict
    _no_points(res)


def test_refit_seconds_is_checked() -> None:
    X, y = _data(n=300)
    est = DecisionTreeClassifier(max_depth=2).fit(X, y)
    with pytest.raises(ConfigError, match="refit_seconds"):
        assess_complexity(_adapter(est, X), X, y, mean_abs_shap=None, refit_seconds=-1)


def test_report_section_words_every_outcome_without_points(overfit) -> None:
    from audit._words.complexity import HEADLINE

    assert set(HEADLINE) == {"pays_for_itself", "review", "does_not_pay", "simpler_but_worse",
                             "withheld", "not_applicable"}


@pytest.mark.parametrize("outcome", ["simpler_but_worse", "withheld"])
def test_summary_and_section_carry_the_new_outcomes(golden_json, outcome) -> None:
    import dataclasses
    import json

    from audit._report.sections.complexity import complexity_context
    from audit._report.sections.summary import other_headlines
    from audit._result.audit import AuditResult
    from audit._words.complexity import HEADLINE

    result = AuditResult.from_dict(json.loads(golden_json.read_text("utf-8")))
    c = dataclasses.replace(result.complexity, outcome=outcome, model_cv_metric=0.8,
                            compared_on="cross_validated")
    result = dataclasses.replace(result, complexity=c)
    assert any(s == HEADLINE[outcome] for _, s, _ in other_headlines(result))
    ctx = complexity_context(result)
    assert ctx["headline"] == HEADLINE[outcome]
    assert ctx["models"][0]["metric_cv"] == "0.800"
