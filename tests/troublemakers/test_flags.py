"""Troublemaker features: proxies, flags, loss-term recommendations and the what-if."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from audit._errors import ConfigError, InputError
from audit._inputs.model import ModelAdapter
from audit._inputs.prepared import Grouping
from audit._result.serial import from_jsonable, to_jsonable
from audit._result.troublemakers import LOSS_CONFIG_VERSION, FlagThresholds, Troublemakers
from audit._troublemakers import assess_troublemakers, loss_config

RACES = ("White", "Black", "Asian")
# fairlearn 0.15's ExponentiatedGradient triggers pandas-4 deprecations inside fairlearn
# (Series.at enlargement, incompatible-dtype setitem); the library itself records them
# off the warning filters, but the snippets run fairlearn directly.
FAIRLEARN_PANDAS4 = "ignore::pandas.errors.Pandas4Warning:fairlearn"
FEATURES = ["zip_code", "income", "tenure"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Small fits are many times slower with multi-threaded BLAS on a busy machine."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def make_data(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Zip code is a strong proxy for race and carries a planted redlining penalty;
    income is a strong legitimate predictor only weakly related to race."""
    rng = np.random.default_rng(seed)
    race = rng.choice(3, n, p=[0.55, 0.3, 0.15])
    zone = np.where(rng.random(n) < 0.85, race, rng.integers(0, 3, n))
    zip_idx = np.select(
        [zone == 0, zone == 1, zone == 2],
        [rng.integers(0, 5, n), rng.integers(5, 9, n), rng.integers(9, 12, n)],
    )
    redlined = np.isin(zip_idx, [5, 6, 7])
    income = rng.normal(0, 1, n) - 0.15 * (race == 1)
    tenure = rng.normal(0, 1, n)
    logit = 0.3 + 1.8 * income + 0.3 * tenure - 1.8 * redlined
    approved = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pd.DataFrame(
        {
            "zip_code": [f"Z{z:02d}" for z in zip_idx],
            "income": np.round(50000 + 15000 * income, -1),
            "tenure": tenure,
            "race": [RACES[r] for r in race],
            "approved": approved,
        }
    )


def make_pipeline(df: pd.DataFrame, cols: list[str], *, regression: bool = False) -> Pipeline:
    cat = [c for c in cols if not pd.api.types.is_numeric_dtype(df[c])]
    num = [c for c in cols if c not in cat]
    pre = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), cat), ("num", StandardScaler(), num)]
    )
    final = LinearRegression() if regression else LogisticRegression(max_iter=1000)
    return Pipeline([("prep", pre), ("clf", final)])


def race_grouping(df: pd.DataFrame) -> Grouping:
    codes = np.array([RACES.index(v) for v in df["race"]])
    return Grouping("race", "race", ("race",), codes, RACES, 0)


def linear_driver_shares(pipe: Pipeline, X: pd.DataFrame, g: Grouping) -> dict[str, dict[str, float]]:
    """Exact share of each group's mean-logit gap (vs the reference) per raw feature.

    Only groups whose selection rate is at least 0.1 away from the reference's get
    shares, the way the audit decomposes only gaps that matter."""
    pre, clf = pipe.named_steps["prep"], pipe.named_steps["clf"]
    Z = pre.transform(X)
    Z = Z.toarray() if hasattr(Z, "toarray") else np.asarray(Z)
    contrib = Z * clf.coef_.ravel()
    names = [n.split("__", 1)[1] for n in pre.get_feature_names_out()]
    per = {
        f: contrib[:, [i for i, n in enumerate(names) if n == f or n.startswith(f + "_")]].sum(1)
        for f in X.columns
    }
    out: dict[str, dict[str, float]] = {}
    ref = g.codes == g.reference
    pred = pipe.predict(X)
    for k, label in enumerate(g.labels):
        if k == g.reference or abs(pred[g.codes == k].mean() - pred[ref].mean()) < 0.1:
            continue
        diffs = {f: per[f][g.codes == k].mean() - per[f][ref].mean() for f in X.columns}
        total = sum(diffs.values())
        out[label] = {f: float(d / total) for f, d in diffs.items()}
    return out


def selection_gap(pred: np.ndarray, g: Grouping) -> float:
    rates = [pred[g.codes == k].mean() for k in range(len(g.labels))]
    return float(max(rates) - min(rates))


