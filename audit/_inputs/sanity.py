"""Data sanity checks: problems in the table itself, before any model is involved.

Each check is a registered :class:`~audit._result.findings.Check` with a stable code
(``DATA001`` ...).  :func:`sanity_checks` runs them all and returns findings:
one per problem found, or one ``"pass"`` finding per check that found nothing,
so the report can say what was looked at.

The checks are vectorised and cheap on large tables: the "stored as text"
checks first look at a fixed-seed sample of at most :data:`SAMPLE_SIZE`
non-missing values per column and count exactly (over the distinct values)
only for the columns that look suspicious.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .._result.checks import (
    CONSTANT_COLUMNS,
    DATES_AS_TEXT,
    DUPLICATE_ROWS,
    LABEL_IMBALANCE,
    MISSING_VALUES,
    NUMBERS_AS_TEXT,
    PROTECTED_MOSTLY_MISSING,
    SANITY_CHECKS,
)
from .._result.findings import Check, Finding, Outcome, finding
from .._words import inputs as W
from .._words.verdict import unused_column
from .sanity_counts import SanityCounts

__all__ = [
    "CONSTANT_COLUMNS",
    "DATES_AS_TEXT",
    "DUPLICATE_ROWS",
    "LABEL_IMBALANCE",
    "MISSING_VALUES",
    "NUMBERS_AS_TEXT",
    "PROTECTED_MOSTLY_MISSING",
    "SANITY_CHECKS",
    "SanityCounts",
    "sanity_checks",
    "sanity_from_counts",
]

#: Share of non-missing values that must parse for a "stored as text" finding.
PARSE_SHARE = 0.95
#: At most this many non-missing values per column are sampled for parse checks.
SAMPLE_SIZE = 10_000
#: Minority-label share below which the labels count as imbalanced.
IMBALANCE_SHARE = 0.10
#: Share of missing values above which a protected attribute is "mostly missing".
PROTECTED_MISSING_SHARE = 0.50

# Date formats tried on text columns, most common first.
_DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "ISO8601",
)
# Cheap pre-screen: something date-like (digits separated by -/. or a space, or a month name).
_DATE_LIKE = re.compile(
    r"^\s*(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2} [A-Za-z]{3,9},? \d{4}|[A-Za-z]{3,9} \d{1,2}, \d{4})"
)
# Column names that mark identifiers or codes: digits there are labels, not amounts.
_CODE_NAME = re.compile(
    r"(^|[^a-z])(id|ids|zip|zipcode|postal|postcode|plz|code|codes|phone|tel|fips|ssn|account|"
    r"iban|isbn|sku|uuid)([^a-z]|$)",
    re.IGNORECASE,
)


def _is_text(col: pd.Series) -> bool:
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        return pd.api.types.is_object_dtype(cats.dtype) or pd.api.types.is_string_dtype(cats.dtype)
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _as_text(values: pd.Series | pd.Index) -> pd.Series:
    """Values as a plain ``str``-valued Series (object columns may mix Python types)."""
    return pd.Series(np.asarray(values, dtype=object)).map(str)


def _sample(col: pd.Series, rng: np.random.Generator) -> pd.Series:
    nonnull = col.dropna()
    if len(nonnull) > SAMPLE_SIZE:
        idx = np.sort(rng.choice(len(nonnull), size=SAMPLE_SIZE, replace=False))
        nonnull = nonnull.iloc[idx]
    return _as_text(nonnull)


def _distinct_counts(col: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Distinct non-missing values (as text) and how often each occurs, counted exactly."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        counts = np.bincount(codes[codes >= 0], minlength=len(col.cat.categories))
        keep = counts > 0
        return _as_text(col.cat.categories[keep]), counts[keep]
    vc = col.value_counts(dropna=True, sort=False)
    return _as_text(vc.index), vc.to_numpy()


def _parse_numbers(text: pd.Series) -> np.ndarray:
    return pd.to_numeric(text.str.strip(), errors="coerce").notna().to_numpy()


def _parse_dates(text: pd.Series, fmt: str) -> np.ndarray:
    parsed = pd.to_datetime(text.str.strip(), format=fmt, errors="coerce")
    return parsed.notna().to_numpy()


def _looks_like_code(column: str, text: pd.Series) -> bool:
    """True for identifiers or codes written with digits (zip codes, ids, leading zeros)."""
    if _CODE_NAME.search(column.replace("_", " ")):
        return True
    stripped = text.str.strip()
    if stripped.str.match(r"^[+-]?0\d").any():  # leading zeros would be lost by conversion
        return True
    lengths = stripped.str.len()
    return bool(
        stripped.str.fullmatch(r"\d+").all() and lengths.nunique() == 1 and lengths.iloc[0] >= 5
    )



def _parsed_share(col: pd.Series, parse: Callable[[pd.Series], np.ndarray]
                  ) -> tuple[int, int, str] | None:
    """(values that parse, non-missing values, most common parsed value), counted over the
    distinct values; None when fewer than :data:`PARSE_SHARE` of them parse."""
    values, counts = _distinct_counts(col)
    ok = parse(values)
    parsed, total = int(counts[ok].sum()), int(counts.sum())
    if total == 0 or parsed / total < PARSE_SHARE:
        return None
    return parsed, total, str(values[ok].iloc[int(np.argmax(counts[ok]))])

def _text_finding(check: Check, message: str, name: str, share: tuple[int, int, str],
                  sample_rows: int | None, n_rows: int, **extra: str) -> Finding:
    """A DATA001/DATA002 finding; its counts are over ``sample_rows`` sampled rows if given."""
    parsed, total, example = share
    details = {"parsed": str(parsed), "non_missing": str(total),
               "share": f"{parsed / total:.4f}", **extra, "example": example}
    if sample_rows is not None:
        message = W.counted_in_sample(message, sample_rows, n_rows)
        details["sample_rows"] = str(sample_rows)
    return finding(check, "review", message, subject=str(name), details=details)


def _numbers_as_text(df: pd.DataFrame, text_cols: list[str], seed: int,
                     sample_rows: int | None = None, n_rows: int = 0) -> list[Finding]:
    """DATA001: text columns whose values (nearly) all read as numbers.

    ``df`` is the whole table, or a sample of ``sample_rows`` of its ``n_rows`` rows.
    """
    rng = np.random.default_rng(seed)
    out: list[Finding] = []
    for name in text_cols:
        col = df[name]
        sample = _sample(col, rng)
        if sample.empty or _parse_numbers(sample).mean() < PARSE_SHARE:
            continue
        if _looks_like_code(str(name), sample):
            continue
        share = _parsed_share(col, _parse_numbers)
        if share is None:
            continue
        message = W.numbers_as_text(name, *share)
        out.append(_text_finding(NUMBERS_AS_TEXT, message, name, share, sample_rows, n_rows))
    if not out:
        out.append(finding(NUMBERS_AS_TEXT, "pass", W.MSG_NUMBERS_PASS.format(n=len(text_cols))))
    return out


def _best_date_format(sample: pd.Series) -> tuple[str, float] | None:
    """The date format that parses the largest share of ``sample``, with that share."""
    best: tuple[str, float] | None = None
    for fmt in _DATE_FORMATS:
        share = float(_parse_dates(sample, fmt).mean())
        if best is None or share > best[1]:
            best = (fmt, share)
        if share == 1.0:
            break
    return best


def _date_format_of(sample: pd.Series) -> str | None:
    """The format in which (nearly) every sampled value reads as a date, if any."""
    # Pure numbers (years, 20240317, Excel serials) are never taken for dates.
    if _parse_numbers(sample).mean() >= 0.5:
        return None
    if sample.str.match(_DATE_LIKE).mean() < PARSE_SHARE:
        return None
    best = _best_date_format(sample)
    if best is None or best[1] < PARSE_SHARE:
        return None
    return best[0]


def _dates_as_text(
    df: pd.DataFrame, text_cols: list[str], number_cols: set[str], seed: int,
    sample_rows: int | None = None, n_rows: int = 0,
) -> list[Finding]:
    """DATA002: text columns whose values (nearly) all read as dates in one format."""
    rng = np.random.default_rng(seed + 1)
    out: list[Finding] = []
    for name in text_cols:
        col = df[name]
        sample = _sample(col, rng)
        if sample.empty or name in number_cols:
            continue
        fmt = _date_format_of(sample)
        if fmt is None:
            continue
        share = _parsed_share(col, lambda v: _parse_dates(v, fmt))
        if share is None:
            continue
        parsed, total, example = share
        message = W.dates_as_text(name, parsed, total, fmt, example)
        out.append(_text_finding(DATES_AS_TEXT, message, name, share, sample_rows, n_rows,
                                 format=fmt))
    if not out:
        out.append(finding(DATES_AS_TEXT, "pass", W.MSG_DATES_PASS.format(n=len(text_cols))))
    return out


def _missing_values(counts: SanityCounts, threshold: float) -> list[Finding]:
    """DATA003: columns with more than ``threshold`` missing values."""
    n_columns = len(counts.columns)
    rows = counts.rows
    shares = pd.Series([m / rows if rows else 0.0 for m in counts.missing],
                       index=list(counts.columns), dtype=float)
    over = shares[shares > threshold].sort_values(ascending=False, kind="stable")
    if over.empty:
        return [finding(MISSING_VALUES, "pass", W.missing_values_pass(n_columns, threshold))]
    listed = [(str(name), float(share)) for name, share in over.items()]
    return [
        finding(
            MISSING_VALUES,
            "review",
            W.missing_values(listed, n_columns, threshold),
            subject=", ".join(str(c) for c in over.index),
            details={str(name): f"{float(share):.4f}" for name, share in over.items()},
        )
    ]


def _duplicate_rows(counts: SanityCounts) -> list[Finding]:
    """DATA004: rows that repeat an earlier row (equal row hashes: see ``sanity_counts``)."""
    n_rows = counts.rows
    if counts.unhashable is not None:
        bad = counts.unhashable
        return [
            finding(
                DUPLICATE_ROWS,
                "insufficient_evidence",
                W.MSG_DUPLICATES_UNHASHABLE.format(column=bad),
                subject=bad,
            )
        ]
    count = counts.duplicates
    if count == 0:
        return [finding(DUPLICATE_ROWS, "pass", W.MSG_DUPLICATES_PASS.format(n_rows=n_rows))]
    return [
        finding(
            DUPLICATE_ROWS,
            "review",
            W.duplicate_rows(count, n_rows),
            details={"duplicates": str(count), "rows": str(n_rows)},
        )
    ]


def _constant_columns(counts: SanityCounts) -> list[Finding]:
    """DATA005: columns with the same value in every row."""
    if counts.rows == 0:
        return [finding(CONSTANT_COLUMNS, "not_applicable", W.MSG_CONSTANT_NO_ROWS)]
    details: dict[str, str] = {}
    for name, state in zip(counts.columns, counts.constant):
        if state[0] == "missing":
            details[name] = "missing"
        elif state[0] == "value":
            details[name] = str(state[1])
    if not details:
        n_columns = len(counts.columns)
        return [finding(CONSTANT_COLUMNS, "pass", W.MSG_CONSTANT_PASS.format(n_columns=n_columns))]
    return [
        finding(
            CONSTANT_COLUMNS,
            "review",
            W.constant_columns(list(details.items())),
            subject=", ".join(details),
            details=details,
        )
    ]


def _label_imbalance(counts: SanityCounts, target: str | None) -> list[Finding]:
    """DATA006: whether the rarest label of the target is too rare (or the only one)."""
    if target is None or target not in counts.columns:
        return [finding(LABEL_IMBALANCE, "not_applicable", W.MSG_IMBALANCE_NO_TARGET)]
    if counts.label_values is not None:
        n_values = len(counts.label_values)
        message = W.MSG_IMBALANCE_NUMERIC.format(target=target, n_values=n_values)
        return [finding(LABEL_IMBALANCE, "not_applicable", message, subject=target)]
    if not any(count for _, count in counts.labels):  # a category target lists unused labels
        message = W.MSG_IMBALANCE_EMPTY.format(target=target)
        return [finding(LABEL_IMBALANCE, "not_applicable", message, subject=target)]
    return [_label_balance(target, counts.labels)]


def _label_balance(target: str, counts: Sequence[tuple[object, int]]) -> Finding:
    """DATA006 on a target's label counts (most frequent first)."""
    total = sum(int(c) for _, c in counts)
    label, count = counts[-1]
    share = count / total
    details = {str(k): str(int(v)) for k, v in counts}
    outcome: Outcome = "review"
    if len(counts) == 1:
        message = W.MSG_IMBALANCE_ONE.format(target=target, label=label, total=total)
    elif share < IMBALANCE_SHARE:
        message = W.label_imbalance(target, label, count, total, IMBALANCE_SHARE)
    else:
        outcome, message = "pass", W.label_balance_pass(target, label, share)
    return finding(LABEL_IMBALANCE, outcome, message, subject=target, details=details)


