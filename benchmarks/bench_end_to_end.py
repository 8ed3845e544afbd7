"""Benchmark: the whole ``audit run`` against the bare minimum for the same job.

Usage::

    python benchmarks/bench_end_to_end.py [--rows 100000 1000000] [--models lightgbm hgb]
    python benchmarks/bench_end_to_end.py --quick          # 10k rows: a smoke run
    python benchmarks/bench_end_to_end.py --no-default     # --no-what-if audits only

Data: a lending-like table (12 numeric and 3 categorical features, a 0/1 ``target``,
and the protected columns ``race`` (5 groups), ``sex`` (2), ``age`` (years, banded by
the audit) and ``state`` (50, very unequal sizes)), written to parquet in a temporary
directory.  Each model type is trained on at most ``--train-rows`` rows of it and saved
with joblib:

* ``lightgbm``  LightGBM on pandas ``category`` columns;
* ``hgb``       HistGradientBoosting with native categorical splits (``from_dtype``);
* ``xgboost``   XGBoost with ``enable_categorical``;
* ``logistic``  OneHotEncoder + StandardScaler + LogisticRegression pipeline;
* ``forest``    OrdinalEncoder + RandomForest pipeline.

For each model, in one run:

1. ``audit run MODEL DATA`` through the CLI entry (``audit.cli.main`` in-process),
   with default options (skipped with ``--no-default``) and with ``--no-what-if``; the
   wall time of every progress stage (the CLI's progress display is swapped for one that
   records time), and the rest (loading the model and reading the data) as ``load+other``;
   the group metrics run in a thread alongside SHAP and the interpretability score, so
   their column (``fairness``) is only the wait left after those two;
2. the bare minimum for the same job: read the parquet with pyarrow, ``predict_proba``
   once, per-group confusion counts with ``np.bincount`` for the same groupings the
   audit judges (race, sex, age bands, state, and the pairs of attributes with at most
   12 groups: race x sex, race x age, sex x age), and the library's native TreeSHAP on
   as many rows as the audit explained (``pred_contrib`` for LightGBM and XGBoost,
   the audit's own TreeSHAP for HGB since shap's is wrong there,
   ``shap.TreeExplainer`` path-dependent for the forest, ``coef * (z - mean z)`` for
   the logistic pipeline);
3. the ratio audit / bare minimum;
4. on ``--shap-rows`` rows (200) with 50 background rows: the audit's SHAP
   (``compute_attributions``, checks included) against the model-agnostic permutation
   explainer it used to fall back to (shap's ``PermutationExplainer`` through the
   audit's former fallback path), the speed-up and max |delta phi|; and what
   ``shap.Explainer(model)`` itself does with the bare model (which explainer it
   picks, how long it takes, how far its values are from ours).  For tree models
   the permutation values are interventional and sampled, ours path-dependent and
   exact, so delta phi there measures the difference of definitions, not an error.

The tables are printed as markdown, with ``uptime``'s load averages: on a shared
machine wall times grow with the load; the ratios are measured side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if importlib.util.find_spec("audit") is None:  # running from a checkout, not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import joblib
import pyarrow.parquet as pq

MODELS = ("lightgbm", "hgb", "xgboost", "logistic", "forest")
NUMS = ("income", "loan_amount", "debt_ratio", "credit_score", "tenure_years",
        "open_accounts", "delinquencies", "utilization", "savings", "monthly_payment",
        "inquiries", "employment_years")
CATS = ("loan_purpose", "home_ownership", "grade")
RACES = ("white", "black", "hispanic", "asian", "other")
AGE_EDGES = (25, 35, 45, 55, 65)  # the audit's default age bands
SHAP_BACKGROUND = 50


# --------------------------------------------------------------------------- data and models


def make_table(n: int, seed: int = 0) -> pd.DataFrame:
    """Lending-like rows: features, protected columns and a 0/1 ``target``."""
    rng = np.random.default_rng(seed)
    race = rng.choice(len(RACES), n, p=[0.6, 0.13, 0.17, 0.06, 0.04])
    sex = rng.integers(0, 2, n)
    state_p = 1.0 / np.arange(1, 51) ** 0.9
    state = rng.choice(50, n, p=state_p / state_p.sum())
    age = np.clip(rng.normal(42, 13, n), 18, 90).round()
    income = np.exp(rng.normal(10.8 - 0.08 * (race > 0) + 0.05 * sex, 0.5, n))
    num = {
        "income": income,
        "loan_amount": rng.gamma(2.0, 8000.0, n),
        "debt_ratio": rng.beta(2, 5, n),
        "credit_score": np.clip(rng.normal(680 - 15 * (race == 1) + 0.5 * (age - 42), 60, n), 300, 850),
        "tenure_years": rng.integers(0, 30, n).astype(float),
        "open_accounts": rng.poisson(6, n).astype(float),
        "delinquencies": rng.poisson(0.3, n).astype(float),
        "utilization": rng.beta(2, 3, n),
        "savings": rng.gamma(1.5, 5000.0, n),
        "monthly_payment": rng.gamma(2.0, 300.0, n),
        "inquiries": rng.poisson(1.2, n).astype(float),
        "employment_years": np.clip(rng.normal(8, 6, n), 0, 45).round(1),
    }
    df = pd.DataFrame(num)
    df.loc[rng.random(n) < 0.02, "savings"] = np.nan  # some missing values, as in real data
    purposes = ["debt", "car", "home", "medical", "education", "business", "travel", "other"]
    df["loan_purpose"] = pd.Categorical.from_codes(rng.integers(0, 8, n), purposes)
    df["home_ownership"] = pd.Categorical.from_codes(
        rng.choice(4, n, p=[0.4, 0.35, 0.2, 0.05]), ["mortgage", "rent", "own", "other"])
    grade_code = np.clip(((850 - num["credit_score"]) / 80 + rng.normal(0, 0.7, n)).astype(int), 0, 6)
    df["grade"] = pd.Categorical.from_codes(grade_code, list("ABCDEFG"))
    logit = (0.9 * (np.log(income) - 10.8) - 2.5 * (num["debt_ratio"] - 0.3)
             + 0.01 * (num["credit_score"] - 680) - 0.4 * num["delinquencies"]
             - 0.15 * grade_code + 0.3 * (df["home_ownership"] == "own").to_numpy()
             - 0.2 * (df["loan_purpose"] == "business").to_numpy() + 0.4)
    df["target"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    df["race"] = np.asarray(RACES, dtype=object)[race]
    df["sex"] = np.asarray(["female", "male"], dtype=object)[sex]
    df["age"] = age
    df["state"] = np.asarray([f"S{i:02d}" for i in range(50)], dtype=object)[state]
    return df


def features(df: pd.DataFrame) -> pd.DataFrame:
    return df[list(NUMS + CATS)]


def build_model(kind: str) -> Any:
    """An unfitted model of one of the five kinds (sizes people ship)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    if kind == "lightgbm":
        import lightgbm

        return lightgbm.LGBMClassifier(n_estimators=200, num_leaves=31, verbose=-1, random_state=0)
    if kind == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=200,
                                              random_state=0)
    if kind == "xgboost":
        import xgboost

        return xgboost.XGBClassifier(n_estimators=200, max_depth=6, enable_categorical=True,
                                     tree_method="hist", random_state=0)
    if kind == "logistic":
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression

        num = make_pipeline(SimpleImputer(), StandardScaler())
        pre = ColumnTransformer([("onehot", OneHotEncoder(handle_unknown="ignore"), list(CATS)),
                                 ("num", num, list(NUMS))])
        return make_pipeline(pre, LogisticRegression(max_iter=1000))
    if kind == "forest":
        from sklearn.ensemble import RandomForestClassifier

        pre = ColumnTransformer([("ordinal", OrdinalEncoder(), list(CATS))],
                                remainder="passthrough")
        return make_pipeline(pre, RandomForestClassifier(
            n_estimators=100, max_depth=12, min_samples_leaf=20, n_jobs=-1, random_state=0))
    raise ValueError(f"unknown model kind {kind!r}; expected one of {', '.join(MODELS)}")


