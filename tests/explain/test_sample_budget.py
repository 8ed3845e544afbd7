"""The explanation's size follows the SHAP stage's time budget: every row when that fits.

* a fast explainer explains every row, so the gaps are the full-data score gaps;
* a slow one (a fake cost per row) gets fewer rows, the most of the 1-2-5 ladder that fit;
* the cost comes from a model of the inputs, never from a clock: a slow clock (a loaded
  machine) does not change the size, a huge forest gets fewer rows than a small LightGBM;
* ``n_sample`` (``--explain-rows``) overrides it, without an estimate;
* rows explained, of how many, and why are in the JSON;
* the gap intervals of a side too big to resample row by row come from the normal
  approximation, and agree with the row bootstrap.
"""

from __future__ import annotations

import time

import lightgbm
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.tree import DecisionTreeClassifier

from audit._explain import budget, cost, explain, gaps
from audit._inputs.model import ModelAdapter
from audit._inputs.prepared import Grouping
from audit._result.serial import to_jsonable


def _data(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, list[Grouping]]:
    rng = np.random.default_rng(seed)
    race = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    sex = rng.choice(2, n)
    X = pd.DataFrame({"income": rng.normal(50, 10, n) - 4 * race, "debt": rng.normal(5, 2, n),
                      "age": rng.integers(18, 80, n).astype(float)})
    logit = 0.08 * (X["income"] - 50) - 0.2 * X["debt"] + 0.3 * sex
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    groupings = [
        Grouping("race", "race", ("race",), race.astype(np.int64), ("A", "B", "C"), 0),
        Grouping("sex", "gender", ("sex",), sex.astype(np.int64), ("f", "m"), 1),
    ]
    return X, y, groupings


def _hgb(X: pd.DataFrame, y: np.ndarray) -> ModelAdapter:
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    return ModelAdapter(model, "binary", tuple(X.columns), positive_label=1)


@pytest.fixture(scope="module")
def fitted() -> tuple[ModelAdapter, pd.DataFrame, list[Grouping]]:
    X, y, groupings = _data(3000)
    return _hgb(X, y), X, groupings


def test_a_fast_explainer_explains_every_row_and_the_gaps_are_the_full_data_gaps(fitted) -> None:
    model, X, groupings = fitted
    # a generous budget: a loaded machine must not make 3,000 fast rows look too slow
    e = explain(model, X, groupings, budget_seconds=600.0, n_boot=20)
    assert (e.n_sample, e.n_rows, e.sample_basis, e.weighted) == (3000, 3000, "all", False)
    p = model.estimator.predict_proba(X)[:, 1]
    margin = model.estimator.decision_function(X)
    for dec in e.gaps:
        g = next(x for x in groupings if x.name == dec.attribute)
        gm = g.codes == g.labels.index(dec.group)
        rm = g.codes == g.reference
        assert dec.gap_pp is not None and dec.gap_pp.value is not None
        assert dec.gap_pp.value == pytest.approx(100 * (p[gm].mean() - p[rm].mean()), abs=1e-9)
        assert dec.gap.value == pytest.approx(margin[gm].mean() - margin[rm].mean(), abs=1e-9)
        assert (dec.n_group, dec.n_reference) == (int(gm.sum()), int(rm.sum()))


def test_a_slow_explainer_gets_fewer_rows(fitted, monkeypatch) -> None:
    model, X, groupings = fitted
    monkeypatch.setattr(budget, "model_cost", lambda *a: cost.Cost(0.0, 0.05))  # 50 ms a row
    e = explain(model, X, groupings, budget_seconds=60.0, n_boot=0)
    # 0.5 x 60 s / 0.05 s = 600 rows fit: the ladder's 500
    assert (e.n_sample, e.n_rows, e.sample_basis) == (500, 3000, "budget")
    assert e.sample_seconds == 60.0
    assert "500 of 3,000 rows explained" in e.sample_reason and "60 s" in e.sample_reason
    assert "the cost model estimates 150 s for all 3,000 rows" in e.sample_reason
    monkeypatch.setattr(budget, "model_cost", lambda *a: cost.Cost(0.0, 5.0))
    e = explain(model, X, groupings, budget_seconds=60.0, n_boot=0)
    assert (e.n_sample, e.sample_basis) == (budget.MIN_ROWS, "minimum")