def _protected_missing(counts: SanityCounts, protected: Sequence[str]) -> list[Finding]:
    """DATA007: protected attributes missing for more than half of the rows."""
    present = [p for p in protected if p in counts.columns]
    if not present:
        return [finding(PROTECTED_MOSTLY_MISSING, "not_applicable", W.MSG_PROTECTED_NONE)]
    n_rows = counts.rows
    out: list[Finding] = []
    shares: dict[str, float] = {}
    for name in present:
        missing = counts.missing[counts.columns.index(name)]
        share = missing / n_rows if n_rows else 0.0
        shares[name] = share
        if share > PROTECTED_MISSING_SHARE:
            out.append(
                finding(
                    PROTECTED_MOSTLY_MISSING,
                    "fail",
                    W.protected_missing(name, missing, n_rows, share),
                    subject=name,
                    details={"missing": str(missing), "rows": str(n_rows), "share": f"{share:.4f}"},
                )
            )
    if not out:
        out.append(
            finding(PROTECTED_MOSTLY_MISSING, "pass", W.protected_known_pass(list(shares.items())))
        )
    return out


def sanity_checks(
    df: pd.DataFrame,
    *,
    target: str | None,
    protected: Sequence[str],
    source: str,
    missing_threshold: float = 0.05,
    seed: int = 0,
    model_features: Sequence[str] | None = None,
) -> tuple[Finding, ...]:
    """Run every data sanity check on ``df`` (the whole table in memory).

    The same as :func:`sanity_from_counts` on ``SanityCounts.of(df, ...)`` with ``df``
    itself as the sample: there is one implementation of the checks.

    Parameters
    ----------
    df : pandas.DataFrame
        The audit data, as loaded (before any type conversion).
    target : str or None
        Name of the label column, or ``None`` when the data has no labels.
    protected : sequence of str
        Protected-attribute columns.  Names not in ``df`` are skipped (a
        missing column is reported as an input error elsewhere).
    source : str
        What to call the data in findings, usually the file name; it is
        recorded as ``details["source"]`` of every finding.
    missing_threshold : float, default 0.05
        Columns with a larger share of missing values are reported.
    seed : int, default 0
        Seed for the value samples of the "stored as text" checks.
    model_features : sequence of str, optional
        The columns the model reads. A column problem (text numbers or dates, missing
        values, a constant column) only in columns the model does not read, and that are
        neither the target nor protected, is informational: outcome ``"not_applicable"``
        with a sentence saying so, not ``"review"``. ``None`` (predictions-only audits,
        or unknown): every column counts.

    Returns
    -------
    tuple of Finding
        In the order of :data:`SANITY_CHECKS`: every problem found, or one
        ``"pass"`` finding for a check that found nothing, or
        ``"not_applicable"`` (label balance without a target, protected
        completeness without protected attributes).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"years": ["1", "2", "3"], "y": [0, 1, 0]})
    >>> [f.code for f in sanity_checks(df, target="y", protected=(), source="demo")
    ...  if f.outcome == "review"]
    ['DATA001']
    """
    counts = SanityCounts.of(df, target=target, protected=protected)
    return sanity_from_counts(counts, df, target=target, protected=protected, source=source,
                              missing_threshold=missing_threshold, seed=seed,
                              model_features=model_features)


