"""The signal above the noise (issue 10): the interval that decided, REVIEW vs UNDECIDED,
and materiality, on one attribute with many groups (so Holm's correction bites)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audit._fairness.tables import fairness_tables
from audit._fairness.verdict import Policy, evaluate, holm, holm_factors
from audit._inputs.prepared import Grouping
from audit._result.verdict import decision_counts, holds_no_gap


@pytest.fixture(scope="module")
def judged():
    sizes = [2000] + [300] * 11
    rates = [0.5, 0.5, 0.45, 0.44, 0.5, 0.3, 0.5, 0.52, 0.5, 0.36, 0.5, 0.5]
    codes = np.repeat(np.arange(len(sizes)), sizes)
    g = Grouping("race", "race", ("race",), codes, tuple(f"g{i}" for i in range(len(sizes))), 0)
    rng = np.random.default_rng(0)
    pred = (rng.random(len(codes)) < np.asarray(rates)[codes]).astype(np.int8)
    y = pred.copy()
    y[rng.random(len(y)) < 0.2] ^= 1
    reps: dict = {}
    tables = fairness_tables([g], y, pred, None, "binary", n_boot=400, seed=1, replicates=reps)
    return evaluate(tables, Policy(), "binary", reps)


def _limits(c):
    return (c.threshold, 1 / c.threshold) if c.kind == "ratio" else (-c.threshold, c.threshold)


def test_holm_factors_decide_as_holm():
    p = [0.001, 0.02, 0.013, 0.4, 0.011]
    k = holm_factors(p)
    assert [pi <= 0.05 / ki for pi, ki in zip(p, k)] == holm(p, 0.05)
    assert all(ki >= 1 for ki in k)


def test_the_interval_shown_decided_the_check(judged):
    verdict, _ = judged
    # equalized odds is decided on two rates; its interval is that of the rate it names
    for c in (c for c in verdict.checks if c.criterion != "equalized_odds"):
        e, (lo_t, hi_t) = c.decision_interval, _limits(c)
        assert e is not None and c.decision_confidence is not None
        assert c.decision_confidence >= 0.95 - 1e-9
        assert e.lo <= e.value <= e.hi
        inside = lo_t <= e.lo and e.hi <= hi_t
        beyond = e.hi < lo_t or e.lo > hi_t
        assert inside == (c.outcome == "pass"), c
        assert beyond == (c.outcome == "fail"), c


def test_review_with_a_plain_interval_inside_shows_the_wider_one(judged):
    """'0.94 (95% CI 0.81-1.07)' marked review: the interval that decided crosses 0.8."""
    verdict, _ = judged
    cases = [c for c in verdict.checks if c.kind == "ratio" and c.outcome == "review"
             and c.threshold <= c.estimate.lo and c.estimate.hi <= 1 / c.threshold]
    assert cases
    for c in cases:
        e = c.decision_interval
        assert e.lo < c.threshold or e.hi > 1 / c.threshold
        assert c.decision_confidence > 0.95


def test_review_splits_into_material_and_undecided(judged):
    verdict, _ = judged
    kinds = {c.decision for c in verdict.checks}
    assert {"review", "undecided", "pass", "fail"} <= kinds
    for c in verdict.checks:
        if c.outcome == "review":
            e = c.decision_interval
            assert c.decision == ("undecided" if holds_no_gap(c.kind, e.lo, e.hi) else "review")
        else:
            assert c.decision == c.outcome
    # the verdict rule is unchanged: a fail wins; both kinds of review stay "review"
    assert verdict.verdict == "FAIL"
    assert {"decision", "materiality", "decision_interval"} <= set(verdict.rules)
    counts = decision_counts(verdict.checks)
    assert sum(counts.values()) == len(verdict.checks)


def test_materiality_ranks_fails_over_noise(judged):
    verdict, _ = judged
    by = {(c.criterion, c.group): c for c in verdict.checks}
    fail = by[("demographic_parity", "g5")]  # 0.3 vs 0.5: 0.6 times as often
    assert fail.decision == "fail" and fail.materiality > 1.5
    zero = [c for c in verdict.checks if c.criterion == "demographic_parity"
            and abs(math.log(c.estimate.value)) < 0.03]
    assert zero and all(c.materiality < 0.05 for c in zero)
    undecided = [c.materiality for c in verdict.checks if c.decision == "undecided"]
    assert max(undecided) < fail.materiality


def test_findings_name_the_largest_gap_and_count_decisions(judged):
    verdict, findings = judged
    (dp,) = [f for f in findings if f.code == "FAIR001"]
    assert dp.outcome == "fail"
    assert "Largest: g5, 0.55 times the rate of g0." in dp.message  # group and size
    counts = {d: int(dp.details[d]) for d in ("fail", "review", "undecided", "pass")}
    assert sum(counts.values()) == sum(c.criterion == "demographic_parity"
                                       for c in verdict.checks)
