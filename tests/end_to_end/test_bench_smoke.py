"""The end-to-end benchmark still runs: quick mode, one model, 2,000 rows (no timings asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

_BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_end_to_end.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_bench_end_to_end", _BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # about a minute: the default audit includes the what-if retraining
@pytest.mark.filterwarnings("ignore")  # the benchmark trains and calls shap like a user would
def test_quick_run_prints_every_table(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load()
    assert bench.main(["--quick", "--rows", "2000", "--models", "lightgbm",
                       "--shap-rows", "20"]) == 0
    out = capsys.readouterr().out
    for title in ("Whole audit vs bare minimum", "Audit stages", "Bare minimum",
                  "SHAP: the audit vs the model-agnostic permutation explainer"):
        assert f"### {title}" in out
    rows = [line for line in out.splitlines() if line.startswith("| lightgbm | 2,000 |")]
    assert len(rows) == 4  # summary, two audit modes, bare minimum
    assert "lightgbm_float64_tree_shap" in out  # the tree model's exact SHAP, no agnostic fallback
    assert "load " in out  # the machine load is printed beside the figures


def test_stage_names_are_short_and_stable() -> None:
    bench = _load()
    assert bench.stage_name("Computing group metrics with 1000 bootstrap resamples") == "fairness"
    assert bench.stage_name("Explaining the model with SHAP on 2000 rows") == "shap"
    assert bench.stage_name("Looking for proxy features and running the what-if") == (
        "proxies+what-if")
    assert bench.stage_name("Looking for proxy features") == "proxies"
    assert bench.stage_name("Deciding the troublemaker features") == "proxies"
    assert bench.stage_name("Something new entirely here") == "Something new entirely"
