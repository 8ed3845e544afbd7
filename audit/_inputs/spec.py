"""Resolve what to audit: target, features, protected attributes, positive label.

This is the validation boundary: after :func:`resolve`, every stage trusts its
inputs (columns exist, labels are 0/1, every row has a group).
"""

from __future__ import annotations

import difflib
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .._config import AuditConfig
from .._errors import ConfigError, InputError, UnsupportedError
from .._result.checks import SPEC_DIRECT_USE, SPEC_UNLABELLED
from .._result.findings import Finding, finding
from .._result.spec import ProtectedInfo, ResolvedSpec
from . import groups as G
from .model import ModelAdapter, infer_task
from .prepared import Grouping, Prepared

TARGET_NAMES = ("target", "label", "labels", "y", "outcome", "class", "ground_truth",
                "groundtruth", "truth", "actual", "y_true", "ytrue", "true_label")







def _norm(name: str) -> str:
    return "".join(G.tokens(name))


def _missing_column(col: str, df: pd.DataFrame, source: str, what: str, fix: str) -> InputError:
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


def text_columns_expected(estimator: Any) -> dict[str, list[str]]:
    """Input columns that the model's encoders learned as text, with their categories.

    CSV files carry no types, so a zip code column may come back as integers
    (and lose leading zeros) while the model's OneHotEncoder was fitted on strings.
    """
    found: dict[str, list[str]] = {}

    def text_categories(step: Any) -> list[list[str]] | None:
        if hasattr(step, "steps"):
            for _, inner in step.steps:
                cats = text_categories(inner)
                if cats is not None:
                    return cats
            return None
        cats = getattr(step, "categories_", None)
        if cats is None or not any(any(isinstance(v, str) for v in c) for c in cats):
            return None
        return [[v for v in c if isinstance(v, str)] for c in cats]

    def walk(est: Any) -> None:
        for _, step in getattr(est, "steps", []):
            walk(step)
        for _, trans, cols in getattr(est, "transformers_", []):
            cats = text_categories(trans)
            if cats is not None and isinstance(cols, (list, tuple, np.ndarray)):
                for col, c in zip(cols, cats):
                    if isinstance(col, str):
                        found[col] = c
            walk(trans)

    walk(estimator)
    return found


def _align_text_columns(df: pd.DataFrame, estimator: Any, features: tuple[str, ...],
                        notes: list[str]) -> pd.DataFrame:
    expected = text_columns_expected(estimator)
    wanted = [c for c in expected
              if c in features and c in df.columns and pd.api.types.is_numeric_dtype(df[c])]
    if not wanted:
        return df
    df = df.copy()
    for c in wanted:
        by_number: dict[float, str] = {}
        for cat in expected[c]:
            try:
                by_number.setdefault(float(cat), cat)  # "02134" -> 2134.0
            except ValueError:
                continue

        def convert(v: Any, lookup: dict[float, str] = by_number) -> Any:
            if pd.isna(v):
                return v
            return lookup.get(float(v), _fmt(v))

        df[c] = df[c].map(convert).astype(object)
    notes.append(f"Read as numbers but the model expects text, so converted to text: "
                 f"{', '.join(wanted)} (CSV files carry no types; parquet keeps them).")
    return df


def _find_target(df: pd.DataFrame, cfg: AuditConfig, source: str,
                 skip: set[str]) -> tuple[str | None, str]:
    if cfg.target is not None:
        if cfg.target not in df.columns:
            raise _missing_column(cfg.target, df, source, "target",
                                  "pass --target NAME with one of the data's columns")
        return cfg.target, "set by you"
    wanted = {_norm(n) for n in TARGET_NAMES}
    hits = [c for c in df.columns if _norm(c) in wanted and c not in skip]
    if len(hits) == 1:
        return hits[0], f"column named '{hits[0]}'"
    if len(hits) > 1:
        raise InputError(
            f"{source}: several columns could be the target ({', '.join(hits)}) - "
            "pass --target NAME"
        )
    return None, "no target column found (pass --target NAME to audit error rates)"


def _positive_label(values: list[Any], cfg: AuditConfig, what: str) -> Any:
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


_fmt = G.format_value


