"""Hostile text in data values: not refused, but handled.

Group labels, column and feature names come from files the user did not write. A
label with braces (``{0}``) once crashed the run after all the computation (exit 3,
``str.format`` on a sentence that already held the label); newlines and escape
sequences in labels were printed raw, so a forged ``Verdict: PASS`` line appeared
before the real verdict; a right-to-left override reversed the rest of a sentence in
the report. Each row here is an audit that must run (exit 0 or 1), print no traceback,
end stderr with the one real ``Verdict:`` line, and show the labels verbatim in
audit.json and escaped in the report.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

#: Labels that are format strings, markup or code.
BRACES = ["{please specify}", "{0}", "{{7*7}}", "%s", "<script>alert(1)</script>",
          "$\\frac{$", "[bold red]x[/]", ":warning:"]
#: Labels that try to forge a line, move the cursor or reverse the text.
FORGERS = ["x\nVerdict: PASS", "\x1b[2K\rVerdict: PASS", "\x85Verdict: PASS",
           "\u2028Verdict: PASS", "evil\u202eabc", "\x9b2K\x00\x07"]
#: A feature name and a protected column name with controls in them.
FEATURE = "reg\x1b[31mion\u202e\n"
COLUMN = "r\x1b]0;owned\x07\rVerdict: PASS"
#: Characters that must never reach stderr raw (C0 but nothing else, C1, bidi, separators).
RAW = ["\x1b", "\r", "\x00", "\x07", "\x85", "\x9b", "\u2028", "\u202e", "\u2066", "\u2068"]


def _frame(labels: list[str], n: int = 900, seed: int = 0) -> pd.DataFrame:
    """A small table whose protected column ``grp`` takes ``labels`` (the first the largest)."""
    rng = np.random.default_rng(seed)
    weights = np.array([3.0] + [1.0] * (len(labels) - 1))
    df = pd.DataFrame({
        "income": rng.normal(50, 10, n).round(1),
        FEATURE: rng.choice(["north", "south", "east"], n),
        "grp": rng.choice(labels, n, p=weights / weights.sum()),
    })
    df[COLUMN] = df["grp"]
    logit = (df.income - 50) / 8 + 0.5 * (df[FEATURE] == "south") + 0.3 * (df.grp == labels[1])
    df["target"] = (logit + rng.logistic(size=n) > 0).astype(int)
    return df


def _fit(df: pd.DataFrame):
    pre = ColumnTransformer([("oh", OneHotEncoder(handle_unknown="ignore"), [FEATURE]),
                             ("num", StandardScaler(), ["income"])])
    return make_pipeline(pre, LogisticRegression()).fit(df[["income", FEATURE]], df.target)


@pytest.fixture()
def handled(capsys):
    """Run the CLI on hostile-but-valid input and assert it was handled.

    ``handled(args)`` checks: exit 0 or 1, no traceback and no internal error, no raw
    control or bidi character on stderr, exactly one line starting ``Verdict:`` and it
    is the last line. Returns ``(exit code, stderr)``.
    """
    from audit.cli import main

    def check(args: list[str], verdict: bool = True) -> tuple[int, str]:
        got = main([str(a) for a in args])
        err = capsys.readouterr().err
        assert got in (0, 1), err
        assert "Traceback" not in err and "internal error" not in err, err
        for ch in RAW:
            assert ch not in err, (repr(ch), err)
        if verdict:
            lines = [ln for ln in err.splitlines() if ln.strip()]
            assert [ln for ln in lines if ln.startswith("Verdict:")] == [lines[-1]], err
        return got, err

    return check


def _inputs(tmp_path: Path, labels: list[str]) -> tuple[Path, Path]:
    df = _frame(labels)
    model, data = tmp_path / "model.joblib", tmp_path / "data.parquet"
    joblib.dump(_fit(df), model)
    df.to_parquet(data, index=False)
    return model, data


def _run_args(model: Path, data: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["run", model, data, "--protected", "grp=grp", "--protected", f"other={COLUMN}",
            "-o", tmp_path / "r.html", "--json", tmp_path / "r.json", "--n-boot", "30",
            "--skip", "what-if,complexity", "--no-intersections", "--min-group-size", "20",
            *extra]


def _json_groups(path: Path, attribute: str) -> set[str]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {g["group"] for t in doc["fairness"] if t["attribute"] == attribute
            for g in t["groups"]}


def test_braces_and_markup_in_labels(tmp_path: Path, handled) -> None:
    """Format strings, HTML, mathtext and rich markup as labels: verbatim, escaped, no crash."""
    labels = ["plain", *BRACES]
    model, data = _inputs(tmp_path, labels)
    handled(_run_args(model, data, tmp_path, "--no-explain"))
    assert _json_groups(tmp_path / "r.json", "grp") == set(labels)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    for label in BRACES:
        assert html.escape(label, quote=False) in page, label
    assert "<script>alert" not in page
    assert page.count("{7*7}") == page.count("{{7*7}}")  # never formatted into {7*7}
    # audit render: the same labels, rebuilt from audit.json alone
    handled(["render", tmp_path / "r.json", "-o", tmp_path / "again.html"], verdict=False)
    again = (tmp_path / "again.html").read_text(encoding="utf-8")
    for label in BRACES:
        assert html.escape(label, quote=False) in again, label


def test_labels_cannot_forge_the_verdict(tmp_path: Path, handled) -> None:
    """Newlines, CR, ANSI, C1 and separators in labels, a feature and a column name."""
    labels = FORGERS
    model, data = _inputs(tmp_path, labels)
    _, err = handled(_run_args(model, data, tmp_path, "--no-explain"))
    assert "reference x\\nVerdict: PASS" in err  # the reference label, escaped on its line
    assert "r\\x1b]0;owned\\x07\\rVerdict: PASS" in err  # the column name
    assert _json_groups(tmp_path / "r.json", "grp") == set(labels)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    for ch in ("\x1b", "\x07", "\x00", "\x85", "\x9b", "\u2028", "\u202e"):
        assert ch not in page, repr(ch)
    assert "evil\\u202eabc" in page


def test_error_message_quoting_a_hostile_name_is_one_line(tmp_path: Path, capsys) -> None:
    """A refusal that quotes a hostile column name stays one escaped line."""
    from audit.cli import main

    model, data = _inputs(tmp_path, ["a", "b"])
    got = main(["run", str(model), str(data), "--target", "no\x1b[2K\rVerdict: PASS",
                "-o", str(tmp_path / "r.html"), "--json", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert got == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("audit: error: "), err
    assert "\x1b" not in err and "\r" not in err
    assert "no\\x1b[2K" in err
