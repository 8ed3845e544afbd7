"""Fixtures of the engine tests: ONE local Spark session, and small parquet directories.

The data: a few thousand rows over several files, one of them empty and one holding one
gender only; missing genders written as None and as NaN; a date and a time stamp; and the
same rows hive-partitioned by region (``region=north/...``).
"""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def make_rows(n: int = 3000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    gender = rng.choice(np.array(["Female", "Male", None, "nan"], dtype=object), n,
                        p=[0.45, 0.45, 0.07, 0.03])
    gender[rng.random(n) < 0.03] = np.nan  # NaN and None: both missing in parquet
    df = pd.DataFrame({
        "income": rng.normal(50, 10, n).round(2),
        "age": rng.integers(18, 80, n),
        "children": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 4, n)),
                             dtype="Int64"),
        "owner": pd.array(np.where(rng.random(n) < 0.05, None, rng.random(n) < 0.5),
                          dtype="boolean"),
        "region": rng.choice(["north", "south", "east"], n),
        "gender": pd.Series(gender, dtype=object),
        "race": pd.Series(rng.choice(["A", "B", "C"], n, p=[0.6, 0.3, 0.1])),
        "opened": [datetime.date(2020, 1, 1) + datetime.timedelta(days=int(d))
                   for d in rng.integers(0, 1500, n)],
        "seen": pd.Timestamp("2024-03-10 01:30", tz="UTC")
                + pd.to_timedelta(rng.integers(0, 86400 * 3, n), unit="s"),
        "target": rng.integers(0, 2, n),
    })
    df.loc[df.index[:5], "seen"] = pd.NaT
    return df


def _write(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)


@pytest.fixture(scope="session")
def rows_df() -> pd.DataFrame:
    return make_rows()


@pytest.fixture(scope="session")
def parquet_dir(tmp_path_factory, rows_df) -> Path:
    """Five files: three slices, one file of women only, one empty file (schema, no rows)."""
    root = tmp_path_factory.mktemp("parquet") / "scores"
    women = rows_df.gender.eq("Female")
    rest, only = rows_df[~women], rows_df[women]
    for k, part in enumerate(np.array_split(np.arange(len(rest)), 3)):
        _write(rest.iloc[part], root / f"part-{k}.parquet")
    _write(only, root / "part-3-women.parquet")
    _write(rows_df.iloc[:0], root / "part-4-empty.parquet")
    (root / "_SUCCESS").write_text("")
    return root


@pytest.fixture(scope="session")
def hive_dir(tmp_path_factory, rows_df) -> Path:
    """The same rows as ``region=<value>/part-<k>.parquet`` (region is then a folder name)."""
    root = tmp_path_factory.mktemp("hive") / "scores"
    for region, part in rows_df.groupby("region", sort=True):
        body = part.drop(columns="region")
        half = len(body) // 2
        _write(body.iloc[:half], root / f"region={region}" / "part-0.parquet")
        _write(body.iloc[half:], root / f"region={region}" / "part-1.parquet")
    return root


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local[2] Spark session for the whole run (a session starts in 5-15 s).

    Every file is its own partition (a large open cost), so an empty file is an empty
    partition; the session's time zone is not UTC, to show the engine does not depend on it.
    """
    pytest.importorskip("pyspark")
    import pyspark
    from pyspark.sql import SparkSession

    from audit._engines.spark import check_java

    check_java(pyspark.__version__)
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (SparkSession.builder.master("local[2]").appName("model-audit-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.files.openCostInBytes", str(128 << 20))
               .config("spark.sql.session.timeZone", "America/New_York")
               .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("warehouse")))
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
