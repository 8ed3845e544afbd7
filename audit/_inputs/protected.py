"""Protected attributes: which columns, their groups (age bands, merged regions), intersections."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .._config import AuditConfig
from .._errors import ConfigError, InputError
from .._result.checks import SPEC_DIRECT_USE
from .._result.findings import Finding, finding
from .._result.spec import ProtectedInfo
from .._words import inputs as W
from . import groups as G
from .columns import missing_column
from .prepared import Grouping

NONE_FOUND = (
    "{source}: no protected attribute found - no column is named like race, ethnicity, "
    "sex, gender, age, date of birth, country, state, region or zip code; name them with "
    "--protected race=COLUMN (repeatable)"
)

#: A protected attribute (other than age, which is banded, and geography, whose small
#: groups are merged) with more distinct values than this is refused: it is not a set of groups.
MAX_GROUPS = 100
#: A numeric protected column with fractional values and more distinct values than this
#: is continuous (a score or a measurement), not group codes.
MAX_NUMERIC_CODES = 20
#: Ages in years lie in [0, AGE_MAX]; an age column whose values all lie in [0, 1] is scaled.
AGE_MAX = 130

TOO_MANY_GROUPS = (
    "protected column '{column}' ({name}) in {source} has {n:,} distinct values - expected "
    "at most {limit} groups (categories such as race or gender); pass the column of group "
    "labels with --protected {name}=COLUMN, group the values into fewer categories first, or "
    "rename '{column}' if it is not a protected attribute"
)
CONTINUOUS = (
    "protected column '{column}' ({name}) in {source} holds continuous numbers ({n:,} distinct "
    "values from {lo:.6g} to {hi:.6g}) - expected group labels or codes; pass the column of "
    "group labels with --protected {name}=COLUMN, band the values into groups first, or rename "
    "'{column}' if it is not a protected attribute"
)
AGE_NOT_YEARS = (
    "age column '{column}' in {source} is not in years: {why} (values from {lo:.6g} to "
    "{hi:.6g}) - expected ages in years between 0 and {limit} to band them; pass the age in "
    "years (not standardised or scaled), name another column with --protected age=COLUMN, or "
    "declare it not an age with --protected other={column}"
)


def protected_columns(df: pd.DataFrame, cfg: AuditConfig, target: str | None, source: str,
                      notes: list[str]) -> list[G.ProtectedColumn]:
    """The protected attributes (named by the user, else found by column name); at least one."""
    exclude = [c for c in (target, cfg.predictions, cfg.scores) if c]
    found, detection_notes = G.detect_protected(list(df.columns), cfg.protected, exclude,
                                                cfg.max_per_family)
    notes.extend(detection_notes)
    for p in found:
        if p.column not in df.columns:
            raise missing_column(p.column, df, source, f"protected ({p.name})",
                                 "fix --protected NAME=COLUMN")
    if not found:
        raise InputError(NONE_FOUND.format(source=source))
    return found


def _group_labels(p: G.ProtectedColumn, col: pd.Series, cfg: AuditConfig, source: str,
                  notes: list[str], weights: np.ndarray | None = None
                  ) -> tuple[np.ndarray, list[str], list[str] | None]:
    """Each row's group as a code into a few labels, and the groups' order (age bands) if any."""
    birth = G.is_birth(p.column)
    if p.family != "age" or not (pd.api.types.is_numeric_dtype(col) or birth):
        distinct = G.distinct_values(col)
        if p.family != "geography":  # regions: small ones are merged
            _require_groups(p, col, distinct[1], source)
        return *G.label_codes(col, distinct), None
    if birth:
        as_of = date.fromisoformat(cfg.age_as_of) if cfg.age_as_of else date.today()
        ages = G.ages_from_birth(col, as_of)
        notes.append(W.age_from_birth_note(p.column, as_of.isoformat()))
    else:
        ages = col
        _require_years(p, ages, source, weights)
    return *G.age_band_codes(ages, cfg.age_bands), G.band_order(cfg.age_bands) + [G.UNKNOWN]


def _require_years(p: G.ProtectedColumn, col: pd.Series, source: str,
                   weights: np.ndarray | None = None) -> None:
    """Refuse to band an age column that cannot be ages in years (standardised, scaled).

    ``weights``: rows per entry of ``col`` (a column of distinct values).
    """
    v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    w = np.ones(len(v)) if weights is None else np.asarray(weights, dtype=float)
    w, v = w[~np.isnan(v)], v[~np.isnan(v)]
    if not len(v):
        return
    lo, hi = float(v.min()), float(v.max())
    if lo < 0:
        why = f"{int(w[v < 0].sum()):,} rows are negative"
    elif hi > AGE_MAX:
        why = f"{int(w[v > AGE_MAX].sum()):,} rows are over {AGE_MAX}"
    elif hi <= 1:
        why = "every value lies between 0 and 1, as if scaled"
    else:
        return
    raise InputError(AGE_NOT_YEARS.format(column=p.column, source=source, why=why, lo=lo, hi=hi,
                                          limit=AGE_MAX))


def _require_groups(p: G.ProtectedColumn, col: pd.Series, values: Any, source: str) -> None:
    """Refuse a protected column that is continuous or has too many values to be groups.

    ``values`` are the column's distinct values, missing values left out.
    """
    n = len(values)
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    if numeric and n > MAX_NUMERIC_CODES:
        v = np.asarray(values, dtype=float)
        if not np.all(np.mod(v, 1) == 0):
            raise InputError(CONTINUOUS.format(column=p.column, name=p.name, source=source, n=n,
                                               lo=float(v.min()), hi=float(v.max())))
    if n > MAX_GROUPS:
        raise InputError(TOO_MANY_GROUPS.format(column=p.column, name=p.name, source=source, n=n,
                                                limit=MAX_GROUPS))


def attribute_grouping(p: G.ProtectedColumn, df: pd.DataFrame, cfg: AuditConfig, source: str,
                       notes: list[str], weights: np.ndarray | None = None) -> Grouping:
    """The groups of one protected attribute, small regions merged, with its reference group.

    ``weights``: rows per row of ``df`` (a table of distinct values and their counts).
    """
    col = df[p.column]
    if col.isna().all():
        raise InputError(
            f"protected column '{p.column}' ({p.name}) in {source} is entirely missing - "
            "fill it, or choose another with --protected "
            f"{p.family if p.family in G.FAMILIES else p.name}=COLUMN")
    codes, labels, order = _group_labels(p, col, cfg, source, notes, weights)
    try:
        g = G.grouping_from_codes(
            p.name, p.family, p.column, codes, labels, how_found=p.how_found,
            min_group_size=cfg.min_group_size, merge_small=p.family == "geography",
            order=order, reference=cfg.reference.get(p.name), weights=weights)
    except G.NoSuchGroup as exc:
        raise ConfigError(
            f"reference group '{cfg.reference.get(p.name)}' for {p.name} does not exist - "
            f"its groups are: {', '.join(sorted(exc.values)[:12])}") from exc
    if len(g.labels) < 2:
        notes.append(W.single_group_note(p.name, p.column, g.labels[0]))
    return g


def attribute_groupings(
    df: pd.DataFrame, found: list[G.ProtectedColumn], cfg: AuditConfig,
    features: tuple[str, ...], source: str, notes: list[str], findings: list[Finding],
    weights: np.ndarray | None = None,
) -> tuple[list[Grouping], list[ProtectedInfo]]:
    """Groups of every protected attribute, as used and as recorded; SPEC002 for model inputs.

    ``weights``: rows per row of ``df`` when ``df`` holds the distinct combinations of the
    protected columns of a larger table (the streaming engines).
    """
    groupings: list[Grouping] = []
    infos: list[ProtectedInfo] = []
    feature_set = set(features)
    for p in found:
        g = attribute_grouping(p, df, cfg, source, notes, weights)
        groupings.append(g)
        is_input = p.column in feature_set
        infos.append(ProtectedInfo(
            p.name, p.family, (p.column,), p.how_found, g.labels, g.labels[g.reference],
            {k: tuple(v) for k, v in g.members.items()}, is_input))
        if is_input:
            findings.append(finding(SPEC_DIRECT_USE, "review", W.direct_use(p.column, p.name),
                                    subject=p.name))
    return groupings, infos


def intersections(groupings: list[Grouping], cfg: AuditConfig,
                  notes: list[str], weights: np.ndarray | None = None) -> list[Grouping]:
    """Every pair of attributes with at least two (and not too many) groups, combined.

    Two attributes of the same family (``age`` and ``age_cat``) are never crossed.
    ``weights``: rows per entry of the groupings' codes (see ``G.grouping_from_codes``).
    """
    if not cfg.intersections:
        return []
    singles = [g for g in groupings if len(g.labels) >= 2]
    wide = [g for g in singles if len(g.labels) > cfg.intersection_max_groups]
    if wide:
        notes.append(W.not_intersected_note(cfg.intersection_max_groups, [g.name for g in wide]))
        singles = [g for g in singles if g not in wide]
    pairs = [(a, b) for i, a in enumerate(singles) for b in singles[i + 1:]]
    same = [(a.name, b.name) for a, b in pairs if G.same_family(a, b)]
    if same:
        notes.append(W.same_family_note(same))
    return [G.intersect(a, b, cfg.min_group_size, weights) for a, b in pairs
            if not G.same_family(a, b)]
