"""The audit's row sample: the rows with the smallest hashes, overall and per group.

A bottom-k sample by seeded row hash (:func:`audit._engines.rows.sample_keys` of
:func:`~audit._engines.rows.row_hashes`, the hashes that also find duplicate rows) is a
uniform random sample for a given seed, and it is the same set of rows however the table was split into
batches, files or partitions: each part keeps its own candidates, and merging keeps the
smallest hashes of the union.  On top of the ``k`` overall, the ``per_value`` smallest
hashes of every value of each stratifying column (the protected attributes) are kept, so
a small group is in the sample even when a uniform sample would miss it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .rows import column_hashes

HASH = "__audit_row_hash"


@dataclass(frozen=True)
class Sample:
    """Candidate rows (sorted by hash, in column ``HASH``) and the selection rule."""

    rows: pd.DataFrame
    strata: tuple[str, ...]
    k: int
    per_value: int

    @classmethod
    def of(cls, df: pd.DataFrame, hashes: np.ndarray, strata: Sequence[str], k: int,
           per_value: int, *, known: dict[str, np.ndarray] | None = None) -> Sample:
        """The rows of ``df`` that could be in the sample of any table containing them.

        ``known``: column hashes of ``df`` already computed (by name), reused for the strata.
        """
        known = {} if known is None else known
        keys = {c: known[c] if c in known else column_hashes(df[c]) for c in strata}
        at = _selection(hashes, [keys[c] for c in strata], k, per_value, stable=False)
        rows = df.iloc[at].reset_index(drop=True)
        rows = rows.assign(**{HASH: hashes[at]}, **{_stratum(c): keys[c][at] for c in strata})
        return cls(rows, tuple(strata), k, per_value)

    def merge(self, other: Sample) -> Sample:
        """The sample of both parts together."""
        both = pd.concat([self.rows, other.rows], ignore_index=True, sort=False)
        both = _unify_dtypes(both, self.rows, other.rows)
        at = _selection(both[HASH].to_numpy(), [both[_stratum(c)].to_numpy() for c in self.strata],
                        self.k, self.per_value, stable=True)
        return Sample(both.iloc[at].reset_index(drop=True), self.strata, self.k, self.per_value)

    def frame(self) -> pd.DataFrame:
        """The sampled rows in hash order, without the hash columns."""
        return self.rows.drop(columns=[HASH, *map(_stratum, self.strata)])


def _selection(hashes: np.ndarray, strata: Sequence[np.ndarray], k: int, per_value: int, *,
               stable: bool) -> np.ndarray:
    """Positions of the selected rows in hash order: the ``k`` smallest hashes, and the
    ``per_value`` smallest of every value of each stratum (equal hashes in row order).

    ``stable=False`` sorts faster, then sorts stably only if two hashes are equal.

    >>> h = np.array([5, 1, 4, 2, 3], dtype=np.uint64)
    >>> _selection(h, [np.array([0, 0, 0, 0, 1], dtype=np.uint64)], 2, 1, stable=False).tolist()
    [1, 3, 4]
    """
    order = np.argsort(hashes, kind="stable" if stable else None)
    if not stable and len(order) > 1:
        ranked = hashes[order]
        if bool((ranked[1:] == ranked[:-1]).any()):  # equal rows: keep their row order
            order = np.argsort(hashes, kind="stable")
    keep = np.arange(len(order)) < k
    for key in strata:
        keep |= _rank_within(key[order]) < per_value
    return order[keep]


def _rank_within(key: np.ndarray) -> np.ndarray:
    """Each position's rank among the positions with the same key (0 for the first)."""
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    codes, uniques = pd.factorize(key)
    if len(uniques) < 2**16:
        codes = codes.astype(np.uint16)  # a radix sort
    by_key = np.argsort(codes, kind="stable")
    sorted_codes = codes[by_key]
    idx = np.arange(n)
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.not_equal(sorted_codes[1:], sorted_codes[:-1], out=first[1:])
    rank = np.empty(n, dtype=np.int64)
    rank[by_key] = idx - np.maximum.accumulate(np.where(first, idx, 0))
    return rank


def _stratum(column: str) -> str:
    """The name of the column holding ``column``'s value hashes in the candidate rows."""
    return f"__audit_stratum_{column}"


def _unify_dtypes(both: pd.DataFrame, a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Category columns whose parts had other categories come back as category.

    ``pd.concat`` turns categoricals with different categories into objects; the model
    (LightGBM on category columns) needs the category dtype, and its own categories are
    applied when it predicts.
    """
    for col in both.columns:
        kinds = [isinstance(d[col].dtype, pd.CategoricalDtype) for d in (a, b) if col in d
                 and len(d)]
        if kinds and any(kinds) and not isinstance(both[col].dtype, pd.CategoricalDtype):
            values = both[col].dropna().unique()
            both[col] = pd.Categorical(both[col], categories=sorted(values, key=str))
    return both
