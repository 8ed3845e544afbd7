"""Input prose: how each column was found, the notes on resolving inputs, the sanity findings.

The resolution of target, predictions and protected attributes records how it found
each piece (``ResolvedSpec.target_how``, ``prediction_source``, ``ProtectedInfo.how_found``)
and notes for the summary (``ResolvedSpec.notes``); the data sanity checks (``DATA001`` ...)
and the resolution findings (``SPEC001``, ``SPEC002``) carry a message.  All of them are
worded here, from facts the analysis passes in; every string is part of the JSON contract.
Error messages of exceptions stay where they are raised.

May import: ``audit._result`` and the standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .numbers import row_percent
from .text import isolate

# --------------------------------------------------------------------------- numbers

#: Columns listed by name in a message before "and N more".
MAX_LISTED = 5




def listing(items: Sequence[str]) -> str:
    """The first :data:`MAX_LISTED` items, then "and N more".

    >>> listing(["a", "b", "c", "d", "e", "f", "g"])
    'a, b, c, d, e and 2 more'
    """
    shown = ", ".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        shown += f" and {len(items) - MAX_LISTED} more"
    return shown


# --------------------------------------------------------------------------- target

TARGET_SET_BY_YOU = "set by you"
TARGET_NOT_FOUND = "no target column found (pass --target NAME to audit error rates)"
NO_TARGET_NOTE = ("No target column: outcome rates are audited; error rates (true and false "
                  "positive rates, accuracy) need the true outcomes - pass --target NAME.")


def target_by_name(column: str) -> str:
    """How the target was found when its name gave it away."""
    return f"column named '{column}'"


def unlabelled_rows(n_missing: int, n_rows: int, target: str) -> str:
    """SPEC001: rows without a target value were left out."""
    return f"{n_missing} of {n_rows} rows have no value in '{target}' and were left out."


def positive_is_set_by_you(positive_is: str) -> str:
    """``positive_how``: the user said what the positive label means."""
    return f"set by you (positive_is = {positive_is})"


def positive_by_label(label: str, positive_is: str) -> str:
    """``positive_how``: the label's own word says it (approved, denied ...)."""
    return f"from the label '{label}' itself: a {positive_is} outcome"


def positive_label_set_by_you(label: str) -> str:
    """``positive_how``: the user named the favourable label with --positive-label."""
    return f"set by you (positive label '{label}' is the favourable outcome)"


def positive_by_name(column: str, word: str, positive_is: str) -> str:
    """``positive_how``: an obvious column name says it (``two_year_recid``: harmful)."""
    return f"from the name '{column}' ('{word}' means a {positive_is} outcome)"


def _positive_of(label: str, column: str | None) -> str:
    return (f"{label} in '{column}'" if column is not None
            else f"{label} (the model's positive class)")


def positive_assumed(label: str, column: str | None) -> str:
    """``positive_how``: nothing says it, so the positive label is read as favourable."""
    return (f"assumed: nothing says whether {_positive_of(label, column)} is favourable or "
            "harmful, so it is read as favourable")


def positive_assumed_note(label: str, column: str | None, other: str | None) -> str:
    """``positive_note``: the summary's first lines say what the audit assumed, and the fix.

    >>> positive_assumed_note("1", "two_year_recid", "0")  # doctest: +NORMALIZE_WHITESPACE
    "We read 1 in 'two_year_recid' as the favourable outcome. If 1 is harmful (a risk flag),
     pass --positive-is harmful; or pass --positive-label 0 to audit 0 as the favourable
     outcome."
    """
    flip = (f"; or pass --positive-label {other} to audit {other} as the favourable outcome"
            if other is not None else "")
    return (f"We read {_positive_of(label, column)} as the favourable outcome. If {label} is "
            f"harmful (a risk flag), pass --positive-is harmful{flip}.")


