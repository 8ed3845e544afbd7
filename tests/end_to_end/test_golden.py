"""The demo's audit.json is pinned: a refactor must not change a single number.

The golden files were written by the README's demo command (data from
``examples/lending.py``, seed 0).  Everything is compared byte for byte except
what describes the machine rather than the audit: the command line, file paths,
the model file's hash (skops files differ between generations), and library
versions.  To accept an intended change, rerun with ``AUDIT_UPDATE_GOLDEN=1``
and say why in the commit.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, load_examples

from audit.cli import main

GOLDEN = ROOT / "tests" / "data"
lending = load_examples()


def _canonical(doc: dict[str, Any]) -> str:
    prov = doc["provenance"]
    prov["command"] = "<command>"
    prov["versions"] = {}
    prov["config"].pop("what_if_seconds", None)
    for f in prov["files"]:
        f["path"] = Path(f["path"]).name
        if f["role"] in ("model", "config"):
            f["sha256"] = "<varies>"
    return json.dumps(doc, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("golden")
    lending.write_demo(out / "demo", seed=0)  # what `examples/lending.py demo` writes
    # The demo's config, with a what-if time cap that a loaded machine cannot hit
    # (a capped what-if depends on machine speed).
    toml = (ROOT / "examples" / "audit.toml").read_text()
    (out / "audit.toml").write_text("what_if_seconds = 900\n" + toml)
    return out


def _check(demo_dir: Path, name: str, *extra: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo_dir)  # relative paths, as in the README (they are recorded in the JSON)
    json_path = demo_dir / f"{name}.json"
    code = main(["run", "demo/model.skops", "demo/loans.parquet", "-c", "audit.toml",
                 "-o", f"{name}.html", "--json", f"{name}.json", "-q", "--exit-zero", *extra])
    assert code == 0
    got = _canonical(json.loads(json_path.read_text()))
    golden = GOLDEN / f"{name}.json.gz"
    if os.environ.get("AUDIT_UPDATE_GOLDEN"):
        with gzip.open(golden, "wt", encoding="utf-8", compresslevel=9) as fh:
            fh.write(got)
    want = gzip.open(golden, "rt", encoding="utf-8").read()
    if got != want:
        (demo_dir / f"{name}.canonical.json").write_text(got)
        got_lines, want_lines = got.splitlines(), want.splitlines()
        first = next((i for i, (a, b) in enumerate(zip(got_lines, want_lines)) if a != b),
                     min(len(got_lines), len(want_lines)))
        pytest.fail(f"{name}: audit.json differs from {golden.name} from line {first + 1}: "
                    f"got {got_lines[first:first + 3]!r}, golden {want_lines[first:first + 3]!r} "
                    f"(full output in {demo_dir})")


def test_demo_without_what_if_is_unchanged(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _check(demo_dir, "demo_no_what_if", "--no-what-if", monkeypatch=monkeypatch)


@pytest.mark.slow
def test_demo_is_unchanged(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _check(demo_dir, "demo_full", monkeypatch=monkeypatch)
