"""Outcome meaning at the command line (issue 10, items 1-2): what is still refused.

Text labels nothing makes obvious still ask which one is favourable (exit 2, one line);
yes/no labels no longer do. Scores said to be probabilities must lie in [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import outs


def _frame(pos: str, neg: str, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    return pd.DataFrame({"race": rng.choice(["A", "B"], n), "outcome": np.where(y, pos, neg),
                         "pred": np.where(rng.random(n) < 0.8, y, 1 - y),
                         "score": rng.integers(1, 11, n)}).assign(
        pred=lambda d: np.where(d.pred == 1, pos, neg))


def test_unknown_text_labels_still_ask(refused, tmp_path):
    data = tmp_path / "d.csv"
    _frame("high", "low").to_csv(data, index=False)
    line = refused(["run", data, "--predictions", "pred", *outs(tmp_path)],
                   "which one is the favourable outcome? pass --positive-label VALUE")
    assert "high, low" in line


def test_yes_no_labels_no_longer_ask(tmp_path, capsys):
    from audit.cli import main

    data = tmp_path / "d.csv"
    _frame("yes", "no").to_csv(data, index=False)
    code = main(["run", str(data), "--predictions", "pred", "--no-intersections",
                 *outs(tmp_path)])
    assert code in (0, 1), capsys.readouterr().err
    import json

    spec = json.loads((tmp_path / "r.json").read_text())["spec"]
    assert (spec["positive_label"], spec["positive_is"]) == ("yes", "favourable")
    assert spec["positive_note"].startswith("We read yes in 'outcome' as the favourable outcome.")


def test_probabilities_said_of_decile_scores(refused, tmp_path):
    data = tmp_path / "d.csv"
    _frame("yes", "no").to_csv(data, index=False)
    refused(["run", data, "--predictions", "pred", "--scores", "score",
             "--scores-are-probabilities", *outs(tmp_path)],
            "scores column 'score' in")
