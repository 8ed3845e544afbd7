"""Benchmark: ``audit run`` on a directory of parquet files at 1M and 10M rows, per engine.

Usage::

    python benchmarks/bench_scale.py                       # 1M and 10M rows, every engine
    python benchmarks/bench_scale.py --rows 1000000        # one size
    python benchmarks/bench_scale.py --big                 # adds 100M rows (if the disk has room)
    python benchmarks/bench_scale.py --quick               # 200k rows: a smoke run
    python benchmarks/bench_scale.py --engines bare        # the bare minimum only
    python benchmarks/bench_scale.py --engines             # print the kept results only

Data: a lending-like table (12 numeric and 3 pandas ``category`` features; protected
columns ``race`` (5 groups), ``sex`` (2), ``age`` (years) and ``state`` (50, very
unequal sizes); a 0/1 target ``approved`` made from the features plus direct group
effects) written as a directory of parquet files, ``--rows-per-file`` rows each (1M),
under ``--workdir`` (``/tmp/bench_scale``), in chunks, so memory stays flat whatever the
size.  File ``i`` is drawn from its own seed ``(seed, i)``; a json stamp beside each
directory records the parameters, and a directory whose stamp matches is reused.  A
LightGBM classifier (sklearn API, 200 trees, on the category columns) is trained on
``--train-rows`` (100,000) rows drawn apart from the scored ones and saved with joblib.

For each size, each measured thing runs as its own child process under
``/usr/bin/time -v``, so its peak memory is its own:

* ``bare``: the bare minimum for the same job -- ``ParquetFile.iter_batches`` file by
  file, ``predict_proba`` per batch, one ``np.bincount`` per grouping the audit judges
  (race, sex, age band, state, and the pairs of the attributes with at most 12 groups:
  race x sex, race x age, sex x age) of (group, label, decision) cells, added up over
  batches, and LightGBM's own TreeSHAP (``booster.predict(X, pred_contrib=True)``) on a
  uniform sample of ``--shap-rows`` (100,000) rows kept while streaming;
* ``stream``, ``spark`` (when pyspark is importable), ``pandas`` (at 1M rows and below
  only, since holding 10M rows in pandas is what the streaming engine avoids; at 10M with
  ``--pandas-10m``): ``audit run MODEL DIR --engine ENGINE --target approved
  --explain-rows SHAP_ROWS --no-what-if --quiet --exit-zero`` (the same number of rows
  explained as the bare minimum; the pandas engine reads one file, so it gets the
  directory's only file, or at 10M a one-file copy).  A build whose CLI has no such engine prints "not
  available in this build" for that row.

Wall time is the child's, imports included (the same for all).  Memory: "largest
process" is ``/usr/bin/time -v``'s "Maximum resident set size", the peak of the single
largest process in the tree (exact); "tree" is the peak of the sum of the resident sizes
of every process under it, sampled every ``POLL_SECONDS`` from ``/proc`` (Spark's JVM
and its Python workers are children of the driver, so only this sum counts them all;
pages that forked workers share are counted once per worker); "driver" is the sampled
peak of the measured Python process alone.
"Peak RSS" in the tables is the larger of the two.  (The largest-process figure can miss
Spark's JVM: ``time`` only sees the processes its child waits for.)

Results are kept in ``WORKDIR/results.json`` (per size and engine, with the time, load
and commit they were measured at), so a later run that measures only some engines (for
example ``--engines stream spark`` once an engine lands) prints them beside the bare
minimum measured earlier instead of running a 10M row again; ``--fresh`` ignores them.
Tables are markdown, with ``uptime``'s load averages before and after each run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if importlib.util.find_spec("audit") is None:  # running from a checkout, not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa
import pyarrow.parquet as pq

GENERATOR = 1  # bump when the data generator changes: stamps with another number are stale
NUMS = ("income", "loan_amount", "debt_ratio", "credit_score", "tenure_years",
        "open_accounts", "delinquencies", "utilization", "savings", "monthly_payment",
        "inquiries", "employment_years")
CATS = {"loan_purpose": ("debt", "car", "home", "medical", "education", "business", "travel",
                         "other"),
        "home_ownership": ("mortgage", "rent", "own", "other"),
        "grade": tuple("ABCDEFG")}
FEATURES = NUMS + tuple(CATS)
TARGET = "approved"
RACES = ("white", "black", "hispanic", "asian", "other")
SEXES = ("female", "male")
STATES = tuple(f"S{i:02d}" for i in range(50))
AGE_EDGES = (25, 35, 45, 55, 65)  # the audit's default age bands
ENGINES = ("bare", "stream", "spark", "pandas")
PANDAS_MAX_ROWS = 1_000_000  # the pandas engine above this only with --pandas-10m
BATCH_ROWS = 262_144
POLL_SECONDS = 0.2
NOT_AVAILABLE = "not available in this build"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min, {os.cpu_count()} cores)"


# --------------------------------------------------------------------------- data


def make_chunk(n: int, seed: int, part: int) -> pd.DataFrame:
    """``n`` lending-like rows drawn from the seed ``(seed, part)``."""
    rng = np.random.default_rng([seed, part])
    race = rng.choice(len(RACES), n, p=[0.6, 0.13, 0.17, 0.06, 0.04])
    sex = rng.integers(0, 2, n)
    state_p = 1.0 / np.arange(1, 51) ** 1.1  # a few big states, many small ones
    state = rng.choice(50, n, p=state_p / state_p.sum())
    age = np.clip(rng.normal(42, 13, n), 18, 90).round()
    income = np.exp(rng.normal(10.8 - 0.08 * (race > 0) + 0.05 * sex, 0.5, n))
    credit = np.clip(rng.normal(680 - 15 * (race == 1) + 0.5 * (age - 42), 60, n), 300, 850)
    num = {
        "income": income.round(2), "loan_amount": rng.gamma(2.0, 8000.0, n).round(2),
        "debt_ratio": rng.beta(2, 5, n), "credit_score": credit.round(),
        "tenure_years": rng.integers(0, 30, n).astype(float),
        "open_accounts": rng.poisson(6, n).astype(float),
        "delinquencies": rng.poisson(0.3, n).astype(float),
        "utilization": rng.beta(2, 3, n), "savings": rng.gamma(1.5, 5000.0, n).round(2),
        "monthly_payment": rng.gamma(2.0, 300.0, n).round(2),
        "inquiries": rng.poisson(1.2 + 0.2 * (age < 30), n).astype(float),
        "employment_years": np.clip(rng.normal(8, 6, n), 0, 45).round(1),
    }
    df = pd.DataFrame(num)
    df.loc[rng.random(n) < 0.02, "savings"] = np.nan  # some missing values, as in real data
    codes = {"loan_purpose": rng.integers(0, 8, n),
             "home_ownership": rng.choice(4, n, p=[0.4, 0.35, 0.2, 0.05]),
             "grade": np.clip(((850 - credit) / 80 + rng.normal(0, 0.7, n)).astype(int), 0, 6)}
    for col, values in CATS.items():
        df[col] = pd.Categorical.from_codes(codes[col], values)
    logit = (0.9 * (np.log(income) - 10.8) - 2.5 * (num["debt_ratio"] - 0.3)
             + 0.01 * (credit - 680) - 0.4 * num["delinquencies"] - 0.15 * codes["grade"]
             + 0.3 * (codes["home_ownership"] == 2) - 0.2 * (codes["loan_purpose"] == 5)
             - 0.3 * (race == 1) - 0.15 * (race == 2) - 0.1 * (1 - sex)  # direct group effects
             - 0.2 * (age < 25) + 0.004 * (state - 25) + 0.4)
    df[TARGET] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    df["race"] = np.asarray(RACES, dtype=object)[race]
    df["sex"] = np.asarray(SEXES, dtype=object)[sex]
    df["age"] = age
    df["state"] = np.asarray(STATES, dtype=object)[state]
    return df


@dataclass(frozen=True)
class DataSpec:
    rows: int
    rows_per_file: int
    row_group_rows: int
    seed: int
    generator: int = GENERATOR

    def file_sizes(self) -> list[int]:
        full, rest = divmod(self.rows, self.rows_per_file)
        return [self.rows_per_file] * full + ([rest] if rest else [])


def data_dir(work: Path, spec: DataSpec) -> Path:
    return work / f"rows_{spec.rows}"


def _stamp_matches(stamp: Path, spec: DataSpec, files: list[Path]) -> bool:
    if not stamp.exists():
        return False
    try:
        saved = json.loads(stamp.read_text())
    except ValueError:
        return False
    return saved.get("spec") == asdict(spec) and saved.get("files") == [
        [f.name, f.stat().st_size] if f.exists() else None for f in files]


def write_data(work: Path, spec: DataSpec) -> Path:
    """The directory of parquet files for ``spec``, reused when its stamp matches."""
    out = data_dir(work, spec)
    names = [f"part-{i:05d}.parquet" for i in range(len(spec.file_sizes()))]
    files = [out / name for name in names]
    stamp = work / f"rows_{spec.rows}.json"
    if _stamp_matches(stamp, spec, files) and sorted(p.name for p in out.iterdir()) == names:
        log(f"{spec.rows:,} rows: reusing {out} ({dir_mib(out):,.0f} MiB)")
        return out
    shutil.rmtree(out, ignore_errors=True)
    stamp.unlink(missing_ok=True)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    for i, (path, n) in enumerate(zip(files, spec.file_sizes(), strict=True)):
        table = pa.Table.from_pandas(make_chunk(n, spec.seed, i), preserve_index=False)
        pq.write_table(table, path, row_group_size=spec.row_group_rows)
        del table
    stamp.write_text(json.dumps({"spec": asdict(spec),
                                 "files": [[f.name, f.stat().st_size] for f in files]}))
    log(f"{spec.rows:,} rows -> {out} ({len(files)} files, {dir_mib(out):,.0f} MiB) in "
        f"{time.perf_counter() - t0:.1f} s; {load()}")
    return out


def dir_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.glob("*.parquet")) / 2**20


def one_file(data: Path) -> Path:
    """The directory's rows as one parquet file (the pandas engine reads one file).

    The directory's only file if it has one, else a copy written batch by batch beside it
    (flat memory), reused while it holds as many rows as the directory.
    """
    files = data_files(data)
    if len(files) == 1:
        return files[0]
    total = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    out = data.with_name(data.name + "_one_file.parquet")
    if out.exists() and pq.ParquetFile(out).metadata.num_rows == total:
        return out
    schema = pq.ParquetFile(files[0]).schema_arrow
    with pq.ParquetWriter(out, schema) as writer:
        for path in files:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
                writer.write_table(pa.Table.from_batches([batch]).cast(schema))
    log(f"{total:,} rows copied into one file for the pandas engine: {out}")
    return out


def train_model(work: Path, train_rows: int, seed: int) -> Path:
    """LightGBM, 200 trees, on rows drawn apart from the scored ones; reused when stamped."""
    import joblib
    import lightgbm

    path = work / f"model_lightgbm_{train_rows}.joblib"
    stamp = work / f"model_lightgbm_{train_rows}.json"
    want = {"train_rows": train_rows, "seed": seed, "generator": GENERATOR,
            "lightgbm": lightgbm.__version__}
    if path.exists() and stamp.exists() and json.loads(stamp.read_text()) == want:
        return path
    df = make_chunk(train_rows, seed, 10**6)  # a part number no scored file uses
    t0 = time.perf_counter()
    model = lightgbm.LGBMClassifier(n_estimators=200, num_leaves=31, verbose=-1,
                                    random_state=seed)
    model.fit(df[list(FEATURES)], df[TARGET].to_numpy())
    joblib.dump(model, path)
    stamp.write_text(json.dumps(want))
    log(f"model: LightGBM 200 trees on {train_rows:,} rows in {time.perf_counter() - t0:.1f} s")
    return path


# --------------------------------------------------------------------------- the bare minimum


def data_files(path: Path) -> list[Path]:
    return sorted(path.glob("*.parquet"))


def group_codes(df: pd.DataFrame) -> dict[str, tuple[np.ndarray, int]]:
    """Codes for race, sex, age band, state and the pairs of those with at most 12 groups."""
    singles = {col: (pd.Categorical(df[col], categories=values).codes.astype(np.int64),
                     len(values))
               for col, values in (("race", RACES), ("sex", SEXES), ("state", STATES))}
    band = np.searchsorted(np.asarray(AGE_EDGES, float), df["age"].to_numpy(float), side="right")
    singles["age"] = (band.astype(np.int64), len(AGE_EDGES) + 1)
    out = dict(singles)
    small = [k for k, (_, n) in singles.items() if n <= 12]
    for i, a in enumerate(small):
        for b in small[i + 1:]:
            (ca, na), (cb, nb) = singles[a], singles[b]
            out[f"{a} x {b}"] = (ca * nb + cb, na * nb)
    return out


def iter_frames(files: list[Path], batch_rows: int) -> Iterator[pd.DataFrame]:
    columns = [*FEATURES, TARGET, "race", "sex", "age", "state"]
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows, columns=columns):
            yield batch.to_pandas()


def bare_minimum(model_path: Path, data: Path, shap_rows: int, batch_rows: int,
                 seed: int) -> dict[str, Any]:
    """Stream, predict, count cells per grouping, keep a uniform sample, TreeSHAP on it."""
    import joblib

    t0 = time.perf_counter()
    model = joblib.load(model_path)
    files = data_files(data)
    total = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    take = np.sort(np.random.default_rng(seed).choice(total, min(shap_rows, total),
                                                      replace=False))
    counts: dict[str, np.ndarray] = {}
    kept: list[pd.DataFrame] = []
    offset, predict_s = 0, 0.0
    for df in iter_frames(files, batch_rows):
        X = df[list(FEATURES)]
        t = time.perf_counter()
        pred = (model.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)
        predict_s += time.perf_counter() - t
        cell = 2 * df[TARGET].to_numpy().astype(np.int64) + pred
        for name, (codes, n) in group_codes(df).items():
            c = np.bincount(codes * 4 + cell, minlength=4 * n)
            counts[name] = counts[name] + c if name in counts else c
        lo, hi = np.searchsorted(take, [offset, offset + len(df)])
        kept.append(X.iloc[take[lo:hi] - offset])
        offset += len(df)
    t1 = time.perf_counter()
    sample = pd.concat(kept, ignore_index=True)
    for col, values in CATS.items():  # files may order their categories differently
        sample[col] = sample[col].astype(pd.CategoricalDtype(list(values)))
    phi = model.booster_.predict(sample, pred_contrib=True)
    t2 = time.perf_counter()
    assert offset == total and all(int(c.sum()) == total for c in counts.values())
    return {"rows": total, "files": len(files), "shap_rows": len(sample),
            "shap_shape": list(np.shape(phi)), "groupings": len(counts),
            "cells": int(sum(len(c) for c in counts.values())),
            "parts": {"stream+predict+bincount": t1 - t0, "of which predict": predict_s,
                      "TreeSHAP": t2 - t1}}


# --------------------------------------------------------------------------- measuring


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(name))
    return kids


def tree_rss_kib(root: int) -> tuple[int, int]:
    """Resident KiB of every process below ``root`` together, and of its child alone.

    ``root`` is ``/usr/bin/time``; its child is the measured Python process (Spark's
    driver), whose own children are the JVM and the Python workers.
    """
    kids, page_kib = _children(), os.sysconf("SC_PAGE_SIZE") // 1024
    top = kids.get(root, [])
    stack, total, driver = list(top), 0, 0
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as fh:
                rss = int(fh.read().split()[1]) * page_kib
        except (OSError, IndexError, ValueError):
            continue
        total += rss
        driver += rss if pid in top else 0
        stack.extend(kids.get(pid, []))
    return total, driver


@dataclass
class Run:
    """One child process under ``/usr/bin/time -v``: exit code, wall, memory, output."""

    code: int
    wall: float
    max_rss_kib: int  # the largest single process (time -v)
    tree_kib: int  # the sampled peak of the whole tree's sum
    driver_kib: int  # the sampled peak of the measured process alone (without its children)
    load_max: float  # the highest 1-minute load average seen while it ran
    stdout: str
    stderr: str


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tfile:
        full = ["/usr/bin/time", "-v", "-o", tfile.name, *cmd]
        peak, driver, load_max = [0], [0], [os.getloadavg()[0]]
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)
        done = threading.Event()

        def poll() -> None:
            while not done.wait(POLL_SECONDS):
                total, alone = tree_rss_kib(proc.pid)
                peak[0], driver[0] = max(peak[0], total), max(driver[0], alone)
                load_max[0] = max(load_max[0], os.getloadavg()[0])

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        out, err = proc.communicate()
        wall = time.perf_counter() - t0
        done.set()
        poller.join()
        report = Path(tfile.name).read_text()
    max_rss = next((int(line.rsplit(":", 1)[1]) for line in report.splitlines()
                    if "Maximum resident set size" in line), 0)
    return Run(proc.returncode, wall, max_rss, peak[0], driver[0], load_max[0], out, err)


@dataclass
class Row:
    """One engine at one size, as printed and as kept in results.json."""

    engine: str
    rows: int
    status: str  # "ok", NOT_AVAILABLE, "skipped: ...", "failed: ..."
    wall: float = 0.0
    max_rss_mib: float = 0.0
    tree_mib: float = 0.0
    driver_mib: float = 0.0  # 0: not recorded (results kept from an older version)
    shap_rows: int = 0
    load_before: float = 0.0
    load_after: float = 0.0
    load_max: float = 0.0  # 0: not recorded (results kept from an older version)
    when: str = ""
    commit: str = ""
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def peak_mib(self) -> float:
        return max(self.max_rss_mib, self.tree_mib)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:160] if lines else "(no output)"


def measure(engine: str, argv: list[str], rows: int, commit: str) -> tuple[Row, Run]:
    before = os.getloadavg()[0]
    run = run_measured([sys.executable, *argv], env=_child_env())
    row = Row(engine, rows, "ok", run.wall, run.max_rss_kib / 1024, run.tree_kib / 1024,
              run.driver_kib / 1024,
              load_before=before, load_after=os.getloadavg()[0], load_max=run.load_max,
              when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit=commit)
    row.status = status(run.code, run.stderr)
    return row, run


def status(code: int, stderr: str) -> str:
    """'ok', NOT_AVAILABLE when the CLI rejects ``--engine`` or its value, else the failure."""
    if code == 0:
        return "ok"
    rejected = "--engine" in stderr and ("No such option" in stderr or "Invalid value" in stderr)
    return NOT_AVAILABLE if rejected else f"failed (exit {code}): {_last_line(stderr)}"


def bare_argv(model: Path, data: Path, shap_rows: int, batch_rows: int, seed: int) -> list[str]:
    return [str(Path(__file__).resolve()), "_bare", str(model), str(data),
            str(shap_rows), str(batch_rows), str(seed)]


def audit_argv(engine: str, model: Path, data: Path, out: Path, shap_rows: int,
               seed: int) -> list[str]:
    code = "import sys; from audit.cli import main; sys.exit(main(sys.argv[1:]))"
    return ["-c", code, "run", str(model), str(data), "--engine", engine,
            "--target", TARGET, "--explain-rows", str(shap_rows), "--seed", str(seed),
            "-o", str(out / "report.html"), "--json", str(out / "audit.json"),
            "--no-what-if", "--quiet", "--exit-zero"]


def explained_rows(out: Path) -> int:
    try:
        doc = json.loads((out / "audit.json").read_text())
    except (OSError, ValueError):
        return 0
    return int((doc.get("explanation") or {}).get("n_sample", 0))


# --------------------------------------------------------------------------- one size


@dataclass
class Settings:
    work: Path
    engines: list[str]
    shap_rows: int
    batch_rows: int
    seed: int
    pandas_10m: bool
    commit: str


def skip_reason(engine: str, rows: int, s: Settings) -> str:
    if engine == "spark" and importlib.util.find_spec("pyspark") is None:
        return "skipped: pyspark is not installed"
    if engine == "pandas" and rows > PANDAS_MAX_ROWS and not (s.pandas_10m and rows <= 10**7):
        return "skipped: above 1M rows (pass --pandas-10m for 10M)"
    return ""


def bench_size(rows: int, data: Path, model: Path, s: Settings) -> list[Row]:
    out: list[Row] = []
    for engine in s.engines:
        reason = skip_reason(engine, rows, s)
        if reason:
            out.append(Row(engine, rows, reason))
            log(f"  {rows:,} {engine}: {reason}")
            continue
        if engine == "bare":
            argv = bare_argv(model, data, s.shap_rows, s.batch_rows, s.seed)
            row, run = measure(engine, argv, rows, s.commit)
            if row.status == "ok":
                facts = json.loads(run.stdout.strip().splitlines()[-1])
                row.parts, row.shap_rows = facts["parts"], facts["shap_rows"]
        else:
            res = s.work / f"out_{rows}_{engine}"
            res.mkdir(exist_ok=True)
            source = one_file(data) if engine == "pandas" else data
            row, run = measure(engine, audit_argv(engine, model, source, res, s.shap_rows,
                                                  s.seed), rows, s.commit)
            row.shap_rows = explained_rows(res) if row.status == "ok" else 0
        log(f"  {rows:,} {engine}: {row.status}, {row.wall:.1f} s, largest process "
            f"{row.max_rss_mib:,.0f} MiB, tree {row.tree_mib:,.0f} MiB; {load()}")
        out.append(row)
    return out


# --------------------------------------------------------------------------- results, tables


def result_key(rows: int, s: Settings) -> str:
    return f"rows={rows} shap={s.shap_rows} batch={s.batch_rows} seed={s.seed}"


def merge_results(path: Path, key: str, fresh: list[Row], keep: bool) -> list[Row]:
    """Rows measured now, with those measured earlier for the other engines (if ``keep``)."""
    stored: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    old = {r["engine"]: Row(**r) for r in stored.get(key, [])} if keep else {}
    for row in fresh:
        if row.status == "ok" or row.engine not in old or old[row.engine].status != "ok":
            old[row.engine] = row
    merged = [old[e] for e in ENGINES if e in old]
    stored[key] = [asdict(r) for r in merged]
    path.write_text(json.dumps(stored, indent=1))
    return merged


def _ratio(row: Row, bare: Row | None) -> str:
    if row.status != "ok" or bare is None or bare.status != "ok" or row.engine == "bare":
        return "1.00x" if row.engine == "bare" and row.status == "ok" else "-"
    return f"{row.wall / bare.wall:.2f}x"


def _load_max(row: Row) -> str:
    return f"{row.load_max:.2f}" if row.load_max else "-"


def print_size(rows: int, results: list[Row]) -> None:
    bare = next((r for r in results if r.engine == "bare"), None)
    print(f"\n### {rows:,} rows\n")
    print("| engine | wall s | peak RSS MiB | largest process MiB | tree MiB | driver MiB | "
          "time / bare minimum | SHAP rows | load before → after (max) | measured |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in results:
        if r.status != "ok":
            print(f"| {r.engine} | {r.status} | | | | | | | | |")
            continue
        driver = f"{r.driver_mib:,.0f}" if r.driver_mib else "-"
        print(f"| {r.engine} | {r.wall:.1f} | {r.peak_mib:,.0f} | {r.max_rss_mib:,.0f} | "
              f"{r.tree_mib:,.0f} | {driver} | {_ratio(r, bare)} | {r.shap_rows:,} | "
              f"{r.load_before:.2f} → {r.load_after:.2f} ({_load_max(r)}) | {r.when} {r.commit} |")
    if bare is not None and bare.parts:
        print("\nBare minimum parts: " + ", ".join(f"{k} {v:.1f} s" for k, v in bare.parts.items()))


def print_growth(by_size: dict[int, list[Row]]) -> None:
    sizes = sorted(by_size)
    if len(sizes) < 2:
        return
    lo, hi = sizes[0], sizes[-1]
    print(f"\n### Peak RSS growth, {lo:,} → {hi:,} rows\n")
    print(f"| engine | peak MiB at {lo:,} | peak MiB at {hi:,} | growth | time ratio |")
    print("|---|---:|---:|---:|---:|")
    for engine in ENGINES:
        a = next((r for r in by_size[lo] if r.engine == engine and r.status == "ok"), None)
        b = next((r for r in by_size[hi] if r.engine == engine and r.status == "ok"), None)
        if a is None or b is None:
            continue
        print(f"| {engine} | {a.peak_mib:,.0f} | {b.peak_mib:,.0f} | "
              f"{b.peak_mib - a.peak_mib:+,.0f} MiB ({b.peak_mib / a.peak_mib:.2f}x) | "
              f"{b.wall / a.wall:.1f}x for {hi / lo:.0f}x the rows |")


def versions() -> str:
    import lightgbm

    from audit._version import __version__

    parts = [f"python {sys.version.split()[0]}", f"numpy {np.__version__}",
             f"pandas {pd.__version__}", f"pyarrow {pa.__version__}",
             f"lightgbm {lightgbm.__version__}", f"model-audit {__version__}"]
    if importlib.util.find_spec("pyspark") is not None:
        import pyspark

        parts.append(f"pyspark {pyspark.__version__}")
    return "Versions: " + ", ".join(parts)


def git_commit() -> str:
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "-uno"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head + ("+wip" if dirty else "")


# --------------------------------------------------------------------------- main


def on_paper(rows: int, work: Path, by_size: dict[int, list[Row]]) -> str:
    """Why ``rows`` cannot be written here, with what the measured sizes suggest; or ''."""
    measured = sorted(by_size)
    per_row = (dir_mib(work / f"rows_{measured[-1]}") * 2**20 / measured[-1]) if measured else 110
    need = rows * per_row * 1.1 + 5 * 2**30  # the files, and room to spare
    free = shutil.disk_usage(work).free
    if free >= need:
        return ""
    return (f"on paper: {rows:,} rows need about {need / 2**30:,.0f} GiB on disk, "
            f"{free / 2**30:,.0f} GiB free under {work}")


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--rows", type=int, nargs="+", help="sizes (default 1,000,000 10,000,000)")
    p.add_argument("--big", action="store_true", help="add 100,000,000 rows if the disk has room")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: 200,000 rows, 5,000 SHAP rows, 20,000 training rows")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/bench_scale"))
    p.add_argument("--engines", nargs="*", choices=ENGINES, default=list(ENGINES),
                   help="what to measure (default all); none: print the kept results only")
    p.add_argument("--pandas-10m", action="store_true", help="run the pandas engine at 10M too")
    p.add_argument("--shap-rows", type=int, default=100_000)
    p.add_argument("--train-rows", type=int, default=100_000)
    p.add_argument("--rows-per-file", type=int, default=1_000_000)
    p.add_argument("--row-group-rows", type=int, default=BATCH_ROWS)
    p.add_argument("--batch-rows", type=int, default=BATCH_ROWS,
                   help="rows per batch in the bare minimum")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fresh", action="store_true",
                   help="ignore results kept from earlier runs in WORKDIR/results.json")
    args = p.parse_args(argv)
    if args.quick:
        args.shap_rows, args.train_rows = min(args.shap_rows, 5_000), min(args.train_rows, 20_000)
    args.rows = args.rows or ([200_000] if args.quick else [1_000_000, 10_000_000])
    if args.big:
        args.rows = [*args.rows, 100_000_000]
    return args


def main(argv: list[str] | None = None) -> int:
    if argv and argv[0] == "_bare":  # the child process of one bare-minimum measurement
        m, d, shap_rows, batch_rows, seed = argv[1:]
        print(json.dumps(bare_minimum(Path(m), Path(d), int(shap_rows), int(batch_rows),
                                      int(seed))))
        return 0
    args = parse(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    s = Settings(args.workdir, args.engines, args.shap_rows, args.batch_rows, args.seed,
                 args.pandas_10m, git_commit())
    log(f"start: {load()}; {versions()}; commit {s.commit}")
    model = train_model(args.workdir, args.train_rows, args.seed)
    by_size: dict[int, list[Row]] = {}
    paper: dict[int, str] = {}
    for rows in sorted(set(args.rows)):
        note = on_paper(rows, args.workdir, by_size)
        if note:
            paper[rows] = note
            log(note)
            continue
        spec = DataSpec(rows, min(args.rows_per_file, rows), args.row_group_rows, args.seed)
        data = write_data(args.workdir, spec)
        fresh = bench_size(rows, data, model, s)
        by_size[rows] = merge_results(args.workdir / "results.json", result_key(rows, s),
                                      fresh, keep=not args.fresh)
    print(f"\nMachine: {load()} at the end; {os.cpu_count()} cores")
    print(versions())
    print(f"Model: LightGBM 200 trees on {args.train_rows:,} rows; SHAP on {s.shap_rows:,} rows; "
          f"batches of {s.batch_rows:,} rows; seed {s.seed}")
    for rows, results in by_size.items():
        print_size(rows, results)
    for rows, note in paper.items():
        print(f"\n### {rows:,} rows\n\n{note}")
    print_growth(by_size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