def train(kind: str, df: pd.DataFrame) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_model(kind).fit(features(df), df["target"].to_numpy())


# --------------------------------------------------------------------------- the audit, timed


@dataclass
class Timed:
    """Wall seconds of named parts, in the order they ran."""

    parts: dict[str, float] = field(default_factory=dict)
    total: float = 0.0

    def add(self, name: str, seconds: float) -> None:
        self.parts[name] = self.parts.get(name, 0.0) + seconds


STAGE_NAMES = (("inputs", "inputs+predict"), ("sanity", "sanity"), ("group metrics", "fairness"),
               ("bootstrap", "fairness"), ("shap", "shap"), ("interpretab", "complexity"),
               ("what-if", "proxies+what-if"), ("proxy", "proxies"), ("troublemaker", "proxies"),
               ("report", "report"))


def stage_name(label: str) -> str:
    """A short column name for a progress label (unknown labels keep their first words)."""
    low = label.lower()
    for key, name in STAGE_NAMES:
        if key in low:
            return name
    return " ".join(label.split()[:3])


class _Recorder:
    """Stands in for the CLI's progress display: records each stage's wall time."""

    current: Timed = Timed()

    def __init__(self, console: Any, quiet: bool) -> None:
        pass

    @contextlib.contextmanager
    def __call__(self, label: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            _Recorder.current.add(stage_name(label), time.perf_counter() - start)


def time_audit(model_path: Path, data_path: Path, out_dir: Path, extra: list[str]) -> Timed:
    """``audit run MODEL DATA [extra]`` in-process; every stage timed, the rest 'load+other'."""
    import audit.cli as cli

    timed = Timed()
    argv = ["run", str(model_path), str(data_path), "-o", str(out_dir / "report.html"),
            "--json", str(out_dir / "audit.json"), "--exit-zero", "-q", *extra]
    saved, cli._Progress = cli._Progress, _Recorder  # type: ignore[assignment,misc]
    _Recorder.current = timed
    try:
        t0 = time.perf_counter()
        code = cli.main(argv)
        timed.total = time.perf_counter() - t0
    finally:
        cli._Progress = saved  # type: ignore[misc]
    if code != 0:
        raise RuntimeError(f"audit run exited with {code}: {' '.join(argv)}")
    timed.parts = {"load+other": timed.total - sum(timed.parts.values()), **timed.parts}
    return timed


def audit_facts(out_dir: Path) -> dict[str, Any]:
    """Rows explained, background rows, explainer and what-if status from the audit.json."""
    import json

    doc = json.loads((out_dir / "audit.json").read_text())
    e = doc.get("explanation") or {}
    what_if = (doc.get("troublemakers") or {}).get("what_if") or {}
    return {"n_sample": int(e.get("n_sample", 0)), "n_background": int(e.get("n_background", 0)),
            "explainer": str(e.get("explainer", "-")),
            "what_if": str(what_if.get("status", "off")),
            "skipped": ", ".join(sorted(doc.get("skipped") or {}))}


# --------------------------------------------------------------------------- the bare minimum


def group_codes(df: pd.DataFrame) -> dict[str, tuple[np.ndarray, int]]:
    """Integer codes for race, sex, age band, state and the pairs with at most 12 groups."""
    singles: dict[str, tuple[np.ndarray, int]] = {}
    for col in ("race", "sex", "state"):
        codes, uniques = pd.factorize(df[col])
        singles[col] = (codes.astype(np.int64), len(uniques))
    band = np.searchsorted(np.asarray(AGE_EDGES, float), df["age"].to_numpy(float), side="right")
    singles["age"] = (band.astype(np.int64), len(AGE_EDGES) + 1)
    out = dict(singles)
    small = [k for k, (_, n) in singles.items() if n <= 12]
    for i, a in enumerate(small):
        for b in small[i + 1:]:
            (ca, na), (cb, nb) = singles[a], singles[b]
            out[f"{a} x {b}"] = (ca * nb + cb, na * nb)
    return out


def confusion_counts(groups: dict[str, tuple[np.ndarray, int]], y: np.ndarray,
                     pred: np.ndarray) -> dict[str, np.ndarray]:
    """(groups x 4) confusion counts per grouping: one bincount each."""
    cell = 2 * y.astype(np.int64) + pred.astype(np.int64)
    return {name: np.bincount(codes * 4 + cell, minlength=4 * n).reshape(n, 4)
            for name, (codes, n) in groups.items()}


def native_shap(kind: str, model: Any, Xs: pd.DataFrame, Xb: pd.DataFrame) -> np.ndarray:
    """The library's own exact SHAP on ``Xs`` (in the space it computes in)."""
    if kind == "lightgbm":
        return np.asarray(model.predict(Xs, pred_contrib=True))
    if kind == "xgboost":
        import xgboost

        dm = xgboost.DMatrix(Xs, enable_categorical=True)
        return np.asarray(model.get_booster().predict(dm, pred_contribs=True))
    if kind == "hgb":
        from audit._explain.trees import hgb_contribs

        return hgb_contribs(model, Xs, 0)[0]
    pre, final = model[:-1], model[-1]
    Zs = pre.transform(Xs)
    Zs = Zs.toarray() if hasattr(Zs, "toarray") else np.asarray(Zs, dtype=float)
    if kind == "forest":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import shap

            te = shap.TreeExplainer(final, feature_perturbation="tree_path_dependent")
            return np.asarray(te.shap_values(Zs, check_additivity=False))
    Zb = pre.transform(Xb)
    mean = np.asarray(Zb.mean(axis=0)).ravel()
    return np.asarray(final.coef_[0] * (Zs - mean))


def bare_minimum(kind: str, model: Any, data_path: Path, n_shap: int, n_background: int) -> Timed:
    """Read, predict once, confusion counts per grouping, native SHAP on ``n_shap`` rows."""
    timed = Timed()
    t0 = time.perf_counter()
    df = pq.read_table(data_path).to_pandas()
    t1 = time.perf_counter()
    X = features(df)
    proba = model.predict_proba(X)[:, 1]
    pred = (proba >= 0.5).astype(np.int8)  # the decision from the same call
    t2 = time.perf_counter()
    confusion_counts(group_codes(df), df["target"].to_numpy(), pred)
    t3 = time.perf_counter()
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(X))
    Xs = X.iloc[idx[:n_shap]]
    Xb = X.iloc[np.roll(idx, -n_shap)[:max(n_background, 1)]]  # wraps when all rows are explained
    native_shap(kind, model, Xs, Xb)
    t4 = time.perf_counter()
    timed.parts = {"read": t1 - t0, "predict": t2 - t1, "bincount": t3 - t2,
                   f"shap ({n_shap} rows)": t4 - t3}
    timed.total = t4 - t0
    return timed


