"""Data files: parquet and CSV into a DataFrame, refusing empty or unreadable files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._errors import InputError
from .files import first_line, require_file

DATA_SUFFIXES = {".parquet", ".pq", ".csv"}
DUPLICATE_HEADER = (
    "data file '{path}' has the column name {names} more than once in its header (columns "
    "{positions}) - expected unique column names (pandas would silently read the copy as "
    "'{example}.1'); rename or drop the copies"
)


def _duplicate_header(p: Path) -> None:
    """Refuse a CSV whose header repeats a name (pandas renames the copy ``race.1``)."""
    try:
        header = pd.read_csv(p, header=None, nrows=1, dtype=str).iloc[0].tolist()
    except Exception:  # the file was read once already; pandas' own names stand
        return
    names = [h for h in header if isinstance(h, str)]
    dups = [n for n in dict.fromkeys(names) if names.count(n) > 1]
    if dups:
        positions = ", ".join(str(i + 1) for i, h in enumerate(header) if h in dups)
        raise InputError(DUPLICATE_HEADER.format(
            path=p, names=", ".join(repr(d) for d in dups), positions=positions,
            example=dups[0]))


def load_data(path: str | Path) -> pd.DataFrame:
    """Read a parquet or CSV file into a DataFrame; refuse empty or unreadable files."""
    p = Path(path)
    require_file(p, "data", DATA_SUFFIXES, "")
    try:
        if p.suffix.lower() == ".csv":
            df = pd.read_csv(p)
        else:
            df = pd.read_parquet(p)
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"data file '{p}' is empty - expected a header row and data rows") from exc
    except Exception as exc:
        kind = "CSV" if p.suffix.lower() == ".csv" else "parquet"
        raise InputError(
            f"data file '{p}' is not a readable {kind} file ({type(exc).__name__}: "
            f"{first_line(exc)}) - it may be truncated or corrupt; re-export it"
        ) from exc
    if p.suffix.lower() == ".csv":
        _duplicate_header(p)
    if len(df) == 0:
        raise InputError(
            f"data file '{p}' has {len(df.columns)} columns but no rows - expected at least one "
            "row to audit"
        )
    df.columns = [str(c) for c in df.columns]
    if df.columns.duplicated().any():  # a parquet file can repeat a name, and str() can merge
        dups = list(dict.fromkeys(df.columns[df.columns.duplicated()]))
        raise InputError(
            f"data file '{p}' has the column name {', '.join(repr(d) for d in dups)} more than "
            "once - expected unique column names; rename or drop the copies")
    return df
