"""The target: finding the column of true outcomes, the positive label and what it means.

The positive label (the ``1`` of the 0/1 labels every stage uses) is set by the user,
or is ``1``/``True``/``yes`` or the favourable one of an obvious pair of words
(approved/denied, good/bad ...).  Whether it is *favourable* (approved) or *harmful* (a
risk flag: reoffended, defaulted) is set by the user (``positive_is``), given by the
label's own word, read from an obvious column name (:data:`OUTCOME_WORDS`), or assumed
favourable, and then said in the summary (issue 10, item 2).  Only the words change with
it, never a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._config import AuditConfig, read_positive_is
from .._errors import InputError
from .._result.checks import SPEC_UNLABELLED
from .._result.findings import Finding, finding
from .._result.spec import Task
from .._words import inputs as W
from . import groups as G
from .columns import missing_column

TARGET_NAMES = ("target", "label", "labels", "y", "outcome", "class", "ground_truth",
                "groundtruth", "truth", "actual", "y_true", "ytrue", "true_label")

_fmt = G.format_value


def _norm(name: str) -> str:
    """A column name without case or separators: ``"Ground-Truth"`` -> ``"groundtruth"``."""
    return "".join(G.tokens(name))


def find_target(df: pd.DataFrame, cfg: AuditConfig, source: str,
                skip: set[str]) -> tuple[str | None, str]:
    """The target column (set by the user, else named like one) and how it was found."""
    if cfg.target is not None:
        if cfg.target not in df.columns:
            raise missing_column(cfg.target, df, source, "target",
                                 "pass --target NAME with one of the data's columns")
        return cfg.target, W.TARGET_SET_BY_YOU
    wanted = {_norm(n) for n in TARGET_NAMES}
    hits = [c for c in df.columns if _norm(c) in wanted and c not in skip]
    if len(hits) == 1:
        return hits[0], W.target_by_name(hits[0])
    if len(hits) > 1:
        raise InputError(
            f"{source}: several columns could be the target ({', '.join(hits)}) - "
            "pass --target NAME"
        )
    return None, W.TARGET_NOT_FOUND


def resolve_target(
    df: pd.DataFrame, cfg: AuditConfig, source: str, features: tuple[str, ...],
    notes: list[str], findings: list[Finding], unlabelled: tuple[int, int] | None = None,
) -> tuple[pd.DataFrame, str | None, str]:
    """Find the target; leave out the rows without a value in it (a SPEC001 finding).

    ``unlabelled``: (rows without a target, rows) of the whole table when ``df`` is a
    sample of it already without them.
    """
    skip = set(features) | {c for c in (cfg.predictions, cfg.scores) if c}
    target, target_how = find_target(df, cfg, source,
                                     skip - ({cfg.target} if cfg.target else set()))
    n_missing, n_rows = unlabelled or (0, len(df))
    if target is not None and unlabelled is None:
        n_missing = int(df[target].isna().sum())
    if target is None:
        notes.append(W.NO_TARGET_NOTE)
    elif n_missing:
        if n_missing == n_rows:
            raise InputError(f"target column '{target}' in {source} is empty (all values missing) "
                             "- pass --target with a column that holds the true outcomes")
        findings.append(finding(SPEC_UNLABELLED, "review",
                                W.unlabelled_rows(n_missing, n_rows, target), subject=target))
        df = df.loc[df[target].notna()].reset_index(drop=True)
    return df, target, target_how


#: Name words that say what the positive label (1, True, yes) of a target means: ONE table,
#: matched against the whole tokens of a column name (``two_year_recid`` -> ``recid``).
#: A name with words of both kinds, or with a negation (:data:`NEGATIONS`), decides nothing.
#: Words that go either way (``risk``: German credit's ``credit_risk`` has 1 = good) are
#: left out on purpose.
OUTCOME_WORDS: dict[str, tuple[str, ...]] = {
    "favourable": ("approved", "approve", "approval", "accepted", "accept", "granted", "grant",
                   "hired", "hire", "repaid", "repay", "repayment", "paid", "admitted", "admit",
                   "promoted", "promotion", "eligible", "qualified", "selected", "success",
                   "successful", "passed", "offer", "offered", "creditworthy", "good",
                   "released", "survived"),
    "harmful": ("recid", "recidivism", "recidivist", "reoffend", "reoffended", "reoffense",
                "rearrest", "rearrested", "arrest", "arrested", "default", "defaulted",
                "delinquent", "delinquency", "fraud", "fraudulent", "churn", "churned",
                "denied", "deny", "rejected", "reject", "declined", "chargeoff", "bad",
                "failed", "failure", "readmitted", "readmission", "readmit", "dropout",
                "died", "death", "mortality", "violation", "flagged"),
}
#: Name tokens that turn a name's meaning around ("not_approved"): the name then decides nothing.
NEGATIONS = ("not", "no", "non", "never", "without")
#: Text labels read like 1/0: the first is the positive label, its meaning comes from the name.
YES_NO = (("yes", "no"), ("y", "n"), ("true", "false"), ("t", "f"))
#: Text labels with a meaning of their own: (favourable words, harmful words).
POLAR_LABELS = (("approved", "approve", "accepted", "accept", "good", "pass", "passed",
                 "granted", "hired", "repaid", "paid", "eligible", "success"),
                ("denied", "deny", "rejected", "reject", "declined", "bad", "fail", "failed",
                 "not hired", "defaulted", "default", "ineligible", "failure"))


def meaning_from_name(name: str) -> tuple[str, str] | None:
    """("favourable" or "harmful", the word that says so) for an obvious name, else None.

    >>> meaning_from_name("two_year_recid"), meaning_from_name("outcome")
    (('harmful', 'recid'), None)
    """
    toks = G.tokens(name)
    if any(t in NEGATIONS for t in toks):
        return None
    hits = {(kind, t) for t in toks for kind, words in OUTCOME_WORDS.items() if t in words}
    if len({kind for kind, _ in hits}) != 1:
        return None
    kind = next(iter(hits))[0]
    return kind, next(t for t in toks if (kind, t) in hits)


def _word(v: Any) -> str:
    return _fmt(v).strip().lower()


def _obvious_positive(values: list[Any], cfg: AuditConfig) -> Any | None:
    """The positive label of a 0/1, boolean, yes/no or approved/denied pair (else None)."""
    as_set = {_fmt(v) for v in values}
    if len(as_set) != 2:
        return None
    for yes, no in (("1", "0"), ("True", "False")):
        if as_set == {yes, no}:
            return next(v for v in values if _fmt(v) == yes)
    words = {_word(v) for v in values}
    for yes, no in YES_NO:
        if words == {yes, no}:
            return next(v for v in values if _word(v) == yes)
    good, bad = POLAR_LABELS
    if len(words & set(good)) == 1 and len(words & set(bad)) == 1:
        harmful = read_positive_is(cfg.positive_is, "positive_is") == "harmful"
        side = bad if harmful else good
        return next(v for v in values if _word(v) in side)
    return None


def positive_label(values: list[Any], cfg: AuditConfig, what: str) -> Any:
    """The positive label among ``values``: set by the user, else an obvious pair's."""
    if cfg.positive_label is not None:
        for v in values:
            if str(v) == cfg.positive_label or _fmt(v) == cfg.positive_label:
                return v
        raise InputError(
            f"{what}: positive label '{cfg.positive_label}' is not one of its values "
            f"({', '.join(_fmt(v) for v in values[:10])}) - pass --positive-label with one of them"
        )
    found = _obvious_positive(values, cfg)
    if found is not None:
        return found
    raise InputError(
        f"{what} has values {', '.join(_fmt(v) for v in values[:10])}"
        f"{' ...' if len(values) > 10 else ''} - which one is the favourable outcome? "
        "pass --positive-label VALUE"
    )


