"""The scale benchmark still runs: generator + bare minimum at 3,000 rows (no timings asserted)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

_BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_scale.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_bench_scale", _BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # a few seconds: two child processes that import LightGBM
@pytest.mark.filterwarnings("ignore")  # the benchmark trains LightGBM like a user would
def test_generator_and_bare_minimum_run_and_reuse_the_data(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load()
    argv = ["--quick", "--rows", "3000", "--rows-per-file", "1000", "--row-group-rows", "400",
            "--shap-rows", "200", "--train-rows", "2000", "--engines", "bare",
            "--workdir", str(tmp_path)]
    assert bench.main(argv) == 0
    out, err = capsys.readouterr()
    assert "### 3,000 rows" in out
    assert "| bare | " in out and "| 1.00x | 200 |" in out
    assert "load " in out and "Versions: " in out
    files = sorted(p.name for p in (tmp_path / "rows_3000").iterdir())
    assert files == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    kept = json.loads((tmp_path / "results.json").read_text())
    (row,) = next(iter(kept.values()))
    assert row["status"] == "ok" and row["max_rss_mib"] > 0 and row["shap_rows"] == 200

    assert bench.main(argv) == 0  # the same parameters: the files are reused, not rewritten
    assert "reusing" in capsys.readouterr().err


def test_bare_minimum_counts_every_row_once_per_grouping(tmp_path: Path) -> None:
    bench = _load()
    spec = bench.DataSpec(rows=2500, rows_per_file=1000, row_group_rows=300, seed=0)
    data = bench.write_data(tmp_path, spec)
    model = bench.train_model(tmp_path, 1500, 0)
    facts = bench.bare_minimum(model, data, shap_rows=100, batch_rows=256, seed=0)
    assert facts["rows"] == 2500 and facts["files"] == 3
    # race, sex, age band, state, and race x sex, race x age, sex x age
    assert facts["groupings"] == 7
    assert facts["shap_shape"] == [100, len(bench.FEATURES) + 1]
    one = bench.one_file(data)  # what the pandas engine reads
    whole = pd.read_parquet(one)
    assert len(whole) == 2500 and whole["grade"].dtype == "category"
    assert whole.equals(pd.concat([pd.read_parquet(f) for f in bench.data_files(data)],
                                  ignore_index=True))


def test_an_engine_the_cli_rejects_is_not_available_not_a_crash() -> None:
    bench = _load()
    click_error = "Usage: audit run [OPTIONS] [MODEL] DATA\nError: No such option: --engine\n"
    assert bench.status(2, click_error) == bench.NOT_AVAILABLE
    assert bench.status(2, "Error: Invalid value for '--engine': 'spark' is not one of") == (
        bench.NOT_AVAILABLE)
    assert bench.status(0, "") == "ok"
    assert bench.status(2, "audit: error: data.parquet: no rows\n").startswith("failed (exit 2)")
