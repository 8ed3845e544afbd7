"""Our TreeSHAP over scikit-learn RandomForest / ExtraTrees models: shap's values, faster.

The reference is ``shap.TreeExplainer(feature_perturbation="tree_path_dependent")``, the
explainer these forests had before; the values must equal it (they are the same
definition) and add up to the forest's own ``predict_proba`` / ``predict``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from audit._explain import compute_attributions
from audit._explain import explainers as ex
from audit._explain import trees as tr
from audit._explain.cost import tree_work
from audit._explain.output import _tree_output
from audit._inputs.model import ModelAdapter

OURS = "forest_tree_shap"


def _data(n: int, seed: int = 0, classes: int = 2) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "a": rng.normal(size=n),
        "b": rng.normal(size=n),
        "c": rng.integers(0, 6, n).astype(float),
        "d": rng.normal(size=n).astype(np.float32).astype(float) * 1e3,
    })
    signal = X["a"] + X["b"] * (X["c"] - 2.5) + 0.002 * X["d"]
    edges = np.quantile(signal, np.linspace(0, 1, classes + 1)[1:-1])
    return X, np.searchsorted(edges, signal + rng.normal(scale=0.5, size=n))


def _shap(est: object, Z: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    shap = pytest.importorskip("shap")
    te = shap.TreeExplainer(est, feature_perturbation="tree_path_dependent")
    sv = np.asarray(te.shap_values(Z, check_additivity=False))
    base = np.ravel(np.asarray(te.expected_value, dtype=float))
    if sv.ndim == 3:
        return sv[:, :, k], float(base[k])
    return sv, float(base[0])


CASES = [
    ("rf binary", RandomForestClassifier(n_estimators=15, max_depth=8, random_state=0), 2),
    ("et binary", ExtraTreesClassifier(n_estimators=15, random_state=0), 2),
    ("rf 3 classes", RandomForestClassifier(n_estimators=10, random_state=0), 3),
    ("rf regression", RandomForestRegressor(n_estimators=10, max_depth=10, random_state=0), 0),
    ("et regression", ExtraTreesRegressor(n_estimators=10, min_samples_leaf=3, random_state=0), 0),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_values_and_base_equal_shaps_and_add_up_to_the_forest(case) -> None:  # type: ignore[no-untyped-def]
    _, est, classes = case
    X, y = _data(800, classes=max(classes, 2))
    target = y if classes else X["a"].to_numpy() * 3 + y
    est.fit(X.to_numpy(), target)
    Z = X.to_numpy()[:120]
    for k in range(classes or 1):
        phi, base = tr.forest_contribs(est, Z, k)
        want, want_base = _shap(est, Z, k)
        np.testing.assert_allclose(phi, want, rtol=0, atol=1e-12 * max(1.0, np.abs(want).max()))
        assert base == pytest.approx(want_base, rel=1e-12)
        out = est.predict_proba(Z)[:, k] if classes else est.predict(Z)
        np.testing.assert_allclose(base + phi.sum(1), out, rtol=0, atol=1e-12 * max(1, abs(out).max()))


def test_the_audit_explains_a_forest_pipeline_with_our_kernel_for_either_positive_label() -> None:
    X, y = _data(900, seed=1)
    X["colour"] = np.random.default_rng(1).choice(["red", "green", "blue"], len(X))
    pre = ColumnTransformer([("oh", OneHotEncoder(), ["colour"])], remainder="passthrough",
                            sparse_threshold=1.0)  # a sparse matrix reaches the forest
    model = make_pipeline(pre, RandomForestClassifier(n_estimators=12, random_state=0)).fit(X, y)
    atts = [compute_attributions(ModelAdapter(model, "binary", tuple(X.columns), positive_label=p),
                                 X.iloc[:150], X.iloc[150:250]) for p in (1, 0)]
    for att in atts:
        assert att.explainer == OURS and att.ok and att.max_error < 1e-12 and att.notes == []
    # the probability of class 0 is one minus that of class 1: opposite values
    np.testing.assert_allclose(atts[0].phi, -atts[1].phi, atol=1e-12)
    proba = model.predict_proba(X.iloc[:150])[:, 1]
    np.testing.assert_allclose(atts[0].base + atts[0].phi.sum(1), proba, atol=1e-12)


def test_missing_values_follow_the_side_each_split_sends_them() -> None:
    """Forests fitted on NaN send it to the side stored per node (``missing_go_to_left``),
    right at some nodes: the values still add up to predict_proba on rows with NaN."""
    X, y = _data(1500, seed=2)
    rng = np.random.default_rng(2)
    X.loc[rng.random(len(X)) < 0.2, "a"] = np.nan
    X.loc[rng.random(len(X)) < 0.1, "b"] = np.nan
    est = RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0).fit(X.to_numpy(), y)
    trees = [e.tree_ for e in est.estimators_]
    inner_on_a = np.concatenate([(t.children_left >= 0) & (t.feature == 0) for t in trees])
    go_left = np.concatenate([t.missing_go_to_left for t in trees]).astype(bool)
    assert go_left[inner_on_a].any() and not go_left[inner_on_a].all()  # both sides occur
    Z = X.to_numpy()[:300]
    assert np.isnan(Z).any()
    phi, base = tr.forest_contribs(est, Z, 1)
    np.testing.assert_allclose(base + phi.sum(1), est.predict_proba(Z)[:, 1], atol=1e-12)
    att = compute_attributions(ModelAdapter(est, "binary", None, positive_label=1),  # type: ignore[arg-type]
                               pd.DataFrame(Z), pd.DataFrame(X.to_numpy()[300:400]))
    assert att.explainer == OURS and att.ok


def test_values_that_do_not_add_up_are_replaced_by_shaps_with_a_note(monkeypatch) -> None:
    X, y = _data(500, seed=3)
    est = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)

    def off(final, Z, k):  # type: ignore[no-untyped-def]
        phi, base = tr.forest_contribs(final, Z, k)
        return phi, base + 1e-6

    monkeypatch.setattr(ex, "forest_contribs", off)
    att = compute_attributions(ModelAdapter(est, "binary", tuple(X.columns), positive_label=1),
                               X.iloc[:80], X.iloc[80:160])
    assert att.explainer == "tree_path_dependent" and att.ok
    assert len(att.notes) == 1 and "did not add up" in att.notes[0] and "1e-06" in att.notes[0]


def test_the_cost_model_prices_forests_by_our_kernel_and_other_trees_by_shap() -> None:
    from sklearn.ensemble import GradientBoostingClassifier

    X, y = _data(400, seed=4)
    for est, impl in ((RandomForestClassifier(n_estimators=3, random_state=0), "forest"),
                      (ExtraTreesRegressor(n_estimators=3, random_state=0), "forest"),
                      (GradientBoostingClassifier(n_estimators=3), "shap")):
        target = y if hasattr(est, "predict_proba") else X["a"].to_numpy()
        est.fit(X, target)
        m = ModelAdapter(est, "binary" if impl != "forest" or hasattr(est, "classes_")
                         else "regression", tuple(X.columns),
                         positive_label=1 if hasattr(est, "classes_") else None)
        assert tree_work(est, _tree_output(m, [], est))[0] == impl
    assert not tr.is_sklearn_forest(RandomForestClassifier())  # not fitted
    two = RandomForestRegressor(n_estimators=2, random_state=0).fit(X, np.c_[X["a"], X["b"]])
    assert not tr.is_sklearn_forest(two)  # two outputs: shap's explainer as before


def test_weighted_classes_and_text_labels_add_up_to_the_positive_class() -> None:
    """Class weights and bootstrap sizes change what a node holds, not the reading: the values
    add up to predict_proba of the positive label, wherever it sits among the classes."""
    X, y = _data(900, seed=5, classes=3)
    labels = np.array(["low", "mid", "high"], dtype=object)[y]
    est = RandomForestClassifier(n_estimators=8, class_weight="balanced", max_samples=0.5,
                                 random_state=0).fit(X, labels)
    for positive in ("high", "mid"):
        k = list(est.classes_).index(positive)
        phi, base = tr.forest_contribs(est, X.to_numpy()[:100], k)
        np.testing.assert_allclose(base + phi.sum(1), est.predict_proba(X.iloc[:100])[:, k],
                                   atol=1e-12)
        want, want_base = _shap(est, X.to_numpy()[:100], k)
        np.testing.assert_allclose(phi, want, atol=1e-12)