# --------------------------------------------------------------------------- SHAP vs shap


@dataclass
class ShapComparison:
    rows: int
    ours_s: float
    ours_explainer: str
    ours_error: float
    perm_s: float
    perm_delta: float
    shap_model: str  # what shap.Explainer(model) did with the bare model


def _shap_explainer_on_model(model: Any, Xs: pd.DataFrame, phi: np.ndarray) -> str:
    """shap.Explainer(model) on the bare model: explainer, time and max |delta phi|."""
    if hasattr(model, "steps"):
        return "n/a (a pipeline: shap needs a function and a masker)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap

        try:
            t0 = time.perf_counter()
            explainer = shap.Explainer(model)
            values = np.asarray(explainer(Xs).values, dtype=float)
            took = time.perf_counter() - t0
        except Exception as exc:  # shap cannot read every categorical model
            return f"fails: {type(exc).__name__}: {str(exc).splitlines()[0][:60]}"
    if values.ndim == 3:
        values = values[:, :, 1]
    delta = float(np.max(np.abs(values - phi))) if values.shape == phi.shape else float("nan")
    return f"{type(explainer).__name__} {took:.2f} s, max abs delta phi {delta:.2g}"


def compare_shap(model: Any, X: pd.DataFrame, rows: int) -> ShapComparison:
    """The audit's SHAP vs the model-agnostic permutation fallback on the same rows."""
    from audit._explain import compute_attributions
    from audit._explain import explainers as ex
    from audit._explain.mapping import _flatten_pipeline
    from audit._explain.output import _choose_output
    from audit._inputs.model import ModelAdapter

    Xs, Xb = X.iloc[:rows], X.iloc[rows:rows + SHAP_BACKGROUND]
    adapter = ModelAdapter(model, "binary", tuple(X.columns), positive_label=1)
    t0 = time.perf_counter()
    ours = compute_attributions(adapter, Xs, Xb)
    t_ours = time.perf_counter() - t0
    out = _choose_output(adapter, *_flatten_pipeline(model), Xs)
    saved = ex.EXACT_MAX_EVALS, ex.EXACT_VS_PERMUTATION
    ex.EXACT_MAX_EVALS, ex.EXACT_VS_PERMUTATION = 0, 0.0  # the permutation path, as it was
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            perm = ex._agnostic(out, Xs, Xb, seed=0)
            t_perm = time.perf_counter() - t0
    finally:
        ex.EXACT_MAX_EVALS, ex.EXACT_VS_PERMUTATION = saved
    return ShapComparison(rows, t_ours, ours.explainer, float(ours.max_error), t_perm,
                          float(np.max(np.abs(ours.phi - perm.phi))),
                          _shap_explainer_on_model(model, Xs, ours.phi))


