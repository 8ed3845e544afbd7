"""The bad-input matrix, model files: files that carry code, damaged files, `audit scan`.

Each row: what is wrong, the arguments, a substring of the one-line message. The
``refused`` fixture (tests/conftest.py) checks exit 2, one line, no traceback, no
report written, the inputs untouched, and here also that no payload ran (its marker
file stays absent).
"""

from __future__ import annotations

import os
import pickle
import shlex
from pathlib import Path

import joblib
import pandas as pd
import pytest
from conftest import outs

from audit._io.models import REFUSED_PICKLE, REFUSED_SKOPS, UNREADABLE


class Touch:
    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {shlex.quote(self.marker)}",))


class Exec:
    def __reduce__(self):
        return (exec, ("import os",))


@pytest.fixture()
def inputs(tmp_path: Path, small_df: pd.DataFrame, small_model) -> Path:
    small_df.to_parquet(tmp_path / "data.parquet", index=False)
    joblib.dump(small_model, tmp_path / "model.joblib")
    marker = tmp_path / "marker"
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps([Touch(marker), small_model]))
    joblib.dump({"m": small_model, "x": Touch(marker)}, tmp_path / "evil.joblib", compress=3)
    (tmp_path / "two.pkl").write_bytes(pickle.dumps((Touch(marker), Exec())))
    good = (tmp_path / "model.joblib").read_bytes()
    (tmp_path / "truncated.joblib").write_bytes(good[: len(good) // 2])
    (tmp_path / "empty.pkl").write_bytes(b"")
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    sio.dump(FunctionTransformer(os.system), tmp_path / "func.skops")
    return tmp_path


CASES = [
    # (id, args builder, message)
    ("pickle-os-system", lambda d: ["run", d / "evil.pkl", d / "data.parquet"],
     "names 1 global(s) outside the allow-list of model classes, which could run code"),
    ("joblib-zlib-os-system", lambda d: ["run", d / "evil.joblib", d / "data.parquet"],
     "posix.system - run `audit scan"),
    ("pickle-all-offenders-named", lambda d: ["run", d / "two.pkl", d / "data.parquet"],
     "names 2 global(s) outside the allow-list of model classes, which could run code when it "
     "is loaded: posix.system, builtins.exec"),
    ("skops-function", lambda d: ["run", d / "func.skops", d / "data.parquet"],
     "contains 1 type(s) that are not trusted: posix.system"),
    ("skops-wrong-trust-type", lambda d: ["run", d / "func.skops", d / "data.parquet",
                                          "--trust-type", "os.system"], "posix.system"),
    ("joblib-truncated", lambda d: ["run", d / "truncated.joblib", d / "data.parquet"],
     "is not a readable model"),
    ("pickle-empty", lambda d: ["run", d / "empty.pkl", d / "data.parquet"],
     "expected a fitted model saved with joblib.dump or pickle.dump"),
    ("scan-pickle", lambda d: ["scan", d / "evil.pkl"], "outside the allow-list"),
    ("scan-skops", lambda d: ["scan", d / "func.skops"], "not trusted: posix.system"),
    ("scan-truncated", lambda d: ["scan", d / "truncated.joblib"], "is not a readable model"),
    ("scan-missing", lambda d: ["scan", d / "nope.pkl"], "not found"),
    ("scan-not-a-model", lambda d: ["scan", d / "data.parquet"], "model"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_refused(case, inputs: Path, refused, capsys) -> None:
    _, build, message = case
    args = [*build(inputs)]
    if args[0] == "run":
        args += outs(inputs)
    refused(args, message, untouched=(inputs / "marker", inputs / "data.parquet",
                                      inputs / "model.joblib"))
    assert not (inputs / "marker").exists()


def test_messages_are_constants() -> None:
    assert "--trust-model" in REFUSED_PICKLE and "audit scan" in REFUSED_PICKLE
    assert "--trust-type" in REFUSED_SKOPS and "--trust-model" in REFUSED_SKOPS
    assert "joblib.dump" in UNREADABLE
