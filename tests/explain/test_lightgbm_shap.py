"""LightGBM: our path-dependent TreeSHAP over the booster's trees equals LightGBM's own.

* our values equal ``predict(Z, pred_contrib=True)`` to 1e-12 of the output's scale and add
  up to ``predict(Z, raw_score=True)`` to 1e-9, on: numeric features with NaN (missing type
  NaN), zeros with ``zero_as_missing=True`` (missing type Zero), ``use_missing=False``
  (missing type None: NaN read as 0.0); values exactly at every threshold; pandas
  ``category`` columns with NaN, a category unseen at training and categories in another
  order; fractional, negative and huge category codes in a matrix; binary, regression and
  multiclass; early stopping (the best iteration's trees, as ``predict`` uses); random
  small models of every missing type (hypothesis);
* a pipeline (ColumnTransformer -> LGBMClassifier) through ``compute_attributions``;
* a model we do not read (``linear_tree=True``, ``boosting='rf'``) keeps LightGBM's own
  ``pred_contrib``, with a note saying why; values of ours that do not add up fall back to it;
* the cost model prices the kernel that runs; an ``audit run`` records our explainer.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import joblib
import lightgbm
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit._explain import compute_attributions
from audit._explain import explainers as ex
from audit._explain import trees as tr
from audit._inputs.model import ModelAdapter

OURS = "lightgbm_float64_tree_shap"
NATIVE = "lightgbm_tree_shap"

warnings.filterwarnings("ignore", message=".*categorical_feature.*")


def _adapter(est: object, task: str = "binary") -> ModelAdapter:
    return ModelAdapter(est, task, None, positive_label=1 if task == "binary" else None)  # type: ignore[arg-type]


def _frame(n: int, seed: int = 0, n_cats: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    cats = [f"c{i}" for i in range(n_cats)]
    X = pd.DataFrame({
        "a": rng.normal(size=n),
        "colour": pd.Categorical(rng.choice(cats, n), categories=cats),
        "b": rng.normal(size=n),
        "z": np.where(rng.random(n) < 0.3, 0.0, rng.normal(size=n)),
        "d": rng.integers(0, 5, n).astype(float),
    })
    X.loc[rng.random(n) < 0.1, "a"] = np.nan
    X.loc[rng.random(n) < 0.05, "colour"] = np.nan
    effect = dict(zip(cats, rng.normal(0, 1.5, n_cats)))
    signal = (X["a"].fillna(0.5) + X["b"] * X["colour"].map(effect).astype(float).fillna(-1)
              + 0.8 * (X["z"] == 0) + 0.3 * X["d"])
    y = (signal + rng.normal(size=n) > 0.5).astype(int).to_numpy()
    return X, y


def _ours(est: Any, Z: Any, k: int = 0) -> tuple[np.ndarray, float]:
    model = tr.lightgbm_model(est)
    assert tr.lightgbm_unsupported(model) is None
    return tr.lightgbm_float64_contribs(est, Z, k, model)


def _check(est: Any, Z: Any, n_out: int = 1) -> None:
    """Ours against pred_contrib (1e-12 of the scale) and raw_score (1e-9), every output."""
    n = Z.shape[0]
    native = np.asarray(est.predict(Z, pred_contrib=True).toarray() if hasattr(Z, "tocsr")
                        else est.predict(Z, pred_contrib=True)).reshape(n, n_out, -1)
    raw = np.asarray(est.predict(Z, raw_score=True), dtype=float).reshape(n, n_out)
    scale = max(1.0, float(np.max(np.abs(raw))))
    for k in range(n_out):
        phi, base = _ours(est, Z, k)
        np.testing.assert_allclose(phi, native[:, k, :-1], rtol=0, atol=1e-12 * scale)
        assert base == pytest.approx(native[0, k, -1], abs=1e-12 * scale)
        np.testing.assert_allclose(base + phi.sum(1), raw[:, k], rtol=0, atol=1e-9 * scale)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    return _frame(2000)


@pytest.fixture(scope="module")
def binary(data) -> Any:  # type: ignore[no-untyped-def]
    X, y = data
    return lightgbm.LGBMClassifier(n_estimators=40, num_leaves=15, min_data_per_group=5,
                                   cat_smooth=1, verbose=-1, n_jobs=1, random_state=0).fit(X, y)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n_cats=st.integers(2, 40), leaves=st.integers(2, 40),
       missing=st.sampled_from(["nan", "zero", "none"]), nan_share=st.sampled_from([0, 0.1, 0.4]),
       n_class=st.sampled_from([1, 2, 3]))
def test_random_models_equal_pred_contrib(seed: int, n_cats: int, leaves: int, missing: str,
                                          nan_share: float, n_class: int) -> None:
    rng = np.random.default_rng(seed)
    n = 600
    X = pd.DataFrame({
        "c": pd.Categorical(rng.integers(0, n_cats, n), categories=range(n_cats)),
        "x": np.where(rng.random(n) < 0.3, 0.0, rng.normal(size=n)),
        "w": rng.integers(-2, 3, n).astype(float),
    })
    for col in ("c", "x", "w"):
        X.loc[rng.random(n) < nan_share, col] = np.nan
    signal = (X["c"].cat.codes.to_numpy() % 3 + np.nan_to_num(X["x"].to_numpy())
              - X["w"].fillna(1).to_numpy())
    noisy = signal + rng.normal(size=n)
    y = np.digitize(noisy, np.quantile(noisy, np.linspace(0, 1, n_class + 1)[1:-1]))
    params = {"nan": {}, "zero": {"zero_as_missing": True}, "none": {"use_missing": False}}[missing]
    if n_class == 1:
        est: Any = lightgbm.LGBMRegressor(n_estimators=8, num_leaves=leaves, min_child_samples=5,
                                          min_data_per_group=5, verbose=-1, n_jobs=1, **params)
    else:
        est = lightgbm.LGBMClassifier(n_estimators=8, num_leaves=leaves, min_child_samples=5,
                                      min_data_per_group=5, verbose=-1, n_jobs=1, **params)
    est.fit(X, y if n_class > 1 else signal)
    _check(est, X.iloc[:200], n_out=n_class if n_class > 2 else 1)


def test_category_columns_with_nan_and_unseen_categories(binary, data) -> None:
    X, _ = data
    Z = X.iloc[:400].copy()
    unseen = list(Z["colour"].cat.categories) + ["never"]
    Z["colour"] = Z["colour"].cat.set_categories(unseen)
    Z.iloc[:20, Z.columns.get_loc("colour")] = "never"
    assert Z["colour"].isna().sum() > 0
    _check(binary, Z)
    # the same categories in another order: recoded to the training categories
    Z2 = Z.assign(colour=Z["colour"].cat.reorder_categories(unseen[::-1]))
    _check(binary, Z2)
    np.testing.assert_array_equal(_ours(binary, Z2)[0], _ours(binary, Z)[0])


def test_values_at_every_threshold_route_as_lightgbm(binary, data) -> None:
    X, _ = data
    rows = []
    _, blocks = tr.lightgbm_model(binary)
    for t in blocks:
        if int(t["num_leaves"]) < 2:
            continue
        for f, thr, kind in zip(t["split_feature"].split(), t["threshold"].split(),
                                t["decision_type"].split()):
            if int(kind) & 1:
                continue
            for v in (float(thr), np.nextafter(float(thr), np.inf), np.nextafter(float(thr), -np.inf)):
                row = X.iloc[len(rows) % len(X)].copy()
                row.iloc[int(f)] = v
                rows.append(row)
    Z = pd.DataFrame(rows).astype(X.dtypes.to_dict())
    assert len(Z) > 100
    _check(binary, Z)


@pytest.mark.parametrize("params", [{"zero_as_missing": True}, {"use_missing": False}],
                         ids=["zero_as_missing", "use_missing_false"])
def test_missing_types_zero_and_none(data, params: dict[str, Any]) -> None:
    X, y = data
    X = X.assign(z=X["z"].where(np.arange(len(X)) % 7 != 0, np.nan))
    est = lightgbm.LGBMClassifier(n_estimators=30, num_leaves=15, verbose=-1, n_jobs=1, random_state=0,
                                  **params).fit(X, y)
    kinds = {int(d) >> 2 & 3 for t in tr.lightgbm_model(est)[1]
             for d in t.get("decision_type", "").split()}
    assert kinds & {0, 1}, kinds
    Z = X.iloc[:500].copy()
    Z.iloc[:30, Z.columns.get_loc("z")] = [1e-40, -1e-40, 1e-35, -1e-35, 0.0, -0.0] * 5
    _check(est, Z)


def test_a_numeric_matrix_with_categorical_features_and_odd_codes(data) -> None:
    X, y = data
    A = X.assign(colour=X["colour"].cat.codes.astype(float).where(X["colour"].notna())).to_numpy()
    est = lightgbm.LGBMClassifier(n_estimators=30, num_leaves=15, min_data_per_group=5,
                                  verbose=-1, n_jobs=1, random_state=0).fit(A, y, categorical_feature=[1])
    Z = A[:300].copy()
    Z[:8, 1] = [2.7, -0.5, -1.0, -3.0, 1e6, 255.0, 256.0, 3e9]
    _check(est, Z)


def test_regression_and_multiclass(data) -> None:
    X, y = data
    target = X["b"].fillna(0) * 3 + y + X["d"]
    reg = lightgbm.LGBMRegressor(n_estimators=30, num_leaves=15, verbose=-1, n_jobs=1, random_state=0)
    _check(reg.fit(X, target), X.iloc[:300])
    classes = (y + (X["d"] > 2)).to_numpy()
    multi = lightgbm.LGBMClassifier(n_estimators=20, num_leaves=7, verbose=-1, n_jobs=1, random_state=0)
    _check(multi.fit(X, classes), X.iloc[:300], n_out=3)


def test_early_stopping_uses_the_best_iterations_trees(data) -> None:
    X, y = data
    est = lightgbm.LGBMClassifier(n_estimators=300, num_leaves=31, learning_rate=0.3,
                                  verbose=-1, n_jobs=1, random_state=0)
    est.fit(X.iloc[:1500], y[:1500], eval_X=(X.iloc[1500:],), eval_y=(y[1500:],),
            callbacks=[lightgbm.early_stopping(5, verbose=False)])
    assert 0 < est.best_iteration_ < 300
    _check(est, X.iloc[:300])
    att = compute_attributions(_adapter(est), X.iloc[:300], X.iloc[300:400])
    assert att.explainer == OURS and att.ok and att.max_error <= 1e-9


def test_compute_attributions_records_ours_within_1e9(binary, data) -> None:
    X, _ = data
    att = compute_attributions(_adapter(binary), X.iloc[:500], X.iloc[500:600])
    assert att.explainer == OURS and att.ok and att.max_error <= 1e-9, att.notes
    native = binary.predict(X.iloc[:500], pred_contrib=True)
    np.testing.assert_allclose(att.phi, native[:, :-1], rtol=0, atol=1e-12)


def test_a_pipeline_through_compute_attributions(data) -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = data
    X = X.assign(colour=X["colour"].astype(str))
    prep = ColumnTransformer([("oh", OneHotEncoder(sparse_output=True), ["colour"]),
                              ("num", StandardScaler(), ["a", "b"])],
                             remainder="passthrough", sparse_threshold=1.0)
    model = make_pipeline(prep, lightgbm.LGBMClassifier(n_estimators=30, verbose=-1, n_jobs=1,
                                                        random_state=0)).fit(X, y)
    Z = model[0].transform(X.iloc[:300])
    assert hasattr(Z, "tocsr")
    _check(model[-1], Z)
    att = compute_attributions(_adapter(model), X.iloc[:300], X.iloc[300:400])
    assert att.explainer == OURS and att.ok and att.max_error <= 1e-9


def test_random_forest_mode_equals_pred_contrib(data) -> None:
    X, y = data
    est = lightgbm.LGBMClassifier(boosting_type="rf", bagging_freq=1, bagging_fraction=0.7,
                                  n_estimators=15, num_leaves=7, verbose=-1, n_jobs=1, random_state=0)
    _check(est.fit(X, y), X.iloc[:300])


def test_a_model_we_do_not_read_keeps_lightgbms_own_values_and_says_why() -> None:
    """A split listing a category code of 256 or more (beyond the kernel's bitsets)."""
    rng = np.random.default_rng(5)
    n = 4000
    code = rng.integers(0, 400, n)
    X = pd.DataFrame({"many": pd.Categorical(code, categories=range(400)),
                      "b": rng.normal(size=n)})
    y = ((code >= 300) ^ (rng.random(n) < 0.1)).astype(int)
    est = lightgbm.LGBMClassifier(n_estimators=10, num_leaves=7, min_data_per_group=5,
                                  max_cat_threshold=200, verbose=-1, n_jobs=1, random_state=0).fit(X, y)
    why = tr.lightgbm_unsupported(tr.lightgbm_model(est))
    assert why is not None and "256" in why
    att = compute_attributions(_adapter(est), X.iloc[:200], X.iloc[200:300])
    assert att.explainer == NATIVE and att.ok
    assert any("pred_contrib" in n and "256" in n for n in att.notes), att.notes


def test_linear_trees_are_refused(data) -> None:
    """LightGBM has no TreeSHAP for linear trees either: the explanation fails, as before."""
    X, y = data
    X = X.drop(columns="colour")
    est = lightgbm.LGBMClassifier(n_estimators=5, num_leaves=7, linear_tree=True, verbose=-1, n_jobs=1,
                                  random_state=0).fit(X, y)
    assert "linear" in (tr.lightgbm_unsupported(tr.lightgbm_model(est)) or "")
    with pytest.raises(ex.TreeShapError, match="linear trees"):
        compute_attributions(_adapter(est), X.iloc[:100], X.iloc[100:200])


def test_values_that_do_not_add_up_fall_back_to_lightgbms_own(binary, data, monkeypatch) -> None:
    X, _ = data
    real = ex.lightgbm_float64_contribs

    def off(final, Z, k, text):  # type: ignore[no-untyped-def]
        phi, base = real(final, Z, k, text)
        return phi, base + 1e-6

    monkeypatch.setattr(ex, "lightgbm_float64_contribs", off)
    att = compute_attributions(_adapter(binary), X.iloc[:200], X.iloc[200:300])
    assert att.explainer == NATIVE and att.ok and att.max_error <= 1e-9
    assert any("pred_contrib" in n and "add up" in n for n in att.notes), att.notes


def test_the_cost_model_prices_the_implementation_that_runs(binary, data) -> None:
    from audit._explain import budget, cost

    X, y = data
    lin = lightgbm.LGBMClassifier(n_estimators=10, num_leaves=7, linear_tree=True, verbose=-1, n_jobs=1,
                                  random_state=0).fit(X.drop(columns="colour"), y)
    found = {}
    for name, est, Z in (("ours", binary, X), ("native", lin, X.drop(columns="colour"))):
        out = budget._choose_output(_adapter(est), [], est, Z.iloc[:50])
        found[name] = cost.tree_work(est, out)[0]
    assert found == {"ours": "lightgbm_float64", "native": "lightgbm"}


def test_an_audit_run_records_our_explainer(tmp_path) -> None:
    from audit.cli import main

    X, y = _frame(3000, seed=3)
    rng = np.random.default_rng(3)
    model = lightgbm.LGBMClassifier(n_estimators=20, num_leaves=15, verbose=-1, n_jobs=1,
                                    random_state=0).fit(X, y)
    df = X.assign(target=y, sex=rng.choice(["female", "male"], len(X)),
                  race=rng.choice(["A", "B", "C"], len(X)))
    df.to_parquet(tmp_path / "data.parquet")
    joblib.dump(model, tmp_path / "model.joblib")
    code = main(["run", str(tmp_path / "model.joblib"), str(tmp_path / "data.parquet"),
                 "--target", "target", "-o", str(tmp_path / "report.html"),
                 "--json", str(tmp_path / "audit.json"), "--exit-zero", "-q", "--no-what-if",
                 "--n-boot", "50"])
    assert code == 0
    doc = json.loads((tmp_path / "audit.json").read_text())["explanation"]
    assert doc["explainer"] == OURS and doc["additivity_ok"]
    assert doc["additivity_max_error"] <= 1e-9 and doc["note"] is None
