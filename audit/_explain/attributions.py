"""Attributions: per-row SHAP values checked for additivity, and their weighted summaries.

:func:`compute_attributions` runs the explainers of :mod:`.explainers` on the
model's own output (:mod:`.output`).  The summaries here (global importance,
per-group means, beeswarm plot data) are weighted by the sample's
Horvitz-Thompson weights (:mod:`.sampling`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._inputs.model import ModelAdapter
from .._inputs.prepared import Grouping
from .._result.explanation import (
    Beeswarm,
    BeeswarmFeature,
    FeatureImportance,
    GroupAttribution,
    GroupingAttribution,
    OutputSpace,
)
from .._words import explain as words
from .explainers import _additivity_error, _attribute, _Raw, _reference_output, _tolerance
from .mapping import _flatten_pipeline
from .output import _ModelOutput, _output_and_values, _units
from .split import Split, Work, _wmean, abs_values

#: features shown in the beeswarm plot data
BEESWARM_TOP = 10
#: at most this many rows per feature in the beeswarm plot data
BEESWARM_MAX_POINTS = 1000


@dataclass
class Attributions:
    """Per-row SHAP values on original columns (not serialised; for :func:`explain` and tests).

    ``phi[i, j]`` is the attribution of ``features[j]`` on row ``i``; ``base + phi.sum(1)``
    reproduces ``output_values`` (the model's own output) within ``tolerance`` when ``ok``.
    """

    raw: _Raw
    output: _ModelOutput
    output_values: np.ndarray
    max_error: float
    tolerance: float
    ok: bool
    notes: list[str]

    @property
    def phi(self) -> np.ndarray:
        return self.raw.phi

    @property
    def base(self) -> float:
        return self.raw.base

    @property
    def explainer(self) -> str:
        return self.raw.explainer

    @property
    def output_space(self) -> OutputSpace:
        return self.output.space


def compute_attributions(
    model: ModelAdapter, Xs: pd.DataFrame, Xb: pd.DataFrame, *, seed: int = 0,
    margins: np.ndarray | None = None,
) -> Attributions:
    """SHAP values of the rows ``Xs`` against the background ``Xb``, checked for additivity.

    Chooses the explainer (linear exact / TreeExplainer / model-agnostic), sums
    pipeline attributions back onto the original columns and falls back to a
    model-agnostic explainer when the values do not add up to the model's output.

    Parameters
    ----------
    model : ModelAdapter
        The fitted model.
    Xs, Xb : pandas.DataFrame
        Rows to explain and background rows, both with the model's input columns.
    seed : int
        Seed of the permutation explainer (when used).
    margins : numpy.ndarray, optional
        The model's raw output on the rows ``Xs`` when predicting already gave it (a
        regressor's predictions, a decision function): the model is not run on them again.

    Returns
    -------
    Attributions
    """
    Xs = Xs.reset_index(drop=True)
    Xb = Xb.reset_index(drop=True)
    pre, final = _flatten_pipeline(model.estimator)
    out, fx = _output_and_values(model, pre, final, Xs, margins)
    tol = _tolerance(final, fx)
    notes: list[str] = []
    raw = _attribute(out, pre, final, Xs, Xb, fx, tol, seed, notes)
    if raw.note is not None:
        notes.append(raw.note)
    if raw.reference is not None and raw.allowed is not None:
        notes.append(words.float32_rounding_note(
            float(np.max(np.abs(fx - raw.reference))) if len(fx) else 0.0,
            float(np.max(raw.allowed)) if len(fx) else 0.0, _units(out)))
        fx, tol = _reference_output(raw, out, fx, tol)  # the float64 output (checked)
    err = _additivity_error(raw, fx)
    ok = bool(err <= tol)
    if not ok:
        notes.append(words.not_additive_note(err))
    return Attributions(raw, out, fx, err, tol, ok, notes)


# --------------------------------------------------------------------------- weighted summaries


def _probabilities(space: OutputSpace, fx: np.ndarray) -> np.ndarray | None:
    """Predicted probability of each row, when the output space has one."""
    if space == "log-odds":
        return 1.0 / (1.0 + np.exp(-np.clip(fx, -700, 700)))
    if space == "probability":
        return fx
    return None


def _importance_order(
    phi: np.ndarray, w: np.ndarray, work: Work | None = None
) -> tuple[list[int], np.ndarray]:
    """Feature positions by population-weighted mean |SHAP|, largest first, and those means."""
    mean_abs = _wmean(abs_values(phi, work), w)
    return [int(j) for j in np.argsort(-mean_abs, kind="stable")], mean_abs


def _global_importance(
    mean_abs: np.ndarray, order: list[int], features: Sequence[str]
) -> tuple[FeatureImportance, ...]:
    """Global ranking of the features (population-weighted mean |SHAP|)."""
    return tuple(FeatureImportance(features[j], float(mean_abs[j])) for j in order)


def _group_attribution(
    grouping: Grouping, sp: Split, prob_col: int | None, features: Sequence[str],
    order: list[int],
) -> GroupingAttribution:
    """Mean output and mean (absolute) SHAP values of each group of one grouping.

    ``sp`` holds the grouping's rows split by group (:mod:`.split`); ``prob_col`` is the
    column of ``sp.V`` with the probability (``None``: the output has none).
    """
    p = sp.p
    groups: list[GroupAttribution] = []
    for gi, label in enumerate(grouping.labels):
        n = sp.size(gi)
        if n == 0:
            groups.append(GroupAttribution(label, 0, None, None, {}, {}, words.GROUP_NOT_SAMPLED))
            continue
        rows, ms = sp.rows(gi), sp.means[gi]
        ma = _wmean(abs_values(sp.V[rows, :p], sp.work), sp.w[rows])
        groups.append(
            GroupAttribution(
                group=label,
                n=n,
                mean_output=float(ms[p]),
                mean_probability=float(ms[prob_col]) if prob_col is not None else None,
                mean_shap={features[j]: float(ms[j]) for j in order},
                mean_abs_shap={features[j]: float(ma[j]) for j in order},
            )
        )
    return GroupingAttribution(grouping.name, grouping.labels[grouping.reference], tuple(groups))


# --------------------------------------------------------------------------- beeswarm


def _rank01(x: np.ndarray) -> list[float | None]:
    """Average ranks scaled to [0, 1] (``None`` for NaN), rounded to 4 decimals."""
    ok = ~np.isnan(x)
    out: list[float | None] = [None] * len(x)
    if ok.sum() == 0:
        return out
    r = pd.Series(x[ok]).rank(method="average").to_numpy()
    m = ok.sum()
    scaled = (r - 1) / (m - 1) if m > 1 else np.full(m, 0.5)
    for i, v in zip(np.flatnonzero(ok), scaled):
        out[int(i)] = round(float(v), 4)
    return out


def _beeswarm(
    phi: np.ndarray,
    Xs: pd.DataFrame,
    order: list[int],
    features: list[str],
    rng: np.random.Generator,
) -> Beeswarm:
    """Beeswarm plot data of the top features on at most BEESWARM_MAX_POINTS rows."""
    n = phi.shape[0]
    rows = np.arange(n)
    if n > BEESWARM_MAX_POINTS:
        rows = np.sort(rng.choice(n, BEESWARM_MAX_POINTS, replace=False))
    feats: list[BeeswarmFeature] = []
    for j in order[:BEESWARM_TOP]:
        col = Xs.iloc[rows, j]
        numeric = bool(pd.api.types.is_numeric_dtype(col.dtype))
        if numeric:
            colour = _rank01(col.to_numpy(dtype=float, na_value=np.nan))
        else:
            colour = [None] * len(rows)
        feats.append(
            BeeswarmFeature(
                feature=features[j],
                numeric=numeric,
                shap=tuple(round(float(v), 4) for v in phi[rows, j]),
                colour=tuple(colour),
            )
        )
    return Beeswarm(n_points=len(rows), features=tuple(feats))