def period(first: str, last: str, column: str) -> str:
    """The date range the rows cover (``ResolvedSpec.period``)."""
    return f"{first} to {last} ({column})"


# --------------------------------------------------------------------------- predictions

PREDICTIONS_FROM_MODEL = "the model's own predict()"


def predictions_derived(n_checked: int) -> str:
    """Where the decisions came from: predict() as the most probable class of predict_proba().

    >>> predictions_derived(1100)
    "the model's own predict() (derived from predict_proba, checked on 1,100 rows)"
    """
    return f"{PREDICTIONS_FROM_MODEL} (derived from predict_proba, checked on {n_checked:,} rows)"


def predictions_not_derived(n_disagree: int, n_checked: int) -> str:
    """Where the decisions came from: predict() on every row, as it disagrees with predict_proba().

    >>> predictions_not_derived(3, 1100)  # doctest: +NORMALIZE_WHITESPACE
    "the model's own predict() (called on every row: it is not the most probable class
     of predict_proba on 3 of 1,100 rows checked)"
    """
    return (f"{PREDICTIONS_FROM_MODEL} (called on every row: it is not the most probable "
            f"class of predict_proba on {n_disagree:,} of {n_checked:,} rows checked)")


def scores_at_threshold(threshold: float) -> str:
    """Where the decisions came from: the model's scores cut at a threshold."""
    return f"model scores ≥ {threshold:g}"


def predictions_column(column: str) -> str:
    """Where the decisions came from: a column of the data."""
    return f"column '{column}'"


def scores_column_at_threshold(column: str, threshold: float) -> str:
    """Where the decisions came from: a scores column cut at a threshold."""
    return f"column '{column}' ≥ {threshold:g}"


# --------------------------------------------------------------------------- scores

#: ``ResolvedSpec.scores_how`` for a model's ``predict_proba()``.
SCORES_FROM_MODEL = "probabilities from the model's predict_proba()"


def score_range(lo: float, hi: float) -> str:
    """The range of a scores column in words: ``range 1–10``, ``range −2.31 to 4.07``.

    >>> score_range(1.0, 10.0)
    'range 1–10'
    >>> score_range(-2.3141, 4.07)
    'range −2.31 to 4.07'
    """
    a, b = f"{lo:.3g}".replace("-", "−"), f"{hi:.3g}".replace("-", "−")
    return f"range {a}–{b}" if lo >= 0 else f"range {a} to {b}"


def scores_not_probabilities(column: str, range_text: str) -> str:
    """``scores_how``: a scores column outside [0, 1], used as a ranking only."""
    return (f"column '{column}': scores are not probabilities: {range_text}. They are used as "
            "a ranking (AUC); calibration and the average score are not applicable.")


def scores_undeclared(column: str, range_text: str) -> str:
    """``scores_how``: a scores column in [0, 1] that the user did not call probabilities."""
    return (f"column '{column}' ({range_text}): used as a ranking (AUC) only, because a "
            "column of scores is read as probabilities only when you say so. If they are "
            "probabilities, pass --scores-are-probabilities (scores_are_probabilities = true "
            "in audit.toml) to check calibration too.")


def scores_declared(column: str, range_text: str) -> str:
    """``scores_how``: a scores column the user said holds probabilities."""
    return (f"column '{column}' ({range_text}): probabilities, as you said "
            "(scores_are_probabilities)")


def text_converted_note(columns: Sequence[str]) -> str:
    """Numeric columns turned back into the text the model's encoders expect."""
    return (f"Read as numbers but the model expects text, so converted to text: "
            f"{', '.join(columns)} (CSV files carry no types; parquet keeps them).")


# --------------------------------------------------------------------------- protected attributes


def protected_set_by_you(attribute: str, column: str) -> str:
    """How a protected attribute was found when the user named it."""
    return f"set by you ({attribute}={column})"


def protected_by_name(column: str, family: str) -> str:
    """How a protected attribute was found from its column name."""
    return f"column name '{column}' matches {family}"


