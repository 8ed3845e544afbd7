"""The decision: does the model's extra complexity pay for itself against the best baseline?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._result.complexity import Baseline, ComplexityOutcome, MetricKey
from .._words import complexity as words
from .coding import _constant


@dataclass(frozen=True)
class Decision:
    """Outcome and verdict of the comparison with the best baseline."""

    outcome: ComplexityOutcome
    verdict: str
    compared_with: str
    gain: float


def comparison_metric(task: str, has_scores: bool) -> MetricKey:
    """R^2 for regression, AUC for a classifier with scores, accuracy otherwise."""
    return "r2" if task == "regression" else ("auc" if has_scores else "accuracy")


def precondition_failure(task: str, y: np.ndarray, cv: int) -> str | None:
    """Why the target cannot support ``cv``-fold cross-validation, or ``None`` when it can."""
    n = len(y)
    if task == "binary":
        minority = int(min((y == 0).sum(), (y == 1).sum()))
        if minority < cv:
            return words.rare_class(minority, cv)
        return None
    if n < 2 * cv:
        return words.too_few_cv_rows(n, cv)
    if _constant(y.astype(float)):
        return words.CONSTANT_TARGET
    return None


def best_baseline(baselines: Sequence[Baseline]) -> Baseline | None:
    """The baseline with the best metric (ties: the more interpretable); ``None`` if none has one."""
    valid = [b for b in baselines if b.metric_value is not None]
    if not valid:
        return None
    return max(valid, key=lambda b: (b.metric_value, b.interpretability.score or -1.0))


def _case(
    gain: float, opacity: float | None, min_gain: float, clear_gain: float, opacity_tolerance: float
) -> tuple[ComplexityOutcome, str]:
    """Outcome and wording case from the metric gain and the opacity (score points lost)."""
    if opacity is None:
        return "not_applicable", "no_scores"
    if opacity <= opacity_tolerance:
        return "pays_for_itself", "not_more_opaque"
    if gain >= clear_gain:
        return "pays_for_itself", "clear_gain"
    if gain >= min_gain:
        return "review", "some_gain"
    return "does_not_pay", "no_gain"


def decide(
    model_metric: float,
    model_score: float | None,
    best: Baseline,
    *,
    metric_label: str,
    n_rows: int,
    min_gain: float,
    clear_gain: float,
    opacity_tolerance: float,
) -> Decision:
    """Weigh the metric gain over ``best`` against the interpretability points it costs."""
    assert best.metric_value is not None
    gain = model_metric - best.metric_value
    bs = best.interpretability.score
    opacity = None if (model_score is None or bs is None) else bs - model_score
    outcome, case = _case(gain, opacity, min_gain, clear_gain, opacity_tolerance)
    context = words.comparison_context(
        metric_label, model_metric, best.metric_value, best.key, best.name, n_rows
    )
    verdict = words.verdict(
        case,
        phrase=words.metric_phrase(gain, metric_label),
        context=context,
        model_score=model_score,
        baseline_score=bs,
        gain=gain,
    )
    return Decision(outcome=outcome, verdict=verdict, compared_with=best.key, gain=gain)
