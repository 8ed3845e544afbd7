"""The Spark engine: the same row source, computed by Spark partitions.

``SparkSource`` reads a parquet path (file, directory, hive-partitioned directory, glob or
URI) or a table of the session, or wraps a Spark DataFrame.  ``partials`` broadcasts the
function once and maps it over every partition in ONE Spark job (``mapInArrow``): each
partition merges its batches' partials on the executor and sends back one row (rows done,
pickled partial), nothing when it is empty; above ``fan_in`` partitions the partials are
merged again on the executors, so no data row and at most ``fan_in`` partials reach the
driver.  Rows done reach the progress display through an accumulator as tasks finish.

``mapInArrow`` rather than ``mapInPandas``: each Arrow batch becomes a pandas batch exactly
as the streaming engine makes it.  For files it is cast to the first file's own Arrow schema
(with its pandas metadata: ``Int64``, ``boolean``, time zones) before ``to_pandas``; for a
table, time stamps are in UTC whatever the session's time zone; hive partition values are
text.  So ``row_hashes``, every count and the sample agree with ``FileSource``.

pyspark is imported lazily: without it, or without Java, the constructor raises
:class:`~audit._errors.InputError` with the install command.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from .._errors import AuditError, InputError
from .sources import BATCH_ROWS, Tick, _hive_values, data_files

P = TypeVar("P")

NEEDS_PYSPARK = ("--engine spark needs pyspark, which is not installed in this Python ({python}) "
                 "- install it: pip install 'model-audit[spark]'")
NEEDS_JAVA = ("--engine spark needs Java {need} or newer (JAVA_HOME or java on PATH), found {found} "
              "- install a JRE (Debian: apt-get install default-jre-headless) or set JAVA_HOME")
NOT_FOUND = ("data '{data}' is neither an existing parquet path nor a table of the Spark session "
             "({found}) - expected a parquet file, directory or glob, or a table name")
READ_FAILED = ("data '{data}' has a file that Spark cannot read ({found}) - it may be truncated "
               "or corrupt; re-export it or leave it out")
CSV_DATA = ("data '{data}' is CSV - --engine spark reads parquet files or tables; convert it to "
            "parquet, or use --engine stream")

#: SQL settings of a Spark job of the audit.  Hive folder values stay text (``year=2024`` is
#: '2024', as the streaming engine reads it); Arrow batches of a sane size.
JOB_CONF = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.maxRecordsPerBatch": str(BATCH_ROWS),
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
}
RESULT_SCHEMA = "rows long, partial binary, failed boolean"
PANDAS_NOTICE = "PySpark does not yet fully support pandas"
#: log4j2 settings of a JVM started here: warnings while it starts (the level a shell
#: expects, so Spark prints no "Setting default log level" banner), errors once it runs; a
#: failed task is not logged with its stack trace (the driver raises it as one error).
QUIET_LOG = "rootLogger.level = warn\nrootLogger.appenderRef.stderr.ref = console\n" \
            "appender.console.type = Console\nappender.console.name = console\n" \
            "appender.console.target = SYSTEM_ERR\nappender.console.layout.type = PatternLayout\n" \
            "appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n\n" \
            "logger.native.name = org.apache.hadoop.util.NativeCodeLoader\n" \
            "logger.native.level = error\n" \
            "logger.task.name = org.apache.spark.executor.Executor\nlogger.task.level = off\n" \
            "logger.taskset.name = org.apache.spark.scheduler.TaskSetManager\n" \
            "logger.taskset.level = off\n"
TICK_SECONDS = 0.5


def _import_pyspark() -> Any:
    try:
        import pyspark
    except ImportError as exc:
        raise InputError(NEEDS_PYSPARK.format(python=sys.executable)) from exc
    return pyspark


def _java_version(java: str) -> int | None:
    """The major version ``java -version`` reports (``1.8`` is 8), ``None`` if it does not run."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    for word in (out.stderr + out.stdout).replace('"', " ").split():
        head = word.split(".")
        if head[0].isdigit() and len(head) > 1:
            return int(head[1]) if head[0] == "1" else int(head[0])
    return None


def check_java(pyspark_version: str) -> None:
    """Raise :class:`InputError` unless a Java that this pyspark runs on is installed."""
    need = 17 if int(pyspark_version.split(".")[0]) >= 4 else 8
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        where = f"JAVA_HOME={home} has no bin/java" if home else "no java on PATH and no JAVA_HOME"
        raise InputError(NEEDS_JAVA.format(need=need, found=where))
    version = _java_version(java)
    if version is None or version < need:
        found = f"{java} that does not run" if version is None else f"Java {version} at {java}"
        raise InputError(NEEDS_JAVA.format(need=need, found=found))


