"""Resolve what to audit: target, features, protected attributes, positive label.

This is the validation boundary: after :func:`resolve`, every stage trusts its
inputs (columns exist, labels are 0/1, every row has a group).  Each step has its
module: ``columns`` (features, prediction columns), ``target``, ``predictions``
and ``protected``; :func:`resolve` runs them in order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._config import AuditConfig
from .._errors import InputError, ModelError
from .._result.checks import CRITERION_CHECKS
from .._result.findings import Finding, finding
from .._result.spec import ResolvedSpec
from .._words import fairness as FW
from .._words import inputs as W
from . import groups as G
from .columns import feature_columns, prediction_column
from .model import require_fitted
from .predictions import Decisions, from_columns, from_model
from .prepared import Grouping, Population, Prepared
from .protected import attribute_groupings, intersections, protected_columns
from .target import outcome_meaning, resolve_target, true_labels

NO_ROWS = "{source} has no rows - expected at least one row to audit"
DUPLICATE_COLUMNS = (
    "{source} has the column name {names} more than once - expected unique column names; "
    "rename or drop the copies"
)
REGRESSOR_ON_BINARY = (
    "{model}: the model is a regressor ({name}) but the target '{target}' in {source} holds "
    "only {values} - expected a classifier for a yes/no outcome (regression errors on 0/1 "
    "labels mean nothing); pass a classifier trained on '{target}', or --target with a "
    "numeric outcome if this is a regression"
)


def resolve(
    df: pd.DataFrame,
    estimator: Any | None,
    cfg: AuditConfig,
    *,
    source: str = "data",
    model_source: str = "model",
    population: Population | None = None,
) -> tuple[Prepared, ResolvedSpec, tuple[Finding, ...]]:
    """Validate inputs and build the standard form every audit stage uses.

    With ``population``, ``df`` is a sample of a larger table: the groups are built from
    the whole table's counts and each grouping's codes index ``population.combos``.
    """
    notes: list[str] = []
    findings: list[Finding] = []
    n_input = len(df) if population is None else population.n_input
    if n_input == 0:
        raise InputError(NO_ROWS.format(source=source))
    _unique_columns(df, source)
    features: tuple[str, ...] = ()
    if estimator is None:
        column = prediction_column(df, cfg, source)
    else:
        require_fitted(estimator, model_source)
        features = feature_columns(df, estimator, cfg, source, model_source)
    df, target, target_how = resolve_target(
        df, cfg, source, features, notes, findings,
        None if population is None else (population.n_unlabelled, population.n_input))
    if estimator is None:
        decided = from_columns(df, cfg, column, target, source)
    else:
        df, decided = from_model(df, estimator, cfg, features, model_source, notes)
    if decided.model is not None and target is not None:
        _regressor_fits_target(df[target], target, decided, source, model_source)
    y = true_labels(df, target, decided.task, decided.positive, cfg, source)
    found = protected_columns(df, cfg, target, source, notes)
    weights = None if population is None else population.weights
    groupings, infos = attribute_groupings(df if population is None else population.combos,
                                           found, cfg, features, source, notes, findings, weights)
    groupings += intersections(groupings, cfg, notes, weights)
    spec = ResolvedSpec(
        mode="model" if estimator is not None else "predictions",
        task=decided.task,
        target=target,
        target_how=target_how,
        positive_label=None if decided.positive is None else G.format_value(decided.positive),
        threshold=cfg.threshold,
        prediction_source=decided.source,
        features=features,
        protected=tuple(infos),
        n_rows=len(df) if population is None else int(population.weights.sum()),
        n_rows_input=n_input,
        notes=tuple(notes),
        period=data_period(df, {p.column for p in found}),
        **_scores_fields(decided),
        **_meaning_fields(df, decided, target, column if estimator is None else None, cfg),
    )
    if decided.scores_meaning is not None and decided.scores_meaning.reason is not None:
        findings.append(finding(CRITERION_CHECKS["calibration"], "not_applicable",
                                FW.calibration_not_applicable(decided.scores_meaning.reason)))
    return _prepared(df, decided, y, groupings), spec, tuple(findings)


def _meaning_fields(df: pd.DataFrame, decided: Decisions, target: str | None,
                    column: str | None, cfg: AuditConfig) -> dict[str, Any]:
    """The spec's record of what the positive label means (issue 10, item 2)."""
    if decided.task != "binary" or decided.positive is None:
        return {}
    if target is not None or column is not None:
        values = list(pd.unique(df[target if target is not None else str(column)]))
    else:
        values = list(decided.model.classes) if decided.model is not None else []
    m = outcome_meaning(decided.positive, values, target or column, cfg)
    return {"positive_is": m.positive_is, "positive_how": m.how, "positive_note": m.note}


def _scores_fields(decided: Decisions) -> dict[str, Any]:
    """The spec's record of whether the scores are probabilities (issue 10, item 1)."""
    m = decided.scores_meaning
    return {} if m is None else {"scores_are_probabilities": m.probabilities,
                                 "scores_how": m.how}


def _unique_columns(df: pd.DataFrame, source: str) -> None:
    """Refuse a table with a repeated column name (``df[name]`` would be a table)."""
    dup = df.columns[df.columns.duplicated()]
    if len(dup):
        names = ", ".join(repr(str(c)) for c in dict.fromkeys(dup))
        raise InputError(DUPLICATE_COLUMNS.format(source=source, names=names))


def _regressor_fits_target(t: pd.Series, target: str, decided: Decisions, source: str,
                           model_source: str) -> None:
    """Refuse a regression model audited against a 0/1 (or True/False) target."""
    if decided.task != "regression" or decided.model is None:
        return
    values = {G.format_value(v) for v in pd.unique(t.dropna())}
    if values in ({"0", "1"}, {"True", "False"}):
        raise ModelError(REGRESSOR_ON_BINARY.format(
            model=model_source, name=decided.model.name, target=target, source=source,
            values=" and ".join(sorted(values))))


def _prepared(df: pd.DataFrame, decided: Decisions, y: np.ndarray | None,
              groupings: list[Grouping]) -> Prepared:
    """The standard form of the inputs that every audit stage reads."""
    return Prepared(task=decided.task, X=decided.X, y=y, y_pred=decided.y_pred,
                    scores=decided.scores, groupings=tuple(groupings), model=decided.model,
                    data=df, scores_not_probabilities=None if decided.scores_meaning is None
                    else decided.scores_meaning.reason, margins=decided.margins)


def data_period(df: pd.DataFrame, skip: set[str]) -> str | None:
    """The date range the rows cover, from the first date column (typed or text)."""
    for col in df.columns:
        if col in skip or G.is_birth(col):
            continue
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            dates = s
        elif "date" in G.tokens(col) or "time" in G.tokens(col) or "month" in G.tokens(col):
            if pd.api.types.is_numeric_dtype(s):
                continue
            dates = pd.to_datetime(s, errors="coerce", format="mixed")
            if dates.notna().mean() < 0.95:
                continue
        else:
            continue
        if dates.notna().any():
            return W.period(dates.min().date().isoformat(), dates.max().date().isoformat(), col)
    return None
