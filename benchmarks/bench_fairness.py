"""Benchmark: exact group metrics and bootstrap intervals vs fairlearn ``MetricFrame``.

Usage::

    python benchmarks/bench_fairness.py [--rows 50000 1000000] [--boot-rows 50000]

Data: 10 groups (race 5 x sex 2).  For each row count, fairlearn's
``MetricFrame`` (selection rate, TPR, FPR, accuracy) and ours run on the same
rows; the numbers must agree to 1e-9.  Our timing includes building the
sufficient statistics from the rows.  Then, at ``--boot-rows`` rows, our
95% intervals (``--n-boot`` resamples) are compared with
``MetricFrame(..., n_boot=20, ci_quantiles=[.025, .975], random_state=0)``
per resample.  Last, the bootstrap with scores (AUC, mean score, calibration
gap) at ``--score-rows`` rows and 1,000 resamples: ours (per-group score
histograms, at most 64 bins per group) against the bare minimum of the row
bootstrap it replaces (per resample: ``np.bincount`` of the drawn rows, then
weighted per-group counts and AUC over the pre-sorted scores), timed on a few
resamples and extrapolated; plus the point AUC per group against
:func:`sklearn.metrics.roc_auc_score` (must agree to 1e-9).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if importlib.util.find_spec("audit") is None:  # running from a checkout, not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fairlearn.metrics import (
    MetricFrame,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score, roc_auc_score

from audit._fairness.tables import fairness_tables
from audit._fairness.views import MAX_SCORE_BINS
from audit._inputs.prepared import Grouping
from audit._result.tables import AttributeTable

RACES = ("asian", "black", "hispanic", "other", "white")
SEXES = ("female", "male")
FAIRLEARN_METRICS = {
    "selection_rate": selection_rate,
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
    "accuracy": accuracy_score,
}
GOAL_POINT = 20.0
GOAL_BOOT = 200.0


def make_data(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Rows with a race and a sex column, a 0/1 target, scores and 0/1 predictions."""
    rng = np.random.default_rng(seed)
    race = rng.choice(len(RACES), size=n, p=[0.08, 0.14, 0.18, 0.05, 0.55])
    sex = rng.integers(0, 2, n)
    score = np.clip(rng.beta(2, 3, n) + 0.03 * race - 0.02 * sex, 0, 1)
    y = (rng.random(n) < score).astype(np.int8)
    pred = (score >= 0.45).astype(np.int8)
    return {"race": race, "sex": sex, "y": y, "pred": pred, "score": score}


def our_grouping(race: np.ndarray, sex: np.ndarray) -> Grouping:
    labels = tuple(f"{r} × {s}" for r in RACES for s in SEXES)
    codes = race.astype(np.int64) * len(SEXES) + sex
    return Grouping("race × sex", "intersection", ("race", "sex"), codes, labels,
                    reference=labels.index("white × male"))


def fairlearn_frame(d: dict[str, np.ndarray], **kwargs: object) -> MetricFrame:
    sensitive = pd.DataFrame({"race": np.asarray(RACES, dtype=object)[d["race"]],
                              "sex": np.asarray(SEXES, dtype=object)[d["sex"]]})
    return MetricFrame(metrics=FAIRLEARN_METRICS, y_true=d["y"], y_pred=d["pred"],
                       sensitive_features=sensitive, **kwargs)


def ours(d: dict[str, np.ndarray], n_boot: int) -> tuple[AttributeTable, ...]:
    """Everything from the rows: grouping codes, statistics, metrics, gaps, criteria."""
    grouping = our_grouping(d["race"], d["sex"])
    return fairness_tables([grouping], d["y"], d["pred"], None, "binary", n_boot=n_boot, seed=0)


def best_of(repeats: int, fn: Callable[..., Any], *args: object) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, result


def compare_point(n: int) -> float:
    d = make_data(n)
    t0 = time.perf_counter()
    mf = fairlearn_frame(d)
    t_fl = time.perf_counter() - t0
    t_ours, tables = best_of(5, ours, d, 0)
    (table,) = tables
    worst = 0.0
    for row in table.groups:
        race, sex = row.group.split(" × ")
        for key in FAIRLEARN_METRICS:
            theirs = float(mf.by_group.loc[(race, sex), key])
            mine = row.metrics[key].value
            assert mine is not None, (row.group, key)
            worst = max(worst, abs(mine - theirs))
    assert worst <= 1e-9, f"metrics differ from fairlearn by {worst}"
    dp_theirs = float(mf.difference()["selection_rate"])
    dp_ours = table.criteria[0].difference.value
    assert dp_ours is not None and abs(dp_ours - dp_theirs) <= 1e-9
    ratio = t_fl / t_ours
    print(f"{n:>9,} rows | fairlearn MetricFrame {t_fl:8.3f} s | ours {t_ours * 1e3:8.2f} ms | "
          f"{ratio:8.0f}x faster | max |diff| {worst:.1e} | goal >= {GOAL_POINT:.0f}x "
          f"{'met' if ratio >= GOAL_POINT else 'MISSED'}")
    return ratio


