"""The target: finding the column of true outcomes, the positive label, and the 0/1 labels."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._config import AuditConfig
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
    notes: list[str], findings: list[Finding],
) -> tuple[pd.DataFrame, str | None, str]:
    """Find the target; leave out the rows without a value in it (a SPEC001 finding)."""
    skip = set(features) | {c for c in (cfg.predictions, cfg.scores) if c}
    target, target_how = find_target(df, cfg, source,
                                     skip - ({cfg.target} if cfg.target else set()))
    if target is None:
        notes.append(W.NO_TARGET_NOTE)
    elif df[target].isna().any():
        n_missing = int(df[target].isna().sum())
        if n_missing == len(df):
            raise InputError(f"target column '{target}' in {source} is empty (all values missing) "
                             "- pass --target with a column that holds the true outcomes")
        findings.append(finding(SPEC_UNLABELLED, "review",
                                W.unlabelled_rows(n_missing, len(df), target), subject=target))
        df = df.loc[df[target].notna()].reset_index(drop=True)
    return df, target, target_how


def positive_label(values: list[Any], cfg: AuditConfig, what: str) -> Any:
    """The positive label among ``values``; inferred only for 0/1 and booleans."""
    if cfg.positive_label is not None:
        for v in values:
            if str(v) == cfg.positive_label or _fmt(v) == cfg.positive_label:
                return v
        raise InputError(
            f"{what}: positive label '{cfg.positive_label}' is not one of its values "
            f"({', '.join(_fmt(v) for v in values[:10])}) - pass --positive-label with one of them"
        )
    as_set = {_fmt(v) for v in values}
    if as_set <= {"0", "1"} and len(as_set) == 2:
        return next(v for v in values if _fmt(v) == "1")
    if as_set <= {"True", "False"} and len(as_set) == 2:
        return next(v for v in values if _fmt(v) == "True")
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