def get_session(master: str = "local[*]") -> tuple[Any, bool]:
    """The active Spark session, or a new one on ``master``; and whether it was created here."""
    pyspark = _import_pyspark()
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    existed = SparkContext._active_spark_context is not None
    if not existed:
        check_java(pyspark.__version__)
        if master.startswith("local"):  # executors must be this Python, with audit importable
            os.environ["PYSPARK_PYTHON"] = sys.executable
            os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.master(master).appName("model-audit")
    for key, value in {**JOB_CONF, "spark.ui.showConsoleProgress": "false"}.items():
        builder = builder.config(key, value)
    with tempfile.TemporaryDirectory() as tmp:
        if not existed and master.startswith("local"):  # this JVM logs errors only (a
            # cluster's spark-defaults may set driver options of its own: left alone)
            config = Path(tmp) / "log4j2.properties"
            config.write_text(QUIET_LOG, encoding="utf-8")
            builder = builder.config("spark.driver.extraJavaOptions",
                                     f"-Dlog4j2.configurationFile={config.as_uri()}")
        with quiet_pyspark():
            session = builder.getOrCreate()
    if not existed:
        session.sparkContext.setLogLevel("ERROR")
    return session, not existed


@contextlib.contextmanager
def quiet_pyspark() -> Iterator[None]:
    """pyspark's notice that it does not fully support pandas 3 is neither shown nor recorded
    in the audit's warnings (our batches never go through pyspark's pandas conversion);
    every other warning is."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=PANDAS_NOTICE, category=FutureWarning)
        yield


class _Conf:
    """Set SQL settings on a session for a while, then put back what was there."""

    def __init__(self, session: Any, settings: dict[str, str]) -> None:
        self.session, self.settings = session, settings
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> _Conf:
        for key, value in self.settings.items():
            self.saved[key] = self.session.conf.get(key, None)
            self.session.conf.set(key, value)
        return self

    def __exit__(self, *exc: object) -> None:
        for key, value in self.saved.items():
            if value is None:
                self.session.conf.unset(key)
            else:
                self.session.conf.set(key, value)


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class SparkSource:
    """Rows of a parquet path, a table or a DataFrame, mapped over by Spark partitions.

    ``data`` is a parquet path (file, directory, hive-partitioned directory, glob or a
    URI such as ``s3a://...``), a table name (read with ``spark.table``) or a Spark
    DataFrame.  ``session=None`` uses the active session or starts one on ``master``;
    a session started here is stopped by :meth:`close` (or leaving a ``with`` block).
    """

    kind = "spark"
    #: Most partials the driver receives; more partitions are merged on the executors first.
    fan_in = 64
    #: Rows per Arrow batch inside a partition (``spark.sql.execution.arrow.maxRecordsPerBatch``).
    batch_rows = BATCH_ROWS

    def __init__(self, data: Any, *, session: Any = None, master: str = "local[*]") -> None:
        _import_pyspark()
        self.files: list[Path] = []
        self.root: Path | None = None
        self._total: int | None = None
        if session is None:
            session, self._owned = get_session(master)
        else:
            self._owned = False
        self.session = session
        self._is_frame = False
        try:
            with quiet_pyspark():
                self.name, self.frame = self._read(data)
        except BaseException:
            self.close()  # a session started for data that cannot be read
            raise
        self._columns = tuple(map(str, self.frame.columns))

    # -- reading -------------------------------------------------------------------------
    def _read(self, data: Any) -> tuple[str, Any]:
        from pyspark.sql import DataFrame

        if isinstance(data, DataFrame):
            self._is_frame = True
            return "Spark DataFrame", data
        text = str(data)
        if Path(text).exists() or (any(ch in text for ch in "*?[") and glob.glob(text)):
            return text, self._read_files(text)
        try:
            if "://" in text or text.startswith("file:"):
                return text, self.session.read.parquet(text)
            return text, self.session.table(text)
        except Exception as exc:  # AnalysisException: no such path or table
            if not _spark_error(exc):
                raise
            raise InputError(NOT_FOUND.format(data=text, found=_first_line(exc))) from exc

    def _read_files(self, text: str) -> Any:
        """The same files as the streaming engine, hive folders below the same root."""
        self.root, self.files = data_files(text)
        if self.files[0].suffix.lower() == ".csv":
            raise InputError(CSV_DATA.format(data=text))
        with _Conf(self.session, JOB_CONF):
            try:
                return (self.session.read.option("basePath", str(self.root))
                        .parquet(*map(str, self.files)))
            except Exception as exc:
                if not _spark_error(exc):
                    raise
                raise InputError(f"data '{text}' is not readable parquet for Spark "
                                 f"({_first_line(exc)}) - expected parquet files with one "
                                 "schema; re-export them") from exc

    # -- the RowSource protocol ----------------------------------------------------------
    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    def total_rows(self) -> int | None:
        """From the parquet footers for local files; a Spark ``count()`` for a table or URI;
        ``None`` for a DataFrame (counting it would compute it twice)."""
        if self._total is None and self.files:
            import pyarrow.parquet as pq

            self._total = sum(pq.ParquetFile(f).metadata.num_rows for f in self.files)
        elif self._total is None and not self._is_frame:
            self._total = int(self.frame.count())
        return self._total

    def partials(self, fn: Callable[[pd.DataFrame], P], columns: Sequence[str] | None,
                 tick: Tick | None = None) -> Iterator[P]:
        """``fn`` of every batch, merged per partition on the executors, in ONE Spark job.

        Each non-empty partition sends one partial; above ``fan_in`` partitions they are
        merged again on the executors first, so the driver holds at most ``fan_in``.
        ``tick`` gets the rows done as partitions finish (a Spark accumulator).
        """
        from pyspark import cloudpickle  # type: ignore[attr-defined]

        wanted = list(self.columns if columns is None else columns)
        frame = self.frame.select(*[self.frame[_quoted(c)] for c in wanted])
        hive = frozenset(_hive_columns(self.files, self.root)) & set(wanted)
        sc = self.session.sparkContext
        shipped, done = sc.broadcast(cloudpickle.dumps(fn)), sc.accumulator(0)
        try:
            conf = {**JOB_CONF, "spark.sql.execution.arrow.maxRecordsPerBatch": str(self.batch_rows)}
            with _Conf(self.session, conf), quiet_pyspark():
                job = frame.mapInArrow(_partition_job(shipped, self._file_schema(), hive, done),
                                       RESULT_SCHEMA)
                if frame.rdd.getNumPartitions() > self.fan_in:
                    job = job.repartition(self.fan_in).mapInArrow(_merge_job, RESULT_SCHEMA)
                try:
                    rows = _collect(job, done, tick)
                except Exception as exc:
                    found = _unreadable_file(exc)
                    if found is None:
                        raise
                    raise InputError(READ_FAILED.format(data=self.name, found=found)) from exc
            yield from _receive(rows)
        finally:
            shipped.destroy()

    def _file_schema(self) -> Any:
        """The first file's Arrow schema (with its pandas metadata), if the data is files."""
        if not self.files:
            return None
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.files[0]).schema_arrow

    # -- lifetime ------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the session if this source started it; a session passed in stays up."""
        if self._owned:
            self.session.stop()
            self._owned = False

    def __enter__(self) -> SparkSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _hive_columns(files: list[Path], root: Path | None) -> set[str]:
    return {key for f in files for key in _hive_values(f, root)} if root is not None else set()


