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
from .._result.findings import Finding, Outcome, finding
from .._words import inputs as W
from .._words.verdict import unused_column

__all__ = [
    "CONSTANT_COLUMNS",
    "DATES_AS_TEXT",
    "DUPLICATE_ROWS",
    "LABEL_IMBALANCE",
    "MISSING_VALUES",
    "NUMBERS_AS_TEXT",
    "PROTECTED_MOSTLY_MISSING",
    "SANITY_CHECKS",
    "sanity_checks",
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

def _numbers_as_text(df: pd.DataFrame, text_cols: list[str], seed: int) -> list[Finding]:
    """DATA001: text columns whose values (nearly) all read as numbers."""
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
        parsed, total, example = share
        out.append(
            finding(
                NUMBERS_AS_TEXT,
                "review",
                W.numbers_as_text(name, parsed, total, example),
                subject=str(name),
                details={
                    "parsed": str(parsed),
                    "non_missing": str(total),
                    "share": f"{parsed / total:.4f}",
                    "example": example,
                },
            )
        )
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
    df: pd.DataFrame, text_cols: list[str], number_cols: set[str], seed: int
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
        out.append(
            finding(
                DATES_AS_TEXT,
                "review",
                W.dates_as_text(name, parsed, total, fmt, example),
                subject=str(name),
                details={
                    "parsed": str(parsed),
                    "non_missing": str(total),
                    "share": f"{parsed / total:.4f}",
                    "format": fmt,
                    "example": example,
                },
            )
        )
    if not out:
        out.append(finding(DATES_AS_TEXT, "pass", W.MSG_DATES_PASS.format(n=len(text_cols))))
    return out


def _missing_values(df: pd.DataFrame, threshold: float) -> list[Finding]:
    """DATA003: columns with more than ``threshold`` missing values."""
    shares = df.isna().mean() if len(df) else pd.Series(0.0, index=df.columns)
    over = shares[shares > threshold].sort_values(ascending=False, kind="stable")
    if over.empty:
        return [finding(MISSING_VALUES, "pass", W.missing_values_pass(df.shape[1], threshold))]
    listed = [(str(name), float(share)) for name, share in over.items()]
    return [
        finding(
            MISSING_VALUES,
            "review",
            W.missing_values(listed, df.shape[1], threshold),
            subject=", ".join(str(c) for c in over.index),
            details={str(name): f"{float(share):.4f}" for name, share in over.items()},
        )
    ]


def _count_duplicates(df: pd.DataFrame) -> int:
    """Exact number of rows that repeat an earlier row in every column.

    Row hashes find the candidates cheaply; only rows whose hash repeats are
    compared exactly, so hash collisions cannot create false duplicates.
    """
    if df.shape[1] == 0:
        return max(len(df) - 1, 0)
    hashes = pd.util.hash_pandas_object(df, index=False)
    suspects = hashes.duplicated(keep=False).to_numpy()
    if not suspects.any():
        return 0
    return int(df[suspects].duplicated(keep="first").sum())


def _duplicate_rows(df: pd.DataFrame) -> list[Finding]:
    """DATA004: rows that repeat an earlier row exactly."""
    n_rows = len(df)
    try:
        count = _count_duplicates(df)
    except TypeError:
        bad = next(
            (
                str(c)
                for c in df.columns
                if df[c].map(lambda v: isinstance(v, (list, dict, set))).any()
            ),
            "?",
        )
        return [
            finding(
                DUPLICATE_ROWS,
                "insufficient_evidence",
                W.MSG_DUPLICATES_UNHASHABLE.format(column=bad),
                subject=bad,
            )
        ]
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


def _is_constant(col: pd.Series) -> bool:
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


def _constant_columns(df: pd.DataFrame) -> list[Finding]:
    """DATA005: columns with the same value in every row."""
    if len(df) == 0:
        return [finding(CONSTANT_COLUMNS, "not_applicable", W.MSG_CONSTANT_NO_ROWS)]
    const = [str(c) for c in df.columns if _is_constant(df[c])]
    if not const:
        return [
            finding(CONSTANT_COLUMNS, "pass", W.MSG_CONSTANT_PASS.format(n_columns=df.shape[1]))
        ]
    details: dict[str, str] = {}
    for name in const:
        value = df[name].iloc[0]
        details[name] = "missing" if pd.isna(value) else str(value)
    return [
        finding(
            CONSTANT_COLUMNS,
            "review",
            W.constant_columns([(n, details[n]) for n in const]),
            subject=", ".join(const),
            details=details,
        )
    ]


def _label_imbalance(df: pd.DataFrame, target: str | None) -> list[Finding]:
    """DATA006: whether the rarest label of the target is too rare (or the only one)."""
    if target is None or target not in df.columns:
        return [finding(LABEL_IMBALANCE, "not_applicable", W.MSG_IMBALANCE_NO_TARGET)]
    y = df[target].dropna()
    if y.empty:
        message = W.MSG_IMBALANCE_EMPTY.format(target=target)
        return [finding(LABEL_IMBALANCE, "not_applicable", message, subject=target)]
    counts = y.value_counts(sort=True)
    if pd.api.types.is_float_dtype(y.dtype) and len(counts) > 20:
        message = W.MSG_IMBALANCE_NUMERIC.format(target=target, n_values=len(counts))
        return [finding(LABEL_IMBALANCE, "not_applicable", message, subject=target)]
    return [_label_balance(target, counts)]


def _label_balance(target: str, counts: pd.Series) -> Finding:
    """DATA006 on a target's label counts (most frequent first)."""
    total = int(counts.sum())
    label = counts.index[-1]
    label = label.item() if hasattr(label, "item") else label
    count = int(counts.iloc[-1])
    share = count / total
    details = {str(k): str(int(v)) for k, v in counts.items()}
    outcome: Outcome = "review"
    if len(counts) == 1:
        message = W.MSG_IMBALANCE_ONE.format(target=target, label=label, total=total)
    elif share < IMBALANCE_SHARE:
        message = W.label_imbalance(target, label, count, total, IMBALANCE_SHARE)
    else:
        outcome, message = "pass", W.label_balance_pass(target, label, share)
    return finding(LABEL_IMBALANCE, outcome, message, subject=target, details=details)


def _protected_missing(df: pd.DataFrame, protected: Sequence[str]) -> list[Finding]:
    """DATA007: protected attributes missing for more than half of the rows."""
    present = [p for p in protected if p in df.columns]
    if not present:
        return [finding(PROTECTED_MOSTLY_MISSING, "not_applicable", W.MSG_PROTECTED_NONE)]
    n_rows = len(df)
    out: list[Finding] = []
    shares: dict[str, float] = {}
    for name in present:
        missing = int(df[name].isna().sum())
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
    """Run every data sanity check on ``df``.

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
    text_cols = [str(c) for c in df.columns if _is_text(df[c])]
    numbers = _numbers_as_text(df, text_cols, seed)
    number_cols = {f.subject for f in numbers if f.outcome == "review"}
    results = [
        *numbers,
        *_dates_as_text(df, text_cols, number_cols, seed),
        *_missing_values(df, missing_threshold),
        *_duplicate_rows(df),
        *_constant_columns(df),
        *_label_imbalance(df, target),
        *_protected_missing(df, protected),
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