def true_labels(df: pd.DataFrame, target: str | None, task: Task, positive: Any,
                cfg: AuditConfig, source: str) -> np.ndarray | None:
    """The target as 0/1 (binary) or floats (regression); ``None`` without a target."""
    if target is None:
        return None
    if task == "binary":
        return _binary_labels(df[target], target, positive, cfg, source)
    yv = pd.to_numeric(df[target], errors="coerce")
    if yv.isna().any():
        raise InputError(f"target column '{target}' in {source} is not numeric for "
                         f"{int(yv.isna().sum())} rows - a regression target must be "
                         "numbers")
    return yv.to_numpy(dtype=float)


def _binary_labels(t: pd.Series, target: str, positive: Any, cfg: AuditConfig,
                   source: str) -> np.ndarray:
    """1 where the target equals the positive label, else 0; refuses one or too many values."""
    values = sorted(pd.unique(t), key=_fmt)
    if len(values) < 2:
        raise InputError(
            f"target column '{target}' in {source} has a single value "
            f"({_fmt(values[0])}) - error rates need both outcomes; pass data with both, "
            "or drop --target to audit outcome rates only")
    if len(values) > 2 and cfg.positive_label is None:
        raise InputError(
            f"target column '{target}' in {source} has {len(values)} values "
            f"({', '.join(_fmt(v) for v in values[:8])}) - expected two; pass "
            "--positive-label VALUE to count that value as the positive outcome")
    pos = _fmt(positive) if positive is not None else None
    if cfg.positive_label is not None:
        pos = cfg.positive_label
    codes, written = G.label_codes(t)  # each distinct value written once, not every row
    if pos not in set(written):
        raise InputError(
            f"target column '{target}' in {source} never equals the positive label "
            f"'{pos}' (values: {', '.join(sorted(set(written))[:8])}) - pass "
            "--positive-label with the target's value for the favourable outcome")
    return np.array([w == pos for w in written], dtype=np.int8)[codes]


@dataclass(frozen=True)
class OutcomeMeaning:
    """What the positive label means (``ResolvedSpec.positive_is``), how that was decided,
    and the sentence for the summary when the audit assumed it."""

    positive_is: str  # "favourable" or "harmful"
    how: str
    note: str | None = None


def outcome_meaning(positive: Any, values: list[Any], name: str | None,
                    cfg: AuditConfig) -> OutcomeMeaning:
    """Favourable or harmful: set by you, by the label's word, by an obvious name, or assumed.

    ``values`` are the labels seen (target and predictions); ``name`` is the target's
    column (else the predictions column; ``None``: the model's classes).
    """
    label = _fmt(positive)
    good, bad = POLAR_LABELS
    if cfg.positive_is is not None:
        given = str(read_positive_is(cfg.positive_is, "positive_is"))
        return OutcomeMeaning(given, W.positive_is_set_by_you(given))
    if _word(positive) in good or _word(positive) in bad:
        kind = "favourable" if _word(positive) in good else "harmful"
        return OutcomeMeaning(kind, W.positive_by_label(label, kind))
    if cfg.positive_label is not None:
        return OutcomeMeaning("favourable", W.positive_label_set_by_you(label))
    said = meaning_from_name(name) if name is not None else None
    if said is not None and name is not None:
        return OutcomeMeaning(said[0], W.positive_by_name(name, said[1], said[0]))
    others = [_fmt(v) for v in values if _fmt(v) != label]
    return OutcomeMeaning("favourable", W.positive_assumed(label, name),
                          W.positive_assumed_note(label, name, others[0] if others else None))
