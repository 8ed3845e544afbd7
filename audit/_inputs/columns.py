"""Columns the audit reads: the model's features, the prediction columns, text the model expects.

Also the one "column not found" error, with close matches as the hint.
"""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np
import pandas as pd

from .._config import AuditConfig
from .._errors import ConfigError, InputError
from .._words import inputs as W
from .groups import format_value

NO_MODEL = "no model given - pass MODEL DATA, or DATA with --predictions COLUMN"


def missing_column(col: str, df: pd.DataFrame, source: str, what: str, fix: str) -> InputError:
    """The error for a named column that the data lacks, suggesting close matches."""
    close = difflib.get_close_matches(col, list(df.columns), n=3, cutoff=0.6)
    lower = [c for c in df.columns if c.lower() == col.lower() and c not in close]
    close = lower + close
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else fix
    return InputError(
        f"{what} column '{col}' not found in {source} ({len(df.columns)} columns) - {hint}"
    )


def model_features(est: Any) -> tuple[str, ...] | None:
    """The input column names a fitted model expects, if it recorded them."""
    for attr in ("feature_names_in_", "feature_name_"):
        names = getattr(est, attr, None)
        if names is not None:
            return tuple(str(n) for n in names)
    booster = getattr(est, "get_booster", None)
    if booster is not None:
        try:
            names = booster().feature_names
        except Exception:
            names = None
        if names:
            return tuple(names)
    if hasattr(est, "steps"):
        return model_features(est.steps[0][1])
    return None


def prediction_column(df: pd.DataFrame, cfg: AuditConfig, source: str) -> str:
    """Without a model: the predictions column (required); it and the scores column must exist."""
    if cfg.predictions is None:
        raise ConfigError(NO_MODEL)
    for col, what in ((cfg.predictions, "predictions"), (cfg.scores, "scores")):
        if col is not None and col not in df.columns:
            raise missing_column(col, df, source, what,
                                 f"pass --{what} with one of the data's columns")
    return cfg.predictions


LIGHTGBM_AMBIGUOUS = (
    "{source}: the LightGBM model's feature '{feature}' matches several columns of the data "
    "({columns}) - LightGBM stores column names with spaces as underscores ('a b' as 'a_b'), "
    "so the audit cannot tell which one the model was trained on; rename or drop the others"
)
LIGHTGBM_HINT = " (LightGBM stores spaces in column names as '_': 'mean radius' as 'mean_radius')"


def names_from_lightgbm(estimator: Any) -> bool:
    """True when the model's recorded column names come from LightGBM (its first step)."""
    while hasattr(estimator, "steps"):
        estimator = estimator.steps[0][1]
    return type(estimator).__module__.split(".")[0] == "lightgbm"


def lightgbm_name(column: str) -> str:
    """The name LightGBM records for a column: spaces become underscores."""
    return column.replace(" ", "_")


def _lightgbm_columns(features: tuple[str, ...], df: pd.DataFrame,
                      source: str) -> tuple[str, ...]:
    """The data's columns behind LightGBM's recorded names, where the mapping is one-to-one."""
    by_name: dict[str, list[str]] = {}
    for col in df.columns:
        by_name.setdefault(lightgbm_name(col), []).append(col)
    out = []
    for f in features:
        cols = by_name.get(f, [])
        if len(cols) > 1:
            raise InputError(LIGHTGBM_AMBIGUOUS.format(
                source=source, feature=f, columns=", ".join(repr(c) for c in cols)))
        out.append(cols[0] if cols else f)
    return tuple(out)


def _recorded_features(estimator: Any, model_source: str) -> tuple[str, ...]:
    """The input column names the model recorded; refuses a model that recorded none."""
    found = model_features(estimator)
    if found is None:
        raise InputError(
            f"{model_source}: the model did not record its input column names - list them "
            "in audit.toml as features = [\"col1\", ...] (or fit the model on a DataFrame)"
        )
    return found


def feature_columns(df: pd.DataFrame, estimator: Any, cfg: AuditConfig, source: str,
                    model_source: str) -> tuple[str, ...]:
    """The model's input columns (from the config, else the model), all present in ``df``.

    LightGBM records ``mean radius`` as ``mean_radius``: such names are mapped back to
    the data's columns when exactly one column matches.
    """
    if cfg.features is not None:
        features = tuple(cfg.features)
    else:
        features = _recorded_features(estimator, model_source)
        if names_from_lightgbm(estimator):
            features = _lightgbm_columns(features, df, source)
    missing = [c for c in features if c not in df.columns]
    if missing:
        sugg = []
        for m in missing[:5]:
            close = difflib.get_close_matches(m, list(df.columns), n=1, cutoff=0.6)
            sugg.append(f"{m} (did you mean '{close[0]}'?)" if close else m)
        hint = LIGHTGBM_HINT if names_from_lightgbm(estimator) and any("_" in m for m in missing) else ""
        raise InputError(
            f"{source} lacks {len(missing)} of the model's {len(features)} feature columns: "
            f"{', '.join(sugg)}{' ...' if len(missing) > 5 else ''}{hint} - pass data with the "
            "columns the model was trained on, or rename them"
        )
    return features


def _text_categories(step: Any) -> list[list[str]] | None:
    """The text categories an encoder (or the first encoder in a pipeline) learned."""
    if hasattr(step, "steps"):
        for _, inner in step.steps:
            cats = _text_categories(inner)
            if cats is not None:
                return cats
        return None
    cats = getattr(step, "categories_", None)
    if cats is None or not any(any(isinstance(v, str) for v in c) for c in cats):
        return None
    return [[v for v in c if isinstance(v, str)] for c in cats]


def text_columns_expected(estimator: Any) -> dict[str, list[str]]:
    """Input columns that the model's encoders learned as text, with their categories.

    CSV files carry no types, so a zip code column may come back as integers
    (and lose leading zeros) while the model's OneHotEncoder was fitted on strings.
    """
    found: dict[str, list[str]] = {}

    def walk(est: Any) -> None:
        for _, step in getattr(est, "steps", []):
            walk(step)
        for _, trans, cols in getattr(est, "transformers_", []):
            cats = _text_categories(trans)
            if cats is not None and isinstance(cols, (list, tuple, np.ndarray)):
                for col, c in zip(cols, cats):
                    if isinstance(col, str):
                        found[col] = c
            walk(trans)

    walk(estimator)
    return found


def _as_categories(values: pd.Series, categories: list[str]) -> pd.Series:
    """Numbers back to the text categories they came from ("02134" read as 2134)."""
    by_number: dict[float, str] = {}
    for cat in categories:
        try:
            by_number.setdefault(float(cat), cat)  # "02134" -> 2134.0
        except ValueError:
            continue

    def convert(v: Any) -> Any:
        if pd.isna(v):
            return v
        return by_number.get(float(v), format_value(v))

    return values.map(convert).astype(object)


def align_text_columns(df: pd.DataFrame, estimator: Any, features: tuple[str, ...],
                       notes: list[str]) -> pd.DataFrame:
    """Turn numeric columns the model's encoders learned as text back into text."""
    expected = text_columns_expected(estimator)
    wanted = [c for c in expected
              if c in features and c in df.columns and pd.api.types.is_numeric_dtype(df[c])]
    if not wanted:
        return df
    df = df.copy()
    for c in wanted:
        df[c] = _as_categories(df[c], expected[c])
    notes.append(W.text_converted_note(wanted))
    return df
