"""Benchmark: resolving the inputs (predict + groups) vs the bare minimum for the same job.

Usage::

    python benchmarks/bench_inputs.py [--rows 1000000 3000000] [--model lightgbm|hgb]
                                      [--no-memory]

Data: a lending-like table with 8 numeric features, race (5 values, some missing), sex
(2), age in years (banded into 7 groups) and state (50 values, the small ones merged),
and a 0/1 target.  The model (LightGBM or HistGradientBoosting, trained on 50,000 rows)
uses the numeric features only.

``ours`` is :func:`audit._inputs.spec.resolve`: target, decisions and scores from the
model, the groups of every protected attribute and their pairwise intersections.  The
bare minimum is what any audit of the same rows must do: one ``predict_proba``, the
0/1 target, and one ``pd.factorize`` per protected column (ages banded with
``np.searchsorted``) with intersections as ``codes_a * n_b + codes_b``.  Both run on the
same frame in one run; the ratio ours / bare is printed.  Peak memory is measured in a
second pass with ``tracemalloc`` (Python and numpy allocations; the model's own C++
buffers are not seen by it), as the peak above what was allocated before the call.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if importlib.util.find_spec("audit") is None:  # running from a checkout, not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit._config import AuditConfig
from audit._inputs.spec import resolve

RACES = np.array(["White", "Black", "Hispanic", "Asian", "Other"], dtype=object)
SEXES = np.array(["Female", "Male"], dtype=object)
N_NUMERIC = 8
AGE_EDGES = np.asarray(AuditConfig().age_bands, dtype=float)


def make_data(n: int, seed: int = 0) -> pd.DataFrame:
    """Numeric features, race (1% missing), sex, age in years, 50 states, a 0/1 target."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_NUMERIC)).astype(np.float32)
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(N_NUMERIC)])
    race = RACES[rng.choice(len(RACES), n, p=[0.6, 0.13, 0.17, 0.06, 0.04])]
    race[rng.random(n) < 0.01] = None
    df["race"] = pd.Series(race, dtype="str")
    df["sex"] = pd.Series(SEXES[rng.integers(0, 2, n)], dtype="str")
    df["age"] = rng.integers(18, 90, n)
    weights = rng.pareto(1.2, 50) + 0.02
    states = np.array([f"S{i:02d}" for i in range(50)], dtype=object)
    df["state"] = pd.Series(states[rng.choice(50, n, p=weights / weights.sum())], dtype="str")
    logit = X[:, 0] + 0.5 * X[:, 1] - 0.3 * X[:, 2] + 0.2 * (df["sex"] == "Male")
    df["target"] = (logit + rng.logistic(size=n) > 0).astype(np.int8)
    return df


def fit_model(df: pd.DataFrame, kind: str) -> Any:
    """A model trained on the numeric features of the first 50,000 rows."""
    features = [f"x{i}" for i in range(N_NUMERIC)]
    train = df.iloc[:50_000]
    if kind == "lightgbm":
        from lightgbm import LGBMClassifier

        model = LGBMClassifier(n_estimators=100, num_leaves=31, verbose=-1, n_jobs=1)
    else:
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(max_iter=100, random_state=0)
    return model.fit(train[features], train["target"])


def ours(df: pd.DataFrame, model: Any) -> Any:
    prepared, spec, _ = resolve(df, model, AuditConfig(target="target"))
    return prepared, spec


def bare(df: pd.DataFrame, model: Any) -> Any:
    """One predict_proba, the target, one factorize per protected column, the pairs' codes."""
    features = [f"x{i}" for i in range(N_NUMERIC)]
    scores = model.predict_proba(df[features])[:, 1]
    decisions = (scores > 0.5).astype(np.int8)  # for these models predict is argmax
    y = df["target"].to_numpy(dtype=np.int8)
    codes = []
    for col in ("race", "sex", "state"):
        c, u = pd.factorize(df[col])
        codes.append((np.where(c < 0, len(u), c), len(u) + 1))
    age = df["age"].to_numpy(dtype=float)
    codes.append((np.searchsorted(AGE_EDGES, age, side="right"), len(AGE_EDGES) + 1))
    pairs = [codes[i][0] * codes[j][1] + codes[j][0]
             for i in range(len(codes)) for j in range(i + 1, len(codes))
             if codes[i][1] <= 12 and codes[j][1] <= 12]
    return scores, decisions, y, codes, pairs


def timed(fn: Callable[..., Any], *args: Any) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def peak_mib(fn: Callable[..., Any], *args: Any) -> float:
    """Peak traced memory (MiB) during ``fn`` above what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - before) / 2**20


def run(n: int, kind: str, memory: bool) -> None:
    df = make_data(n)
    model = fit_model(df, kind)
    ours(df.iloc[:1000], model)  # warm-up: imports, first calls
    prepared, spec = ours(df, model)
    ref = bare(df, model)
    assert np.array_equal(prepared.scores, ref[0]), "scores differ from one predict_proba"
    assert np.array_equal(prepared.y_pred, model.predict(df[[f"x{i}" for i in range(8)]])
                          .astype(np.int8)), "decisions differ from the model's predict()"
    t_ours = timed(ours, df, model)
    t_bare = timed(bare, df, model)
    print(f"{n:>10,} rows | {type(model).__name__:<30} | resolve() {t_ours:7.2f} s | "
          f"bare minimum {t_bare:7.2f} s | ratio {t_ours / t_bare:5.2f}x | "
          f"{len(prepared.groupings)} groupings | decisions: {spec.prediction_source}")
    if memory:
        m_ours = peak_mib(ours, df, model)
        m_bare = peak_mib(bare, df, model)
        print(f"{'':>10}        peak traced memory: resolve() {m_ours:8.0f} MiB "
              f"({m_ours / n * 1e6 / 1024:.2f} GiB per million rows) | bare minimum "
              f"{m_bare:8.0f} MiB ({m_bare / n * 1e6 / 1024:.2f} GiB per million rows) | "
              f"ratio {m_ours / m_bare:4.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 3_000_000])
    parser.add_argument("--model", choices=("lightgbm", "hgb"), default="lightgbm")
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", UserWarning)
    for n in args.rows:
        run(n, args.model, not args.no_memory)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
