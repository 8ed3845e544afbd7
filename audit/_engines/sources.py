"""Sources of rows: the seam every engine implements.

A source names its columns and maps a function over its rows, batch by batch (pandas:
the whole table at once; files: pyarrow batches; Spark: partitions).  The function turns
a pandas batch into a *partial*: a small picklable object with ``merge(other)`` (counts,
histograms, a bottom-k sample) whose merge does not depend on how rows were split.
The audit never sees rows any other way, so every engine gives the same numbers.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote

import pandas as pd

from .._errors import InputError
from .._io.files import require_file

P = TypeVar("P")
#: Called with the number of rows finished so far (for a progress display).
Tick = Callable[[int], None]

#: Rows per batch when streaming files: large enough that per-batch costs vanish, small
#: enough that a batch of a wide table stays well under a gigabyte.
BATCH_ROWS = 262_144
DATA_SUFFIXES = (".parquet", ".pq", ".csv")


class RowSource(Protocol):
    """What an engine provides: the columns, the row count if known, and a map over batches."""

    name: str  # how messages name the data (a path, a glob, a table)
    kind: str  # "pandas", "stream" or "spark"

    @property
    def columns(self) -> tuple[str, ...]: ...

    def total_rows(self) -> int | None: ...

    def partials(self, fn: Callable[[pd.DataFrame], P], columns: Sequence[str] | None,
                 tick: Tick | None = None) -> Iterator[P]:
        """``fn`` of every batch (only ``columns``, all when ``None``), in any order."""
        ...


@dataclass
class FrameSource:
    """A table already in memory: one batch."""

    frame: pd.DataFrame
    name: str = "data"
    kind: str = "pandas"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(map(str, self.frame.columns))

    def total_rows(self) -> int | None:
        return len(self.frame)

    def partials(self, fn: Callable[[pd.DataFrame], P], columns: Sequence[str] | None,
                 tick: Tick | None = None) -> Iterator[P]:
        yield fn(self.frame if columns is None else self.frame.loc[:, list(columns)])
        if tick is not None:
            tick(len(self.frame))


#: the folder name Hive and Spark give a partition whose value is missing
HIVE_MISSING = "__HIVE_DEFAULT_PARTITION__"


def _hive_values(path: Path, root: Path) -> dict[str, str | None]:
    """``key=value`` folders between ``root`` and ``path`` (hive partitioning).

    Names are decoded as Hive and Spark encode them (``%3D`` is ``=``, as pyarrow's hive
    partitioning reads them), and :data:`HIVE_MISSING` is a missing value.
    """
    out: dict[str, str | None] = {}
    for part in path.relative_to(root).parts[:-1]:
        key, sep, value = part.partition("=")
        if sep and key:
            out[unquote(key)] = None if value == HIVE_MISSING else unquote(value)
    return out


def _visible(p: Path, root: Path) -> bool:
    """Not a hidden or bookkeeping file (``_SUCCESS``, ``.crc``, ``_metadata``)."""
    return not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)


def data_files(spec: str | Path) -> tuple[Path, list[Path]]:
    """The data files of a file, a directory (recursively) or a glob, sorted; and their root."""
    text = str(spec)
    if any(ch in text for ch in "*?["):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        root = Path(os.path.commonpath([str(f.parent) for f in files])) if files else Path(".")
    elif Path(text).is_dir():
        root = Path(text)
        files = sorted(p for p in root.rglob("*") if p.is_file() and _visible(p, root))
    else:
        require_file(Path(text), "data", set(DATA_SUFFIXES), "")
        return Path(text).parent, [Path(text)]
    files = [f for f in files if f.suffix.lower() in DATA_SUFFIXES]
    if not files:
        raise InputError(f"data '{spec}' holds no .parquet or .csv file - expected a file, a "
                         "directory of parquet files or a glob such as 'data/*.parquet'")
    kinds = {f.suffix.lower() == ".csv" for f in files}
    if len(kinds) > 1:
        raise InputError(f"data '{spec}' mixes CSV and parquet files - expected one format; "
                         "point at the parquet files only (e.g. 'DIR/*.parquet')")
    return root, files


@dataclass
class FileSource:
    """Parquet or CSV files read batch by batch with pyarrow; memory stays flat.

    ``ParquetFile.iter_batches`` file by file (``pyarrow.dataset`` batches were measured
    to grow to 2.6 GB over 10M rows); CSV through ``pyarrow.csv.open_csv`` in blocks.
    Hive partition folders (``state=CA/``) become columns of text.
    """

    spec: str | Path
    name: str = ""
    kind: str = "stream"
    batch_rows: int = BATCH_ROWS
    root: Path = field(init=False)
    files: list[Path] = field(init=False)
    _columns: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        self.root, self.files = data_files(self.spec)
        self.name = self.name or str(self.spec)
        self.csv = self.files[0].suffix.lower() == ".csv"
        self._columns = self._schema_columns()

    def _schema_columns(self) -> tuple[str, ...]:
        names: list[str] = []
        for f in self.files:
            cols = self._file_columns(f) + list(_hive_values(f, self.root))
            if names and cols != names:
                if sorted(cols) != sorted(names):
                    raise InputError(
                        f"data file '{f}' has other columns than '{self.files[0]}' "
                        f"({len(cols)} vs {len(names)}) - expected every file of '{self.spec}' "
                        "to have the same columns; audit them separately or align them")
            names = names or cols
        return tuple(names)

    def _file_columns(self, f: Path) -> list[str]:
        try:
            if self.csv:
                import pyarrow.csv as pacsv

                with pacsv.open_csv(f) as reader:
                    return [str(n) for n in reader.schema.names]
            import pyarrow.parquet as pq

            return [str(n) for n in pq.ParquetFile(f).schema_arrow.names
                    if not str(n).startswith("__index_level_")]  # a pandas index, not data
        except InputError:
            raise
        except Exception as exc:
            raise _unreadable(f, self.csv, exc) from exc

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    def total_rows(self) -> int | None:
        """From the parquet footers (no row is read); ``None`` for CSV."""
        if self.csv:
            return None
        import pyarrow.parquet as pq

        return sum(pq.ParquetFile(f).metadata.num_rows for f in self.files)

    def partials(self, fn: Callable[[pd.DataFrame], P], columns: Sequence[str] | None,
                 tick: Tick | None = None) -> Iterator[P]:
        done = 0
        for f in self.files:
            for batch in self._batches(f, columns):
                yield fn(batch)
                done += len(batch)
                if tick is not None:
                    tick(done)

    def _batches(self, f: Path, columns: Sequence[str] | None) -> Iterator[pd.DataFrame]:
        hive = _hive_values(f, self.root)
        wanted = list(self.columns if columns is None else columns)
        own = [c for c in wanted if c not in hive]
        try:
            for table in self._tables(f, own):
                df = table.to_pandas()
                for key, value in hive.items():
                    if key in wanted:
                        df[key] = pd.Series([value] * len(df), dtype=object)
                yield df.loc[:, wanted]
        except InputError:
            raise
        except Exception as exc:
            raise _unreadable(f, self.csv, exc) from exc

    def _tables(self, f: Path, columns: list[str]) -> Iterator[Any]:
        import pyarrow as pa

        if self.csv:
            import pyarrow.csv as pacsv

            convert = pacsv.ConvertOptions(include_columns=columns, strings_can_be_null=True)
            read = pacsv.ReadOptions(block_size=64 << 20)
            with pacsv.open_csv(f, read_options=read, convert_options=convert) as reader:
                for batch in reader:
                    yield pa.Table.from_batches([batch])
            return
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(f)
        if pf.metadata.num_rows == 0:
            return
        for batch in pf.iter_batches(batch_size=self.batch_rows, columns=columns):
            yield pa.Table.from_batches([batch])


def _unreadable(f: Path, csv: bool, exc: BaseException) -> InputError:
    kind = "CSV" if csv else "parquet"
    first = " ".join(str(exc).split())[:200]
    return InputError(f"data file '{f}' is not a readable {kind} file ({type(exc).__name__}: "
                      f"{first}) - it may be truncated or corrupt, or a CSV column changes type "
                      "part-way (use parquet, or --engine pandas); re-export it")
