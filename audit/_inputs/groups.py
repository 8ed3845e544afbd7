"""Protected attributes: finding them by name, and turning columns into groups."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .._words import inputs as W
from .prepared import Grouping

UNKNOWN = "unknown"
FAMILIES = ("race", "gender", "age", "geography")

# Synonyms matched against whole name tokens (case and separator insensitive).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "race": ("race", "ethnicity", "ethnic", "ethnicgroup", "raceethnicity", "nationality"),
    "gender": ("sex", "gender"),
    "age": ("age", "dob", "dateofbirth", "birthdate", "birthday", "yearofbirth", "birthyear",
            "yob", "ageband", "agegroup"),
    "geography": ("country", "state", "region", "county", "city", "zip", "zipcode", "postcode",
                  "postalcode", "neighbourhood", "neighborhood", "district", "province",
                  "municipality", "borough", "town", "territory", "prefecture", "canton", "msa",
                  "cbsa", "tract", "ward"),
}
# Multi-token phrases (after tokenising) that mean a family.
PHRASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "age": (("date", "of", "birth"), ("year", "of", "birth"), ("birth", "date"),
            ("birth", "year")),
    "race": (("ethnic", "group"),),
    "geography": (("postal", "code"), ("zip", "code"), ("post", "code")),
}


def tokens(name: str) -> list[str]:
    """Split a column name into lower-case word tokens (snake, kebab, camel, spaces)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def is_birth(column: str) -> bool:
    """True for a column named like a date or year of birth.

    >>> is_birth("dateOfBirth"), is_birth("birth_year"), is_birth("age")
    (True, True, False)
    """
    toks = tokens(column)
    return "birth" in toks or "dob" in toks or any("birth" in t for t in toks)


def family_of(name: str) -> str | None:
    """The protected-attribute family a column name belongs to, if any."""
    toks = tokens(name)
    joined = "".join(toks)
    for fam in FAMILIES:
        syns = SYNONYMS[fam]
        if joined in syns or any(t in syns for t in toks):
            return fam
        for phrase in PHRASES.get(fam, ()):
            k = len(phrase)
            if any(tuple(toks[i:i + k]) == phrase for i in range(len(toks) - k + 1)):
                return fam
    return None


@dataclass(frozen=True)
class ProtectedColumn:
    name: str  # attribute name used in the report
    family: str
    column: str
    how_found: str


def detect_protected(
    columns: Sequence[str],
    overrides: dict[str, str],
    exclude: Sequence[str],
    max_per_family: int,
) -> tuple[list[ProtectedColumn], list[str]]:
    """Find protected columns by name; ``overrides`` (attribute -> column) win.

    Returns the attributes and notes for the summary (e.g. several matches).
    """
    found: list[ProtectedColumn] = []
    notes: list[str] = []
    overridden_families = set()
    for attr, col in overrides.items():
        fam = attr if attr in FAMILIES else (family_of(attr) or "other")
        overridden_families.add(fam)
        found.append(ProtectedColumn(attr, fam, col, W.protected_set_by_you(attr, col)))
    excluded = set(exclude) | {p.column for p in found}
    by_family: dict[str, list[str]] = {}
    for col in columns:
        if col in excluded:
            continue
        col_family = family_of(col)
        if col_family is not None and col_family not in overridden_families:
            by_family.setdefault(col_family, []).append(col)
    for fam in FAMILIES:
        cols = by_family.get(fam, [])
        if not cols:
            continue
        used = cols[:max_per_family]
        if len(cols) > 1:
            notes.append(W.several_columns_note(fam, cols, used, max_per_family))
        for col in used:
            name = fam if len(used) == 1 else f"{fam}: {col}"
            found.append(ProtectedColumn(name, fam, col, W.protected_by_name(col, fam)))
    return found, notes


