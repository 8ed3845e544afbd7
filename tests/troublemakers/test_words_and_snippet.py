"""The snippet's wrapper is the library's class, and each criterion is worded once."""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from audit._troublemakers import loss, router
from audit._troublemakers.what_if import _DeadlineRouter
from audit._words import troublemakers as words


def test_router_source_is_the_class_source() -> None:
    text = router.router_source()
    assert text.startswith("from sklearn.base import BaseEstimator, clone\n\n\n")
    assert text.endswith(inspect.getsource(router.RouteSampleWeight))
    assert "\n    def fit(self, X, y, sample_weight=None):\n" in text  # no type hints shown


def test_router_source_runs_and_routes_weights() -> None:
    namespace: dict = {}
    exec(router.router_source(), namespace)  # the text the snippet shows, as the user runs it
    X = np.random.default_rng(0).normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    w = np.linspace(0.5, 1.5, 60)
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    from_text = namespace["RouteSampleWeight"](pipe).fit(X, y, sample_weight=w)
    from_class = _DeadlineRouter(pipe).fit(X, y, sample_weight=w)
    assert np.allclose(from_text.estimator_[-1].coef_, from_class.estimator_[-1].coef_)


def test_snippet_embeds_the_router_verbatim() -> None:
    text = loss._snippet("DemographicParity", "difference_bound", 0.05, "race", None)
    assert router.router_source() in text
    assert "RouteSampleWeight(estimator)" in text


def test_every_constraint_is_worded_and_no_criterion_twice() -> None:
    assert set(words.GAP_WORDS) == set(loss.MOMENTS)
    assert not set(words.NO_CONSTRAINT_ADVICE) & set(loss.MOMENTS)