def intersection_how(a: str, b: str) -> str:
    """How an intersection of two attributes was made."""
    return f"every combination of {a} and {b}"


def several_columns_note(family: str, columns: Sequence[str], used: Sequence[str],
                         max_per_family: int) -> str:
    """Several columns look like one family: all audited, or only the first few."""
    return (
        f"{len(columns)} columns look like {family}: {', '.join(columns)}; "
        + ("auditing each separately" if len(used) == len(columns)
           else f"auditing the first {max_per_family} ({', '.join(used)}); "
                f"name the one you want with --protected {family}=COLUMN")
    )


def age_from_birth_note(column: str, as_of: str) -> str:
    """Ages were computed from a date of birth."""
    return f"Age computed from '{column}' as of {as_of}."


def single_group_note(attribute: str, column: str, group: str) -> str:
    """An attribute with one group cannot be compared."""
    return f"{attribute} ('{column}') has a single group ({group}); no comparison is possible."


def not_intersected_note(max_groups: int, attributes: Sequence[str]) -> str:
    """Attributes with too many groups were left out of the intersections."""
    return (f"Not combined with other attributes (more than {max_groups} "
            f"groups): {', '.join(attributes)}; raise intersection_max_groups to "
            "include them.")


def same_family_note(pairs: Sequence[tuple[str, str]]) -> str:
    """Attributes that describe the same thing (``age`` and ``age_cat``) were not crossed."""
    shown = "; ".join(f"{a} with {b}" for a, b in pairs)
    return ("Not crossed with each other, as each pair describes the same attribute: "
            f"{shown}.")


#: An age group label made of numbers: ``25–34``, ``25 - 45``, ``40`` (``<25``, ``65+`` apart).
_AGE_NUMBERS = re.compile(r"\d+(\.\d+)?(\s*[–-]\s*\d+(\.\d+)?)?")


def age_people(noun: str, label: str) -> str:
    """How to name the people of an age group: by the numbers, else by the band's own name.

    >>> age_people("people", "25–34") == "people aged " + isolate("25–34")
    True
    >>> age_people("people", "Greater than 45") == "people in age band '" + isolate(
    ...     "Greater than 45") + "'"
    True
    """
    text = label.strip()
    if text.startswith("<") and _AGE_NUMBERS.fullmatch(text[1:].strip()):
        return f"{noun} under {isolate(text[1:].strip())}"
    if text.endswith("+") and _AGE_NUMBERS.fullmatch(text[:-1].strip()):
        return f"{noun} aged {isolate(text[:-1].strip())} and over"
    if _AGE_NUMBERS.fullmatch(text):
        return f"{noun} aged {isolate(label)}"
    return f"{noun} in age band '{isolate(label)}'"


def direct_use(column: str, attribute: str) -> str:
    """SPEC002: the model reads a protected attribute."""
    return (f"The model takes '{column}' ({attribute}) as an input, so its decisions can "
            "depend on it directly.")


# --------------------------------------------------------------------------- sanity checks
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
MSG_CONSTANT_NO_ROWS = "The table has no rows."
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


def date_pattern(fmt: str) -> str:
    """A strptime format in words a spreadsheet user knows: ``%Y-%m-%d`` -> ``YYYY-MM-DD``.

    >>> date_pattern("%d/%m/%Y %H:%M")
    'DD/MM/YYYY hh:mm'
    """
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


def numbers_as_text(column: str, parsed: int, total: int, example: str) -> str:
    """DATA001: a text column that holds numbers."""
    return MSG_NUMBERS.format(column=column, parsed=parsed, total=total,
                              share=row_percent(parsed / total), example=example)


def dates_as_text(column: str, parsed: int, total: int, fmt: str, example: str) -> str:
    """DATA002: a text column that holds dates written in format ``fmt``."""
    return MSG_DATES.format(column=column, parsed=parsed, total=total, share=row_percent(parsed / total),
                            pattern=date_pattern(fmt), fmt=fmt, example=example)


