"""What the count-based data sanity checks need, from one batch of rows, merged across batches.

:class:`SanityCounts` holds, for the rows seen so far: the row count, each column's missing
count, each column's "constant so far" state, the target's label counts, the first column
holding unhashable values (lists, dicts, sets), and the set of 64-bit row hashes
(:func:`audit._engines.rows.row_hashes`) that finds duplicate rows.  ``of`` reads one
batch, ``merge`` adds two partial results: it is associative and the results do not
depend on the order of the batches, so a streaming pass or Spark partitions give the
same findings as the whole table in memory.

Duplicate rows have ONE definition, the same in memory and in batches: two rows are
copies when :func:`~audit._engines.rows.row_hashes` gives them the same 64-bit hash,
that is when every column holds the same value once numbers are read as float64 (``1``
equals ``1.0``, ``-0.0`` equals ``0.0``), dates as instants, every missing value (NaN,
None, NaT, pd.NA) as the same value, and anything else as its text.  Two different rows
share a hash with probability 2**-64, so among ``n`` distinct rows the expected number of
false duplicates is about ``n**2 / 2**65`` (3e-8 at a million rows, 1e-3 at 200 million).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._engines.rows import row_hashes

__all__ = ["HashSet", "SanityCounts"]

#: A float target with more distinct values than this is a regression target.
MAX_LABELS = 20

# Constant-column states: no row seen, every row missing, one value, more than one value.
_UNSEEN: tuple[Any, ...] = ("unseen",)
_MISSING: tuple[Any, ...] = ("missing",)
_VARIED: tuple[Any, ...] = ("varied",)


def _union2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union of two sorted unique uint64 arrays (timsort merges the two runs in linear time)."""
    both = np.concatenate([a, b])
    both.sort(kind="stable")
    keep = np.empty(len(both), dtype=bool)
    keep[:1] = True
    np.not_equal(both[1:], both[:-1], out=keep[1:])
    return both[keep]


@dataclass(frozen=True, eq=False)
class HashSet:
    """A set of uint64 values kept as sorted unique chunks, each under half the one before.

    ``union`` concatenates the chunk lists and merges neighbouring chunks while the
    smaller is at least half the larger, like carrying in a binary counter: a value takes
    part in O(log n) linear merges over its life, never a re-sort of the whole set per
    batch, and there are at most log2(n) chunks.  Memory: 8 bytes per distinct value once
    merged (chunks may hold a value twice until they merge; :meth:`values` merges them all).

    Examples
    --------
    >>> s = HashSet.of(np.array([3, 1, 3], dtype=np.uint64)).union(
    ...     HashSet.of(np.array([2, 3], dtype=np.uint64)))
    >>> len(s), s.values().tolist()
    (3, [1, 2, 3])
    """

    chunks: tuple[np.ndarray, ...] = ()

    @classmethod
    def of(cls, values: np.ndarray) -> HashSet:
        """The set of ``values`` (any order, repeats allowed)."""
        values = np.sort(np.asarray(values, dtype=np.uint64))  # faster than np.unique's hashing
        keep = np.ones(len(values), dtype=bool)
        np.not_equal(values[1:], values[:-1], out=keep[1:])
        values = values[keep]
        return cls((values,) if len(values) else ())

    def union(self, other: HashSet) -> HashSet:
        """Every value of either set."""
        chunks = sorted(self.chunks + other.chunks, key=len, reverse=True)
        i = len(chunks) - 2
        while i >= 0:
            if 2 * len(chunks[i + 1]) >= len(chunks[i]):
                merged = _union2(chunks[i], chunks.pop(i + 1))
                chunks[i] = merged
                chunks.sort(key=len, reverse=True)
                i = len(chunks) - 2
            else:
                i -= 1
        return HashSet(tuple(chunks))

    def values(self) -> np.ndarray:
        """The distinct values, sorted."""
        return functools.reduce(_union2, self.chunks, np.empty(0, dtype=np.uint64))

    def __len__(self) -> int:
        return len(self.values()) if len(self.chunks) > 1 else sum(map(len, self.chunks))

    @property
    def nbytes(self) -> int:
        """Bytes held by the chunks."""
        return sum(c.nbytes for c in self.chunks)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HashSet) and np.array_equal(self.values(), other.values())

    __hash__ = None  # type: ignore[assignment]


def _same(a: object, b: object) -> bool:
    """Whether two values are equal as the constant-column check compares them."""
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return repr(a) == repr(b)


def _canonical(a: object, b: object) -> object:
    """One of two equal values, whatever their order (``1`` and ``1.0``: the shorter text).

    Only batches of different dtypes, or object columns mixing types (``1``, ``1.0``,
    ``True``), hold equal values written differently; the whole table in memory shows
    its first row's value, so there the text may differ from a merge of batches.
    """
    return a if (len(str(a)), str(a)) <= (len(str(b)), str(b)) else b


