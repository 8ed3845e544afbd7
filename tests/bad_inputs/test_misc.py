"""The bad-input matrix: audit.json files that `render` and `diff` refuse, and stage names.

Each row: what is wrong, the arguments, a substring of the one-line message. The
``refused`` fixture (tests/conftest.py) checks exit 2, one line, no traceback,
no report written and the inputs untouched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import outs

NESTED = "[" * 100_000 + "]" * 100_000


def _write_jsons(d: Path, golden: Path) -> None:
    """Broken audit.json files beside a good one (the demo's golden)."""
    good = json.loads(golden.read_text(encoding="utf-8"))
    (d / "good.json").write_text(golden.read_text(encoding="utf-8"), encoding="utf-8")
    (d / "nested.json").write_text(NESTED)
    (d / "nested_in_object.json").write_text('{"schema_version": "1.0", "spec": ' + NESTED + "}")
    (d / "not_json.json").write_text("this is not JSON")
    (d / "binary.json").write_bytes(b"\xff\xfe\x00\x81 not text")
    (d / "list.json").write_text("[1, 2, 3]")
    (d / "string.json").write_text('"audit"')
    (d / "version.json").write_text(json.dumps({**good, "schema_version": "0.1"}))
    (d / "no_verdict.json").write_text(json.dumps({k: v for k, v in good.items()
                                                   if k != "verdict"}))
    (d / "huge_int.json").write_text(json.dumps(good).replace('"seed": 0', '"seed": '
                                                              + "9" * 5000, 1))
    (d / "huge_float.json").write_text(json.dumps(good).replace('"seed": 0', '"seed": 1e999', 1))
    (d / "nan.json").write_text(json.dumps(good).replace('"seed": 0', '"seed": NaN', 1))
    (d / "a_dir.json").mkdir()


JSON_CASES = [
    # (id, file, message)
    ("missing", "nope.json", "nope.json' not found"),
    ("directory", "a_dir.json", "a_dir.json' not found"),
    ("not-json", "not_json.json", "is not valid JSON"),
    ("not-utf8", "binary.json", "is not valid JSON"),
    ("nested-100000-lists", "nested.json", "nested too deeply"),
    ("nested-inside-object", "nested_in_object.json", "nested too deeply"),
    ("top-level-list", "list.json", "holds a list, not an object"),
    ("top-level-string", "string.json", "holds a string, not an object"),
    ("other-schema-version", "version.json", "schema_version '0.1'"),
    ("missing-key", "no_verdict.json", "does not match schema"),
    ("huge-integer", "huge_int.json", "number too large"),
    ("huge-float", "huge_float.json", "number too large"),
    ("nan-token", "nan.json", "NaN is not standard JSON"),
]


@pytest.fixture(scope="module")
def jsons(tmp_path_factory, golden_json: Path) -> Path:
    d = tmp_path_factory.mktemp("jsons")
    _write_jsons(d, golden_json)
    return d


@pytest.mark.parametrize("case", JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_render_refuses(case, jsons: Path, tmp_path: Path, refused) -> None:
    _, name, message = case
    line = refused(["render", jsons / name, "-o", tmp_path / "r.html"], message,
                   untouched=(jsons / name,) if (jsons / name).is_file() else ())
    assert name in line  # the message names the input


@pytest.mark.parametrize("case", JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_diff_refuses(case, jsons: Path, tmp_path: Path, refused) -> None:
    _, name, message = case
    bad = jsons / name
    untouched = (jsons / "good.json", bad) if bad.is_file() else (jsons / "good.json",)
    refused(["diff", bad, jsons / "good.json", "-o", tmp_path / "r.html"], message,
            untouched=untouched)


@pytest.mark.parametrize("name", ["nested.json", "list.json"])
def test_diff_refuses_a_bad_new_json(name: str, jsons: Path, tmp_path: Path, refused) -> None:
    refused(["diff", jsons / "good.json", jsons / name, "-o", tmp_path / "r.html"], name,
            untouched=(jsons / "good.json", jsons / name))


STAGE_CASES = [
    # (id, extra args, config text or None, message)
    ("skip-unknown-stage", ["--skip", "proxies,shapley"], None,
     "unknown stage 'shapley' in skip - the stages are explain, complexity, proxies, what-if"),
    ("skip-empty", ["--skip", ","], None, "--skip needs stage names"),
    ("config-skip-unknown", [], 'skip = ["whatif2"]\n', "unknown stage 'whatif2'"),
    ("config-skip-not-list", [], 'skip = "proxies"\n', "'skip' must be a list"),
]


@pytest.mark.parametrize("case", STAGE_CASES, ids=[c[0] for c in STAGE_CASES])
def test_stage_names_refused(case, tmp_path: Path, small_files, refused) -> None:
    _, extra, toml, message = case
    model, data = small_files
    args = ["run", model, data, *extra, *outs(tmp_path)]
    if toml is not None:
        (tmp_path / "audit.toml").write_text(toml)
        args += ["-c", tmp_path / "audit.toml"]
    refused(args, message, untouched=(model, data))