def counted_in_sample(message: str, sample_rows: int, n_rows: int) -> str:
    """DATA001/DATA002 counted in a sample of the rows, not in every row.

    >>> counted_in_sample("Column 'x' holds numbers stored as text.", 100_000, 2_000_000)
    "Column 'x' holds numbers stored as text. These counts are in a sample of 100,000 of the 2,000,000 rows."
    """
    return f"{message} These counts are in a sample of {sample_rows:,} of the {n_rows:,} rows."


def missing_values(shares: Sequence[tuple[str, float]], n_columns: int, threshold: float) -> str:
    """DATA003: columns (with their missing shares) over the threshold."""
    items = [f"{name} ({row_percent(share)})" for name, share in shares]
    return MSG_MISSING.format(count=len(shares), n_columns=n_columns, threshold=row_percent(threshold),
                              listing=listing(items))


def missing_values_pass(n_columns: int, threshold: float) -> str:
    """DATA003 passed."""
    return MSG_MISSING_PASS.format(threshold=row_percent(threshold), n_columns=n_columns)


def duplicate_rows(count: int, n_rows: int) -> str:
    """DATA004: rows that repeat an earlier row."""
    return MSG_DUPLICATES.format(count=count, n_rows=n_rows, share=row_percent(count / n_rows))


def constant_columns(values: Sequence[tuple[str, str]]) -> str:
    """DATA005: columns (with their one value) that never change."""
    items = [f"{name} (always {value})" for name, value in values]
    return MSG_CONSTANT.format(count=len(values), listing=listing(items))


def label_imbalance(target: str, label: object, count: int, total: int, limit: float) -> str:
    """DATA006: the rarest label is rarer than ``limit``."""
    return MSG_IMBALANCE.format(target=target, label=label, share=row_percent(count / total), count=count,
                                total=total, limit=row_percent(limit))


def label_balance_pass(target: str, label: object, share: float) -> str:
    """DATA006 passed."""
    return MSG_IMBALANCE_PASS.format(target=target, label=label, share=row_percent(share))


def protected_missing(column: str, missing: int, n_rows: int, share: float) -> str:
    """DATA007: a protected attribute missing for most rows."""
    return MSG_PROTECTED.format(column=column, missing=missing, n_rows=n_rows, share=row_percent(share))


def protected_known_pass(shares: Sequence[tuple[str, float]]) -> str:
    """DATA007 passed, with each attribute's missing share."""
    return MSG_PROTECTED_PASS.format(
        listing=", ".join(f"{name} {row_percent(share)} missing" for name, share in shares))


STREAM_REGRESSION = (
    "{source}: the model is a regression model - the streaming and Spark engines audit "
    "binary classifiers (a regression bootstrap needs every row in memory); run with "
    "--engine pandas"
)


def pass_label(n: int, rows: int | None) -> str:
    """Progress label of a pass over the data."""
    what = ("Reading the data: groups, sample and data checks" if n == 1
            else "Predicting and counting every row")
    return f"{what} (pass {n} of 2{f', {rows:,} rows' if rows else ''})"


def sample_note(n_sample: int, n_rows: int, per_group: int, engine: str) -> str:
    """How the streaming and Spark engines split the work between all rows and a sample."""
    if n_sample >= n_rows:
        return (f"Read with the {engine} engine: all {n_rows:,} rows are counted for the "
                "fairness tables and data checks, and all of them fit the sample used for the "
                "explanations, the interpretability score and the proxy search.")
    return (f"Read with the {engine} engine: the fairness tables and data checks count all "
            f"{n_rows:,} rows; the explanations, the interpretability score and the proxy "
            f"search use a sample of {n_sample:,} rows (a seeded random sample, plus up to "
            f"{per_group:,} rows of every group so that small groups are in it).")