def sanity_from_counts(
    counts: SanityCounts,
    sample: pd.DataFrame,
    *,
    target: str | None,
    protected: Sequence[str],
    source: str,
    missing_threshold: float = 0.05,
    seed: int = 0,
    model_features: Sequence[str] | None = None,
) -> tuple[Finding, ...]:
    """Run every data sanity check from merged counts and a sample of rows.

    The count-based checks (missing values, duplicate rows, constant columns, label
    balance, protected attributes' completeness) read ``counts``; the "stored as text"
    checks read ``sample``.  When ``sample`` has fewer rows than ``counts`` their
    numbers are counted in the sample, and their messages say so.

    Parameters
    ----------
    counts : SanityCounts
        The merged counts of every row (:meth:`SanityCounts.of` per batch, then
        :meth:`SanityCounts.merge`), built with the same ``target``.
    sample : pandas.DataFrame
        Sampled rows with every column (the whole table in memory).
    target, protected, source, missing_threshold, seed, model_features
        As for :func:`sanity_checks`.

    Returns
    -------
    tuple of Finding
        The findings :func:`sanity_checks` gives on the whole table, in its order.

    Raises
    ------
    ValueError
        When ``counts`` was built for another target.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"years": ["1", "2", "3", "3"], "y": [0, 1, 0, 0]})
    >>> parts = [SanityCounts.of(df.iloc[i:i + 2], target="y", protected=()) for i in (0, 2)]
    >>> found = sanity_from_counts(parts[0].merge(parts[1]), df.iloc[:3], target="y",
    ...                            protected=(), source="demo")
    >>> [f.code for f in found if f.outcome == "review"]  # the last two rows are copies
    ['DATA001', 'DATA004']
    >>> found[0].message.endswith("These counts are in a sample of 3 of the 4 rows.")
    True
    """
    if counts.target != target:
        raise ValueError(f"SanityCounts were built for target {counts.target!r}, not {target!r}")
    sample_rows = len(sample) if len(sample) != counts.rows else None
    text_cols = [str(c) for c in sample.columns if _is_text(sample[c])]
    numbers = _numbers_as_text(sample, text_cols, seed, sample_rows, counts.rows)
    number_cols = {f.subject for f in numbers if f.outcome == "review"}
    results = [
        *numbers,
        *_dates_as_text(sample, text_cols, number_cols, seed, sample_rows, counts.rows),
        *_missing_values(counts, missing_threshold),
        *_duplicate_rows(counts),
        *_constant_columns(counts),
        *_label_imbalance(counts, target),
        *_protected_missing(counts, protected),
    ]
    if model_features is not None:
        used = {*map(str, model_features), *map(str, protected), *([target] if target else [])}
        results = [_informational(f, used) for f in results]
    return tuple(dataclasses.replace(f, details={**f.details, "source": source}) for f in results)


#: Checks about particular columns, whose findings name them in ``subject``.
_COLUMN_CHECKS = frozenset(c.code for c in (NUMBERS_AS_TEXT, DATES_AS_TEXT, MISSING_VALUES,
                                             CONSTANT_COLUMNS))


def _informational(f: Finding, used: set[str]) -> Finding:
    """A column finding about columns the model does not read only: informational."""
    if f.code not in _COLUMN_CHECKS or f.outcome != "review":
        return f
    # DATA003 and DATA005 list their columns as the keys of ``details``
    per_column = f.code in (MISSING_VALUES.code, CONSTANT_COLUMNS.code)
    columns = list(f.details) if per_column else [f.subject]
    if any(c in used for c in columns):
        return f
    return dataclasses.replace(f, outcome="not_applicable", message=unused_column(f.message),
                               details={**f.details, "model_uses_column": "no"})
