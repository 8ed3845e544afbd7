"""Tests for audit._explain (SHAP by group, disparity decomposition) and its plots."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from audit._errors import InputError
from audit._explain import compute_attributions, driver_shares, explain, stratified_sample
from audit._explain.mapping import _flatten_pipeline, _sum_back_matrix
from audit._inputs.model import ModelAdapter
from audit._inputs.prepared import Grouping
from audit._report.charts.explanations import plot_all
from audit._result.explanation import Explanation
from audit._result.serial import from_jsonable, to_jsonable


def _import_shap():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap
    return shap


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, list[Grouping]]:
    rng = np.random.default_rng(7)
    n = 1500
    race = rng.choice(4, n, p=[0.7, 0.2, 0.08, 0.02])
    X = pd.DataFrame(
        {
            "zip": pd.Series(rng.choice(["z1", "z2", "z3"], n), dtype="str"),
            "income": rng.normal(50, 10, n),
            "age": rng.integers(18, 80, n).astype(float),
            "debt": rng.normal(5, 2, n),
        }
    )
    X.loc[rng.random(n) < 0.05, "age"] = np.nan
    logit = 0.08 * (X["income"] - 50) + (X["zip"] == "z1") - 0.3 * (race == 1) - 0.1 * X["debt"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    sex = rng.choice(2, n)
    groupings = [
        Grouping("race", "race", ("race",), race.astype(np.int64), ("A", "B", "C", "D"), 0),
        Grouping("sex", "gender", ("sex",), sex.astype(np.int64), ("f", "m"), 1),
    ]
    return X, y, groupings


def _prep() -> ColumnTransformer:
    return ColumnTransformer(
        [
            ("onehot", OneHotEncoder(handle_unknown="ignore"), ["zip"]),
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["income", "age"]),
        ],
        remainder="passthrough",
    )


def _adapter(est: object, task: str = "binary") -> ModelAdapter:
    return ModelAdapter(est, task, None, positive_label=1 if task == "binary" else None)  # type: ignore[arg-type]


def _brute_force_shapley(f, Xs: pd.DataFrame, Xb: pd.DataFrame) -> np.ndarray:
    """Exact interventional Shapley values by enumerating every subset of original columns."""
    p = Xs.shape[1]
    out = np.zeros((len(Xs), p))
    value: dict[tuple[int, ...], np.ndarray] = {}
    for r in range(p + 1):
        for S in itertools.combinations(range(p), r):
            vals = np.empty(len(Xs))
            for i in range(len(Xs)):
                hyb = Xb.copy()
                for j in S:
                    hyb[Xs.columns[j]] = Xs.iloc[i, j]
                vals[i] = f(hyb).mean()
            value[S] = vals
    for j in range(p):
        others = [k for k in range(p) if k != j]
        for r in range(p):
            weight = math.factorial(r) * math.factorial(p - r - 1) / math.factorial(p)
            for S in itertools.combinations(others, r):
                with_j = tuple(sorted(S + (j,)))
                out[:, j] += weight * (value[with_j] - value[S])
    return out


def test_linear_pipeline_matches_brute_force_interventional_shapley(data) -> None:
    X, y, _ = data
    model = make_pipeline(_prep(), LogisticRegression()).fit(X, y)
    Xs, Xb = X.iloc[:12], X.iloc[100:130]
    att = compute_attributions(_adapter(model), Xs, Xb)
    assert att.explainer == "linear_exact" and att.output_space == "log-odds"
    ref = _brute_force_shapley(lambda d: model.decision_function(d), Xs, Xb)
    np.testing.assert_allclose(att.phi, ref, atol=1e-9)
    np.testing.assert_allclose(att.base + att.phi.sum(1), model.decision_function(Xs), atol=1e-9)
    assert att.ok and att.max_error < 1e-9


def test_sum_back_mapping_onehot_passthrough_scaler() -> None:
    X = pd.DataFrame(
        {
            "a": [1.0, 2.0, 3.0, 4.0],
            "color": pd.Series(["r", "g", "b", "r"], dtype="str"),
            "b": [0.5, 0.1, 0.2, 0.9],
            "c": [10.0, 20.0, 30.0, 40.0],
        }
    )
    ct = ColumnTransformer(
        [("scale", StandardScaler(), ["c"]), ("oh", OneHotEncoder(), ["color"])],
        remainder="passthrough",
    )
    model = make_pipeline(ct, Ridge(alpha=0.1)).fit(X, [1.0, 2.0, 3.0, 5.0])
    pre, _ = _flatten_pipeline(model)
    Z = ct.transform(X)
    M = _sum_back_matrix(pre, X, Z.shape[1]).toarray()
    # outputs: scale__c, oh__color_b, oh__color_g, oh__color_r, remainder__a, remainder__b
    owners = [list(X.columns)[int(np.argmax(row))] for row in M]
    assert owners == ["c", "color", "color", "color", "a", "b"]
    assert list(ct.get_feature_names_out()) == [
        "scale__c",
        "oh__color_b",
        "oh__color_g",
        "oh__color_r",
        "remainder__a",
        "remainder__b",
    ]
    att = compute_attributions(_adapter(model, "regression"), X, X)
    assert att.explainer == "linear_exact" and att.output_space == "raw"
    coef = model[-1].coef_
    # passthrough column 'a' is the 5th transformed column: phi = w (x - mean x)
    np.testing.assert_allclose(att.phi[:, 0], coef[4] * (X["a"] - X["a"].mean()), atol=1e-12)
    np.testing.assert_allclose(att.base + att.phi.sum(1), model.predict(X), atol=1e-10)


def test_tree_pipeline_equals_path_dependent_treeexplainer_summed_back(data) -> None:
    X, y, _ = data
    model = make_pipeline(
        _prep(), GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0)
    ).fit(X, y)
    Xs, Xb = X.iloc[:300], X.iloc[500:600]
    att = compute_attributions(_adapter(model), Xs, Xb)
    assert att.explainer == "tree_path_dependent" and att.output_space == "log-odds"
    assert att.ok and att.max_error < 1e-6 and att.notes == []
    shap = _import_shap()
    Zs = model[:-1].transform(Xs)
    te = shap.TreeExplainer(model[-1], feature_perturbation="tree_path_dependent")
    ref = te.shap_values(Zs)
    summed = np.column_stack([ref[:, :3].sum(1), ref[:, 3], ref[:, 4], ref[:, 5]])
    np.testing.assert_allclose(att.phi, summed, atol=1e-9)
    assert att.base == pytest.approx(float(np.ravel(te.expected_value)[0]), abs=1e-12)
    assert att.phi.shape == (300, 4) and att.raw.n_background == 0


@pytest.mark.parametrize("lib", ["lightgbm", "xgboost"])
def test_boosting_libraries(lib: str, data) -> None:
    X, y, _ = data
    Xn = X.drop(columns=["zip"])
    if lib == "lightgbm":
        import lightgbm

        est = lightgbm.LGBMClassifier(n_estimators=40, num_leaves=8, verbose=-1, random_state=0)
    else:
        import xgboost

        est = xgboost.XGBClassifier(n_estimators=40, max_depth=3, random_state=0)
    est.fit(Xn, y)
    att = compute_attributions(_adapter(est), Xn.iloc[:300], Xn.iloc[400:500])
    assert att.explainer == {"lightgbm": "lightgbm_float64_tree_shap",
                             "xgboost": "xgboost_float64_tree_shap"}[lib]
    assert att.output_space == "log-odds"
    assert att.ok, att.notes
    p = est.predict_proba(Xn.iloc[:300])[:, 1]
    np.testing.assert_allclose(att.base + att.phi.sum(1), np.log(p / (1 - p)), atol=1e-4)


def test_regression_models(data) -> None:
    X, _, groupings = data
    target = X["income"].to_numpy() * 0.1 + (X["zip"] == "z2").to_numpy() * 2.0
    Xn = X.drop(columns=["zip"])
    hgb = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(Xn, target)
    e = explain(_adapter(hgb, "regression"), Xn, groupings, n_sample=300, n_boot=20)
    assert e.output_space == "raw" and e.additivity_ok
    # our path-dependent TreeSHAP over HGB's nodes, missing-value branches included (age has NaN)
    assert e.explainer == "hgb_tree_shap" and e.note is None and e.additivity_max_error < 1e-9
    assert e.global_importance[0].feature == "income"
    lin = make_pipeline(_prep(), Ridge()).fit(X, target)
    e2 = explain(_adapter(lin, "regression"), X, groupings, n_sample=300, n_boot=20)
    assert e2.explainer == "linear_exact" and e2.additivity_max_error < 1e-9
    assert {f.feature for f in e2.global_importance[:2]} == {"income", "zip"}


def test_hgb_native_categorical_trap_is_avoided_by_our_tree_shap() -> None:
    rng = np.random.default_rng(0)
    n = 1500
    cat = rng.integers(0, 8, n)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    effect = np.array([-2.0, 1.0, 0.5, 2.0, -1.0, 0.0, 1.5, -0.5])[cat]
    y = (rng.random(n) < 1 / (1 + np.exp(-(effect + x1)))).astype(int)
    X = pd.DataFrame({"cat": cat.astype(float), "x1": x1, "x2": x2})
    model = HistGradientBoostingClassifier(
        categorical_features=[0], max_iter=40, random_state=0
    ).fit(X, y)
    Xs, Xb = X.iloc[:120], X.iloc[200:300]
    # the trap itself: shap's path-dependent TreeExplainer is silently off by log-odds units
    shap = _import_shap()
    te = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    sv = te.shap_values(Xs.to_numpy(), check_additivity=False)
    assert np.max(np.abs(te.expected_value + sv.sum(1) - model.decision_function(Xs))) > 0.5
    # every HGB model gets our TreeSHAP, which reads the categorical bitsets: exact, no fallback
    att = compute_attributions(_adapter(model), Xs, Xb)
    assert att.explainer == "hgb_tree_shap" and att.notes == []
    assert att.ok and att.max_error < 1e-9
    np.testing.assert_allclose(att.base + att.phi.sum(1), model.decision_function(Xs), atol=1e-9)
    groups = [Grouping("g", "other", ("g",), (cat[:300] % 2).astype(np.int64), ("even", "odd"), 0)]
    e = explain(_adapter(model), X.iloc[:300], groups, n_sample=100, n_boot=10)
    assert e.explainer == "hgb_tree_shap" and e.additivity_ok and e.note is None
    assert "path-dependent" in e.explainer_description


def test_model_agnostic_path_with_text_columns_is_exact_when_cheap(data) -> None:
    X, y, _ = data
    Xw = X.assign(
        e1=np.arange(len(X)) % 7 * 1.0,
        e2=np.arange(len(X)) % 3 * 1.0,
        e3=np.arange(len(X)) % 5 * 1.0,
    )
    prep = ColumnTransformer(
        [("oh", OneHotEncoder(handle_unknown="ignore"), ["zip"])],
        remainder=make_pipeline(SimpleImputer(), StandardScaler()),
    )
    model = make_pipeline(prep, KNeighborsClassifier(n_neighbors=15)).fit(Xw, y)
    att = compute_attributions(_adapter(model), Xw.iloc[:15], Xw.iloc[100:200], seed=3)
    # 7 columns: 2^7 coalitions cost less than twice the permutation explainer's 75 orderings
    assert att.explainer == "exact" and att.output_space == "probability"
    assert att.ok and att.max_error < 1e-9
    assert att.phi.shape == (15, 7)


def test_stratified_sample_contains_every_group_and_weights_reconstruct_counts() -> None:
    rng = np.random.default_rng(1)
    n = 5000
    codes = np.zeros(n, dtype=np.int64)
    codes[:5] = 2  # tiny group
    codes[5:45] = 1  # small group
    sex = rng.integers(0, 2, n)
    g1 = Grouping("race", "race", ("race",), codes, ("A", "B", "C"), 0)
    g2 = Grouping("sex", "gender", ("sex",), sex.astype(np.int64), ("f", "m"), 0)
    inter = Grouping(
        "race × sex",
        "intersection",
        ("race", "sex"),
        codes * 2 + sex,
        tuple(f"{a}/{b}" for a in "ABC" for b in "fm"),
        0,
    )
    rows, w, desc, weighted = stratified_sample(n, [g1, g2, inter], 400, rng)
    assert len(rows) == 400 and len(np.unique(rows)) == 400
    sampled = codes[rows]
    assert (sampled == 2).sum() == 5 and (sampled == 1).sum() >= 30
    assert weighted and "weighted" in desc
    for c in range(3):  # Horvitz-Thompson weights add up to the population counts
        assert w[sampled == c].sum() == pytest.approx((codes == c).sum())
    assert w.sum() == pytest.approx(n)


def test_determinism_and_serialisation(data) -> None:
    X, y, groupings = data
    model = make_pipeline(_prep(), LogisticRegression()).fit(X, y)
    a = explain(_adapter(model), X, groupings, seed=4, n_sample=400, n_boot=50)
    b = explain(_adapter(model), X, groupings, seed=4, n_sample=400, n_boot=50)
    c = explain(_adapter(model), X, groupings, seed=5, n_sample=400, n_boot=50)
    ja = to_jsonable(a)
    assert ja == to_jsonable(b)
    assert ja != to_jsonable(c)
    back = from_jsonable(Explanation, ja)
    assert to_jsonable(back) == ja
    assert a.n_sample == 400 and a.weighted
    for grouping in a.groupings:
        assert all(g.n > 0 for g in grouping.groups)
    bees = a.beeswarm.features[0]
    assert len(bees.shap) == a.beeswarm.n_points == 400
    assert all(v is None or 0.0 <= v <= 1.0 for v in bees.colour)


def test_decomposition_sums_to_gap_and_shares(data) -> None:
    X, y, groupings = data
    model = make_pipeline(_prep(), LogisticRegression()).fit(X, y)
    e = explain(_adapter(model), X, groupings, n_sample=600, n_boot=100)
    assert len(e.gaps) == 3 + 1
    for dec in e.gaps:
        total = sum(c.value.value for c in dec.contributions)
        assert dec.gap.value is not None
        assert abs(total - dec.gap.value) < 1e-9
        by_group = {
            g.group: g for g in next(x for x in e.groupings if x.attribute == dec.attribute).groups
        }
        gap_direct = by_group[dec.group].mean_output - by_group[dec.reference].mean_output
        assert abs(gap_direct - dec.gap.value) < 1e-9
        for c in dec.contributions:
            assert c.value.lo is not None and c.value.lo <= c.value.value <= c.value.hi
        assert dec.gap_pp is not None and dec.gap_pp.value is not None
        sizes = [abs(c.value.value) for c in dec.contributions]
        assert sizes == sorted(sizes, reverse=True)
    shares = driver_shares(e)
    assert set(shares) == {"race", "sex"} and set(shares["race"]) == {"B", "C", "D"}
    for groups in shares.values():
        for feats in groups.values():
            assert sum(feats.values()) == pytest.approx(1.0, abs=1e-9)
    s = e.summaries[0]
    assert s.drivers and s.sentence.startswith("On race")
    assert sum(d.pp for d in s.drivers if d.pp is not None) != 0


def test_plots_are_inline_svg_with_alt_text(data) -> None:
    X, y, groupings = data
    model = make_pipeline(_prep(), LogisticRegression()).fit(X, y)
    e = explain(_adapter(model), X, groupings, n_sample=300, n_boot=20)
    plots = plot_all(e)
    assert {"importance", "beeswarm", "groups:race", "gap:race:B", "gap:sex:f"} <= set(plots)
    for svg, alt in plots.values():
        assert svg.startswith("<svg") and svg.endswith("</svg>")
        assert "<?xml" not in svg and "<!DOCTYPE" not in svg
        assert "https://" not in svg and "<image" not in svg or "data:image/png" in svg
        assert alt.endswith(".") and len(alt) > 40


def test_misaligned_grouping_is_an_input_error(data) -> None:
    X, y, groupings = data
    model = make_pipeline(_prep(), LogisticRegression()).fit(X, y)
    bad = Grouping("race", "race", ("race",), groupings[0].codes[:10], ("A", "B", "C", "D"), 0)
    with pytest.raises(InputError, match="grouping 'race' has 10 rows but X has 1500"):
        explain(_adapter(model), X, [bad])