def as_labels(s: pd.Series) -> np.ndarray:
    """Values as strings, with missing values mapped to the explicit 'unknown' group.

    The per-row definition of a group label; :func:`label_codes` gives the same labels
    as codes without formatting every row.
    """
    miss = s.isna().to_numpy()
    out = s.astype(object).where(~s.isna(), UNKNOWN).map(format_value).to_numpy(dtype=object)
    out[miss] = UNKNOWN
    return out


#: ``infer_dtype`` kinds of an object column whose equal values (pd.factorize's notion)
#: are always written alike; others (True and 1 are equal, written 'True' and '1') are
#: formatted row by row
_ONE_WRITING = frozenset({"string", "empty", "boolean", "integer"})


def distinct_values(s: pd.Series) -> tuple[np.ndarray, Any]:
    """Each row's code into the distinct values (-1 where missing), and those values."""
    return pd.factorize(s)


def _first_rows(raw: np.ndarray, k: int) -> np.ndarray:
    """The first row holding each code ``0..k-1`` (pd.factorize numbers them by appearance)."""
    running = np.maximum.accumulate(raw) if len(raw) else raw
    steps = np.flatnonzero(np.diff(running, prepend=-1) > 0)
    if len(steps) == k and (k == 0 or running[-1] == k - 1) and np.all(
            np.diff(running[steps], prepend=-1) == 1):
        return steps
    codes, first = np.unique(raw, return_index=True)  # not numbered by appearance
    return first[codes >= 0]


def label_codes(s: pd.Series, distinct: tuple[np.ndarray, Any] | None = None
                ) -> tuple[np.ndarray, list[str]]:
    """Each row's group as a code into a few labels: :func:`as_labels` without per-row strings.

    Equal values are found once (``pd.factorize``) and each distinct value is written once;
    missing values get the label 'unknown'.  The labels may repeat ('1' for the values 1
    and '1'); :func:`grouping_from_codes` merges repeats, as the per-row strings were.

    >>> codes, labels = label_codes(pd.Series(["b", None, "a", "b"]))
    >>> codes.tolist(), labels
    ([0, 2, 1, 0], ['b', 'a', 'unknown'])
    """
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) not in _ONE_WRITING:
        raw, uniques = pd.factorize(s.map(format_value, na_action="ignore"))
        labels = [str(v) for v in uniques]
    else:
        raw, uniques = distinct if distinct is not None else distinct_values(s)
        first = _first_rows(raw, len(uniques))
        labels = [format_value(v) for v in s.iloc[first].astype(object)]
    missing = raw < 0
    if missing.any():
        raw = np.where(missing, len(labels), raw)
        labels.append(UNKNOWN)
    return raw.astype(np.int64, copy=False), labels


def format_value(v: Any) -> str:
    """A value as people write it: 1.0 -> "1", numpy scalars like Python ones."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, np.integer):
        return str(int(v))
    return str(v)


def age_band_codes(values: pd.Series, edges: Sequence[int]) -> tuple[np.ndarray, list[str]]:
    """Ages in years as codes into the bands '<25', '25–34', ..., '65+' and 'unknown' (missing)."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    names = band_order(edges) + [UNKNOWN]
    idx = np.searchsorted(np.asarray(edges, dtype=float), v, side="right")
    codes = np.where(np.isnan(v), len(names) - 1, np.minimum(idx, len(names) - 2))
    return codes.astype(np.int64, copy=False), names


def band_order(edges: Sequence[int]) -> list[str]:
    """The age bands' names in order, youngest first."""
    return [f"<{edges[0]}"] + [f"{a}–{b - 1}" for a, b in zip(edges[:-1], edges[1:])] + [
        f"{edges[-1]}+"]


def ages_from_birth(values: pd.Series, as_of: date) -> pd.Series:
    """Whole years between a date of birth (or birth year) and ``as_of``."""
    num = pd.to_numeric(values, errors="coerce")
    if num.notna().mean() > 0.9 and num.dropna().between(1880, as_of.year).all():
        return as_of.year - num  # a birth year
    dob = pd.to_datetime(values, errors="coerce")
    years = as_of.year - dob.dt.year
    before_birthday = (dob.dt.month > as_of.month) | (
        (dob.dt.month == as_of.month) & (dob.dt.day > as_of.day))
    return (years - before_birthday.astype(float)).astype(float)


