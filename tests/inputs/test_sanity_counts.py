"""Sanity checks from mergeable counts: batches give the findings of the whole table.

The streaming and Spark engines see the rows batch by batch; each batch becomes a
:class:`SanityCounts`, the parts are merged in any order, and :func:`sanity_from_counts`
must give exactly the findings :func:`sanity_checks` gives on the whole table.

Memory of the duplicate-row hash set: 8 bytes per distinct row once merged (a sorted
unique uint64 array per chunk, at most log2(rows) chunks; the test below asserts it),
so 8 MB per million distinct rows, plus a transient of about three times the two chunks
being merged while they merge.
"""

from __future__ import annotations

import pickle
import random
from functools import reduce

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit._inputs.sanity import SanityCounts, sanity_checks, sanity_from_counts
from audit._inputs.sanity_counts import MAX_LABELS, HashSet
from audit._words.inputs import counted_in_sample

PROTECTED = ("race", "flag")


# ---------------------------------------------------------------- random tables and splits

def _column(kind: str, values: list[int]) -> pd.Series:
    """One column of ``kind`` from small integer codes (small pools make repeats likely)."""
    if kind == "int":
        return pd.Series(values, dtype="int64")
    if kind == "float":  # NaN and -0.0 next to 0.0
        floats = [0.0, -0.0, 1.5, np.nan, 2.0]
        return pd.Series([floats[v % 5] for v in values], dtype="float64")
    if kind == "text":  # NaN and None in one object column
        texts: list[object] = ["a", "b", None, np.nan, "12"]
        return pd.Series([texts[v % 5] for v in values], dtype=object)
    if kind == "string":
        return pd.Series([None if v % 4 == 3 else f"s{v % 3}" for v in values], dtype="string")
    if kind == "bool":
        return pd.Series([v % 2 == 0 for v in values], dtype=bool)
    if kind == "category":
        return pd.Series(pd.Categorical([None if v % 4 == 3 else "xyz"[v % 3] for v in values],
                                        categories=["x", "y", "z", "unused"]))
    if kind == "date":
        days = pd.to_datetime(["2024-01-01", "2024-01-02", None])
        return pd.Series([days[v % 3] for v in values])
    raise AssertionError(kind)


KINDS = ("int", "float", "text", "string", "bool", "category", "date")
TARGETS = ("int", "float", "bool", "text", "category")


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, str | None]:
    """A small table of mixed dtypes, sometimes with a constant or all-missing column."""
    n = draw(st.integers(0, 30))
    codes = st.lists(st.integers(0, draw(st.integers(0, 6))), min_size=n, max_size=n)
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=0, max_size=6))
    data = {f"{k}_{i}": _column(k, draw(codes)) for i, k in enumerate(kinds)}
    data["race"] = _column("text", draw(codes))
    if draw(st.booleans()):
        data["const"] = pd.Series([np.nan if draw(st.booleans()) else 7] * n, dtype=float)
    target = draw(st.sampled_from((None, *TARGETS)))
    if target is not None:
        data["y"] = _column(target, draw(codes)) if target != "float" else pd.Series(
            [draw(st.sampled_from([0.0, 1.0, np.nan, float(v)])) for v in draw(codes)])
    return pd.DataFrame(data, index=range(n)), None if target is None else "y"


def _chunks(df: pd.DataFrame, cuts: list[int]) -> list[pd.DataFrame]:
    """``df`` cut at ``cuts`` (empty chunks included)."""
    edges = [0, *sorted(min(c, len(df)) for c in cuts), len(df)]
    return [df.iloc[a:b] for a, b in zip(edges[:-1], edges[1:])]


def _merge_randomly(parts: list[SanityCounts], rng: random.Random) -> SanityCounts:
    """Merge in a random order and grouping (a random binary tree)."""
    parts = parts[:]
    rng.shuffle(parts)
    while len(parts) > 1:
        i = rng.randrange(len(parts) - 1)
        parts[i:i + 2] = [parts[i].merge(parts[i + 1])]
    return parts[0]


def _counts(df: pd.DataFrame, target: str | None) -> SanityCounts:
    return SanityCounts.of(df, target=target, protected=PROTECTED)


