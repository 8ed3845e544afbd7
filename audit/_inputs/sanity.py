"""Data sanity checks: problems in the table itself, before any model is involved.

Each check is a registered :class:`~audit._checks.Check` with a stable code
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
from collections.abc import Sequence

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
from .._result.findings import Finding, finding

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
#: Columns listed by name in a message before "and N more".
MAX_LISTED = 5

# Message templates (asserted in tests).
MSG_NUMBERS = (
    "Column '{column}' holds numbers stored as text: {parsed:,} of {total:,} non-missing values "
    "({share}) read as numbers, for example '{example}'. Convert the column to a number type "
    "(for example with pandas.to_numeric) before training and auditing."
)
MSG_NUMBERS_PASS = "No text column holds numbers ({n} text columns looked at)."
MSG_DATES = (
    "Column '{column}' holds dates stored as text: {parsed:,} of {total:,} non-missing values "
    "({share}) read as dates written like {pattern}, for example '{example}'. Convert the column "
    "to a date type (for example with pandas.to_datetime(..., format='{fmt}'))."
)
MSG_DATES_PASS = "No text column holds dates ({n} text columns looked at)."
MSG_MISSING = (
    "{count} of {n_columns} columns have more than {threshold} missing values: {listing}. "
    "Check whether values are missing more often for some groups than for others."
)
MSG_MISSING_PASS = "No column has more than {threshold} missing values ({n_columns} columns)."
MSG_DUPLICATES = (
    "{count:,} of {n_rows:,} rows ({share}) are exact copies of an earlier row. Remove them "
    "if each row should be a different case."
)
MSG_DUPLICATES_PASS = "No row is an exact copy of another ({n_rows:,} rows)."
MSG_DUPLICATES_UNHASHABLE = (
    "Rows could not be compared because column '{column}' holds values such as lists or dicts."
)
MSG_CONSTANT = (
    "{count} column(s) have the same value in every row: {listing}. They carry no information."
)
MSG_CONSTANT_PASS = "Every column has more than one distinct value ({n_columns} columns)."
MSG_IMBALANCE = (
    "The target '{target}' is imbalanced: the rarest label {label!r} makes up {share} of rows "
    "({count:,} of {total:,}); below {limit} group rates rest on few cases."
)
MSG_IMBALANCE_ONE = (
    "The target '{target}' has a single label ({label!r}) in all {total:,} labelled rows, so "
    "error rates between groups cannot be compared."
)
MSG_IMBALANCE_PASS = (
    "The rarest label of the target '{target}' ({label!r}) makes up {share} of rows."
)
MSG_IMBALANCE_NO_TARGET = "No target column was given, so label balance was not checked."
MSG_IMBALANCE_NUMERIC = (
    "The target '{target}' has {n_values:,} distinct numeric values (a regression target), so "
    "label balance does not apply."
)
MSG_IMBALANCE_EMPTY = (
    "The target '{target}' has no non-missing values, so label balance was not checked."
)
MSG_PROTECTED = (
    "The protected attribute '{column}' is missing for {missing:,} of {n_rows:,} rows ({share}). "
    "Fairness results for it describe only the rows where it is known; collect it for more "
    "people or treat these results with caution."
)
MSG_PROTECTED_PASS = "Every protected attribute is known for at least half of the rows ({listing})."
MSG_PROTECTED_NONE = "No protected attribute was given, so its completeness was not checked."

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


def _pct(x: float) -> str:
    """Share as a percentage with one decimal, never rounding a non-zero share to 0.0 %."""
    if 0 < x < 0.0005:
        return "<0.1%"
    if 0.9995 < x < 1:
        return ">99.9%"
    return f"{100 * x:.1f}%"


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        shown += f" and {len(items) - MAX_LISTED} more"
    return shown


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


def _numbers_as_text(df: pd.DataFrame, text_cols: list[str], seed: int) -> list[Finding]:
    rng = np.random.default_rng(seed)
    out: list[Finding] = []
    for name in text_cols:
        col = df[name]
        sample = _sample(col, rng)
        if sample.empty or _parse_numbers(sample).mean() < PARSE_SHARE:
            continue
        if _looks_like_code(str(name), sample):
            continue
        values, counts = _distinct_counts(col)
        ok = _parse_numbers(values)
        parsed, total = int(counts[ok].sum()), int(counts.sum())
        if total == 0 or parsed / total < PARSE_SHARE:
            continue
        example = str(values[ok].iloc[int(np.argmax(counts[ok]))])
        out.append(
            finding(
                NUMBERS_AS_TEXT,
                "review",
                MSG_NUMBERS.format(
                    column=name,
                    parsed=parsed,
                    total=total,
                    share=_pct(parsed / total),
                    example=example,
                ),
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
        out.append(finding(NUMBERS_AS_TEXT, "pass", MSG_NUMBERS_PASS.format(n=len(text_cols))))
    return out


def _date_pattern(fmt: str) -> str:
    """A strptime format in words a spreadsheet user knows: ``%Y-%m-%d`` -> ``YYYY-MM-DD``."""
    if fmt == "ISO8601":
        return "ISO 8601 (YYYY-MM-DD with an optional time)"
    words = {
        "%Y": "YYYY",
        "%m": "MM",
        "%d": "DD",
        "%H": "hh",
        "%M": "mm",
        "%S": "ss",
        "%b": "Mon",
        "%B": "Month",
    }
    for code, word in words.items():
        fmt = fmt.replace(code, word)
    return fmt


def _best_date_format(sample: pd.Series) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for fmt in _DATE_FORMATS:
        share = float(_parse_dates(sample, fmt).mean())
        if best is None or share > best[1]:
            best = (fmt, share)
        if share == 1.0:
            break
    return best


def _dates_as_text(
    df: pd.DataFrame, text_cols: list[str], number_cols: set[str], seed: int
) -> list[Finding]:
    rng = np.random.default_rng(seed + 1)
    out: list[Finding] = []
    for name in text_cols:
        col = df[name]
        sample = _sample(col, rng)
        if sample.empty or name in number_cols:
            continue
        # Pure numbers (years, 20240317, Excel serials) are never taken for dates.
        if _parse_numbers(sample).mean() >= 0.5:
            continue
        if sample.str.match(_DATE_LIKE).mean() < PARSE_SHARE:
            continue
        best = _best_date_format(sample)
        if best is None or best[1] < PARSE_SHARE:
            continue
        fmt = best[0]
        values, counts = _distinct_counts(col)
        ok = _parse_dates(values, fmt)
        parsed, total = int(counts[ok].sum()), int(counts.sum())
        if total == 0 or parsed / total < PARSE_SHARE:
            continue
        example = str(values[ok].iloc[int(np.argmax(counts[ok]))])
        out.append(
            finding(
                DATES_AS_TEXT,
                "review",
                MSG_DATES.format(
                    column=name,
                    parsed=parsed,
                    total=total,
                    share=_pct(parsed / total),
                    pattern=_date_pattern(fmt),
                    fmt=fmt,
                    example=example,
                ),
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
        out.append(finding(DATES_AS_TEXT, "pass", MSG_DATES_PASS.format(n=len(text_cols))))
    return out


def _missing_values(df: pd.DataFrame, threshold: float) -> list[Finding]:
    shares = df.isna().mean() if len(df) else pd.Series(0.0, index=df.columns)
    over = shares[shares > threshold].sort_values(ascending=False, kind="stable")
    if over.empty:
        return [
            finding(
                MISSING_VALUES,
                "pass",
                MSG_MISSING_PASS.format(threshold=_pct(threshold), n_columns=df.shape[1]),
            )
        ]
    items = [f"{name} ({_pct(float(share))})" for name, share in over.items()]
    return [
        finding(
            MISSING_VALUES,
            "review",
            MSG_MISSING.format(
                count=len(over),
                n_columns=df.shape[1],
                threshold=_pct(threshold),
                listing=_listing(items),
            ),
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
                MSG_DUPLICATES_UNHASHABLE.format(column=bad),
                subject=bad,
            )
        ]
    if count == 0:
        return [finding(DUPLICATE_ROWS, "pass", MSG_DUPLICATES_PASS.format(n_rows=n_rows))]
    return [
        finding(
            DUPLICATE_ROWS,
            "review",
            MSG_DUPLICATES.format(count=count, n_rows=n_rows, share=_pct(count / n_rows)),
            details={"duplicates": str(count), "rows": str(n_rows)},
        )
    ]


def _is_constant(col: pd.Series) -> bool:
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
    if len(df) == 0:
        return [finding(CONSTANT_COLUMNS, "not_applicable", "The table has no rows.")]
    const = [str(c) for c in df.columns if _is_constant(df[c])]
    if not const:
        return [finding(CONSTANT_COLUMNS, "pass", MSG_CONSTANT_PASS.format(n_columns=df.shape[1]))]
    details: dict[str, str] = {}
    for name in const:
        value = df[name].iloc[0]
        details[name] = "missing" if pd.isna(value) else str(value)
    items = [f"{n} (always {details[n]})" for n in const]
    return [
        finding(
            CONSTANT_COLUMNS,
            "review",
            MSG_CONSTANT.format(count=len(const), listing=_listing(items)),
            subject=", ".join(const),
            details=details,
        )
    ]


def _label_imbalance(df: pd.DataFrame, target: str | None) -> list[Finding]:
    if target is None or target not in df.columns:
        return [finding(LABEL_IMBALANCE, "not_applicable", MSG_IMBALANCE_NO_TARGET)]
    y = df[target].dropna()
    if y.empty:
        return [
            finding(
                LABEL_IMBALANCE,
                "not_applicable",
                MSG_IMBALANCE_EMPTY.format(target=target),
                subject=target,
            )
        ]
    counts = y.value_counts(sort=True)
    if pd.api.types.is_float_dtype(y.dtype) and len(counts) > 20:
        return [
            finding(
                LABEL_IMBALANCE,
                "not_applicable",
                MSG_IMBALANCE_NUMERIC.format(target=target, n_values=len(counts)),
                subject=target,
            )
        ]
    total = int(counts.sum())
    label = counts.index[-1]
    label = label.item() if hasattr(label, "item") else label
    count = int(counts.iloc[-1])
    share = count / total
    details = {str(k): str(int(v)) for k, v in counts.items()}
    if len(counts) == 1:
        return [
            finding(
                LABEL_IMBALANCE,
                "review",
                MSG_IMBALANCE_ONE.format(target=target, label=label, total=total),
                subject=target,
                details=details,
            )
        ]
    if share < IMBALANCE_SHARE:
        return [
            finding(
                LABEL_IMBALANCE,
                "review",
                MSG_IMBALANCE.format(
                    target=target,
                    label=label,
                    share=_pct(share),
                    count=count,
                    total=total,
                    limit=_pct(IMBALANCE_SHARE),
                ),
                subject=target,
                details=details,
            )
        ]
    return [
        finding(
            LABEL_IMBALANCE,
            "pass",
            MSG_IMBALANCE_PASS.format(target=target, label=label, share=_pct(share)),
            subject=target,
            details=details,
        )
    ]


def _protected_missing(df: pd.DataFrame, protected: Sequence[str]) -> list[Finding]:
    present = [p for p in protected if p in df.columns]
    if not present:
        return [finding(PROTECTED_MOSTLY_MISSING, "not_applicable", MSG_PROTECTED_NONE)]
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
                    MSG_PROTECTED.format(
                        column=name, missing=missing, n_rows=n_rows, share=_pct(share)
                    ),
                    subject=name,
                    details={"missing": str(missing), "rows": str(n_rows), "share": f"{share:.4f}"},
                )
            )
    if not out:
        listing = ", ".join(f"{k} {_pct(v)} missing" for k, v in shares.items())
        out.append(
            finding(PROTECTED_MOSTLY_MISSING, "pass", MSG_PROTECTED_PASS.format(listing=listing))
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
    return tuple(dataclasses.replace(f, details={**f.details, "source": source}) for f in results)
