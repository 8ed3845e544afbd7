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
    overlap: bool = False


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
    gain: float, opacity: float | None, gains: Gains, confirmed: bool
) -> tuple[ComplexityOutcome, str]:
    """Outcome and wording case from the metric gain and the opacity (score points lost).

    ``confirmed`` says whether the gain is like for like (the model's retrained copy,
    cross-validated on the baselines' folds); an unconfirmed gain that would justify
    the opacity is withheld rather than accepted.
    """
    if opacity is None:
        return "not_applicable", "no_scores"
    if opacity <= gains.opacity_tolerance:
        if gain <= -gains.min_gain:
            return "simpler_but_worse", "simpler_but_worse"
        return "pays_for_itself", "not_more_opaque"
    if gain >= gains.clear_gain:
        return ("pays_for_itself", "clear_gain") if confirmed else ("withheld", "unconfirmed_gain")
    if gain >= gains.min_gain:
        return "review", "some_gain"
    return "does_not_pay", "no_gain"


def copy_needed(gain: float, opacity: float | None, gains: Gains) -> bool:
    """Whether a cross-validated copy of the model could change the verdict.

    ``gain`` is measured with the model on the audit rows, which can only flatter it
    (it may have been trained on them).  When even that gain is too small to favour
    the model (below ``min_gain`` for a more opaque model, at most ``-min_gain`` for
    one that is not), the verdict stands without the copy's cost.
    """
    if opacity is None:
        return False
    if opacity <= gains.opacity_tolerance:
        return gain > -gains.min_gain
    return gain >= gains.min_gain


@dataclass(frozen=True)
class Gains:
    """The decision's thresholds (see :func:`audit._complexity.assess_complexity`)."""

    min_gain: float
    clear_gain: float
    opacity_tolerance: float
    overlap_gap: float = 0.05


@dataclass(frozen=True)
class ModelMetric:
    """The model's metric on the audit rows and, if it could be made, its retrained copy's."""

    on_rows: float
    cross_validated: float | None
    cv: int
    why_not: str | None  # why there is no cross-validated copy

    @property
    def compared(self) -> float:
        """The metric the decision uses: like with like when possible."""
        return self.on_rows if self.cross_validated is None else self.cross_validated

    def likely_overlap(self, baseline: float, gap: float) -> bool:
        """The audit rows flatter the model: far above its copy, or with no copy, the baseline."""
        other = self.cross_validated if self.cross_validated is not None else baseline
        return self.on_rows - other >= gap


def decide(
    metric: ModelMetric,
    model_score: float | None,
    best: Baseline,
    *,
    metric_label: str,
    n_rows: int,
    gains: Gains,
) -> Decision:
    """Weigh the metric gain over ``best`` against the interpretability points it costs."""
    assert best.metric_value is not None
    confirmed = metric.cross_validated is not None
    gain = metric.compared - best.metric_value
    bs = best.interpretability.score
    opacity = None if (model_score is None or bs is None) else bs - model_score
    outcome, case = _case(gain, opacity, gains, confirmed)
    context = words.comparison_context(
        metric_label, metric.compared, best.metric_value, best.key, best.name, n_rows,
        metric.cv if confirmed else None,
    )
    verdict = words.verdict(
        case,
        phrase=words.metric_phrase(gain, metric_label),
        context=context,
        model_score=model_score,
        baseline_score=bs,
        gain=gain,
        cross_validated=confirmed,
        why_not_cross_validated=metric.why_not,
    )
    overlap = metric.likely_overlap(best.metric_value, gains.overlap_gap)
    if overlap and confirmed:
        assert metric.cross_validated is not None
        verdict += " " + words.overlap_note(metric_label, metric.on_rows, metric.cross_validated)
    return Decision(outcome=outcome, verdict=verdict, compared_with=best.key, gain=gain,
                    overlap=overlap)
