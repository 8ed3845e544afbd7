"""The bad-input matrix, outputs: an output path that would destroy an input or another
output, or that cannot be written, is refused before any work (issue 9, items 3 and 4).

Each row: what is wrong, the arguments, a substring of the one-line message. The
``refused`` fixture (tests/conftest.py) checks exit 2, one line, no traceback, no
report written and every input byte-identical afterwards. The audit itself is
replaced by a function that fails the test: every refusal here must come first.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, outs

#: The inputs whose bytes must survive every row.
KEPT = ("model.joblib", "data.parquet", "audit.toml", "policy.toml", "a.json", "b.json",
        "link.parquet", "sym.joblib")

RUN = [
    # (id, extra arguments after outs(), message)
    ("out-is-data", lambda d: ["-o", d / "data.parquet"],
     "-o '{d}/data.parquet' is the data file '{d}/data.parquet' - writing there would destroy"),
    ("json-is-model", lambda d: ["--json", d / "model.joblib"],
     "--json '{d}/model.joblib' is the model file '{d}/model.joblib'"),
    ("out-is-json", lambda d: ["-o", d / "same.out", "--json", d / "same.out"],
     "-o '{d}/same.out' and --json '{d}/same.out' are the same file"),
    ("out-is-json-spelled-differently", lambda d: ["-o", d / "same.out",
                                                   "--json", f"{d}/x/../same.out"],
     "are the same file"),
    ("out-is-config", lambda d: ["-c", d / "audit.toml", "-o", d / "audit.toml"],
     "is the config file"),
    ("json-is-policy", lambda d: ["--policy", d / "policy.toml", "--json", d / "policy.toml"],
     "is the policy file"),
    ("out-is-hard-link-to-data", lambda d: ["-o", d / "link.parquet"],
     "is the data file '{d}/data.parquet'"),
    ("json-is-symlink-to-model", lambda d: ["--json", d / "sym.joblib"],
     "is the model file '{d}/model.joblib'"),
    ("json-is-data-via-dotdot", lambda d: ["--json", f"{d}/nowhere/../data.parquet"],
     "is the data file"),
    ("pdf-is-data", lambda d: ["--pdf", d / "data.parquet"], "--pdf '{d}/data.parquet' is the data"),
    ("pdf-is-report", lambda d: ["--pdf", d / "r.html"],
     "-o '{d}/r.html' and --pdf '{d}/r.html' are the same file"),
    ("pdf-default-is-report", lambda d: ["-o", d / "r.pdf", "--pdf"],
     "-o '{d}/r.pdf' and --pdf '{d}/r.pdf' are the same file"),
    ("pdf-is-json", lambda d: ["--pdf", d / "r.json"], "are the same file"),
    ("loss-config-is-data", lambda d: ["--emit-loss-config", d / "data.parquet"],
     "--emit-loss-config '{d}/data.parquet' is the data file"),
    ("loss-config-is-json", lambda d: ["--emit-loss-config", d / "r.json"],
     "--json '{d}/r.json' and --emit-loss-config '{d}/r.json' are the same file"),
    ("loss-config-is-report", lambda d: ["--emit-loss-config", d / "r.html"], "the same file"),
    ("loss-config-is-config", lambda d: ["-c", d / "audit.toml", "--emit-loss-config",
                                         d / "audit.toml"], "is the config file"),
    ("out-under-a-file", lambda d: ["-o", d / "data.parquet" / "r.html"],
     "-o '{d}/data.parquet/r.html' is under '{d}/data.parquet', which is a file"),
    ("json-deep-under-a-file", lambda d: ["--json", d / "model.joblib" / "x" / "r.json"],
     "is under '{d}/model.joblib', which is a file"),
    ("out-is-a-directory", lambda d: ["-o", d / "sub"],
     "-o '{d}/sub' is a directory - pass the path of a file in it, e.g. "
     "'{d}/sub/audit_report.html'"),
    ("json-ends-with-slash", lambda d: ["--json", f"{d}/newdir/"], "is a directory"),
    ("json-directory-missing", lambda d: ["--json", d / "missing" / "r.json"],
     "--json '{d}/missing/r.json': directory '{d}/missing' does not exist - create it first"),
    ("pdf-directory-missing", lambda d: ["--pdf", d / "missing" / "r.pdf"], "does not exist"),
    ("loss-config-is-a-directory", lambda d: ["--emit-loss-config", d / "sub"], "is a directory"),
    ("json-is-a-device", lambda d: ["--json", "/dev/null"],
     "--json '/dev/null' exists and is not a regular file"),
]

OTHER = [
    ("render-onto-its-json", lambda d: ["render", d / "a.json", "-o", d / "a.json"],
     "-o '{d}/a.json' is the audit JSON '{d}/a.json'"),
    ("render-out-is-a-directory", lambda d: ["render", d / "a.json", "-o", d / "sub"],
     "is a directory"),
    ("render-out-under-a-file", lambda d: ["render", d / "a.json", "-o", d / "a.json" / "r.html"],
     "which is a file"),
    ("diff-onto-old-json", lambda d: ["diff", d / "a.json", d / "b.json", "-o", d / "a.json"],
     "-o '{d}/a.json' is the old audit JSON '{d}/a.json'"),
    ("diff-onto-new-json", lambda d: ["diff", d / "a.json", d / "b.json", "-o", d / "b.json"],
     "-o '{d}/b.json' is the new audit JSON '{d}/b.json'"),
    ("diff-directory-missing", lambda d: ["diff", d / "a.json", d / "b.json", "-o",
                                          d / "missing" / "d.html"], "does not exist"),
]


@pytest.fixture()
def inputs(tmp_path: Path, small_df: pd.DataFrame, small_model,
           monkeypatch: pytest.MonkeyPatch) -> Path:
    import joblib

    joblib.dump(small_model, tmp_path / "model.joblib")
    small_df.to_parquet(tmp_path / "data.parquet", index=False)
    (tmp_path / "audit.toml").write_text("n_boot = 50\n")
    (tmp_path / "policy.toml").write_text("# a policy\n")
    golden = gzip.open(ROOT / "tests" / "data" / "demo_no_what_if.json.gz", "rb").read()
    (tmp_path / "a.json").write_bytes(golden)
    shutil.copy(tmp_path / "a.json", tmp_path / "b.json")
    os.link(tmp_path / "data.parquet", tmp_path / "link.parquet")
    (tmp_path / "sym.joblib").symlink_to(tmp_path / "model.joblib")
    (tmp_path / "sub").mkdir()
    # --pdf looks for Chromium first; any file will do, it must never be started here
    monkeypatch.setenv("AUDIT_CHROMIUM", str(tmp_path / "policy.toml"))

    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("the audit ran before its outputs were checked")

    monkeypatch.setattr("audit._api.run", no_work)
    monkeypatch.setattr("audit._io.audit_json.read_result", no_work)
    return tmp_path


def _untouched(d: Path) -> tuple[Path, ...]:
    return tuple(d / name for name in KEPT)


@pytest.mark.parametrize("case", RUN, ids=[c[0] for c in RUN])
def test_run_output_refused(case, inputs: Path, refused) -> None:
    _, extra, message = case
    args = ["run", inputs / "model.joblib", inputs / "data.parquet", *outs(inputs),
            *extra(inputs)]
    refused(args, message.format(d=inputs), untouched=_untouched(inputs))
    assert not list(inputs.glob("**/*.tmp")) and not list(inputs.glob("**/.*.tmp"))


@pytest.mark.parametrize("case", OTHER, ids=[c[0] for c in OTHER])
def test_render_and_diff_output_refused(case, inputs: Path, refused) -> None:
    _, build, message = case
    refused(build(inputs), message.format(d=inputs), untouched=_untouched(inputs))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs POSIX permissions, which root ignores")
def test_unwritable_directory_refused(inputs: Path, refused) -> None:
    ro = inputs / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        refused(["run", inputs / "model.joblib", inputs / "data.parquet", *outs(inputs),
                 "--json", ro / "r.json"], f"directory '{ro}' is not writable",
                untouched=_untouched(inputs))
    finally:
        ro.chmod(0o700)


def test_unwritable_directory_refused_even_as_root(inputs: Path, refused,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Root may write anywhere, so the check is shown by making ``os.access`` say no."""
    ro = inputs / "ro"
    ro.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) != ro and real(p, mode, **kw))
    refused(["run", inputs / "model.joblib", inputs / "data.parquet", *outs(inputs),
             "--json", ro / "r.json"],
            f"--json '{ro}/r.json': directory '{ro}' is not writable - fix its permissions",
            untouched=_untouched(inputs))