# --------------------------------------------------------------------------- one model, tables


@dataclass
class Result:
    kind: str
    rows: int
    audits: dict[str, Timed]
    facts: dict[str, dict[str, Any]]  # per audit mode, from its audit.json
    bare: Timed
    n_explained: int
    explainer: str
    shap: ShapComparison | None


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min, {os.cpu_count()} cores)"


def bench_model(kind: str, n: int, work: Path, data_path: Path, train_rows: int,
                shap_rows: int, log: Callable[[str], None], default: bool = True) -> Result:
    """Train, save, then audit (default and --no-what-if), bare minimum and SHAP comparison."""
    df_train = make_table(min(n, train_rows), seed=1)
    t0 = time.perf_counter()
    model = train(kind, df_train)
    log(f"  {kind}: trained on {len(df_train)} rows in {time.perf_counter() - t0:.1f} s; {load()}")
    model_path = work / f"{kind}.joblib"
    joblib.dump(model, model_path)
    audits: dict[str, Timed] = {}
    facts: dict[str, dict[str, Any]] = {}
    modes = (("default", []),) if default else ()
    for mode, extra in (*modes, ("--no-what-if", ["--no-what-if"])):
        out_dir = work / f"{kind}-{mode.strip('-')}"
        out_dir.mkdir(exist_ok=True)
        audits[mode] = time_audit(model_path, data_path, out_dir, extra)
        facts[mode] = audit_facts(out_dir)
        log(f"  {kind} audit {mode}: {audits[mode].total:.1f} s, explained "
            f"{facts[mode]['n_sample']:,} rows; {load()}")
    f = facts.get("default", facts["--no-what-if"])  # the same sample size either way
    bare = bare_minimum(kind, joblib.load(model_path), data_path, f["n_sample"], f["n_background"])
    log(f"  {kind} bare minimum: {bare.total:.2f} s; {load()}")
    comparison = None
    if shap_rows:
        comparison = compare_shap(model, features(df_train), shap_rows)
        log(f"  {kind} SHAP comparison: ours {comparison.ours_s:.3f} s, permutation "
            f"{comparison.perm_s:.1f} s; {load()}")
    return Result(kind, n, audits, facts, bare, f["n_sample"], f["explainer"], comparison)