@pytest.fixture(scope="module")
def planted() -> dict:
    df = make_data()
    X = df[FEATURES]
    pipe = make_pipeline(df, FEATURES).fit(X, df["approved"])
    g = race_grouping(df)
    return {
        "df": df,
        "X": X,
        "pipe": pipe,
        "g": g,
        "model": ModelAdapter(pipe, "binary", tuple(FEATURES), 1),
        "shares": {"race": linear_driver_shares(pipe, X, g)},
        "y": df["approved"].to_numpy().astype(np.int8),
    }


def run(p: dict, **kw) -> Troublemakers:
    args = {
        "y": p["y"],
        "task": "binary",
        "criterion_outcomes": {"race": {"demographic_parity": "fail"}},
        "driver_shares": p["shares"],
        "seed": 0,
        "what_if": False,
    }
    args.update(kw)
    model = args.pop("model", p["model"])
    X = args.pop("X", p["X"])
    return assess_troublemakers(model, X, p["df"], [p["g"]], **args)


@pytest.fixture(scope="module")
def result(planted: dict) -> Troublemakers:
    return run(planted, what_if=True, what_if_seconds=60.0)


# --------------------------------------------------------------------------- proxies + flags


def test_planted_gap_exists(planted: dict) -> None:
    pred = planted["pipe"].predict(planted["X"])
    assert selection_gap(pred, planted["g"]) > 0.15
    assert planted["shares"]["race"]["Black"]["zip_code"] > 0.6


def test_proxy_strength_separates_proxy_from_legitimate_feature(result: Troublemakers) -> None:
    auc = {p.feature: p for p in result.proxies if p.attribute == "race"}
    assert auc["zip_code"].auc.value > 0.85
    assert auc["zip_code"].auc.lo <= auc["zip_code"].auc.value <= auc["zip_code"].auc.hi
    assert auc["zip_code"].strong and not auc["income"].strong
    assert auc["income"].auc.value < 0.6
    assert auc["zip_code"].nmi > 10 * auc["income"].nmi
    assert set(auc["zip_code"].by_group) == set(RACES)
    rec = result.recoverability[0]
    assert rec.attribute == "race" and rec.auc.value > 0.85


def test_proxy_is_flagged_income_is_not(result: Troublemakers) -> None:
    flagged = {(f.feature, f.attribute): f for f in result.flags}
    assert set(flagged) == {("zip_code", "race")}
    flag = flagged[("zip_code", "race")]
    assert flag.kind == "proxy_driver" and flag.severity == "high"
    assert flag.driver_group == "Black" and flag.driver_share > 0.6
    # the explanation quotes the measured numbers and what dropping would do
    assert f"AUC {flag.proxy_auc:.2f}" in flag.explanation
    assert flag.recoverability_without is not None
    assert f"AUC {flag.recoverability_without:.2f}" in flag.explanation
    assert "training loss" in flag.explanation


def test_weak_driver_or_weak_proxy_is_not_flagged(planted: dict) -> None:
    shares = {"race": {"Black": {"zip_code": 0.1, "income": 0.9, "tenure": 0.0}}}
    assert run(planted, driver_shares=shares).flags == ()
    strict = FlagThresholds(proxy_auc=0.99)
    assert run(planted, thresholds=strict).flags == ()
    # nothing fails -> no proxy flag and no loss term
    calm = run(planted, criterion_outcomes={"race": {"demographic_parity": "pass"}})
    assert calm.flags == () and calm.loss_terms == ()
    assert calm.what_if.status == "skipped"


def test_protected_attribute_as_input_is_always_flagged(planted: dict) -> None:
    df = planted["df"]
    cols = [*FEATURES, "race"]
    pipe = make_pipeline(df, cols).fit(df[cols], df["approved"])
    model = ModelAdapter(pipe, "binary", tuple(cols), 1)
    tm = run(
        planted,
        model=model,
        X=df[cols],
        criterion_outcomes={"race": {"demographic_parity": "pass"}},
        driver_shares=None,
    )
    direct = [f for f in tm.flags if f.kind == "direct_use"]
    assert [(f.feature, f.attribute, f.severity) for f in direct] == [("race", "race", "high")]
    assert "protected attribute race itself" in direct[0].explanation
    # the attribute's own column is not scored as a proxy of itself
    assert ("race", "race") not in {(p.feature, p.attribute) for p in tm.proxies}
    assert "race" not in tm.recoverability[0].features


def test_without_driver_shares_strong_proxies_are_unconfirmed(planted: dict) -> None:
    tm = run(planted, driver_shares=None)
    assert [(f.feature, f.kind, f.severity) for f in tm.flags] == [
        ("zip_code", "proxy_unconfirmed", "medium")
    ]
    assert "could not be measured" in tm.flags[0].explanation


