"""The Spark engine gives the audit the same batches, counts and rows as the streaming engine.

Real parts only: a local[2] Spark session (``spark`` fixture) reads the parquet files that
``FileSource`` reads with pyarrow, and both map the same functions over them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from functools import reduce

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import audit
from audit._engines.rows import row_hashes
from audit._engines.sources import FileSource
from audit._errors import InputError

try:  # the executors cannot import this test module: ship its functions and classes by value
    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
except ImportError:
    pass

PROTECTED = ["gender", "race", "region"]


# --------------------------------------------------------------------------- partials


@dataclass
class Cells:
    """Rows per (gender, race, region, target); missing gender is its own key."""

    counts: dict = field(default_factory=dict)
    rows: int = 0
    batches: int = 0

    def merge(self, other: Cells) -> Cells:
        counts = dict(self.counts)
        for key, n in other.counts.items():
            counts[key] = counts.get(key, 0) + n
        return Cells(counts, self.rows + other.rows, self.batches + other.batches)


def count_cells(df: pd.DataFrame) -> Cells:
    keys = df[PROTECTED].astype(object).where(df[PROTECTED].notna(), "<missing>")
    keys["target"] = df["target"].to_numpy()
    counts = keys.value_counts(sort=False).to_dict()
    return Cells({tuple(map(str, k)): int(n) for k, n in counts.items()}, len(df), 1)


@dataclass
class Hashes:
    values: np.ndarray

    def merge(self, other: Hashes) -> Hashes:
        return Hashes(np.concatenate([self.values, other.values]))


def hash_rows(df: pd.DataFrame) -> Hashes:
    return Hashes(row_hashes(df, seed=7))


@dataclass
class Dtypes:
    seen: frozenset

    def merge(self, other: Dtypes) -> Dtypes:
        return Dtypes(self.seen | other.seen)


def dtypes_of(df: pd.DataFrame) -> Dtypes:
    return Dtypes(frozenset((str(c), str(t)) for c, t in df.dtypes.items()))


def refuse(df: pd.DataFrame) -> Cells:
    raise InputError("column 'gender' of data 'x' is not what it should be - fix it")


def merged(parts):
    return reduce(lambda a, b: a.merge(b), parts)


def spark_source(data, spark, **kw):
    from audit._engines.spark import SparkSource

    return SparkSource(data, session=spark, **kw)


# --------------------------------------------------------------------------- the same numbers


@pytest.mark.spark
@pytest.mark.parametrize("fixture", ["parquet_dir", "hive_dir"])
def test_counts_hashes_and_dtypes_equal_the_streaming_engine(fixture, request, spark) -> None:
    data = request.getfixturevalue(fixture)
    files, sparks = FileSource(data), spark_source(data, spark)
    assert sparks.columns == files.columns
    assert sparks.total_rows() == files.total_rows() == 3000
    for fn, cols in [(count_cells, PROTECTED + ["target"]), (hash_rows, None), (dtypes_of, None)]:
        ours, theirs = merged(sparks.partials(fn, cols)), merged(files.partials(fn, cols))
        if fn is hash_rows:
            assert len(ours.values) == 3000
            assert np.array_equal(np.sort(ours.values), np.sort(theirs.values))
        elif fn is count_cells:
            assert ours.counts == theirs.counts and ours.rows == 3000
        else:
            assert ours == theirs


@pytest.mark.spark
def test_missing_text_stays_missing_and_the_text_nan_stays_text(parquet_dir, spark) -> None:
    cells = merged(spark_source(parquet_dir, spark).partials(count_cells, PROTECTED + ["target"]))
    genders = {k[0] for k in cells.counts}
    assert genders == {"Female", "Male", "nan", "<missing>"}


@pytest.mark.spark
def test_each_partition_merges_its_batches_and_empty_partitions_send_nothing(parquet_dir,
                                                                            spark) -> None:
    source = spark_source(parquet_dir, spark)
    source.batch_rows = 100
    parts = list(source.partials(count_cells, PROTECTED + ["target"]))
    partitions = source.frame.rdd.getNumPartitions()
    assert partitions == 5  # one per file (the fixture's open cost), the empty file included
    assert len(parts) == 4  # the empty file's partition sends nothing
    assert all(p.rows > 0 and p.batches >= p.rows / 100 for p in parts)
    assert sorted(p.rows for p in parts) == sorted(
        len(b) for f in FileSource(parquet_dir).files
        for b in [pd.read_parquet(f)] if len(b))


@pytest.mark.spark
def test_many_partitions_are_merged_on_the_executors_first(parquet_dir, spark) -> None:
    source = spark_source(parquet_dir, spark)
    source.fan_in = 2
    ticks: list[int] = []
    parts = list(source.partials(count_cells, PROTECTED + ["target"], ticks.append))
    assert len(parts) <= 2
    assert merged(parts).counts == merged(FileSource(parquet_dir).partials(
        count_cells, PROTECTED + ["target"])).counts
    assert ticks and ticks[-1] == 3000 and ticks == sorted(ticks)


@pytest.mark.spark
def test_an_error_in_a_task_is_raised_on_the_driver_as_it_was(parquet_dir, spark) -> None:
    with pytest.raises(InputError, match="^column 'gender' of data 'x' is not what it should be"):
        list(spark_source(parquet_dir, spark).partials(refuse, ["gender"]))


# --------------------------------------------------------------------------- what data can be


@pytest.mark.spark
def test_a_truncated_file_is_a_one_line_input_error(parquet_dir, tmp_path, spark) -> None:
    for f in FileSource(parquet_dir).files:
        (tmp_path / f.name).write_bytes(f.read_bytes())
    bad = tmp_path / "part-1.parquet"
    bad.write_bytes(bad.read_bytes()[:3000])
    with pytest.raises(InputError) as caught:
        list(spark_source(tmp_path, spark).partials(count_cells, PROTECTED + ["target"]))
    message = str(caught.value)
    assert message.startswith(f"data '{tmp_path}' has a file that Spark cannot read (")
    assert "part-1.parquet" in message and "\n" not in message
    assert message.endswith(") - it may be truncated or corrupt; re-export it or leave it out")


@pytest.mark.spark
def test_a_table_name_is_read_with_spark_table(parquet_dir, spark) -> None:
    spark.read.parquet(str(parquet_dir)).createOrReplaceTempView("audit_scores")
    source = spark_source("audit_scores", spark)
    assert source.name == "audit_scores"
    assert source.total_rows() == 3000  # a count(): a table has no footers to read
    assert merged(source.partials(hash_rows, None)).values.size == 3000


@pytest.mark.spark
def test_a_saved_table_gives_the_rows_of_its_source_files(parquet_dir, spark) -> None:
    """Written by Spark (no pandas metadata), read back by name: the same row hashes."""
    spark.read.parquet(str(parquet_dir)).write.mode("overwrite").saveAsTable("audit_saved")
    try:
        ours = merged(spark_source("audit_saved", spark).partials(hash_rows, None)).values
        theirs = merged(FileSource(parquet_dir).partials(hash_rows, None)).values
        assert np.array_equal(np.sort(ours), np.sort(theirs))
    finally:
        spark.sql("DROP TABLE IF EXISTS audit_saved")


@pytest.mark.spark
def test_a_dataframe_is_taken_as_it_is(hive_dir, spark) -> None:
    frame = spark.read.parquet(str(hive_dir)).where("region = 'north'")
    source = spark_source(frame, spark)
    assert source.total_rows() is None  # counting would compute the frame twice
    cells = merged(source.partials(count_cells, PROTECTED + ["target"]))
    assert {k[2] for k in cells.counts} == {"north"} and cells.rows > 0


@pytest.mark.spark
def test_a_name_that_is_neither_a_path_nor_a_table_is_refused(spark) -> None:
    with pytest.raises(InputError, match="^data 'no_such_scores' is neither an existing parquet "
                                         "path nor a table of the Spark session"):
        spark_source("no_such_scores", spark)


@pytest.mark.spark
def test_csv_is_refused_with_the_engine_that_reads_it(tmp_path, spark) -> None:
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    with pytest.raises(InputError, match="is CSV - --engine spark reads parquet"):
        spark_source(tmp_path, spark)


@pytest.mark.spark
def test_a_session_it_did_not_start_stays_up(parquet_dir, spark) -> None:
    from audit._engines.spark import SparkSource

    with SparkSource(parquet_dir) as source:  # session=None: the active session is used
        assert source.session is spark
    spark_source(parquet_dir, spark).close()
    assert spark.range(3).count() == 3


@pytest.mark.spark
def test_a_session_it_started_is_stopped_when_the_audit_ends(parquet_dir) -> None:
    """In a fresh process (one JVM per process): start local[1], use it, stop it."""
    script = textwrap.dedent(f"""
        import os, sys
        os.environ.pop("PYSPARK_PYTHON", None)
        from pyspark import SparkContext
        from audit._engines.spark import SparkSource
        with SparkSource({str(parquet_dir)!r}, master="local[1]") as source:
            n = sum(p for p in source.partials(len, ["race"]))
            assert os.environ["PYSPARK_PYTHON"] == sys.executable
            conf = source.session.conf
            assert conf.get("spark.sql.execution.arrow.pyspark.enabled") == "true"
        assert SparkContext._active_spark_context is None
        try:
            SparkSource("no_such_scores", master="local[1]")
        except ValueError as exc:  # InputError; the session started for it is stopped
            assert "is neither an existing parquet path" in str(exc)
        assert SparkContext._active_spark_context is None
        print(n)
    """)
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", script], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-1] == "3000"


# --------------------------------------------------------------------------- without the parts


NEEDS_PYSPARK = ("--engine spark needs pyspark, which is not installed in this Python ({}) - "
                 "install it: pip install 'model-audit[spark]'")


def test_without_pyspark_the_error_says_how_to_install_it(monkeypatch) -> None:
    from audit._engines.spark import SparkSource

    monkeypatch.setitem(sys.modules, "pyspark", None)  # "import pyspark" now fails
    with pytest.raises(InputError) as caught:
        SparkSource("scores/")
    assert str(caught.value) == NEEDS_PYSPARK.format(sys.executable)


def test_the_cli_without_pyspark_exits_2_with_one_line(monkeypatch, tmp_path, refused,
                                                       small_files) -> None:
    from conftest import outs

    monkeypatch.setitem(sys.modules, "pyspark", None)
    model, data = small_files
    line = refused(["run", model, data, "--engine", "spark", *outs(tmp_path)],
                   "pip install 'model-audit[spark]'")
    assert line == "audit: error: " + NEEDS_PYSPARK.format(sys.executable)


def test_without_java_the_error_says_what_to_install(monkeypatch, tmp_path) -> None:
    from audit._engines.spark import check_java

    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(InputError) as caught:
        check_java("4.0.1")
    assert str(caught.value) == (
        f"--engine spark needs Java 17 or newer (JAVA_HOME or java on PATH), found "
        f"JAVA_HOME={tmp_path} has no bin/java - install a JRE (Debian: apt-get install "
        "default-jre-headless) or set JAVA_HOME")
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InputError, match="found no java on PATH and no JAVA_HOME - install a JRE"):
        check_java("3.5.1")


def test_a_java_too_old_for_this_pyspark_is_named(monkeypatch, tmp_path) -> None:
    from audit._engines.spark import check_java

    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text('#!/bin/sh\necho \'openjdk version "11.0.2" 2019-01-15\' >&2\n')
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(InputError, match=f"needs Java 17 or newer .*found Java 11 at {java} -"):
        check_java("4.0.1")
    check_java("3.5.1")  # pyspark 3.5 runs on Java 8 and later


# --------------------------------------------------------------------------- the whole audit


SAME_NUMBERS = ("overall", "fairness", "verdict")
SAME_SAMPLE = ("findings", "explanation", "complexity", "troublemakers")


def _part(result: dict, key: str) -> str:
    return json.dumps(result[key], sort_keys=True)


@pytest.mark.spark
@pytest.mark.parametrize("fixture", ["parquet_dir", "hive_dir"])
def test_the_audit_gives_the_same_json_on_every_engine(fixture, request, spark, rows_df) -> None:
    """pandas (the rows in memory), streaming and Spark local[2], same data and seed: the
    fairness tables, verdict and overall part byte for byte; streaming and Spark also pick
    the same sample, so the sample-based parts are equal too."""
    data = request.getfixturevalue(fixture)
    model = LogisticRegression().fit(rows_df[["income", "age"]], rows_df.target)
    opts = dict(seed=5, n_boot=100, what_if=False)
    results = {engine: audit.run(model, rows_df if engine == "pandas" else data, engine=engine,
                                 spark=spark, **opts).to_dict()
               for engine in ("pandas", "stream", "spark")}
    assert results["spark"]["spec"]["n_rows"] == 3000
    for key in SAME_NUMBERS:
        assert _part(results["pandas"], key) == _part(results["stream"], key) \
            == _part(results["spark"], key), key
    for key in SAME_SAMPLE:
        assert _part(results["stream"], key) == _part(results["spark"], key), key
    # pyspark's notice that it does not fully support pandas 3 is not an audit warning
    assert results["spark"]["provenance"]["warnings"] == results["stream"]["provenance"]["warnings"]
    assert spark.range(2).count() == 2  # the audit did not stop the caller's session


@pytest.mark.spark
def test_a_spark_dataframe_is_audited_with_spark_without_asking(parquet_dir, spark,
                                                               rows_df) -> None:
    model = LogisticRegression().fit(rows_df[["income", "age"]], rows_df.target)
    opts = dict(seed=5, n_boot=100, what_if=False, skip=("explain", "complexity", "proxies"))
    frame = spark.read.parquet(str(parquet_dir))
    from_frame = audit.run(model, frame, **opts).to_dict()  # no engine, no spark=: both found
    streamed = audit.run(model, parquet_dir, engine="stream", **opts).to_dict()
    for key in SAME_NUMBERS:
        assert _part(from_frame, key) == _part(streamed, key), key
    assert spark.range(2).count() == 2