def is_constant(col: pd.Series) -> bool:
    """True when every value of ``col`` is the same (all missing counts as the same)."""
    if len(col) <= 1:
        return True
    missing = col.isna()
    if bool(missing.iloc[0]):
        return bool(missing.all())
    if bool(missing.any()):
        return False
    first = col.iloc[0]
    try:
        return bool((col == first).all())
    except (TypeError, ValueError):
        try:
            return bool(col.nunique(dropna=False) <= 1)
        except TypeError:  # unhashable values such as lists: compare their text form
            return bool(col.map(repr).nunique(dropna=False) <= 1)


def _constant_state(col: pd.Series) -> tuple[Any, ...]:
    """A column's constant-column state in one batch."""
    if len(col) == 0:
        return _UNSEEN
    if not is_constant(col):
        return _VARIED
    if bool(col.isna().iloc[0]):
        return _MISSING
    value = col.iloc[0]
    return ("value", 0.0 if isinstance(value, float) and value == 0 else value)  # not -0.0


def _merge_state(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    """The constant-column state of two batches together."""
    if a == _UNSEEN or b == _VARIED:
        return b
    if b == _UNSEEN or a == _VARIED:
        return a
    if a == _MISSING or b == _MISSING:
        return _MISSING if a == b else _VARIED
    if _same(a[1], b[1]):
        return ("value", _canonical(a[1], b[1]))
    return _VARIED


def _unhashable_column(df: pd.DataFrame) -> str | None:
    """The first column holding unhashable values such as lists, dicts or sets."""
    for name in df.columns:
        col = df[name]
        if not pd.api.types.is_object_dtype(col.dtype):
            continue
        if pd.api.types.infer_dtype(col, skipna=True) not in ("mixed", "mixed-integer"):
            continue
        if col.map(lambda v: not isinstance(v, Hashable)).any():
            return str(name)
    return None


def _ordered_labels(pairs: Iterable[tuple[object, int]]) -> tuple[tuple[object, int], ...]:
    """Label counts, most frequent first; equal counts in label order (whatever the batches)."""
    pairs = list(pairs)
    try:
        by_label = sorted(pairs, key=lambda p: p[0])  # type: ignore[arg-type,return-value]
    except TypeError:
        by_label = sorted(pairs, key=lambda p: (type(p[0]).__name__, repr(p[0])))
    return tuple(sorted(by_label, key=lambda p: -p[1]))


def _merge_labels(a: Sequence[tuple[object, int]], b: Sequence[tuple[object, int]]
                  ) -> tuple[tuple[object, int], ...]:
    """Label counts of two batches added (``1`` and ``1.0`` are one label)."""
    keys: dict[object, object] = {}
    counts: dict[object, int] = {}
    for label, count in (*a, *b):
        key = keys.setdefault(label, label)
        keys[label] = _canonical(key, label)
        counts[label] = counts.get(label, 0) + count
    return _ordered_labels((keys[k], c) for k, c in counts.items())


def _float_set(values: Iterable[object]) -> HashSet:
    """Distinct float values as a :class:`HashSet` of their bits (``-0.0`` is ``0.0``)."""
    v = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    return HashSet.of(np.where(v == 0, 0.0, v).view(np.uint64))


def _label_part(df: pd.DataFrame, target: str | None
                ) -> tuple[tuple[tuple[object, int], ...], HashSet | None, bool]:
    """(label counts, distinct values of a regression target, whether the target is float)."""
    if target is None or target not in df.columns:
        return (), None, False
    y = df[target].dropna()
    is_float = bool(len(y)) and pd.api.types.is_float_dtype(y.dtype)
    counts = y.value_counts(sort=False)
    if is_float and len(counts) > MAX_LABELS:
        return (), _float_set(counts.index.to_numpy(dtype=float)), True
    return _ordered_labels(zip(counts.index.tolist(), counts.tolist())), None, is_float


@dataclass(frozen=True)
class SanityCounts:
    """Mergeable partial result of the count-based data sanity checks.

    Build one per batch with :meth:`of`, add them with :meth:`merge` (associative; the
    findings do not depend on the order), and pass the total to
    :func:`audit._inputs.sanity.sanity_from_counts`.  Everything but the row hashes is
    a few numbers per column.  The hash set costs 8 bytes per distinct row once merged
    (8 MB per million distinct rows; a merge briefly needs about three times the two
    chunks it joins); a batch holds its own rows' hashes until merged.

    Attributes
    ----------
    columns : tuple of str
        Column names, in the table's order.
    target : str or None
        The label column whose label counts are kept.
    protected : tuple of str
        Protected-attribute columns (their missing counts are in ``missing``).
    rows : int
        Rows seen.
    missing : tuple of int
        Missing values per column, in ``columns`` order.
    constant : tuple of tuple
        Per column ``("unseen",)``, ``("missing",)`` (every row missing),
        ``("value", v)`` (every row holds ``v``) or ``("varied",)``.
    labels : tuple of (label, count)
        Non-missing target labels, most frequent first (equal counts in label order).
    label_values : HashSet or None
        Instead of ``labels``, for a float target with more than :data:`MAX_LABELS`
        distinct values: those values (only their number is reported).
    target_float : bool
        Whether any batch had a float target.
    unhashable : str or None
        The first column (in ``columns`` order) holding unhashable values (lists,
        dicts, sets): rows are then not compared, and ``hashes`` is incomplete.
    hashes : HashSet
        Distinct 64-bit row hashes; duplicates are ``rows - len(hashes)``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 1, 2, 1], "y": [0, 0, 1, 0]})
    >>> parts = [SanityCounts.of(df.iloc[i:i + 2], target="y", protected=()) for i in (0, 2)]
    >>> total = parts[1].merge(parts[0])
    >>> total.rows, total.duplicates, total.labels
    (4, 2, ((0, 3), (1, 1)))
    >>> total == SanityCounts.of(df, target="y", protected=())
    True
    """

    columns: tuple[str, ...]
    target: str | None
    protected: tuple[str, ...]
    rows: int
    missing: tuple[int, ...]
    constant: tuple[tuple[Any, ...], ...]
    labels: tuple[tuple[object, int], ...]
    label_values: HashSet | None
    target_float: bool
    unhashable: str | None
    hashes: HashSet

    @classmethod
    def of(cls, df: pd.DataFrame, *, target: str | None, protected: Sequence[str],
           hashes: np.ndarray | None = None) -> SanityCounts:
        """The counts of one batch of rows (all the table's columns).

        ``hashes``: ``row_hashes(df, seed=0)`` when the caller has them already.
        """
        labels, label_values, target_float = _label_part(df, target)
        unhashable = _unhashable_column(df)
        return cls(
            columns=tuple(str(c) for c in df.columns),
            target=target,
            protected=tuple(protected),
            rows=len(df),
            missing=tuple(int(n) for n in df.isna().sum().to_numpy()),
            constant=tuple(_constant_state(df[c]) for c in df.columns),
            labels=labels,
            label_values=label_values,
            target_float=target_float,
            unhashable=unhashable,
            # rows with unhashable values are not compared: no hashes to keep
            hashes=HashSet() if unhashable else HashSet.of(
                row_hashes(df, seed=0) if hashes is None else hashes),
        )

    @property
    def duplicates(self) -> int:
        """Rows whose hash repeats an earlier row's (meaningless if ``unhashable``)."""
        return self.rows - len(self.hashes)

    def merge(self, other: SanityCounts) -> SanityCounts:
        """The counts of both batches together.

        Raises
        ------
        ValueError
            When the two batches have different columns (in another order they are
            aligned to ``self``'s order), target or protected attributes.
        """
        other = self._aligned(other)
        unhashable = [c for c in self.columns if c in (self.unhashable, other.unhashable)]
        return dataclasses.replace(
            self,
            rows=self.rows + other.rows,
            missing=tuple(a + b for a, b in zip(self.missing, other.missing)),
            constant=tuple(map(_merge_state, self.constant, other.constant)),
            unhashable=unhashable[0] if unhashable else None,
            hashes=self.hashes.union(other.hashes),
            **_merged_target(self, other),
        )

    def _aligned(self, other: SanityCounts) -> SanityCounts:
        """``other`` with its columns in ``self``'s order, after checking they match."""
        if (self.target, set(self.protected)) != (other.target, set(other.protected)):
            raise ValueError("SanityCounts of different targets or protected attributes: "
                             f"{self.target!r}/{self.protected} and {other.target!r}/"
                             f"{other.protected}")
        if other.columns == self.columns:
            return other
        if sorted(other.columns) != sorted(self.columns):
            raise ValueError(f"SanityCounts of different columns: {self.columns} and "
                             f"{other.columns}")
        at = [other.columns.index(c) for c in self.columns]
        return dataclasses.replace(other, columns=self.columns,
                                   missing=tuple(other.missing[i] for i in at),
                                   constant=tuple(other.constant[i] for i in at))


def _merged_target(a: SanityCounts, b: SanityCounts) -> dict[str, Any]:
    """The label fields of two merged counts."""
    target_float = a.target_float or b.target_float
    labels = _merge_labels(a.labels, b.labels)
    if a.label_values is None and b.label_values is None and (
            not target_float or len(labels) <= MAX_LABELS):
        return {"labels": labels, "label_values": None, "target_float": target_float}
    values = _float_set(label for label, _ in labels)
    for part in (a.label_values, b.label_values):
        values = values if part is None else values.union(part)
    return {"labels": (), "label_values": values, "target_float": True}