# --------------------------------------------------------------------------- loss terms


@pytest.mark.parametrize(
    ("criterion", "constraint"),
    [
        ("demographic_parity", "DemographicParity"),
        ("equalized_odds", "EqualizedOdds"),
        ("equal_opportunity", "TruePositiveRateParity"),
        ("accuracy", "ErrorRateParity"),
    ],
)
def test_loss_term_matches_failing_criterion(planted: dict, criterion: str, constraint: str) -> None:
    tm = run(planted, criterion_outcomes={"race": {criterion: "fail", "predictive_parity": "fail"}})
    assert [t.constraint for t in tm.loss_terms] == [constraint]
    term = tm.loss_terms[0]
    assert term.criterion == criterion and term.attribute == "race"
    assert term.sensitive_columns == ("race",)
    assert term.bound_name == "difference_bound" and term.bound == 0.025 and term.target_gap == 0.05
    assert term.features == ("zip_code",)
    assert f"{constraint}(difference_bound=0.025)" in term.snippet
    # predictive parity has no reductions constraint: said so in the notes
    assert any("predictive parity" in n and "no loss term" in n for n in tm.notes)


def test_fail_terms_come_before_review_terms(planted: dict) -> None:
    outcomes = {"race": {"equal_opportunity": "review", "demographic_parity": "fail"}}
    tm = run(planted, criterion_outcomes=outcomes)
    assert [(t.constraint, t.outcome) for t in tm.loss_terms] == [
        ("DemographicParity", "fail"),
        ("TruePositiveRateParity", "review"),
    ]


def test_difference_bound_is_configurable(planted: dict) -> None:
    tm = run(planted, thresholds=FlagThresholds(difference_bound=0.02))
    assert tm.loss_terms[0].bound == 0.02
    assert "DemographicParity(difference_bound=0.02)" in tm.loss_terms[0].snippet


@pytest.mark.parametrize(
    "criterion",
    ["demographic_parity", "equalized_odds", "equal_opportunity", "accuracy"],
)
@pytest.mark.filterwarnings(FAIRLEARN_PANDAS4)
def test_snippet_runs(planted: dict, criterion: str) -> None:
    tm = run(planted, criterion_outcomes={"race": {criterion: "fail"}})
    df = planted["df"].iloc[:300]
    namespace = {
        "estimator": clone(planted["pipe"]),
        "X": df[FEATURES],
        "y": df["approved"].to_numpy(),
        "sensitive": df["race"].to_numpy(),
    }
    exec(tm.loss_terms[0].snippet, namespace)
    pred = namespace["y_pred"]
    assert pred.shape == (300,) and set(np.unique(pred)) <= {0, 1}


@pytest.mark.filterwarnings(FAIRLEARN_PANDAS4)
def test_regression_loss_term_and_snippet_run(planted: dict) -> None:
    df = planted["df"].iloc[:800].reset_index(drop=True)
    g = race_grouping(df)
    y = (df["income"] / 1000 - 5 * df["zip_code"].isin(["Z05", "Z06", "Z07"])).to_numpy(float)
    pipe = make_pipeline(df, FEATURES, regression=True).fit(df[FEATURES], y)
    model = ModelAdapter(pipe, "regression", tuple(FEATURES), None)
    tm = assess_troublemakers(
        model, df[FEATURES], df, [g], y=y, task="regression",
        criterion_outcomes={"race": {"mae": "fail", "mean_prediction": "review"}},
        driver_shares={"race": {"Black": {"zip_code": 0.7, "income": 0.3, "tenure": 0.0}}},
        what_if=True, what_if_seconds=30.0,
    )
    terms = tm.loss_terms
    assert [(t.constraint, t.criterion) for t in terms] == [
        ("BoundedGroupLoss", "mae"),
        ("BoundedGroupLoss", "mean_prediction"),
    ]
    assert terms[0].loss == "AbsoluteLoss" and terms[0].bound_name == "upper_bound"
    mae = float(np.mean(np.abs(y - pipe.predict(df[FEATURES]))))
    assert terms[0].bound == pytest.approx(mae)
    namespace = {"estimator": clone(pipe), "X": df[FEATURES], "y": y,
                 "sensitive": df["race"].to_numpy()}
    exec(terms[0].snippet, namespace)
    assert namespace["y_pred"].shape == (800,)
    assert tm.what_if.status == "ran"
    runs = {r.kind: r for r in tm.what_if.experiments[0].runs}
    assert tm.what_if.performance_metric == "mean absolute error"
    assert runs["constrained"].status == "ok" and runs["constrained"].gap.value is not None


