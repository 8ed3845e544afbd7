"""No PASS without evidence (issue 9, item 5): too little to judge is UNDECIDED, never PASS.

A check is judged when its outcome is pass, review or fail; an attribute is judged when
a comparison between two of its groups is. Nothing judged at all, or a protected
attribute not judged, gives UNDECIDED unless something fails; pairs of attributes
(intersections) are reported (FAIR008) but do not block a PASS on their own.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import outs

from audit._fairness.tables import fairness_tables
from audit._fairness.verdict import Policy, evaluate
from audit._inputs.prepared import Grouping
from audit._result.findings import VERDICT_RANK
from audit._words.fairness import UNDECIDED_RULE
from audit._words.report import VERDICT_TEXT
from audit.cli import main

QUICK = ["--no-explain", "--no-what-if"]


def _grouping(name: str, sizes: list[int], family: str | None = None) -> Grouping:
    codes = np.repeat(np.arange(len(sizes)), sizes)
    labels = tuple(f"{name}{i}" for i in range(len(sizes)))
    return Grouping(name, family or name, (name,), codes, labels, 0)


def _judge(groupings: list[Grouping], rates: list[list[float]], scores: bool = False,
           n_boot: int = 200):
    """Tables and verdict for groupings over the same rows; ``rates`` per grouping's groups."""
    rng = np.random.default_rng(0)
    g0 = groupings[0]
    pred = (rng.random(len(g0.codes)) < np.asarray(rates[0])[g0.codes]).astype(np.int8)
    y = pred.copy()
    prob = np.clip(pred * 0.8 + 0.1, 0, 1) if scores else None
    reps: dict = {}
    tables = fairness_tables(groupings, y, pred, prob, "binary", n_boot=n_boot, seed=1,
                             replicates=reps)
    return evaluate(tables, Policy(), "binary", reps)


def test_every_group_too_small_is_undecided():
    verdict, findings = _judge([_grouping("race", [10, 12, 8])], [[0.5, 0.5, 0.5]])
    assert verdict.verdict == "UNDECIDED" and verdict.reasons == ("FAIR008",)
    assert UNDECIDED_RULE in verdict.method
    (f,) = [f for f in findings if f.code == "FAIR008"]
    assert f.subject == "race" and f.outcome == "insufficient_evidence"
    assert "fewer than two of its groups are large and certain enough" in f.message


def test_one_attribute_unjudged_blocks_a_pass():
    race = _grouping("race", [400, 400])
    # the same rows, split so that every group but the reference is tiny
    gender = Grouping("gender", "gender", ("gender",), np.r_[np.zeros(790), np.ones(10)].astype(int),
                      ("M", "F"), 0)
    verdict, findings = _judge([race, gender], [[0.5, 0.5]])
    assert {c.attribute for c in verdict.checks if c.outcome == "pass"} >= {"race"}
    assert verdict.verdict == "UNDECIDED"
    assert [f.subject for f in findings if f.code == "FAIR008"] == ["gender"]


def test_a_level_check_alone_is_not_a_comparison():
    # with scores, the large reference group gets a calibration check; the small group
    # none: no two groups were compared, so the attribute is not judged
    g = Grouping("sex", "gender", ("sex",), np.r_[np.zeros(600), np.ones(5)].astype(int),
                 ("M", "F"), 0)
    verdict, findings = _judge([g], [[0.5, 0.5]], scores=True)
    assert [c.kind for c in verdict.checks] == ["level"]
    assert verdict.verdict == "UNDECIDED"


def test_a_single_group_is_undecided():
    verdict, findings = _judge([_grouping("race", [500])], [[0.5]])
    assert verdict.verdict == "UNDECIDED"
    assert any("only one group" in f.message for f in findings if f.code == "FAIR008")


def test_no_tables_is_undecided():
    verdict, findings = evaluate([], Policy(), "binary", {})
    assert verdict.verdict == "UNDECIDED" and verdict.reasons == ("FAIR008",)


def test_a_fail_still_wins():
    race = _grouping("race", [1000, 1000])
    gender = Grouping("gender", "gender", ("gender",), np.r_[np.zeros(1995), np.ones(5)].astype(int),
                      ("M", "F"), 0)
    verdict, findings = _judge([race, gender], [[0.6, 0.2]])
    assert verdict.verdict == "FAIL" and "FAIR001" in verdict.reasons
    assert "UNDECIDED" not in verdict.method
    assert any(f.code == "FAIR008" and f.subject == "gender" for f in findings)


def test_an_unjudged_intersection_alone_does_not_block_a_pass():
    race = _grouping("race", [2000, 2000])
    pair = Grouping("race × gender", "intersection", ("race", "gender"),
                    np.r_[np.zeros(3990), np.ones(10)].astype(int), ("a", "b"), 0)
    verdict, findings = _judge([race, pair], [[0.5, 0.5]], n_boot=400)
    assert verdict.verdict == "PASS", [(c.attribute, c.outcome) for c in verdict.checks]
    assert [f.subject for f in findings if f.code == "FAIR008"] == ["race × gender"]


def test_verdict_rank_and_texts_know_undecided():
    assert VERDICT_RANK["PASS"] < VERDICT_RANK["REVIEW"] < VERDICT_RANK["UNDECIDED"] \
        < VERDICT_RANK["FAIL"]
    assert set(VERDICT_TEXT) == set(VERDICT_RANK)


# --------------------------------------------------------------------------- through the CLI


@pytest.fixture()
def two_rows(tmp_path, small_df: pd.DataFrame, small_model):
    import joblib

    joblib.dump(small_model, tmp_path / "model.joblib")
    small_df.iloc[[0, 3]].to_parquet(tmp_path / "two.parquet", index=False)
    return tmp_path / "model.joblib", tmp_path / "two.parquet"


def _run(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def test_two_rows_are_undecided_and_strict_fails(capsys, tmp_path, two_rows):
    model, data = two_rows
    code, err = _run(capsys, "run", model, data, *outs(tmp_path), *QUICK)
    assert code == 0, err
    assert err.splitlines()[-1] == "Verdict: UNDECIDED (FAIR008)"
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["verdict"]["verdict"] == "UNDECIDED"
    html = (tmp_path / "r.html").read_text()
    assert 'class="badge UNDECIDED"' in html and VERDICT_TEXT["UNDECIDED"][:40] in html
    assert "No group's outcome differs" not in html
    code, _ = _run(capsys, "run", model, data, *outs(tmp_path), *QUICK, "--strict")
    assert code == 1
    code, _ = _run(capsys, "run", model, data, *outs(tmp_path), *QUICK, "--strict",
                   "--exit-zero")
    assert code == 0


def test_every_group_below_min_group_size_is_undecided(capsys, tmp_path, small_files):
    model, data = small_files
    code, err = _run(capsys, "run", model, data, *outs(tmp_path), *QUICK,
                     "--min-group-size", "5000", "--strict")
    assert code == 1 and "Verdict: UNDECIDED (FAIR008)" in err