def _collect(job: Any, done: Any, tick: Tick | None) -> list[Any]:
    """``job.collect()`` in a thread, ticking the rows done meanwhile; Ctrl-C cancels it."""
    sc = job.sparkSession.sparkContext
    group = f"model-audit-{uuid.uuid4().hex}"
    out: dict[str, Any] = {}

    def run() -> None:
        sc.setJobGroup(group, "model audit: partials", interruptOnCancel=True)
        try:
            out["rows"] = job.collect()
        except BaseException as exc:  # raised again in the caller's thread
            out["error"] = exc

    worker = threading.Thread(target=run, name=group, daemon=True)
    worker.start()
    seen = 0
    try:
        while worker.is_alive():
            worker.join(TICK_SECONDS)
            if tick is not None and done.value != seen:
                seen = done.value
                tick(seen)
    except BaseException:
        sc.cancelJobGroup(group)
        raise
    if "error" in out:
        raise out["error"]
    rows = list(out["rows"])
    total = sum(int(row.rows) for row in rows if not row.failed)
    if tick is not None and total != seen:  # an accumulator update may land after the job
        tick(total)
    return rows


def _receive(rows: list[Any]) -> Iterator[Any]:
    """Unpickle each partial, one at a time; an executor's error is raised here."""
    while rows:
        row = rows.pop()
        value = pickle.loads(row.partial)
        if row.failed:
            raise value
        yield value


