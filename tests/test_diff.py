"""audit diff: what changed between two audits, including what drives the gaps."""

from __future__ import annotations

import dataclasses

import audit
from audit._diff import diff_results


def test_identical_audits_have_no_changes(small_df, small_model):
    a = audit.run(small_model, small_df, n_boot=50, what_if=False)
    assert diff_results(a, a).changes == ()


def test_driver_change_is_reported(small_df, small_model):
    a = audit.run(small_model, small_df, n_boot=50, what_if=False)
    assert a.explanation is not None and a.explanation.gaps
    gap = a.explanation.gaps[0]
    swapped = dataclasses.replace(gap, contributions=tuple(reversed(gap.contributions)))
    expl_b = dataclasses.replace(a.explanation, gaps=(swapped,) + a.explanation.gaps[1:])
    b = dataclasses.replace(a, explanation=expl_b)
    d = diff_results(a, b)
    (change,) = [c for c in d.changes if c.area == "drivers"]
    assert change.old == gap.contributions[0].feature
    assert change.new == gap.contributions[-1].feature
    assert "The main driver of the gap between" in change.sentence


def test_verdict_change_direction(small_df, small_model):
    a = audit.run(small_model, small_df, n_boot=50, what_if=False)
    worse = dataclasses.replace(a, verdict=dataclasses.replace(a.verdict, verdict="FAIL"))
    better = dataclasses.replace(a, verdict=dataclasses.replace(a.verdict, verdict="PASS"))
    d = diff_results(better, worse)
    assert d.changes[0].area == "verdict" and d.changes[0].direction == "worse"
