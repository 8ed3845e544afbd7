"""Verdicts: intervals and multiple-testing control decide PASS / REVIEW / FAIL."""

from __future__ import annotations

import numpy as np
import pytest

from audit._fairness.tables import fairness_tables
from audit._fairness.verdict import Policy, _pvalues, evaluate, holm
from audit._inputs.prepared import Grouping


def test_holm_step_down():
    # m=4, alpha=0.05: thresholds .0125, .0167, .025, .05
    assert holm([0.01, 0.04, 0.03, 0.005], 0.05) == [True, False, False, True]
    assert holm([0.01, 0.04, 0.03, 0.02], 0.05) == [True, False, False, False]
    assert holm([0.2, 0.001], 0.05) == [False, True]


def test_pvalues_two_one_sided_tests():
    rng = np.random.default_rng(0)
    far = _pvalues(0.5, rng.normal(0.5, 0.02, 1000), 0.8, 1.25, log=True)
    assert far[0] < 1e-6 and far[1] > 0.99
    near_one = _pvalues(1.0, rng.normal(1.0, 0.02, 1000), 0.8, 1.25, log=True)
    assert near_one[0] > 0.99 and near_one[1] < 1e-6
    straddle = _pvalues(0.8, rng.normal(0.8, 0.05, 1000), 0.8, 1.25, log=True)
    assert straddle[0] == pytest.approx(0.5, abs=0.01)


def _table(rates: list[float], n: int, seed: int = 0, n_boot: int = 400):
    """A grouping whose groups have (almost exactly) the given selection rates."""
    rng = np.random.default_rng(seed)
    codes = np.repeat(np.arange(len(rates)), n)
    pred = np.concatenate([rng.permutation(np.r_[np.ones(int(r * n)), np.zeros(n - int(r * n))])
                           for r in rates]).astype(np.int8)
    g = Grouping("attr", "race", ("attr",), codes, tuple(f"g{i}" for i in range(len(rates))), 0)
    reps: dict = {}
    tables = fairness_tables([g], None, pred, None, "binary", n_boot=n_boot, seed=seed,
                             replicates=reps)
    return tables, reps


def test_clear_fail_pass_and_review():
    tables, reps = _table([0.5, 0.25, 0.5, 0.42], n=2000)
    verdict, findings = evaluate(tables, Policy(), "binary", reps)
    by_group = {c.group: c.outcome for c in verdict.checks}
    assert by_group == {"g1": "fail", "g2": "pass", "g3": "review"}
    assert verdict.verdict == "FAIL" and verdict.reasons == ("FAIR001",)
    assert "Holm" in verdict.method


def test_holm_is_more_cautious_than_single_intervals():
    # many groups each just beyond the limit: single intervals call some FAIL,
    # Holm across the family needs more evidence.
    rates = [0.5] + [0.32] * 12
    tables, reps = _table(rates, n=400, seed=3)
    holm_v, _ = evaluate(tables, Policy(), "binary", reps)
    none_v, _ = evaluate(tables, Policy(multiple_testing="none"), "binary", reps)
    n_fail_holm = sum(c.outcome == "fail" for c in holm_v.checks)
    n_fail_none = sum(c.outcome == "fail" for c in none_v.checks)
    assert n_fail_holm < n_fail_none
    assert "No correction" in none_v.method


def test_small_groups_are_not_judged():
    tables, reps = _table([0.5, 0.1], n=20)
    verdict, findings = evaluate(tables, Policy(), "binary", reps)
    assert verdict.checks == ()
    # no PASS without evidence (issue 9): nothing judged is UNDECIDED, with its reason
    assert verdict.verdict == "UNDECIDED" and verdict.reasons == ("FAIR008",)
    assert "UNDECIDED, never PASS" in verdict.method
    assert any(f.code == "FAIR007" and f.outcome == "insufficient_evidence" for f in findings)
    assert any(f.code == "FAIR008" and f.subject == "attr" for f in findings)


def test_two_groups_without_target():
    # regression: with two groups and no labels, (B, G, 2) resample counts were read
    # as (G, y, pred) counts
    tables, reps = _table([0.6, 0.3], n=500)
    (t,) = tables
    low = next(g for g in t.groups if g.group == "g1").metrics["selection_rate"]
    assert low.value == pytest.approx(0.3)
    assert low.lo < 0.3 < low.hi and low.hi - low.lo < 0.15
    assert reps[("attr", "selection_rate")].shape == (400, 2)


def test_next_step_wording_when_only_uncertainty():
    from audit._words.report import next_step

    assert next_step("demographic_parity", "review", point_inside=True).startswith(
        "No clear gap shows")
    assert next_step("demographic_parity", "fail").startswith("This is below the four-fifths")
