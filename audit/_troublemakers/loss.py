"""Recommended fairlearn loss terms: one per failing criterion, with a runnable snippet.

Dropping a proxy rarely removes the bias, because the other features usually
carry the same information.  The remedy recommended here is to put the failing
criterion *into the training loss*: fairlearn's reductions
(:class:`fairlearn.reductions.ExponentiatedGradient`) retrain the model under a
constraint that matches the failing gap.  :func:`loss_config` is the content of
``--emit-loss-config``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._inputs.model import ModelAdapter
from .._inputs.prepared import Grouping
from .._result.serial import to_jsonable
from .._result.troublemakers import (
    LOSS_CONFIG_VERSION,
    DriverShare,
    Flag,
    FlagThresholds,
    LossTerm,
    Troublemakers,
)
from .._words import troublemakers as words
from .flags import BadCriteria, DriverKey
from .router import router_source

# criterion key -> the fairlearn moment (constraint) that keeps its gap small
MOMENTS: dict[str, str] = {
    "demographic_parity": "DemographicParity",
    "equalized_odds": "EqualizedOdds",
    "equal_opportunity": "TruePositiveRateParity",
    "accuracy": "ErrorRateParity",
    "mean_prediction": "BoundedGroupLoss",
    "mae": "BoundedGroupLoss",
}
_REGRESSION_CRITERIA = ("mean_prediction", "mae")


# --------------------------------------------------------------------------- snippets


def _snippet(
    constraint: str, bound_name: str, bound: float | None, attribute: str, pipeline: bool | None
) -> str:
    """Runnable code; expects ``estimator``, ``X``, ``y`` and ``sensitive`` to be defined."""
    lines = [
        f"# Retrain with the {attribute} fairness criterion inside the training loss.",
        "# Define first: estimator = an unfitted copy of your model (sklearn.base.clone(model)),",
        "# X, y = training features and labels"
        + (" (0/1, 1 = favourable)" if constraint != "BoundedGroupLoss" else "")
        + f", sensitive = each row's {attribute} group.",
    ]
    if constraint == "BoundedGroupLoss":
        lines += [
            "import numpy as np",
            "from fairlearn.reductions import AbsoluteLoss, BoundedGroupLoss, ExponentiatedGradient",
        ]
    else:
        lines.append(f"from fairlearn.reductions import {constraint}, ExponentiatedGradient")
    wrap = pipeline is None or pipeline
    if wrap:
        if pipeline is None:
            lines.append("# The wrapper is needed for Pipelines and harmless otherwise.")
        lines.append(router_source())
    if constraint == "BoundedGroupLoss":
        bound_expr = (
            repr(round(bound, 6))
            if bound is not None
            else "float(np.mean(np.abs(np.asarray(y) - np.median(y))))"
        )
        lines += [
            "loss = AbsoluteLoss(min_val=float(np.min(y)), max_val=float(np.max(y)))",
            f"constraint = BoundedGroupLoss(loss, upper_bound={bound_expr})",
        ]
    else:
        lines.append(words.bound_comment(constraint, bound, attribute))
        lines.append(f"constraint = {constraint}({bound_name}={bound!r})")
    est = "RouteSampleWeight(estimator)" if wrap else "estimator"
    lines += [
        f"mitigator = ExponentiatedGradient({est}, constraints=constraint, max_iter=50)",
        "mitigator.fit(X, y, sensitive_features=sensitive)",
        "y_pred = mitigator.predict(X, random_state=0)",
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- loss terms


def loss_terms(
    model: ModelAdapter | None,
    X: pd.DataFrame,
    y: np.ndarray | None,
    task: str,
    groupings: Sequence[Grouping],
    bad: BadCriteria,
    flags: Sequence[Flag],
    best_driver: Mapping[DriverKey, DriverShare],
    thr: FlagThresholds,
    notes: list[str],
) -> tuple[LossTerm, ...]:
    """One loss term per bad criterion with a fairlearn constraint: fails first, then reviews."""
    by_name = {g.name: g for g in groupings}
    pipeline = None if model is None else hasattr(model.estimator, "steps")
    regression_bound = _regression_bound(model, X, y, task, bad, notes)
    out: list[tuple[int, int, LossTerm]] = []
    for attr, crits in bad.items():
        g = by_name.get(attr)
        if g is None:
            continue
        for crit, outcome in crits:
            if crit not in MOMENTS:
                note = words.no_loss_term_note(attr, crit, outcome)
                if note is not None:
                    notes.append(note)
                continue
            if (task == "regression") != (crit in _REGRESSION_CRITERIA):
                continue
            feats = _features_behind(attr, flags, best_driver, thr)
            term = _loss_term(g, crit, outcome, feats, (thr.difference_bound, regression_bound),
                              pipeline, model is not None)
            out.append((0 if outcome == "fail" else 1, 0 if feats else 1, term))
    out.sort(key=lambda t: (t[0], t[1]))  # stable: keeps attribute and criterion order
    return tuple(t for _, _, t in out)


def _regression_bound(
    model: ModelAdapter | None,
    X: pd.DataFrame,
    y: np.ndarray | None,
    task: str,
    bad: BadCriteria,
    notes: list[str],
) -> float | None:
    """Suggested worst-group error: the model's overall mean absolute error today.

    That is "no group worse off than the average applicant today".
    """
    if task != "regression" or model is None or y is None or not any(bad.values()):
        return None
    try:
        return float(np.mean(np.abs(np.asarray(y, float) - model.predict(X))))
    except Exception as exc:
        notes.append(words.no_regression_bound_note(type(exc).__name__))
        return None


def _features_behind(
    attr: str,
    flags: Sequence[Flag],
    best_driver: Mapping[DriverKey, DriverShare],
    thr: FlagThresholds,
) -> list[str]:
    """The flagged features of an attribute; else its material drivers, largest first."""
    feats = [f.feature for f in flags if f.attribute == attr]
    if feats:
        return feats
    return [
        d.feature
        for (_, a), d in sorted(best_driver.items(), key=lambda kv: -kv[1].share)
        if a == attr and d.share >= thr.driver_share
    ]


def _loss_term(
    g: Grouping,
    crit: str,
    outcome: str,
    feats: list[str],
    bounds: tuple[float, float | None],
    pipeline: bool | None,
    can_retrain: bool,
) -> LossTerm:
    """The loss term for one bad criterion of one attribute.

    ``bounds`` is (difference bound, regression upper bound); ``can_retrain`` is False
    in predictions-only mode (the rationale then addresses the model's owner).
    """
    difference_bound, regression_bound = bounds
    attr = g.name
    constraint = MOMENTS[crit]
    if constraint == "BoundedGroupLoss":
        bound_name, bound, loss = "upper_bound", regression_bound, "AbsoluteLoss"
        rationale = words.bounded_loss_rationale(attr, crit, outcome, bound)
    else:
        bound_name, bound, loss = "difference_bound", difference_bound, None
        rationale = words.parity_rationale(attr, crit, outcome, constraint, bound, feats,
                                           can_retrain)
    target = None if bound is None or loss is not None else 2 * bound
    return LossTerm(
        constraint=constraint,
        criterion=crit,
        outcome=outcome,
        attribute=attr,
        sensitive_columns=tuple(g.columns),
        bound_name=bound_name,
        bound=bound,
        loss=loss,
        features=tuple(feats),
        rationale=rationale,
        snippet=_snippet(constraint, bound_name, bound, attr, pipeline),
        target_gap=target,
    )


# --------------------------------------------------------------------------- config


def loss_config(tm: Troublemakers) -> dict[str, Any]:
    """The JSON-safe content of ``--emit-loss-config loss.json``.

    Parameters
    ----------
    tm : Troublemakers
        Output of :func:`assess_troublemakers`.

    Returns
    -------
    dict
        ``{"version": 1, "library": "fairlearn", "method": "ExponentiatedGradient",
        "terms": [...], "flags": [...], "thresholds": {...}}``; each term holds the
        constraint name, criterion, attribute, sensitive columns, bound, loss,
        features and a runnable snippet.
    """
    return {
        "version": LOSS_CONFIG_VERSION,
        "library": "fairlearn",
        "method": "ExponentiatedGradient",
        "placeholders": dict(words.LOSS_CONFIG_PLACEHOLDERS),
        "terms": [to_jsonable(t) for t in tm.loss_terms],
        "flags": [
            {
                "feature": f.feature,
                "attribute": f.attribute,
                "kind": f.kind,
                "severity": f.severity,
                "proxy_auc": to_jsonable(f.proxy_auc),
                "driver_share": to_jsonable(f.driver_share),
            }
            for f in tm.flags
        ],
        "thresholds": to_jsonable(tm.thresholds),
    }
