"""Feature coding and the model's continuous output, shared by the surrogates and baselines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._inputs.model import ModelAdapter
from .._words import complexity as words

#: Probabilities are clipped to [eps, 1 - eps] before taking the logit.
LOGIT_EPS = 1e-3
#: Categorical columns keep at most this many levels (the rest become "(other)").
MAX_LEVELS = 30


@dataclass
class _Coded:
    """The audit columns coded twice: ordinal for the boosters, a design matrix for linear fits."""

    names: list[str]
    ordinal: np.ndarray  # (n, p) float; categorical columns hold level codes; NaN = missing
    is_cat: np.ndarray  # (p,) bool
    design: np.ndarray  # (n, q) float, no NaN: standardised numerics, indicators, one-hot
    owner: np.ndarray  # (q,) index of the original feature of each design column


def _as_numeric(col: pd.Series) -> np.ndarray | None:
    """Float values of a numeric/bool/datetime column, else ``None`` (treat as categorical)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return None
    if pd.api.types.is_bool_dtype(col.dtype):
        return np.array(col.astype("float64").to_numpy(dtype=float, na_value=np.nan), copy=True)
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        vals = np.array(col.to_numpy(dtype="datetime64[ns]").astype("int64"), dtype=float)
        vals[col.isna().to_numpy()] = np.nan
        return vals
    if pd.api.types.is_numeric_dtype(col.dtype):
        vals = np.array(col.to_numpy(dtype=float, na_value=np.nan), dtype=float, copy=True)
        vals[~np.isfinite(vals)] = np.nan
        return vals
    return None


def _code_numeric(num: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Ordinal column and design columns (standardised value, missing indicator) of a number."""
    missing = np.isnan(num)
    # an all-missing column carries no information; HistGradientBoosting also
    # fails on it (sklearn 1.9), so it is coded as a constant
    ordinal = np.zeros_like(num) if missing.all() else num
    filled = num.copy()
    med = float(np.nanmedian(num)) if (~missing).any() else 0.0
    filled[missing] = med
    blocks: list[np.ndarray] = []
    sd = float(filled.std())
    if sd > 0:
        blocks.append(((filled - filled.mean()) / sd)[:, None])
    if missing.any() and not missing.all():
        blocks.append(missing.astype(float)[:, None])
    return ordinal, blocks


def _code_categorical(col: pd.Series) -> tuple[np.ndarray, list[np.ndarray]]:
    """Level codes (most frequent first, then "(other)", then missing) and one-hot columns."""
    n = len(col)
    obj = col.astype(object)
    missing = obj.isna().to_numpy()
    text = np.array(["" if m else str(v) for v, m in zip(obj.to_numpy(), missing)], dtype=object)
    counts = pd.Series(text[~missing]).value_counts()
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    keep = [level for level, _ in ranked[:MAX_LEVELS]]
    index = {level: i for i, level in enumerate(keep)}
    other, miss = len(keep), len(keep) + 1
    codes = np.array([miss if m else index.get(t, other) for t, m in zip(text, missing)], dtype=int)
    blocks: list[np.ndarray] = []
    for level in np.unique(codes):
        ind = (codes == level).astype(float)
        if 0 < ind.sum() < n:
            blocks.append(ind[:, None])
    return codes.astype(float), blocks


def _code(X: pd.DataFrame) -> _Coded:
    """Code the columns for the surrogates (ordinal) and the linear models (design matrix)."""
    n, p = X.shape
    ordinal = np.empty((n, p), dtype=float)
    is_cat = np.zeros(p, dtype=bool)
    blocks: list[np.ndarray] = []
    owner: list[int] = []
    for j in range(p):
        col = X.iloc[:, j]
        num = _as_numeric(col)
        if num is None:
            is_cat[j] = True
            ordinal[:, j], col_blocks = _code_categorical(col)
        else:
            ordinal[:, j], col_blocks = _code_numeric(num)
        blocks.extend(col_blocks)
        owner.extend([j] * len(col_blocks))
    if not blocks:  # every column constant: one zero column keeps the linear algebra valid
        blocks.append(np.zeros((n, 1)))
        owner.append(0)
    return _Coded(
        names=[str(c) for c in X.columns],
        ordinal=ordinal,
        is_cat=is_cat,
        design=np.hstack(blocks),
        owner=np.asarray(owner, dtype=int),
    )


def _logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of probabilities clipped to [LOGIT_EPS, 1 - LOGIT_EPS]."""
    q = np.clip(p, LOGIT_EPS, 1.0 - LOGIT_EPS)
    out: np.ndarray = np.log(q) - np.log1p(-q)
    return out


def _model_output(model: ModelAdapter, X: pd.DataFrame) -> tuple[np.ndarray, str]:
    """The model's continuous output (margin for classifiers) and what it is."""
    if model.task == "regression":
        return model.predict(X), words.OUTPUT_PREDICT
    est = model.estimator
    if hasattr(est, "decision_function"):
        raw = model._call("decision_function", X).astype(float)
        if raw.ndim == 1 and raw.shape[0] == len(X) and np.all(np.isfinite(raw)):
            # decision_function's sign favours classes_[1]
            sign = -1.0 if model.classes and model.positive_index == 0 else 1.0
            return sign * raw, words.OUTPUT_DECISION_FUNCTION
    score = model.score(X)
    if score is not None:
        return _logit(score), words.output_logit(LOGIT_EPS)
    return model.predict(X).astype(float), words.OUTPUT_LABELS


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    """Coefficient of determination of ``pred`` against ``y``."""
    ss_tot = float(((y - y.mean()) ** 2).sum())
    ss_res = float(((y - pred) ** 2).sum())
    return 1.0 - ss_res / ss_tot


def _constant(values: np.ndarray) -> bool:
    """Whether ``values`` is empty or constant up to rounding."""
    scale = max(1.0, float(np.max(np.abs(values)))) if values.size else 1.0
    return bool(values.size == 0 or float(np.ptp(values)) <= 1e-12 * scale)