def _reference_duplicates(df: pd.DataFrame) -> int:
    """Duplicate rows by the documented definition, in plain Python (no hashes)."""
    def key(col: pd.Series) -> list[object]:
        if pd.api.types.is_bool_dtype(col) or (pd.api.types.is_numeric_dtype(col)
                                               and not isinstance(col.dtype, pd.CategoricalDtype)):
            return [None if pd.isna(v) else float(v) for v in col]
        if pd.api.types.is_datetime64_any_dtype(col):
            return [None if pd.isna(v) else v.value for v in col]
        return [None if pd.isna(v) else str(v) for v in col]
    keys = list(zip(*(key(df[c]) for c in df.columns))) if df.shape[1] else [()] * len(df)
    return len(keys) - len(set(keys))


# ---------------------------------------------------------------- properties

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.lists(st.integers(0, 30), max_size=5), st.randoms(use_true_random=False))
def test_merged_chunk_counts_give_the_findings_of_the_whole_table(
        table: tuple[pd.DataFrame, str | None], cuts: list[int], rng: random.Random) -> None:
    df, target = table
    parts = [_counts(chunk, target) for chunk in _chunks(df, cuts)]
    merged = _merge_randomly(parts, rng)
    whole = sanity_checks(df, target=target, protected=PROTECTED, source="t")
    assert sanity_from_counts(merged, df, target=target, protected=PROTECTED,
                              source="t") == whole
    assert merged == _counts(df, target)


@settings(max_examples=100, deadline=None)
@given(tables(), st.lists(st.integers(0, 30), max_size=5), st.randoms(use_true_random=False))
def test_merge_order_and_grouping_do_not_matter(
        table: tuple[pd.DataFrame, str | None], cuts: list[int], rng: random.Random) -> None:
    df, target = table
    parts = [_counts(chunk, target) for chunk in _chunks(df, cuts)]
    left = reduce(SanityCounts.merge, parts)
    right = reduce(SanityCounts.merge, parts[::-1])
    tree = _merge_randomly(parts, rng)
    assert left == right == tree
    assert (left.labels, left.constant, left.missing) == (tree.labels, tree.constant, tree.missing)


@settings(max_examples=150, deadline=None)
@given(tables(), st.lists(st.integers(0, 30), max_size=6))
def test_duplicates_are_exact_across_chunk_boundaries(
        table: tuple[pd.DataFrame, str | None], cuts: list[int]) -> None:
    df, target = table
    merged = reduce(SanityCounts.merge, [_counts(c, target) for c in _chunks(df, cuts)])
    assert merged.duplicates == _reference_duplicates(df)


# ---------------------------------------------------------------- the choices, one by one

def test_missing_values_are_one_value_and_numbers_compare_by_value() -> None:
    """NaN and None are the same missing value; -0.0 is 0.0; int 3 equals float 3.0."""
    df = pd.DataFrame({"t": pd.Series(["a", None, "a", np.nan], dtype=object),
                       "x": [0.0, 1.0, -0.0, 1.0]})
    assert _counts(df, None).duplicates == 2
    a = pd.DataFrame({"x": pd.Series([3, 4], dtype="int64")})
    b = pd.DataFrame({"x": pd.Series([3.0, np.nan])})  # the same column with a gap: float
    assert _counts(a, None).merge(_counts(b, None)).duplicates == 1


def test_a_copy_in_another_batch_is_a_duplicate() -> None:
    df = pd.DataFrame({"a": range(1000), "b": ["x"] * 1000})
    table = pd.concat([df, df.iloc[::7]], ignore_index=True)
    parts = [_counts(table.iloc[i:i + 97], None) for i in range(0, len(table), 97)]
    merged = reduce(SanityCounts.merge, parts)
    assert merged.duplicates == len(df.iloc[::7]) == _reference_duplicates(table)


def test_hash_set_memory_is_eight_bytes_per_distinct_row() -> None:
    rng = np.random.default_rng(0)
    sets = [HashSet.of(rng.integers(0, 2**63, 1000, dtype=np.uint64)) for _ in range(64)]
    sets.append(sets[3])  # repeats are merged away
    merged = reduce(HashSet.union, sets)
    assert len(merged.chunks) <= int(np.log2(65_000)) + 1
    compact = HashSet.of(merged.values())
    assert len(compact) == 64_000 and compact.nbytes == 8 * 64_000
    assert merged.nbytes <= 2 * 8 * 64_000