def resolve(
    df: pd.DataFrame,
    estimator: Any | None,
    cfg: AuditConfig,
    *,
    source: str = "data",
    model_source: str = "model",
) -> tuple[Prepared, ResolvedSpec, tuple[Finding, ...]]:
    """Validate inputs and build the standard form every audit stage uses."""
    notes: list[str] = []
    findings: list[Finding] = []
    n_input = len(df)
    if n_input == 0:
        raise InputError(f"{source} has no rows - expected at least one row to audit")

    # --- model features / prediction columns ---------------------------------------------
    features: tuple[str, ...] = ()
    if estimator is None:
        if cfg.predictions is None:
            raise ConfigError("no model given - pass MODEL DATA, or DATA with --predictions COLUMN")
        for col, what in ((cfg.predictions, "predictions"), (cfg.scores, "scores")):
            if col is not None and col not in df.columns:
                raise _missing_column(col, df, source, what,
                                      f"pass --{what} with one of the data's columns")
    else:
        if cfg.features is not None:
            features = tuple(cfg.features)
        else:
            found = model_features(estimator)
            if found is None:
                raise InputError(
                    f"{model_source}: the model did not record its input column names - list them "
                    "in audit.toml as features = [\"col1\", ...] (or fit the model on a DataFrame)"
                )
            features = found
        missing = [c for c in features if c not in df.columns]
        if missing:
            sugg = []
            for m in missing[:5]:
                close = difflib.get_close_matches(m, list(df.columns), n=1, cutoff=0.6)
                sugg.append(f"{m} (did you mean '{close[0]}'?)" if close else m)
            raise InputError(
                f"{source} lacks {len(missing)} of the model's {len(features)} feature columns: "
                f"{', '.join(sugg)}{' ...' if len(missing) > 5 else ''} - pass data with the "
                "columns the model was trained on, or rename them"
            )

    # --- target ------------------------------------------------------------------------------
    skip = set(features) | {c for c in (cfg.predictions, cfg.scores) if c}
    target, target_how = _find_target(df, cfg, source, skip - ({cfg.target} if cfg.target else set()))
    if target is None:
        notes.append("No target column: outcome rates are audited; error rates (true and false "
                     "positive rates, accuracy) need the true outcomes - pass --target NAME.")
    elif df[target].isna().any():
        n_missing = int(df[target].isna().sum())
        if n_missing == len(df):
            raise InputError(f"target column '{target}' in {source} is empty (all values missing) "
                             "- pass --target with a column that holds the true outcomes")
        df = df.loc[df[target].notna()].reset_index(drop=True)
        findings.append(finding(SPEC_UNLABELLED, "review",
                                f"{n_missing} of {n_input} rows have no value in '{target}' and "
                                "were left out.", subject=target))

    # --- task and predictions ------------------------------------------------------------
    model: ModelAdapter | None = None
    positive: Any = None
    if estimator is not None:
        task = infer_task(estimator, model_source)
        model = ModelAdapter(estimator, task, features, None, model_source)
        if task == "binary":
            classes = list(model.classes)
            positive = _positive_label(classes, cfg, f"{model_source}: the model's classes")
            model.positive_label = positive
        df = _align_text_columns(df, estimator, features, notes)
        X = df.loc[:, list(features)]
        scores = model.score(X)
        if cfg.threshold is not None:
            if scores is None:
                raise InputError(f"{model_source}: --threshold needs scores, but the model has no "
                                 "predict_proba() - drop --threshold")
            y_pred = (scores >= cfg.threshold).astype(np.int8)
            pred_source = f"model scores ≥ {cfg.threshold:g}"
        else:
            y_pred = model.predict(X)
            pred_source = "the model's own predict()"
    else:
        X = None
        pcol = df[cfg.predictions]
        if pcol.isna().any():
            raise InputError(f"predictions column '{cfg.predictions}' in {source} has "
                             f"{int(pcol.isna().sum())} missing values - fill or drop those rows")
        scores = None
        if cfg.scores is not None:
            scores = pd.to_numeric(df[cfg.scores], errors="coerce").to_numpy(dtype=float)
            if not np.all(np.isfinite(scores)):
                raise InputError(
                    f"scores column '{cfg.scores}' in {source} has "
                    f"{int((~np.isfinite(scores)).sum())} missing or non-numeric values - "
                    "expected probabilities in [0, 1]")
        uniq = list(pd.unique(pcol))
        numeric = pd.api.types.is_float_dtype(pcol) and len(uniq) > 2
        if numeric:
            task = "regression"
            y_pred = pcol.to_numpy(dtype=float)
        else:
            task = "binary"
            if len(uniq) > 2:
                raise UnsupportedError(
                    f"predictions column '{cfg.predictions}' has {len(uniq)} distinct values - "
                    "only binary decisions or numeric (regression) predictions are supported")
            if target is not None:
                tv = list(pd.unique(df[target]))
                values = sorted(set(map(_fmt, uniq)) | set(map(_fmt, tv)))
                positive = _positive_label(
                    [next(v for v in uniq + tv if _fmt(v) == s) for s in values], cfg,
                    f"{source}: '{cfg.predictions}'/'{target}'")
            else:
                positive = _positive_label(sorted(uniq, key=_fmt), cfg,
                                           f"predictions column '{cfg.predictions}'")
            y_pred = (pcol.map(_fmt) == _fmt(positive)).to_numpy().astype(np.int8)
        pred_source = f"column '{cfg.predictions}'"
        if scores is not None and cfg.threshold is not None:
            y_pred = (scores >= cfg.threshold).astype(np.int8)
            pred_source = f"column '{cfg.scores}' ≥ {cfg.threshold:g}"

    # --- labels ------------------------------------------------------------------------------
    y: np.ndarray | None = None
    if target is not None:
        t = df[target]
        if task == "binary":
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
            t_str = t.map(_fmt)
            if pos not in set(t_str):
                raise InputError(
                    f"target column '{target}' in {source} never equals the positive label "
                    f"'{pos}' (values: {', '.join(sorted(set(t_str))[:8])}) - pass "
                    "--positive-label with the target's value for the favourable outcome")
            y = (t_str == pos).to_numpy().astype(np.int8)
        else:
            yv = pd.to_numeric(t, errors="coerce")
            if yv.isna().any():
                raise InputError(f"target column '{target}' in {source} is not numeric for "
                                 f"{int(yv.isna().sum())} rows - a regression target must be "
                                 "numbers")
            y = yv.to_numpy(dtype=float)

    # --- protected attributes ----------------------------------------------------------------
    exclude = [c for c in (target, cfg.predictions, cfg.scores) if c]
    protected_cols, det_notes = G.detect_protected(list(df.columns), cfg.protected, exclude,
                                          cfg.max_per_family)
    notes.extend(det_notes)
    for p in protected_cols:
        if p.column not in df.columns:
            raise _missing_column(p.column, df, source, f"protected ({p.name})",
                                  "fix --protected NAME=COLUMN")
    if not protected_cols:
        raise InputError(
            f"{source}: no protected attribute found - no column is named like race, ethnicity, "
            "sex, gender, age, date of birth, country, state, region or zip code; name them with "
            "--protected race=COLUMN (repeatable)")
    groupings: list[Grouping] = []
    infos: list[ProtectedInfo] = []
    feature_set = set(features)
    for p in protected_cols:
        col = df[p.column]
        if col.isna().all():
            raise InputError(
                f"protected column '{p.column}' ({p.name}) in {source} is entirely missing - "
                "fill it, or choose another with --protected "
                f"{p.family if p.family in G.FAMILIES else p.name}=COLUMN")
        order = None
        if p.family == "age" and (pd.api.types.is_numeric_dtype(col) or _is_birth(p.column)):
            if _is_birth(p.column):
                as_of = date.fromisoformat(cfg.age_as_of) if cfg.age_as_of else date.today()
                ages = G.ages_from_birth(col, as_of)
                notes.append(f"Age computed from '{p.column}' as of {as_of.isoformat()}.")
            else:
                ages = col
            labels = G.age_bands(ages, cfg.age_bands)
            order = G.band_order(cfg.age_bands) + [G.UNKNOWN]
        else:
            labels = G._as_labels(col)
        try:
            g = G.make_grouping(
                p.name, p.family, p.column, labels, how_found=p.how_found,
                min_group_size=cfg.min_group_size, merge_small=p.family == "geography",
                order=order, reference=cfg.reference.get(p.name))
        except KeyError as exc:
            raise ConfigError(
                f"reference group '{cfg.reference.get(p.name)}' for {p.name} does not exist - "
                f"its groups are: {', '.join(sorted(set(labels.astype(str)))[:12])}") from exc
        if len(g.labels) < 2:
            notes.append(f"{p.name} ('{p.column}') has a single group ({g.labels[0]}); "
                         "no comparison is possible.")
        groupings.append(g)
        is_input = p.column in feature_set
        infos.append(ProtectedInfo(
            p.name, p.family, (p.column,), p.how_found, g.labels, g.labels[g.reference],
            {k: tuple(v) for k, v in g.members.items()}, is_input))
        if is_input:
            findings.append(finding(
                SPEC_DIRECT_USE, "review",
                f"The model takes '{p.column}' ({p.name}) as an input, so its decisions can "
                "depend on it directly.", subject=p.name))
    singles = [g for g in groupings if len(g.labels) >= 2]
    wide = [g for g in singles if len(g.labels) > cfg.intersection_max_groups]
    if cfg.intersections and wide:
        notes.append(
            f"Not combined with other attributes (more than {cfg.intersection_max_groups} "
            f"groups): {', '.join(g.name for g in wide)}; raise intersection_max_groups to "
            "include them.")
        singles = [g for g in singles if g not in wide]
    if cfg.intersections:
        for i in range(len(singles)):
            for j in range(i + 1, len(singles)):
                groupings.append(G.intersect(singles[i], singles[j], cfg.min_group_size))

    spec = ResolvedSpec(
        mode="model" if estimator is not None else "predictions",
        task=task,
        target=target,
        target_how=target_how,
        positive_label=None if positive is None else _fmt(positive),
        threshold=cfg.threshold,
        prediction_source=pred_source,
        features=features,
        protected=tuple(infos),
        n_rows=len(df),
        n_rows_input=n_input,
        notes=tuple(notes),
        period=data_period(df, {p.column for p in protected_cols}),
    )
    prepared = Prepared(task=task, X=X, y=y, y_pred=y_pred, scores=scores,
                        groupings=tuple(groupings), model=model, data=df)
    return prepared, spec, tuple(findings)


def data_period(df: pd.DataFrame, skip: set[str]) -> str | None:
    """The date range the rows cover, from the first date column (typed or text)."""
    for col in df.columns:
        if col in skip or _is_birth(col):
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
            return f"{dates.min().date().isoformat()} to {dates.max().date().isoformat()} ({col})"
    return None


def _is_birth(column: str) -> bool:
    toks = G.tokens(column)
    return "birth" in toks or "dob" in toks or any("birth" in t for t in toks)
