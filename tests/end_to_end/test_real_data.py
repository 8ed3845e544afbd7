"""A real public dataset shipped inside a PyPI wheel (scikit-lego's arrests data)."""

from __future__ import annotations

import importlib.util
import json

from conftest import ROOT

from audit.cli import main


def _arrests():
    spec = importlib.util.spec_from_file_location("arrests_example", ROOT / "examples" / "arrests.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_arrests_audit_reads_sensibly(tmp_path, capsys):
    paths = _arrests().write(tmp_path)
    code = main(["run", str(paths["skops"]), str(paths["parquet"]), "-c", str(paths["config"]),
                 "--no-what-if", "--n-boot", "200", "-o", str(tmp_path / "r.html"), "--json",
                 str(tmp_path / "a.json")])
    err = capsys.readouterr().err
    assert code in (0, 1), err
    doc = json.loads((tmp_path / "a.json").read_text())
    race = next(t for t in doc["fairness"] if t["attribute"] == "race")
    assert [g["group"] for g in race["groups"]] == ["White", "Black"]
    # released rate is lower for Black people in the data itself (0.74 vs 0.86 overall)
    rates = {g["group"]: g["metrics"]["base_rate"]["value"] for g in race["groups"]}
    assert rates["Black"] < rates["White"]
    assert doc["explanation"]["additivity_ok"]
    assert doc["complexity"]["outcome"] in ("pays_for_itself", "review", "does_not_pay",
                                            "simpler_but_worse", "withheld")
    # sex and age are model inputs: direct use must be reported
    assert {f["subject"] for f in doc["findings"] if f["code"] == "SPEC001"} == {"gender", "age"}
    html = (tmp_path / "r.html").read_text()
    assert "released with a summons" in html
