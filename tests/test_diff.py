"""audit diff: what changed between two audits, including what drives the gaps."""

from __future__ import annotations

import dataclasses

import audit
from audit._diff import diff_results

#: Stages the group comparisons do not need.
FAST = ("complexity", "proxies")


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


def test_renamed_group_is_a_change(small_df, small_model):
    """Renaming race C -> Z used to give '0 changes': every C-vs-A number was just dropped."""
    a = audit.run(small_model, small_df, n_boot=50, explain=False, skip=FAST)
    renamed = small_df.assign(race=small_df.race.replace({"C": "Z"}))
    b = audit.run(small_model, renamed, n_boot=50, explain=False, skip=FAST)
    groups = [c for c in diff_results(a, b).changes if c.area == "groups"]
    n_c = int((small_df.race == "C").sum())
    assert [(c.subject, c.old, c.new, c.direction) for c in groups] == [
        ("race: C", "C", "", "gone"), ("race: Z", "", "Z", "new")]
    assert groups[0].sentence == (
        f"For race, the group C ({n_c:,} rows before) is not in the new audit, so none of its "
        "numbers are compared. A new group has the same number of rows (Z): if the group was "
        "renamed, use one name in both data sets to compare the two audits.")
    # and back: the added group of one direction is the removed group of the other
    back = [c for c in diff_results(b, a).changes if c.area == "groups"]
    assert [(c.subject, c.direction) for c in back] == [("race: Z", "gone"), ("race: C", "new")]


def test_added_group_and_new_reference_are_changes(small_df, small_model):
    a = audit.run(small_model, small_df, n_boot=50, explain=False, skip=FAST)
    more = small_df.assign(race=small_df.race.where(small_df.index % 7 != 0, "D"))
    b = audit.run(small_model, more, n_boot=50, explain=False, skip=FAST,
                  reference={"race": "B"})
    groups = {(c.subject, c.direction): c for c in diff_results(a, b).changes
              if c.area == "groups"}
    assert ("race: D", "new") in groups
    ref = groups[("race: reference group", "changed")]
    assert (ref.old, ref.new) == ("A", "B")
    assert "are not compared" in ref.sentence
    assert not any(s.startswith("race × ") for s, _ in groups)  # intersections follow the singles