def test_counts_pickle_round_trip() -> None:
    df = pd.DataFrame({"a": [1, 1, None], "y": [0, 1, 0], "race": ["a", None, "b"]})
    counts = _counts(df, "y")
    assert pickle.loads(pickle.dumps(counts)) == counts


def test_regression_target_found_across_batches() -> None:
    """Each batch has few distinct values; together more than MAX_LABELS: not a label."""
    y = np.arange(2 * MAX_LABELS, dtype=float) / 7
    df = pd.DataFrame({"y": y, "race": ["a", "b"] * MAX_LABELS})
    parts = [_counts(df.iloc[i:i + MAX_LABELS // 2], "y") for i in range(0, len(df), 10)]
    merged = reduce(SanityCounts.merge, parts)
    assert merged.labels == () and merged.label_values is not None
    found = sanity_from_counts(merged, df, target="y", protected=PROTECTED, source="t")
    assert found == sanity_checks(df, target="y", protected=PROTECTED, source="t")
    (imbalance,) = [f for f in found if f.code == "DATA006"]
    assert f"{2 * MAX_LABELS:,} distinct numeric values" in imbalance.message


def test_equal_label_counts_are_ordered_by_label_in_any_batch_order() -> None:
    df = pd.DataFrame({"y": [1, 0, 0, 1]})
    a, b = _counts(df.iloc[:1], "y"), _counts(df.iloc[1:], "y")
    assert a.merge(b).labels == b.merge(a).labels == _counts(df, "y").labels == ((0, 2), (1, 2))


def test_unhashable_values_in_any_batch_are_reported() -> None:
    df = pd.DataFrame({"a": [1, 2, 3], "tags": [1, 2, [3]]})
    merged = _counts(df.iloc[:2], None).merge(_counts(df.iloc[2:], None))
    (dup,) = [f for f in sanity_from_counts(merged, df, target=None, protected=(), source="t")
              if f.code == "DATA004"]
    assert (dup.outcome, dup.subject) == ("insufficient_evidence", "tags")
    arrays = pd.DataFrame({"a": [1, 2], "arr": pd.Series([np.array([1]), np.array([2])])})
    assert _counts(arrays, None).unhashable == "arr"  # no row hash is attempted


# ---------------------------------------------------------------- text checks on a sample

def test_text_checks_on_a_sample_say_their_counts_are_sampled() -> None:
    n = 1000
    df = pd.DataFrame({"years": [str(i % 30) for i in range(n)], "y": np.arange(n) % 2})
    counts = _counts(df, "y")
    whole = sanity_checks(df, target="y", protected=PROTECTED, source="t")
    sampled = sanity_from_counts(counts, df.iloc[:100], target="y", protected=PROTECTED,
                                 source="t")
    (w,), (s,) = ([f for f in found if f.code == "DATA001"] for found in (whole, sampled))
    assert "sample" not in w.message and "sample_rows" not in w.details
    assert s.message == counted_in_sample(
        w.message.replace("1,000 of 1,000", "100 of 100"), 100, n)
    assert s.details["sample_rows"] == "100" and s.details["non_missing"] == "100"
    assert sampled[2:] == whole[2:]  # the count-based checks read the counts, not the sample


def test_counts_of_another_target_are_refused() -> None:
    df = pd.DataFrame({"y": [0, 1], "z": [1, 0]})
    with pytest.raises(ValueError, match="target"):
        sanity_from_counts(_counts(df, "y"), df, target="z", protected=(), source="t")
    with pytest.raises(ValueError, match="columns"):
        _counts(df, "y").merge(_counts(df[["y"]], "y"))


def test_category_target_without_labelled_rows_is_empty_not_a_division_by_zero() -> None:
    """Found by the property test at 1,500 examples: unused categories count 0 each."""
    df = pd.DataFrame({"y": pd.Categorical([None, None], categories=["x", "y"])})
    parts = [_counts(df.iloc[:1], "y"), _counts(df.iloc[1:], "y")]
    found = sanity_from_counts(parts[0].merge(parts[1]), df, target="y", protected=(),
                               source="t")
    assert found == sanity_checks(df, target="y", protected=(), source="t")
    (imbalance,) = [f for f in found if f.code == "DATA006"]
    assert "no non-missing values" in imbalance.message
