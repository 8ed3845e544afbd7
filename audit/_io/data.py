"""Data files: parquet and CSV into a DataFrame, refusing empty or unreadable files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._errors import InputError
from .files import first_line, require_file

DATA_SUFFIXES = {".parquet", ".pq", ".csv"}


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
    if len(df) == 0:
        raise InputError(
            f"data file '{p}' has {len(df.columns)} columns but no rows - expected at least one "
            "row to audit"
        )
    df.columns = [str(c) for c in df.columns]
    return df