def test_the_default_budget_applies_without_one(fitted, monkeypatch) -> None:
    model, X, groupings = fitted
    monkeypatch.setattr(budget, "model_cost", lambda *a: cost.Cost(1.0, 0.02))
    e = explain(model, X, groupings, n_boot=0)
    fits = (budget.ATTRIBUTION_SHARE * budget.DEFAULT_SECONDS - 1.0) / 0.02
    assert fits < 3000 and e.n_sample == budget.ladder_floor(fits)
    assert e.sample_seconds == budget.DEFAULT_SECONDS


def test_explain_rows_overrides_the_budget_without_an_estimate(fitted, monkeypatch) -> None:
    model, X, groupings = fitted

    def no_estimate(*a: object) -> cost.Cost:
        raise AssertionError("estimated although the size was given")

    monkeypatch.setattr(budget, "model_cost", no_estimate)
    e = explain(model, X, groupings, n_sample=700, n_boot=0)
    assert (e.n_sample, e.n_rows, e.sample_basis, e.sample_seconds) == (700, 3000, "requested",
                                                                         None)
    assert e.sample_reason == "700 of 3,000 rows explained, as asked (explain_rows = 700)"


def test_the_rows_explained_are_in_the_json(fitted) -> None:
    model, X, groupings = fitted
    doc = to_jsonable(explain(model, X, groupings, budget_seconds=600.0, n_boot=20))
    assert doc["n_sample"] == doc["n_rows"] == 3000
    assert doc["sample_basis"] == "all" and doc["sample_seconds"] == 600.0
    assert doc["sample_reason"].startswith("all 3,000 rows explained: the cost model estimates")
    assert "normal approximation" in doc["gap_intervals"]


def test_the_size_does_not_depend_on_the_clock(fitted, monkeypatch) -> None:
    """A machine ten times slower (or loaded) explains the same rows: nothing is timed."""
    model, X, groupings = fitted
    share = budget.model_cost(model, X).seconds(1000)  # a budget that fits 1,000 rows
    seconds = share / budget.ATTRIBUTION_SHARE
    first = explain(model, X, groupings, budget_seconds=seconds, n_boot=0)
    assert (first.n_sample, first.sample_basis) == (1000, "budget")
    real = time.perf_counter
    start = real()
    monkeypatch.setattr(time, "perf_counter", lambda: start + 10 * (real() - start))
    again = explain(model, X, groupings, budget_seconds=seconds, n_boot=0)
    assert (again.n_sample, again.sample_basis, again.sample_reason) == (
        first.n_sample, first.sample_basis, first.sample_reason)


def test_a_huge_forest_gets_fewer_rows_than_a_small_lightgbm() -> None:
    """Deep trees over many features: their paths meet too many features for leaf tables."""
    X, y, _ = _data(3000)
    noise = np.random.default_rng(1).normal(size=(len(X), 15))
    X = X.join(pd.DataFrame(noise, columns=[f"n{i}" for i in range(15)]))
    forest = RandomForestClassifier(n_estimators=60, random_state=0).fit(X, y)
    small = lightgbm.LGBMClassifier(n_estimators=20, num_leaves=8, verbose=-1).fit(X, y)
    sizes = {}
    for name, est in (("forest", forest), ("lightgbm", small)):
        m = ModelAdapter(est, "binary", tuple(X.columns), positive_label=1)
        sizes[name] = budget.size_sample(m, X, None, 20.0)
    assert sizes["lightgbm"].basis == "all" and sizes["lightgbm"].n_sample == 3000
    assert sizes["forest"].n_sample < 3000 and sizes["forest"].basis in ("budget", "minimum")
    assert sizes["forest"].estimate > 10 * sizes["lightgbm"].estimate