# --------------------------------------------------------------------------- what-if


def test_what_if_narrows_the_planted_gap(result: Troublemakers) -> None:
    wi = result.what_if
    assert wi.status == "ran", wi.reason
    assert wi.n_train + wi.n_test == 3000 and wi.performance_metric == "accuracy"
    (exp,) = wi.experiments
    assert (exp.constraint, exp.attribute) == ("DemographicParity", "race")
    runs = {r.kind: r for r in exp.runs}
    assert set(runs) == {"baseline", "constrained", "drop_feature"}
    before, after = runs["baseline"].gap, runs["constrained"].gap
    assert before.value > 0.15
    assert after.value < before.value - 0.05
    change = runs["constrained"].gap_change
    assert change.value == pytest.approx(after.value - before.value)
    assert change.hi < 0  # the paired interval excludes "no change"
    assert 0.6 < runs["constrained"].performance.value <= 1.0
    assert runs["drop_feature"].feature == "zip_code"
    for r in exp.runs:
        assert r.performance.lo <= r.performance.value <= r.performance.hi
        assert r.gap.lo <= r.gap.value <= r.gap.hi


def test_what_if_reasons(planted: dict) -> None:
    off = run(planted, what_if=False).what_if
    assert off.status == "skipped" and "what_if=False" in off.reason
    no_y = run(planted, y=None, what_if=True).what_if
    assert no_y.status == "not_possible" and "no labels" in no_y.reason
    no_model = run(planted, model=None, what_if=True)
    assert no_model.what_if.status == "not_possible"
    assert "predictions-only" in no_model.what_if.reason
    assert no_model.proxies  # proxy measures still run without a model


def test_what_if_not_cloneable(planted: dict) -> None:
    class Opaque:
        def __init__(self, pipe: Pipeline) -> None:
            self._pipe = pipe

        def predict(self, X: pd.DataFrame) -> np.ndarray:
            return self._pipe.predict(X)

    model = ModelAdapter(Opaque(planted["pipe"]), "binary", tuple(FEATURES), 1)
    wi = run(planted, model=model, what_if=True).what_if
    assert wi.status == "not_possible" and "sklearn.base.clone failed" in wi.reason


def test_what_if_time_cap(planted: dict) -> None:
    # The cap is a deadline (tests/troublemakers/test_deadline.py): 0.01 s stops even the
    # baseline retraining, and the what-if says so instead of overrunning.
    wi = run(planted, what_if=True, what_if_seconds=0.01).what_if
    assert wi.status == "partial"
    assert wi.reason is not None and "time cap" in wi.reason
    assert wi.experiments == ()


def test_deterministic_with_seed(planted: dict) -> None:
    n = 1000
    small = {**planted, "df": planted["df"].iloc[:n], "X": planted["X"].iloc[:n],
             "y": planted["y"][:n], "g": race_grouping(planted["df"].iloc[:n])}

    def strip(tm: Troublemakers) -> dict:
        return to_jsonable(tm)  # no timings are stored, so the whole result must repeat

    a = strip(run(small, what_if=True, seed=3))
    b = strip(run(small, what_if=True, seed=3))
    c = strip(run(small, what_if=False, seed=4))
    assert a["what_if"]["experiments"][0]["runs"][1]["status"] == "ok"
    assert a == b
    assert a["proxies"] != c["proxies"]  # another seed, other folds


def test_round_trip_and_loss_config(result: Troublemakers, tmp_path: Path) -> None:
    data = to_jsonable(result)
    assert from_jsonable(Troublemakers, json.loads(json.dumps(data))) == result
    cfg = loss_config(result)
    path = tmp_path / "loss.json"
    path.write_text(json.dumps(cfg))
    back = json.loads(path.read_text())
    assert back["version"] == LOSS_CONFIG_VERSION
    assert back["terms"][0]["constraint"] == "DemographicParity"
    assert back["terms"][0]["sensitive_columns"] == ["race"]
    assert back["flags"][0]["feature"] == "zip_code"


def test_bad_inputs() -> None:
    with pytest.raises(ConfigError, match="proxy_auc: expected an AUC between 0.5 and 1"):
        FlagThresholds(proxy_auc=0.3)
    with pytest.raises(ConfigError, match="n_splits"):
        FlagThresholds(n_splits=1)
    df = make_data(200)
    g = race_grouping(df)
    with pytest.raises(InputError, match="expected one row per audited row"):
        assess_troublemakers(None, df[FEATURES].iloc[:10], df, [g], y=None, task="binary",
                             criterion_outcomes={}, driver_shares=None)


