"""The audit's row sample: the rows with the smallest hashes, overall and per group.

A bottom-k sample by row hash (:func:`audit._engines.rows.row_hashes`) is a uniform random
sample for a given seed, and it is the same set of rows however the table was split into
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
           per_value: int) -> Sample:
        """The rows of ``df`` that could be in the sample of any table containing them."""
        keys = {_stratum(c): column_hashes(df[c]) for c in strata}
        rows = df.assign(**{HASH: hashes}, **keys)
        return cls(rows, tuple(strata), k, per_value)._selected()

    def merge(self, other: Sample) -> Sample:
        """The sample of both parts together."""
        both = pd.concat([self.rows, other.rows], ignore_index=True, sort=False)
        return Sample(_unify_dtypes(both, self.rows, other.rows), self.strata, self.k,
                      self.per_value)._selected()

    def _selected(self) -> Sample:
        rows = self.rows.sort_values(HASH, kind="stable", ignore_index=True)
        keep = np.arange(len(rows)) < self.k
        for col in self.strata:
            rank = rows.groupby(_stratum(col), sort=False).cumcount().to_numpy()
            keep |= rank < self.per_value
        return Sample(rows.loc[keep].reset_index(drop=True), self.strata, self.k,
                      self.per_value)

    def frame(self) -> pd.DataFrame:
        """The sampled rows in hash order, without the hash columns."""
        return self.rows.drop(columns=[HASH, *map(_stratum, self.strata)])


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