def test_tree_work_counts_every_implementation_alike() -> None:
    """Three stumps are 3 x 2 leaves at depth 1, (1 + 1)^2 + LEAF_UNITS each, whoever built them;
    our kernel computes them from leaf tables: TABLE_TREE_UNITS + 2 x (1 + 1) per tree, in its
    own seconds per unit (expressed in Algorithm 2's units)."""
    X, y, _ = _data(500)
    stump = (1 + 1) ** 2 + cost.LEAF_UNITS
    tables = 3 * (cost.TABLE_TREE_UNITS + 2 * (1 + 1))
    ests = [
        lightgbm.LGBMClassifier(n_estimators=3, num_leaves=2, min_child_samples=5, verbose=-1),
        HistGradientBoostingClassifier(max_iter=3, max_depth=1, early_stopping=False),
        GradientBoostingClassifier(n_estimators=3, max_depth=1),
        RandomForestClassifier(n_estimators=3, max_depth=1, random_state=0),
    ]
    xgboost = pytest.importorskip("xgboost")
    ests.append(xgboost.XGBClassifier(n_estimators=3, max_depth=1))
    for est in ests:
        m = ModelAdapter(est.fit(X, y), "binary", tuple(X.columns), positive_label=1)
        out = budget._choose_output(m, [], est, X.iloc[:50])
        impl, work, _ = cost.tree_work(est, out)
        if impl in cost.TABLE_SECONDS_PER_UNIT:
            want = tables * cost.TABLE_SECONDS_PER_UNIT[impl] / cost.SECONDS_PER_UNIT[impl]
            assert work == pytest.approx(want, rel=1e-12), (type(est).__name__, impl)
        else:
            assert work == 3 * 2 * stump, (type(est).__name__, impl)
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y).tree_
    leaves = tree.children_left < 0
    assert cost._leaf_work(tree.children_left, tree.children_right, np.zeros(1, np.int64)) == (
        leaves.sum() * ((2 + 1) ** 2 + cost.LEAF_UNITS))  # four leaves at depth 2


def test_the_cost_model_grows_with_the_trees() -> None:
    X, y, _ = _data(1000)
    costs = []
    for n_trees in (10, 40):
        est = lightgbm.LGBMClassifier(n_estimators=n_trees, num_leaves=8, verbose=-1).fit(X, y)
        costs.append(budget.model_cost(ModelAdapter(est, "binary", tuple(X.columns),
                                                    positive_label=1), X))
    small, big = costs
    cells = cost.SECONDS_PER_CELL * X.shape[1]  # what every row costs besides the TreeSHAP
    assert 3 < (big.per_row - cells) / (small.per_row - cells) <= 4.5
    assert small.fixed == big.fixed == cost.FIXED_SECONDS


def test_model_agnostic_cost_follows_the_evaluations() -> None:
    c = cost.Cost(0.0, 1.0, "agnostic", exact_per_row=0.5, n_features=3)
    assert c.seconds(10) == 5.0  # 2^3 x 50 x 10 evaluations: exact enumeration
    c = cost.Cost(0.0, 1.0, "agnostic", exact_per_row=100.0, n_features=20)
    assert c.seconds(10) == 10.0  # 2^20 coalitions: the permutation explainer


def test_ladder_and_choice() -> None:
    assert [budget.ladder_floor(x) for x in (199, 200, 499, 1000, 4999)] == [100, 200, 200,
                                                                               1000, 2000]
    s = budget.choose_size(10**6, budget.Cost(1.0, 2e-5), 60.0)  # 1.45 M fit
    assert (s.n_sample, s.basis) == (10**6, "all")
    s = budget.choose_size(10**6, budget.Cost(0.0, 1e-4), 60.0)  # 300k fit
    assert (s.n_sample, s.basis) == (200_000, "budget")
    s = budget.choose_size(10**6, budget.Cost(29.0, 1e-4), 60.0)  # 10k fit after the fixed cost
    assert (s.n_sample, s.basis) == (10_000, "budget")


def test_big_sides_draw_resampled_means_from_the_normal_approximation(monkeypatch) -> None:
    rng = np.random.default_rng(1)
    n = gaps.BOOT_MAX_ROWS + 1000
    V = np.column_stack([rng.exponential(size=n), rng.normal(size=n)])
    V[:, 1] += V[:, 0]
    w = rng.uniform(1, 3, n)
    normal = gaps._side(V, w, 2000, np.random.default_rng(2))
    monkeypatch.setattr(gaps, "BOOT_MAX_ROWS", 10**9)
    rows = gaps._side(V, w, 2000, np.random.default_rng(2))
    assert np.allclose(normal.mean(0), rows.mean(0), atol=3 * rows.std(0).max() / np.sqrt(2000))
    assert np.allclose(np.cov(normal.T), np.cov(rows.T), rtol=0.15)
    for j in range(2):
        q_n = np.percentile(normal[:, j], [2.5, 97.5])
        q_r = np.percentile(rows[:, j], [2.5, 97.5])
        assert np.allclose(q_n, q_r, atol=0.2 * (q_r[1] - q_r[0]))