def compare_intervals(n: int, n_boot: int, fl_boot: int) -> float:
    d = make_data(n, seed=1)
    t0 = time.perf_counter()
    mf = fairlearn_frame(d, n_boot=fl_boot, ci_quantiles=[0.025, 0.975], random_state=0)
    t_fl = time.perf_counter() - t0
    t_ours, tables = best_of(3, ours, d, n_boot)
    (table,) = tables
    per_fl = t_fl / fl_boot
    per_ours = t_ours / n_boot
    ratio = per_fl / per_ours
    print(f"\nIntervals at {n:,} rows")
    print(f"  fairlearn MetricFrame n_boot={fl_boot}: {t_fl:8.2f} s  "
          f"({per_fl * 1e3:9.2f} ms per resample)")
    print(f"  ours n_boot={n_boot}:                {t_ours:8.3f} s  "
          f"({per_ours * 1e6:9.2f} µs per resample; all metrics, gaps and criteria)")
    print(f"  per-resample speed ratio: {ratio:,.0f}x | goal >= {GOAL_BOOT:.0f}x "
          f"{'met' if ratio >= GOAL_BOOT else 'MISSED'}")
    grouping = our_grouping(d["race"], d["sex"])
    t_scores, _ = best_of(1, fairness_tables, [grouping], d["y"], d["pred"], d["score"],
                          "binary")
    print(f"  ours n_boot=1000 with continuous scores (adds AUC, mean score, calibration gap): "
          f"{t_scores:.2f} s (at most {MAX_SCORE_BINS} score bins per group, whatever the rows)")
    lo_fl, hi_fl = mf.by_group_ci
    print(f"\n  {'group':<18} {'metric':<15} {'ours 95% interval':>22} "
          f"{'fairlearn (' + str(fl_boot) + ' resamples)':>30}")
    for row in table.groups[:4]:
        race, sex = row.group.split(" × ")
        for key in ("selection_rate", "tpr"):
            est = row.metrics[key]
            lo, hi = float(lo_fl.loc[(race, sex), key]), float(hi_fl.loc[(race, sex), key])
            print(f"  {row.group:<18} {key:<15} [{est.lo:.4f}, {est.hi:.4f}]".ljust(60)
                  + f"   [{lo:.4f}, {hi:.4f}]")
    return ratio


def _row_bootstrap_minimum(d: dict[str, np.ndarray], codes: np.ndarray, n_groups: int,
                           n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """The bare minimum of a row bootstrap with scores: AUC per group per resample."""
    n = codes.size
    order = np.lexsort((d["score"], codes))  # scores sorted within each group, once
    g_sorted, y_sorted = codes[order], d["y"][order].astype(bool)
    cell = codes * 4 + d["y"] * 2 + d["pred"]
    auc = np.empty((n_boot, n_groups))
    for b in range(n_boot):
        w = np.bincount(rng.integers(0, n, n), minlength=n)  # rows drawn with replacement
        np.bincount(cell, weights=w, minlength=4 * n_groups)  # confusion counts
        np.bincount(codes, weights=w * d["score"], minlength=n_groups)  # score sums
        ws = w[order]
        neg = np.where(y_sorted, 0, ws)
        pos = np.where(y_sorted, ws, 0)
        below = np.cumsum(neg)
        starts = np.searchsorted(g_sorted, np.arange(n_groups))
        below -= np.repeat(below[starts] - neg[starts], np.diff(np.append(starts, n)))
        twice = np.bincount(g_sorted, weights=pos * (2 * below - neg), minlength=n_groups)
        p_g = np.bincount(g_sorted, weights=pos, minlength=n_groups)
        n_g = np.bincount(g_sorted, weights=neg, minlength=n_groups)
        auc[b] = twice / (2 * p_g * n_g)
    return auc


def compare_scores(n: int, n_boot: int, minimum_boot: int) -> float:
    """1,000 resamples with continuous scores at ``n`` rows: ours vs the row bootstrap."""
    d = make_data(n, seed=2)
    grouping = our_grouping(d["race"], d["sex"])
    t0 = time.perf_counter()
    (table,) = fairness_tables([grouping], d["y"], d["pred"], d["score"], "binary",
                               n_boot=n_boot, seed=0)
    t_ours = time.perf_counter() - t0
    worst = 0.0
    for g, row in enumerate(table.groups):
        rows = grouping.codes == g
        auc = row.metrics["auc"].value
        assert auc is not None and row.metrics["auc"].lo is not None, row.group
        worst = max(worst, abs(auc - roc_auc_score(d["y"][rows], d["score"][rows])))
    assert worst <= 1e-9, f"point AUC differs from sklearn by {worst}"
    t0 = time.perf_counter()
    _row_bootstrap_minimum(d, grouping.codes, len(grouping.labels), minimum_boot,
                           np.random.default_rng(0))
    t_min = (time.perf_counter() - t0) / minimum_boot * n_boot
    ratio = t_min / t_ours
    distinct = np.unique(d["score"]).size
    print(f"\nBootstrap with scores at {n:,} rows ({distinct:,} distinct scores), "
          f"{n_boot} resamples, 10 groups")
    print(f"  ours (score histograms, <= {MAX_SCORE_BINS} bins per group; includes the statistics): "
          f"{t_ours:8.2f} s")
    print(f"  row bootstrap, bare minimum (bincount per resample; {minimum_boot} resamples "
          f"timed, extrapolated): {t_min:8.1f} s")
    print(f"  ratio: {ratio:,.0f}x faster | point AUC per group vs sklearn roc_auc_score: "
          f"max |diff| {worst:.1e}")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[50_000, 1_000_000])
    parser.add_argument("--boot-rows", type=int, default=50_000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--fairlearn-boot", type=int, default=20)
    parser.add_argument("--score-rows", type=int, default=1_000_000)
    parser.add_argument("--minimum-boot", type=int, default=5)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", FutureWarning)
    print("Point metrics (selection rate, TPR, FPR, accuracy; 10 groups = race 5 x sex 2)")
    for n in args.rows:
        compare_point(n)
    compare_intervals(args.boot_rows, args.n_boot, args.fairlearn_boot)
    compare_scores(args.score_rows, args.n_boot, args.minimum_boot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
