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
    """Values as strings, with missing values mapped to the explicit 'unknown' group."""
    miss = s.isna().to_numpy()
    out = s.astype(object).where(~s.isna(), UNKNOWN).map(format_value).to_numpy(dtype=object)
    out[miss] = UNKNOWN
    return out


def format_value(v: Any) -> str:
    """A value as people write it: 1.0 -> "1", numpy scalars like Python ones."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, np.integer):
        return str(int(v))
    return str(v)


def age_bands(values: pd.Series, edges: Sequence[int]) -> np.ndarray:
    """Map ages in years to bands like '<25', '25–34', ..., '65+'; missing -> 'unknown'."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    names = [f"<{edges[0]}"] + [f"{a}–{b - 1}" for a, b in zip(edges[:-1], edges[1:])]
    names.append(f"{edges[-1]}+")
    idx = np.searchsorted(np.asarray(edges, dtype=float), v, side="right")
    out = np.array(names, dtype=object)[np.clip(idx, 0, len(names) - 1)]
    out[np.isnan(v)] = UNKNOWN
    return out


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


def make_grouping(
    name: str,
    family: str,
    column: str,
    labels: np.ndarray,
    *,
    how_found: str,
    min_group_size: int,
    merge_small: bool,
    order: Sequence[str] | None = None,
    reference: str | None = None,
    preferred_reference: str | None = None,
    noun: str = "regions",
) -> Grouping:
    """Build a :class:`Grouping` from per-row string labels.

    Small groups are merged into ``"other (N regions)"`` when ``merge_small``.
    The reference group is ``reference`` if given (an error if it does not exist),
    else ``preferred_reference`` if it exists and was not merged away, else the
    largest group that is neither 'unknown' nor a merged group.
    """
    # factorize once (hashing, no string sort); every later step works on the small
    # per-value arrays
    raw_codes, uniques = pd.factorize(labels.astype(str))
    values = [str(v) for v in uniques]
    counts = np.bincount(raw_codes, minlength=len(values))
    members: dict[str, tuple[str, ...]] = {}
    final_label = list(values)  # value -> the group it ends up in
    if merge_small:
        small = [v for v, c in zip(values, counts) if c < min_group_size and v != UNKNOWN]
        if len(small) >= 2 or (len(small) == 1 and len(values) > 2):
            other = f"other ({len(small)} {noun})"
            members[other] = tuple(sorted(small))
            small_set = set(small)
            final_label = [other if v in small_set else v for v in values]
    size: dict[str, int] = {}
    for v, c in zip(final_label, counts.tolist()):
        size[v] = size.get(v, 0) + c
    if order is not None:
        ordered = [v for v in order if v in size]
        ordered += sorted(v for v in size if v not in ordered)
    else:  # largest first, 'unknown' and merged groups last
        special = {UNKNOWN, *members}
        ordered = sorted((v for v in size if v not in special), key=lambda v: (-size[v], v))
        ordered += sorted(v for v in size if v in members) + ([UNKNOWN] if UNKNOWN in size else [])
    lookup = {v: i for i, v in enumerate(ordered)}
    codes = np.array([lookup[v] for v in final_label], dtype=np.int64)[raw_codes]
    if reference is not None:
        if reference not in lookup:
            raise KeyError(reference)
        ref = lookup[reference]
    elif preferred_reference in lookup and preferred_reference not in members:
        ref = lookup[preferred_reference]
    else:
        candidates = [v for v in ordered if v != UNKNOWN and v not in members] or ordered
        ref = lookup[max(candidates, key=lambda v: (size[v], -ordered.index(v)))]
    return Grouping(name=name, family=family, columns=(column,), codes=codes,
                    labels=tuple(ordered), reference=ref, members=members, how_found=how_found)


def intersect(a: Grouping, b: Grouping, min_group_size: int) -> Grouping:
    """Every combination of two groupings' groups; small combinations are merged."""
    la = np.asarray(a.labels, dtype=str)[a.codes]
    lb = np.asarray(b.labels, dtype=str)[b.codes]
    joined = np.char.add(np.char.add(la, " × "), lb)
    order = [f"{x} × {y}" for x in a.labels for y in b.labels]
    g = make_grouping(f"{a.name} × {b.name}", "intersection", "", joined,
                      how_found=W.intersection_how(a.name, b.name),
                      min_group_size=min_group_size, merge_small=True, noun="combinations",
                      # compare with the two reference groups together, e.g. White × Male
                      preferred_reference=f"{a.labels[a.reference]} × {b.labels[b.reference]}")
    present = [o for o in order if o in g.labels]
    rest = [x for x in g.labels if x not in present]
    relabel = present + rest
    remap = np.array([relabel.index(x) for x in g.labels])
    return Grouping(name=g.name, family="intersection", columns=a.columns + b.columns,
                    codes=remap[g.codes], labels=tuple(relabel),
                    reference=relabel.index(g.labels[g.reference]),
                    members=g.members, how_found=g.how_found)