class NoSuchGroup(KeyError):
    """The reference group asked for is not among the values (``values``: those present)."""

    def __init__(self, reference: str, values: list[str]) -> None:
        super().__init__(reference)
        self.values = values


@dataclass(frozen=True)
class _Groups:
    """The groups of a grouping worked out on its distinct values, before any row is touched."""

    labels: tuple[str, ...]
    of_value: np.ndarray  # the group of each distinct value
    reference: int
    members: dict[str, tuple[str, ...]]


def make_grouping(name: str, family: str, column: str, labels: np.ndarray, **kw: Any
                  ) -> Grouping:
    """Build a :class:`Grouping` from per-row string labels (see :func:`grouping_from_codes`)."""
    codes, values = pd.factorize(np.asarray(labels, dtype=object))
    return grouping_from_codes(name, family, column, codes, [str(v) for v in values], **kw)


def grouping_from_codes(
    name: str,
    family: str,
    column: str,
    codes: np.ndarray,
    values: Sequence[str],
    *,
    how_found: str,
    min_group_size: int,
    merge_small: bool,
    order: Sequence[str] | None = None,
    reference: str | None = None,
    preferred_reference: str | None = None,
    noun: str = "regions",
    weights: np.ndarray | None = None,
) -> Grouping:
    """Build a :class:`Grouping` from each row's code into ``values`` (labels, may repeat).

    Small groups are merged into ``"other (N regions)"`` when ``merge_small``.
    The reference group is ``reference`` if given (:class:`NoSuchGroup` if it does not
    exist), else ``preferred_reference`` if it exists and was not merged away, else the
    largest group that is neither 'unknown' nor a merged group.  Values without rows
    are no group.  Only the distinct values are worked on; the rows are touched by one
    count and one look-up.  ``weights`` (rows per entry of ``codes``) builds the groups of
    a table from its distinct values and their counts (the streaming engines).
    """
    counts = _counts(codes, len(values), weights)
    g = _groups(values, counts, min_group_size=min_group_size, merge_small=merge_small,
                order=order, reference=reference, preferred_reference=preferred_reference,
                noun=noun)
    return Grouping(name=name, family=family, columns=(column,), codes=g.of_value[codes],
                    labels=g.labels, reference=g.reference, members=g.members,
                    how_found=how_found)


def _counts(codes: np.ndarray, n: int, weights: np.ndarray | None) -> np.ndarray:
    """Rows per code: one per entry of ``codes``, or ``weights`` of them."""
    if weights is None:
        return np.bincount(codes, minlength=n)
    return np.bincount(codes, weights=np.asarray(weights, dtype=np.float64),
                       minlength=n).round().astype(np.int64)


