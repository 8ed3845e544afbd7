"""Row identity without row order: a 64-bit hash of each row's values, and the sample it picks.

The same row read by pandas, by pyarrow in batches or by Spark in partitions must get the
same hash, whatever its column order or physical type: numbers are hashed as float64
(``-0.0`` as ``0.0``, every missing value alike), dates as nanoseconds, everything else as
its text.  The sample is "the rows with the smallest hashes" (a bottom-k sample), so it is
a uniform random sample for a given seed and does not depend on how the rows were split.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Hash of a missing value, in any column.
_MISSING = np.uint64(0x9E3779B97F4A7C15)
_MULT = np.uint64(0xBF58476D1CE4E5B9)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit moves every output bit."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(30))
        h = h * _MULT
        h = h ^ (h >> np.uint64(27))
        h = h * np.uint64(0x94D049BB133111EB)
        return h ^ (h >> np.uint64(31))


def column_hashes(s: pd.Series) -> np.ndarray:
    """One uint64 per value, equal for equal values whatever the column's dtype.

    >>> a = column_hashes(pd.Series([1, 2], dtype="int32"))
    >>> b = column_hashes(pd.Series([1.0, 2.0]))
    >>> bool((a == b).all())
    True
    >>> c = column_hashes(pd.Series([True, False]))
    >>> d = column_hashes(pd.Series([True, None, False], dtype=object))
    >>> bool((c == d[[0, 2]]).all())
    True
    """
    missing = s.isna().to_numpy()
    if pd.api.types.is_integer_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype) and (
            len(s) and s.abs().max() > 2**53):  # large identifiers: exact, not as floats
        h = _mix(s.to_numpy(dtype=np.int64, na_value=0).view(np.uint64))
    elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) and not isinstance(
            s.dtype, pd.CategoricalDtype):
        v = (s.to_numpy(dtype=np.float64) if isinstance(s.dtype, np.dtype) and s.dtype.kind == "f"
             else pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan))
        v = v + 0.0  # -0.0 is 0.0 (and a copy: the view below never aliases the column)
        h = _mix(v.view(np.uint64) ^ np.uint64(0x1234567))
    elif pd.api.types.is_datetime64_any_dtype(s):
        ns = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        h = _mix(ns.astype("datetime64[ns]").to_numpy().view(np.int64).view(np.uint64))
    else:  # each distinct value written once, then hashed as text (booleans as True/False,
        # with or without missing values among them)
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        texts = np.array([str(u) for u in np.asarray(uniques, dtype=object)], dtype=object)
        h = pd.util.hash_array(texts, categorize=False)[codes] if len(texts) else np.zeros(
            len(s), dtype=np.uint64)
    return np.where(missing, _MISSING, h).astype(np.uint64, copy=False)


def row_hashes(df: pd.DataFrame, seed: int, columns: Sequence[str] | None = None, *,
               known: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """A uint64 per row from its values in ``columns`` (default: all), in name order.

    Equal rows get equal hashes; the seed changes every hash (a different sample).
    ``known``: column hashes already computed for ``df`` (:func:`column_hashes`, by
    name); the ones computed here are added to it, so several row hashes over
    overlapping columns of one batch hash each column once.
    """
    known = {} if known is None else known
    names = sorted(map(str, df.columns if columns is None else columns))
    with np.errstate(over="ignore"):
        h = np.full(len(df), np.uint64(seed & 0xFFFFFFFFFFFFFFFF) ^ np.uint64(len(names)),
                    dtype=np.uint64)
        for name in names:
            if name not in known:
                known[name] = column_hashes(df[name])
            h = _mix(h * np.uint64(31) + known[name])
    return h


def sample_keys(hashes: np.ndarray, seed: int) -> np.ndarray:
    """The seeded sample key of each row, from its unseeded :func:`row_hashes` (seed 0).

    A bijection of the row hash for each seed (equal rows, equal keys), so the row
    hashes that find duplicate rows give the sample too, without hashing every row twice.

    >>> h = row_hashes(pd.DataFrame({"a": [1, 2, 2]}), 0)
    >>> k = sample_keys(h, 5)
    >>> bool(k[1] == k[2]) and bool(k[0] != k[1]) and bool((k != sample_keys(h, 6)).all())
    True
    """
    salt = _mix(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64) ^ _MULT)[0]
    return _mix(hashes ^ salt)