def print_tables(results: list[Result]) -> None:
    print("\n### Whole audit vs bare minimum (wall seconds)\n")
    print("| model | rows | audit default | audit --no-what-if | bare minimum | "
          "ratio default | ratio --no-what-if | SHAP rows, explainer |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        q = r.audits["--no-what-if"].total
        d = r.audits["default"].total if "default" in r.audits else None
        d_s, d_r = (f"{d:.1f}", f"{d / r.bare.total:.1f}x") if d is not None else ("-", "-")
        print(f"| {r.kind} | {r.rows:,} | {d_s} | {q:.1f} | {r.bare.total:.2f} | "
              f"{d_r} | {q / r.bare.total:.1f}x | {r.n_explained}, {r.explainer} |")
    stages: list[str] = []
    for r in results:
        for t in r.audits.values():
            stages += [s for s in t.parts if s not in stages]
    print("\n### Audit stages (wall seconds)\n")
    print("| model | rows | options | " + " | ".join(stages)
          + " | total | what-if | skipped | SHAP rows |")
    print("|---|---:|---|" + "---:|" * (len(stages) + 1) + "---|---|---:|")
    for r in results:
        for mode, t in r.audits.items():
            cells = " | ".join(f"{t.parts[s]:.2f}" if s in t.parts else "-" for s in stages)
            f = r.facts[mode]
            # the bare minimum explains as many rows as the audit did (same in both modes)
            print(f"| {r.kind} | {r.rows:,} | {mode} | {cells} | {t.total:.1f} | {f['what_if']} "
                  f"| {f['skipped'] or '-'} | {f['n_sample']:,} |")
    print("\n### Bare minimum (wall seconds)\n")
    print("| model | rows | read parquet | predict_proba | bincount | native SHAP | total |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        p = list(r.bare.parts.items())
        print(f"| {r.kind} | {r.rows:,} | " + " | ".join(f"{v:.2f}" for _, v in p[:3])
              + f" | {p[3][1]:.2f} ({r.n_explained} rows) | {r.bare.total:.2f} |")
    compared = [r for r in results if r.shap is not None]
    if compared:
        print("\n### SHAP: the audit vs the model-agnostic permutation explainer "
              f"({compared[0].shap.rows if compared[0].shap else 0} rows, "
              f"background {SHAP_BACKGROUND})\n")
        print("| model | audit explainer | audit s | additivity error | permutation s | speed-up "
              "| max abs delta phi | shap.Explainer(model) |")
        print("|---|---|---:|---:|---:|---:|---:|---|")
        seen = set()
        for r in compared:
            c = r.shap
            if c is None or r.kind in seen:
                continue
            seen.add(r.kind)
            print(f"| {r.kind} | {c.ours_explainer} | {c.ours_s:.3f} | {c.ours_error:.1e} | "
                  f"{c.perm_s:.1f} | {c.perm_s / c.ours_s:.0f}x | {c.perm_delta:.2g} | "
                  f"{c.shap_model} |")


def warm_up(work: Path, log: Callable[[str], None]) -> None:
    """One small audit first, so imports and compiled kernels are not charged to a model."""
    df = make_table(2000, seed=2)
    path = work / "warm.parquet"
    df.to_parquet(path, index=False)
    model_path = work / "warm.joblib"
    joblib.dump(train("hgb", df), model_path)
    out_dir = work / "warm"
    out_dir.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    time_audit(model_path, path, out_dir, ["--no-what-if", "--n-boot", "50"])
    log(f"warm-up audit (2,000 rows, imports): {time.perf_counter() - t0:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+",
                        help="row counts to audit (default 100,000; 10,000 with --quick)")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 10,000 rows, SHAP comparison on 50 rows, no warm-up")
    parser.add_argument("--train-rows", type=int, default=100_000,
                        help="train on at most this many rows (default 100,000)")
    parser.add_argument("--shap-rows", type=int, default=200,
                        help="rows for the comparison with the permutation explainer (0: skip)")
    parser.add_argument("--no-warm-up", action="store_true")
    parser.add_argument("--no-default", action="store_true",
                        help="audit with --no-what-if only (skip the default-options run)")
    args = parser.parse_args(argv)
    rows = args.rows or ([10_000] if args.quick else [100_000])
    if args.quick:
        args.shap_rows, args.no_warm_up = min(args.shap_rows, 50), True

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    log(f"start: {load()}")
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench_e2e_") as tmp:
        work = Path(tmp)
        if not args.no_warm_up:
            warm_up(work, log)
        for n in rows:
            data_path = work / f"loans_{n}.parquet"
            make_table(n).to_parquet(data_path, index=False)
            log(f"{n:,} rows -> {data_path.name} ({data_path.stat().st_size / 2**20:.1f} MiB)")
            for kind in args.models:
                shap_rows = args.shap_rows if n == rows[0] else 0  # once per model
                results.append(bench_model(kind, n, work, data_path, args.train_rows,
                                           shap_rows, log, default=not args.no_default))
    print(f"\nMachine: {load()} at the end")
    print_tables(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
