"""Benchmark: audit's SHAP vs plain shap, same rows, same background, same output space.

(a) OneHotEncoder + StandardScaler + LogisticRegression pipeline: audit's exact linear
    SHAP (transformed space, summed back onto original columns) vs
    ``shap.Explainer(decision_function, background)`` on the original columns (shap
    picks its model-agnostic exact/permutation path; both are exact for a model that
    is additive in the original columns, so the values must agree).
(b) OneHotEncoder + GradientBoostingClassifier pipeline: audit vs
    ``shap.TreeExplainer`` on the transformed matrix, summed back by hand.

Run: ``python benchmarks/bench_shap.py [--rows 300]``.  Prints times, speed-up
ratios and the largest absolute difference of the attributions.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import shap

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from audit._explain import compute_attributions
from audit._inputs.model import ModelAdapter

CATS = ["zip", "job", "housing"]
NUMS = ["income", "age", "debt", "tenure", "savings"]


def make_data(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "zip": pd.Series(rng.choice([f"z{i}" for i in range(12)], n), dtype="str"),
            "job": pd.Series(rng.choice(["clerk", "nurse", "dev", "cook", "none"], n), dtype="str"),
            "housing": pd.Series(rng.choice(["own", "rent", "free"], n), dtype="str"),
            "income": rng.normal(50, 12, n),
            "age": rng.integers(18, 80, n).astype(float),
            "debt": rng.gamma(2.0, 3.0, n),
            "tenure": rng.integers(0, 30, n).astype(float),
            "savings": rng.normal(10, 4, n),
        }
    )
    logit = (
        0.06 * (X["income"] - 50)
        - 0.15 * (X["debt"] - 6)
        + 0.5 * X["zip"].isin(["z1", "z2", "z3"])
        + 0.3 * (X["housing"] == "own")
        + 0.02 * (X["tenure"] - 15)
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    return X, y


def prep() -> ColumnTransformer:
    return ColumnTransformer(
        [
            ("onehot", OneHotEncoder(handle_unknown="ignore"), CATS),
            ("scale", StandardScaler(), NUMS),
        ]
    )


class Coded:
    """Numeric codes for the text columns so shap's maskers can handle them."""

    def __init__(self, X: pd.DataFrame) -> None:
        self.cats = {c: sorted(X[c].unique()) for c in CATS}
        self.columns = list(X.columns)

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        out = X.copy()
        for c, cats in self.cats.items():
            out[c] = X[c].map({v: i for i, v in enumerate(cats)}).astype(float)
        return out.to_numpy(dtype=float)

    def decode(self, A: np.ndarray) -> pd.DataFrame:
        df = pd.DataFrame(A, columns=self.columns)
        for c, cats in self.cats.items():
            df[c] = pd.Series(
                np.asarray(cats, dtype=object)[np.rint(df[c]).astype(int)], dtype="str"
            )
        return df


def bench_linear(X: pd.DataFrame, y: np.ndarray, rows: int) -> None:
    model = make_pipeline(prep(), LogisticRegression(max_iter=1000)).fit(X, y)
    Xs, Xb = X.iloc[:rows], X.iloc[rows : rows + 100]
    adapter = ModelAdapter(model, "binary", tuple(X.columns), positive_label=1)
    compute_attributions(adapter, Xs.iloc[:5], Xb)  # warm-up (imports)
    t0 = time.perf_counter()
    ours = compute_attributions(adapter, Xs, Xb)
    t_ours = time.perf_counter() - t0

    coded = Coded(X)
    masker = shap.maskers.Independent(coded.encode(Xb), max_samples=len(Xb))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer = shap.Explainer(
            lambda A: model.decision_function(coded.decode(A)), masker, seed=0
        )
        t0 = time.perf_counter()
        ref = explainer(coded.encode(Xs), silent=True)
        t_shap = time.perf_counter() - t0
    diff = float(np.max(np.abs(ours.phi - ref.values)))
    base_diff = abs(ours.base - float(np.ravel(ref.base_values)[0]))
    print(f"(a) linear pipeline, {rows} rows x {X.shape[1]} columns, background {len(Xb)}")
    print(f"    audit ({ours.explainer}, {ours.output_space}): {t_ours * 1000:.1f} ms")
    print(f"    shap.Explainer -> {type(explainer).__name__}: {t_shap:.2f} s")
    print(f"    speed-up: {t_shap / t_ours:.0f}x")
    print(f"    max |phi_audit - phi_shap| = {diff:.2e}; base value difference = {base_diff:.2e}")
    print(f"    additivity max error (audit) = {ours.max_error:.2e}")
    assert diff < 1e-6, "attributions differ"


def bench_tree(X: pd.DataFrame, y: np.ndarray, rows: int) -> None:
    model = make_pipeline(
        prep(), GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0)
    ).fit(X, y)
    Xs, Xb = X.iloc[:rows], X.iloc[rows : rows + 100]
    adapter = ModelAdapter(model, "binary", tuple(X.columns), positive_label=1)
    t0 = time.perf_counter()
    ours = compute_attributions(adapter, Xs, Xb)
    t_ours = time.perf_counter() - t0

    ct = model[0]
    t0 = time.perf_counter()
    Zs, Zb = ct.transform(Xs), ct.transform(Xb)
    Zs = Zs.toarray() if hasattr(Zs, "toarray") else Zs
    Zb = Zb.toarray() if hasattr(Zb, "toarray") else Zb
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        te = shap.TreeExplainer(model[-1], Zb, feature_perturbation="interventional")
        sv = te.shap_values(Zs)
    t_shap = time.perf_counter() - t0
    # independent sum-back: OneHotEncoder blocks in category order, then the scaled columns
    enc = ct.named_transformers_["onehot"]
    summed, start = [], 0
    for cats in enc.categories_:
        summed.append(sv[:, start : start + len(cats)].sum(1))
        start += len(cats)
    for _ in NUMS:
        summed.append(sv[:, start])
        start += 1
    ref = np.column_stack(summed)
    diff = float(np.max(np.abs(ours.phi - ref)))
    print(f"(b) tree pipeline (OneHot + GradientBoosting, 100 trees), {rows} rows, background 100")
    print(f"    audit ({ours.explainer}, {ours.output_space}): {t_ours:.3f} s (incl. checks)")
    print(f"    shap.TreeExplainer on the transformed matrix: {t_shap:.3f} s")
    print(f"    ratio shap/audit: {t_shap / t_ours:.2f}")
    print(f"    max |phi_audit - phi_shap summed back| = {diff:.2e}")
    print(f"    additivity max error (audit) = {ours.max_error:.2e}")
    assert diff < 1e-6, "attributions differ"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=300)
    args = parser.parse_args(argv)
    X, y = make_data(5000)
    bench_linear(X, y, args.rows)
    bench_tree(X, y, args.rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