def _present_values(values: Sequence[str], counts: np.ndarray
                    ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The distinct labels with rows (as numpy writes them), their sizes, each value's label."""
    texts = np.asarray(list(values), dtype=object).astype(str)  # as the per-row labels were
    merged, uniques = pd.factorize(texts)
    sizes = np.bincount(merged, weights=counts, minlength=len(uniques)).astype(np.int64)
    keep = sizes > 0
    renumber = np.cumsum(keep) - 1
    return [str(v) for v in np.asarray(uniques)[keep]], sizes[keep], renumber[merged]


def _groups(values: Sequence[str], counts: np.ndarray, *, min_group_size: int,
            merge_small: bool, order: Sequence[str] | None, reference: str | None,
            preferred_reference: str | None, noun: str) -> _Groups:
    """Merging, order and reference group of a grouping, from its values' row counts."""
    present, sizes, of_value = _present_values(values, counts)
    members: dict[str, tuple[str, ...]] = {}
    final_label = list(present)  # value -> the group it ends up in
    if merge_small:
        small = [v for v, c in zip(present, sizes) if c < min_group_size and v != UNKNOWN]
        if len(small) >= 2 or (len(small) == 1 and len(present) > 2):
            other = f"other ({len(small)} {noun})"
            members[other] = tuple(sorted(small))
            small_set = set(small)
            final_label = [other if v in small_set else v for v in present]
    size: dict[str, int] = {}
    for v, c in zip(final_label, sizes.tolist()):
        size[v] = size.get(v, 0) + c
    if order is not None:
        ordered = [v for v in order if v in size]
        ordered += sorted(v for v in size if v not in ordered)
    else:  # largest first, 'unknown' and merged groups last
        special = {UNKNOWN, *members}
        ordered = sorted((v for v in size if v not in special), key=lambda v: (-size[v], v))
        ordered += sorted(v for v in size if v in members) + ([UNKNOWN] if UNKNOWN in size else [])
    lookup = {v: i for i, v in enumerate(ordered)}
    group_of = np.array([lookup[v] for v in final_label], dtype=np.int64)
    if reference is not None:
        if reference not in lookup:
            raise NoSuchGroup(reference, present)
        ref = lookup[reference]
    elif preferred_reference in lookup and preferred_reference not in members:
        ref = lookup[preferred_reference]
    else:
        candidates = [v for v in ordered if v != UNKNOWN and v not in members] or ordered
        ref = lookup[max(candidates, key=lambda v: (size[v], -ordered.index(v)))]
    return _Groups(tuple(ordered), group_of[of_value], ref, members)


#: Name tokens that say how a column codes an attribute, not which attribute it is
#: (``race_desc``, ``age_cat``, ``sex_code``): left out when comparing names.
CODING_TOKENS = frozenset(("cat", "category", "categories", "code", "cd", "desc", "description",
                           "group", "grp", "band", "bucket", "id", "label", "name", "text",
                           "raw", "num", "is", "the", "of"))


def same_family(a: Grouping, b: Grouping) -> bool:
    """Whether two attributes describe the same thing and must never be crossed.

    Two attributes of one known family (race, gender, age, geography: ``age`` and
    ``age_cat``, ``state`` and ``zip``) are the same thing; so are two others whose
    columns share a name word beyond coding words (``religion`` and ``religion_desc``).
    Crossing them would give a table of empty or identical combinations (issue 10, item 8).
    """
    if a.family == "intersection" or b.family == "intersection":
        return False
    if a.family == b.family and a.family in FAMILIES:
        return True
    words_a = {t for c in a.columns for t in tokens(c)} - CODING_TOKENS
    words_b = {t for c in b.columns for t in tokens(c)} - CODING_TOKENS
    return bool(words_a & words_b)


def intersect(a: Grouping, b: Grouping, min_group_size: int,
              weights: np.ndarray | None = None) -> Grouping:
    """Every combination of two groupings' groups; small combinations are merged.

    Each row's combination is ``code_a * n_b + code_b``; only the few combinations get
    a label (``"x × y"``).  ``weights``: rows per entry of the codes (see
    :func:`grouping_from_codes`).
    """
    nb = len(b.labels)
    codes = np.asarray(a.codes, dtype=np.int64) * nb + np.asarray(b.codes, dtype=np.int64)
    order = [f"{x} × {y}" for x in a.labels for y in b.labels]
    counts = _counts(codes, len(order), weights)
    g = _groups(order, counts, min_group_size=min_group_size, merge_small=True, order=None,
                reference=None, noun="combinations",
                # compare with the two reference groups together, e.g. White × Male
                preferred_reference=f"{a.labels[a.reference]} × {b.labels[b.reference]}")
    present = [o for o in order if o in g.labels]
    rest = [x for x in g.labels if x not in present]
    relabel = present + rest
    remap = np.array([relabel.index(x) for x in g.labels], dtype=np.int64)
    return Grouping(name=f"{a.name} × {b.name}", family="intersection",
                    columns=a.columns + b.columns, codes=remap[g.of_value][codes],
                    labels=tuple(relabel), reference=relabel.index(g.labels[g.reference]),
                    members=g.members, how_found=W.intersection_how(a.name, b.name))