# --------------------------------------------------------------------------- lending example


def _load_lending():
    path = Path(__file__).resolve().parents[2] / "examples" / "lending.py"
    if not path.exists():
        pytest.skip("examples/lending.py not present")
    spec = importlib.util.spec_from_file_location("lending_for_flags", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("lending_for_flags", mod)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow  # 13 s idle, 19 s on a busy 2-core machine; keeps this file well under 60 s
def test_lending_planted_truth() -> None:
    L = _load_lending()
    df = L.make_lending(20000, 0)
    train, audit = L.split_lending(df, 0)
    model = L.train_model(train, 0)
    planted_truth = L.PLANTED
    X = audit[list(L.FEATURES)]
    labels = audit["race"].astype(object).where(audit["race"].notna(), "unknown")
    order = ("White", "Black", "Hispanic", "Asian", "Other", "unknown")
    g = Grouping("race", "race", ("race",), np.array([order.index(v) for v in labels]), order, 0)
    # driver shares by permutation: how much of each group's mean-score gap disappears
    # when one feature is shuffled (a test stand-in for the SHAP decomposition)
    rng = np.random.default_rng(0)

    def gaps(score: np.ndarray) -> dict[str, float]:
        ref = score[g.codes == 0].mean()
        return {lab: score[g.codes == k].mean() - ref for k, lab in enumerate(order[1:5], 1)}

    base = gaps(model.predict_proba(X)[:, 1])
    shares: dict[str, dict[str, float]] = {}
    for grp, gap in base.items():
        if abs(gap) < 0.05:
            continue
        shares[grp] = {}
        for f in X.columns:
            Xp = X.copy()
            Xp[f] = X[f].to_numpy()[rng.permutation(len(X))]
            shares[grp][f] = (gap - gaps(model.predict_proba(Xp)[:, 1])[grp]) / gap
    tm = assess_troublemakers(
        ModelAdapter(model, "binary", tuple(L.FEATURES), planted_truth["positive_label"]),
        X, audit, [g],
        y=audit[planted_truth["target"]].to_numpy().astype(np.int8), task="binary",
        criterion_outcomes={"race": {"demographic_parity": "fail"}},
        driver_shares={"race": shares}, what_if=True, what_if_seconds=120.0,
    )
    flagged = {(f.feature, f.attribute) for f in tm.flags}
    assert (planted_truth["proxy_feature"], planted_truth["proxy_for"]) in flagged
    assert (planted_truth["legitimate_driver"], "race") not in flagged
    assert tm.what_if.status == "ran", tm.what_if.reason
    runs = {r.kind: r for r in tm.what_if.experiments[0].runs}
    assert runs["constrained"].gap.value < runs["baseline"].gap.value


def test_runs_after_the_baseline_side_by_side(planted: dict, result: Troublemakers,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The reduction and the dropped-feature fit run at once, each in its own worker, and
    give the same what-if as running them one after the other."""
    from audit._deadline import FitWorker
    from audit._troublemakers import what_if

    made: list[FitWorker] = []

    class Counted(FitWorker):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(what_if, "FitWorker", Counted)
    two = to_jsonable(run(planted, what_if=True, what_if_seconds=60.0))
    assert len(made) == 2 and all(w.shipped > 0 for w in made)  # both lanes fitted
    monkeypatch.setattr(what_if, "_LANES", 1)
    made.clear()
    one = to_jsonable(run(planted, what_if=True, what_if_seconds=60.0))
    assert len(made) == 1
    assert two == one == to_jsonable(result)


def test_what_if_intervals_contain_their_point() -> None:
    """As in the fairness tables: resamples biased away from the point (a largest-minus-
    smallest gap over many groups) give no interval, with the reason, never one that
    excludes its point."""
    from audit._troublemakers.what_if import _interval
    from audit._words.fairness import POINT_OUTSIDE_INTERVAL

    rng = np.random.default_rng(0)
    biased = _interval(0.28, 0.40 + 0.05 * rng.standard_normal(1000), "gap")
    assert (biased.value, biased.lo, biased.hi) == (0.28, None, None)
    assert biased.reason == POINT_OUTSIDE_INTERVAL
    fine = _interval(0.40, 0.40 + 0.05 * rng.standard_normal(1000), "gap")
    assert fine.lo < 0.40 < fine.hi and fine.reason is None