def _partition_job(shipped: Any, target: Any, hive: frozenset[str],
                   done: Any) -> Callable[[Any], Any]:
    """The function every partition runs: merge ``fn`` over its batches, emit one row."""

    def job(batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import cloudpickle  # type: ignore[attr-defined]

        fn = _shipped_function(shipped)
        partial, rows = None, 0
        try:
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                part = fn(arrow_to_pandas(batch, target, hive))
                partial = part if partial is None else partial.merge(part)
                rows += batch.num_rows
        except Exception as exc:  # sent to the driver and raised there, type and all
            yield _result(rows, _pickled_error(exc), failed=True)
            return
        done.add(rows)
        if partial is not None:
            yield _result(rows, cloudpickle.dumps(partial), failed=False)

    return job


#: The function a Python worker last unpickled, with its broadcast: a worker runs many tasks
#: (``spark.python.worker.reuse``) and keeps a broadcast's object between them, so a large
#: model is unpickled once per worker and job, not once per partition.
_SHIPPED: list[Any] = []


def _shipped_function(shipped: Any) -> Any:
    if not _SHIPPED or _SHIPPED[0] is not shipped:
        _SHIPPED[:] = [shipped, pickle.loads(shipped.value)]
    return _SHIPPED[1]


def _merge_job(results: Iterator[Any]) -> Iterator[Any]:
    """Second level: merge the partials of many partitions into one (errors pass through)."""
    from pyspark import cloudpickle  # type: ignore[attr-defined]

    partial, rows = None, 0
    for batch in results:
        for row in batch.to_pylist():
            if row["failed"]:
                yield _result(row["rows"], row["partial"], failed=True)
                return
            part = pickle.loads(row["partial"])
            partial = part if partial is None else partial.merge(part)
            rows += row["rows"]
    if partial is not None:
        yield _result(rows, cloudpickle.dumps(partial), failed=False)


def _result(rows: int, payload: bytes, *, failed: bool) -> Any:
    import pyarrow as pa

    return pa.RecordBatch.from_pydict({"rows": [rows], "partial": [payload], "failed": [failed]},
                                      schema=pa.schema([("rows", pa.int64()),
                                                        ("partial", pa.binary()),
                                                        ("failed", pa.bool_())]))


def arrow_to_pandas(batch: Any, target: Any, hive: frozenset[str]) -> pd.DataFrame:
    """A Spark Arrow batch as the pyarrow streaming reader gives the same rows.

    Columns of the file's schema get its Arrow types and pandas metadata (so an ``Int64``
    or ``category`` column written by pandas comes back as one); time stamps are in UTC;
    hive partition values are Python strings (``object``), as ``FileSource`` makes them.
    """
    import pyarrow as pa

    table = pa.Table.from_batches([batch])
    fields = []
    for field in table.schema:
        if target is not None and field.name in target.names:
            fields.append(target.field(field.name))
        elif pa.types.is_timestamp(field.type) and field.type.tz is not None:
            fields.append(pa.field(field.name, pa.timestamp(field.type.unit, "UTC")))
        else:
            fields.append(field)
    try:
        table = table.cast(pa.schema(fields, metadata=None if target is None else target.metadata))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        pass  # a file whose types differ from the first file's: Spark's types then
    df = table.to_pandas()
    for name in hive:
        df[name] = df[name].astype(object)
    return df


def _pickled_error(exc: Exception) -> bytes:
    try:
        return pickle.dumps(exc)
    except Exception:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return pickle.dumps(RuntimeError(f"{type(exc).__name__} in a Spark task: {text}"))


def _spark_error(exc: BaseException) -> bool:
    """An error raised by Spark (analysis, JVM), as opposed to a bug here."""
    return not isinstance(exc, AuditError) and type(exc).__module__.startswith(("pyspark", "py4j"))


def _unreadable_file(exc: BaseException) -> str | None:
    """Spark's own words when a job failed reading a file (FAILED_READ_FILE), else ``None``."""
    if not _spark_error(exc):
        return None
    for line in str(exc).splitlines():
        if "while reading file" in line:
            return " ".join(line.split("Exception: ", 1)[-1].split())[:300]
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(text[0].split())[:200] if text else type(exc).__name__
