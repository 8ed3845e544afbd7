"""The streaming engine gives the in-memory engine's numbers, however the rows are split."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

import audit
from audit._engines.passes import FirstPlan, first_pass
from audit._engines.scan import _merged
from audit._engines.sources import FileSource, FrameSource
from audit._errors import InputError
from audit.cli import main

FAST = dict(n_boot=100, what_if=False, skip=("explain", "complexity", "proxies"))
COMPARED = ("overall", "fairness", "verdict")


def _table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "x": rng.normal(size=n), "income": rng.lognormal(10, 1, n).round(2),
        "sex": rng.choice(["F", "M", None], n, p=[.48, .48, .04]),
        "race": rng.choice(["A", "B", "C", "D"], n, p=[.6, .25, .12, .03]),
        "state": rng.choice([f"S{i:02d}" for i in range(15)], n),
        "age": rng.integers(18, 90, n).astype(float)})
    df.loc[rng.random(n) < .03, "age"] = np.nan
    df["target"] = (df.x + (df.race == "B") * .6 + rng.normal(size=n) > .3).astype(float)
    df.loc[rng.random(n) < .02, "target"] = np.nan  # unlabelled rows are left out
    return df


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return _table()


@pytest.fixture(scope="module")
def model(table: pd.DataFrame) -> LogisticRegression:
    known = table.dropna(subset=["target"])
    return LogisticRegression().fit(known[["x", "income"]], known.target)


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory, table: pd.DataFrame) -> Path:
    """Five files: uneven sizes, an empty one, one holding a single race only."""
    d = tmp_path_factory.mktemp("parts")
    only_d = table[table.race == "D"]
    rest = table[table.race != "D"]
    pieces = [rest.iloc[:100], rest.iloc[100:1700], only_d, rest.iloc[1700:], rest.iloc[:0]]
    for i, piece in enumerate(pieces):
        piece.to_parquet(d / f"part-{i}.parquet", index=False)
    (d / "_SUCCESS").write_text("")  # bookkeeping files are not data
    return d


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    for key in COMPARED:
        assert json.dumps(a[key], sort_keys=True) == json.dumps(b[key], sort_keys=True), key


def _without_source(findings: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps({**f, "details": {k: v for k, v in f["details"].items()
                                                if k != "source"}}, sort_keys=True)
                  for f in findings)


def test_files_in_batches_give_the_numbers_of_the_table_in_memory(
        table: pd.DataFrame, model: LogisticRegression, parts: Path) -> None:
    in_memory = audit.run(model, table, **FAST).to_dict()
    one_batch = audit.run(model, table, engine="stream", **FAST).to_dict()
    files = audit.run(model, parts, engine="stream", **FAST).to_dict()
    _same(in_memory, one_batch)
    _same(in_memory, files)
    assert _without_source(in_memory["findings"]) == _without_source(files["findings"])
    assert files["spec"]["n_rows"] == in_memory["spec"]["n_rows"] == int(table.target.notna().sum())
    assert files["spec"]["n_rows_input"] == len(table)


def test_batch_size_does_not_change_the_sample_or_the_counts(table: pd.DataFrame,
                                                              parts: Path) -> None:
    plan = FirstPlan(seed=3, target="target", protected=("race", "sex"), sample_rows=500,
                     per_group_rows=20, sanity_target="target")
    fn = functools.partial(first_pass, plan=plan)
    whole = _merged(FrameSource(table).partials(fn, None))
    split = [_merged(FileSource(parts, batch_rows=rows).partials(fn, None)) for rows in (97, 1000)]
    for other in split:
        assert whole is not None and other is not None
        pd.testing.assert_frame_equal(whole.sample.frame().reset_index(drop=True),
                                      other.sample.frame().reset_index(drop=True),
                                      check_dtype=False)
        assert whole.combos.rows["__audit_combo_rows"].tolist() == \
            other.combos.rows["__audit_combo_rows"].tolist()
    sample = whole.sample.frame() if whole is not None else None
    assert sample is not None and 500 <= len(sample) < len(table)
    assert (sample.race == "D").sum() >= 20  # small groups are kept in the sample


def test_hive_partition_folders_are_columns(tmp_path: Path, table: pd.DataFrame,
                                            model: LogisticRegression) -> None:
    for state, part in table.groupby("state"):
        folder = tmp_path / f"state={state}"
        folder.mkdir()
        part.drop(columns="state").to_parquet(folder / "data.parquet", index=False)
    assert "state" in FileSource(tmp_path).columns
    _same(audit.run(model, table, **FAST).to_dict(),
          audit.run(model, tmp_path, engine="stream", **FAST).to_dict())


def test_hive_folder_names_are_decoded_as_spark_and_hive_write_them(
        tmp_path: Path, table: pd.DataFrame, model: LogisticRegression) -> None:
    """Spark and Hive escape characters such as ``=``, ``/``, ``%`` and ``:`` in partition
    folder names (``%3D``...) and write a missing value as ``__HIVE_DEFAULT_PARTITION__``:
    the groups are the values themselves, and a missing one is missing (pyarrow's
    hive partitioning reads them the same way)."""
    names = {"S00": "A=B", "S01": "50%", "S02": "N/A: west", "S03": None}
    renamed = table.assign(state=table.state.map(lambda s: names.get(s, s)))
    renamed.loc[table.state.eq("S03"), "state"] = None
    for state, part in table.groupby("state"):
        label = names.get(state, state)
        folder = "__HIVE_DEFAULT_PARTITION__" if label is None else quote(label, safe=" ")
        (tmp_path / f"state={folder}").mkdir()
        part.drop(columns="state").to_parquet(tmp_path / f"state={folder}" / "d.parquet",
                                              index=False)
    streamed = audit.run(model, tmp_path, engine="stream", **FAST).to_dict()
    _same(audit.run(model, renamed, **FAST).to_dict(), streamed)
    groups = {g["group"] for t in streamed["fairness"] if t["columns"] == ["state"]
              for g in t["groups"]}
    assert {"A=B", "50%", "N/A: west"} <= groups and "__HIVE_DEFAULT_PARTITION__" not in groups


def test_predictions_only_and_csv(tmp_path: Path, table: pd.DataFrame,
                                  model: LogisticRegression) -> None:
    known = table.dropna(subset=["target"])
    scored = table.assign(score=0.0, decision=0)
    scored.loc[known.index, "score"] = model.predict_proba(known[["x", "income"]])[:, 1]
    scored["decision"] = (scored.score >= .5).astype(int)
    scored.to_csv(tmp_path / "scored.csv", index=False)
    opts = dict(FAST, predictions="decision", scores="score")
    in_memory = audit.run(None, pd.read_csv(tmp_path / "scored.csv"), **opts).to_dict()
    streamed = audit.run(None, tmp_path / "scored.csv", engine="stream", **opts).to_dict()
    _same(in_memory, streamed)
    assert streamed["spec"]["scores_how"] == in_memory["spec"]["scores_how"]


def test_auto_engine_streams_a_directory_and_the_cli_reports_it(
        tmp_path: Path, parts: Path, model: LogisticRegression) -> None:
    import joblib

    joblib.dump(model, tmp_path / "model.joblib")
    out = tmp_path / "audit.json"
    code = main(["run", str(tmp_path / "model.joblib"), str(parts), "-q", "--n-boot", "50",
                 "--no-what-if", "--skip", "explain,complexity,proxies",
                 "-o", str(tmp_path / "r.html"), "--json", str(out)])
    assert code in (0, 1)
    result = json.loads(out.read_text())
    assert any("Read with the stream engine: all" in note and "rows are counted" in note
               for note in result["spec"]["notes"])
    data = next(f for f in result["provenance"]["files"] if f["role"] == "data")
    assert "5 files" in data["detail"]


@pytest.mark.parametrize("make, message", [
    (lambda d: None, "holds no .parquet or .csv file"),
    (lambda d: ((d / "a.csv").write_text("x\n1\n"), pd.DataFrame({"x": [1]}).to_parquet(
        d / "b.parquet")), "mixes CSV and parquet files"),
    (lambda d: (pd.DataFrame({"x": [1]}).to_parquet(d / "a.parquet"),
                pd.DataFrame({"y": [1]}).to_parquet(d / "b.parquet")), "has other columns"),
    (lambda d: (d / "a.parquet").write_bytes(b"PAR1 not really"), "not a readable parquet"),
])
def test_bad_directories_are_one_line_errors(tmp_path: Path, make: Any, message: str) -> None:
    make(tmp_path)
    with pytest.raises(InputError, match=message):
        list(FileSource(tmp_path).partials(len, None))


def test_cli_exit_2_for_a_regression_model_streamed(tmp_path: Path, table: pd.DataFrame,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import joblib

    known = table.dropna(subset=["target"]).assign(y=lambda d: d.income / 1000)
    joblib.dump(LinearRegression().fit(known[["x"]], known.y), tmp_path / "m.joblib")
    known.to_parquet(tmp_path / "d.parquet")
    code = main(["run", str(tmp_path / "m.joblib"), str(tmp_path / "d.parquet"),
                 "--engine", "stream", "--target", "y", "-q",
                 "-o", str(tmp_path / "r.html"), "--json", str(tmp_path / "a.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "regression model" in err[0] and "--engine pandas" in err[0]
    assert not (tmp_path / "r.html").exists()


def test_progress_ticks_count_rows_up_to_the_total(parts: Path) -> None:
    seen: list[int] = []
    source = FileSource(parts, batch_rows=500)
    list(source.partials(len, ["x"], seen.append))
    assert seen == sorted(seen) and seen[-1] == source.total_rows()


def test_row_identity_ignores_type_and_order_but_not_large_integers() -> None:
    from audit._engines.rows import column_hashes, row_hashes

    a = pd.DataFrame({"n": pd.array([1, 2, None], dtype="Int64"), "t": ["x", None, "y"],
                      "b": [True, None, False]})
    b = pd.DataFrame({"b": pd.Series([True, None, False], dtype="boolean"),
                      "t": pd.Categorical(["x", None, "y"]), "n": [1.0, 2.0, np.nan]})
    assert (row_hashes(a, 5) == row_hashes(b, 5)).all()
    assert (row_hashes(a, 5) != row_hashes(a, 6)).all()
    big = column_hashes(pd.Series([2**53, 2**53 + 1], dtype="int64"))
    assert big[0] != big[1]


def test_explanations_of_the_sample_are_weighted_back_to_the_table() -> None:
    """The sample holds extra rows of small groups; SHAP means are weighted to the table."""
    table = _table(20000, seed=1).drop(columns="age").dropna(subset=["target"])
    table["x"] += (table.race == "D") * 3  # the small group's rows would distort unweighted means
    model = LogisticRegression().fit(table[["x", "income"]], table.target)
    opts = dict(n_boot=50, what_if=False, skip=("complexity", "proxies"))
    small = audit.run(model, table, engine="stream", sample_rows=300, **opts)
    assert small.explanation is not None and small.explanation.weighted
    every = audit.run(model, table, **opts)
    assert every.explanation is not None
    mine = {f.feature: f.mean_abs_shap for f in small.explanation.global_importance}
    full = {f.feature: f.mean_abs_shap for f in every.explanation.global_importance}
    # mean |SHAP| of x: 1.061 on the whole table; 1.052 weighted; 1.137 unweighted (the small
    # group's shifted rows are over-represented in the sample)
    assert mine["x"] == pytest.approx(full["x"], rel=0.03)


@pytest.mark.parametrize("args, message", [
    (["--engine", "pandas"], "is a directory - the pandas engine reads one file; drop --engine "
                             "pandas to stream"),
    (["--sample-rows", "0"], "sample_rows must be a whole number of at least 1, found 0"),
])
def test_cli_engine_errors_are_one_line(tmp_path: Path, parts: Path, model: LogisticRegression,
                                        capsys: pytest.CaptureFixture[str], args: list[str],
                                        message: str) -> None:
    import joblib

    joblib.dump(model, tmp_path / "m.joblib")
    code = main(["run", str(tmp_path / "m.joblib"), str(parts), *args, "-q",
                 "-o", str(tmp_path / "r.html"), "--json", str(tmp_path / "a.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0]


def test_engine_in_audit_toml_is_checked(table: pd.DataFrame, model: LogisticRegression) -> None:
    from audit._errors import ConfigError

    with pytest.raises(ConfigError, match="engine must be one of pandas, stream, spark, found 'gpu'"):
        audit.run(model, table, engine="gpu", **FAST)
