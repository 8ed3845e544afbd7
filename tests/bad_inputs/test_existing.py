"""The bad-input matrix: inputs that were already refused cleanly, kept refused.

Each row: what is wrong, the arguments, a substring of the one-line message. The
``refused`` fixture (tests/conftest.py) checks exit 2, one line, no traceback,
no report written and the inputs untouched.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import outs

CASES = [
    # (id, args builder, message)
    ("model-missing", lambda d: [d / "nope.joblib", d / "data.parquet"], "not found"),
    ("data-missing", lambda d: [d / "model.joblib", d / "nope.parquet"], "not found"),
    ("model-wrong-suffix", lambda d: [d / "data.parquet", d / "data.parquet"], "model"),
    ("data-wrong-suffix", lambda d: [d / "model.joblib", d / "model.joblib"], "data"),
    ("data-not-parquet", lambda d: [d / "model.joblib", d / "garbage.parquet"], "garbage.parquet"),
    ("model-not-a-pickle", lambda d: [d / "garbage.joblib", d / "data.parquet"], "garbage.joblib"),
    ("empty-csv", lambda d: [d / "model.joblib", d / "empty.csv"], "empty.csv"),
    ("target-missing", lambda d: [d / "model.joblib", d / "data.parquet", "--target", "nope"],
     "nope"),
    ("protected-missing", lambda d: [d / "model.joblib", d / "data.parquet", "--protected",
                                     "race=nope"], "nope"),
    ("protected-not-pair", lambda d: [d / "model.joblib", d / "data.parquet", "--protected",
                                      "race"], "NAME=VALUE"),
    ("reference-unknown-group", lambda d: [d / "model.joblib", d / "data.parquet", "--reference",
                                           "race=Martian"], "Martian"),
    ("config-missing", lambda d: [d / "model.joblib", d / "data.parquet", "-c", d / "nope.toml"],
     "nope.toml' not found"),
    ("config-unknown-key", lambda d: [d / "model.joblib", d / "data.parquet", "-c",
                                      d / "unknown.toml"], "colour"),
    ("config-bad-toml", lambda d: [d / "model.joblib", d / "data.parquet", "-c", d / "bad.toml"],
     "bad.toml"),
    ("policy-missing", lambda d: [d / "model.joblib", d / "data.parquet", "--policy",
                                  d / "nope.toml"], "nope.toml' not found"),
    ("three-positionals", lambda d: [d / "model.joblib", d / "data.parquet", d / "data.parquet"],
     "expected MODEL DATA"),
    ("one-positional", lambda d: [d / "data.parquet"], "only one input"),
    ("predictions-missing", lambda d: [d / "data.parquet", "--predictions", "nope"], "nope"),
]


@pytest.fixture()
def inputs(tmp_path: Path, small_df: pd.DataFrame, small_model) -> Path:
    import joblib

    joblib.dump(small_model, tmp_path / "model.joblib")
    small_df.to_parquet(tmp_path / "data.parquet", index=False)
    (tmp_path / "garbage.parquet").write_bytes(b"not a parquet file at all")
    (tmp_path / "garbage.joblib").write_bytes(b"not a pickle")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "unknown.toml").write_text('colour = "blue"\n')
    (tmp_path / "bad.toml").write_text("target = [unclosed\n")
    return tmp_path


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_refused(case, inputs: Path, refused) -> None:
    _, build, message = case
    args = ["run", *build(inputs), *outs(inputs)]
    refused(args, message, untouched=(inputs / "model.joblib", inputs / "data.parquet"))
