"""Interpretability-vs-complexity results, and the score's documented weights and formula."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: ``simpler_but_worse``: the model is no more opaque than a baseline but scores lower;
#: ``withheld``: its gain was measured on rows it may have been trained on and could not
#: be confirmed by cross-validating a retrained copy, so no verdict is given.
ComplexityOutcome = Literal["pays_for_itself", "review", "does_not_pay", "simpler_but_worse",
                            "withheld", "not_applicable"]
MetricKey = Literal["auc", "accuracy", "r2"]
#: Which of the model's metrics the decision used: its cross-validated retrained copy
#: (like with like) or the given model on the audit rows.
ComparedOn = Literal["cross_validated", "audit_rows"]


WEIGHTS: dict[str, float] = {
    "effective_features": 0.20,
    "non_additivity": 0.25,
    "non_linearity": 0.15,
    "size": 0.20,
    "fidelity": 0.20,
}


SCORE_FORMULA = (
    "interpretability = 100 x sum(w_c x s_c) / sum(w_c) over the components c measured for "
    "both the model and the baseline, with weights effective features 0.20, non-additivity "
    "0.25, non-linearity 0.15, size 0.20, surrogate fidelity 0.20, and sub-scores in [0, 1] "
    "(1 = most interpretable): "
    "s_size = 1 - clip(log10(size / 10) / 3, 0, 1) (up to 10 leaves or coefficients cost "
    "nothing, 10,000 or more score 0); "
    "s_features = 1 / (1 + max(k - 1, 0) / 10) for k effective features; "
    "s_additive = 1 - min(1, 2 x non-additivity) x (1 - s_size) and "
    "s_linear = 1 - min(1, 2 x non-linearity) x (1 - s_size), i.e. interactions and curves "
    "cost in proportion to how much there is to read (a depth-3 tree is readable despite its "
    "interactions); "
    "s_fidelity = clip((accuracy - 0.5) / 0.5, 0, 1) for classifiers, clip(R^2, 0, 1) for "
    "regression. Each sub-score falls as its component gets worse (and as size grows), so the "
    "score is monotone in every component."
)


@dataclass(frozen=True)
class Component:
    """One measured ingredient of the interpretability score.

    ``value`` is ``None`` when it could not be measured and ``reason`` says why.
    ``subscore`` maps ``value`` to [0, 1] (1 = most interpretable) by the formula
    in :data:`SCORE_FORMULA`; ``note`` records what exactly was measured or counted
    and ``extra`` holds supporting numbers (e.g. the surrogate R²).
    """

    key: str
    title: str
    value: float | None
    meaning: str
    formula: str
    subscore: float | None
    weight: float
    reason: str | None = None
    note: str = ""
    extra: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Interpretability:
    """Components and combined 0-100 score of one model (audited or baseline)."""

    subject: str  # "audited model", "linear baseline", "tree baseline"
    description: str  # e.g. "Pipeline(ColumnTransformer → LogisticRegression)"
    score: float | None
    components: tuple[Component, ...]
    used: tuple[str, ...]  # component keys combined into ``score``
    reason: str | None = None


@dataclass(frozen=True)
class Baseline:
    """A transparent model fitted on the audit data and scored out-of-fold."""

    key: str  # "linear" or "tree"
    name: str
    metric_value: float | None  # pooled out-of-fold metric on the same rows as the model's
    fold_values: tuple[float | None, ...]
    interpretability: Interpretability
    reason: str | None = None


@dataclass(frozen=True)
class Complexity:
    """Is the model's extra complexity paying for itself against a transparent baseline?"""

    task: str
    outcome: ComplexityOutcome
    verdict: str
    reason: str | None
    metric: MetricKey | None
    metric_label: str
    model_metric: float | None
    model_metric_note: str
    model: Interpretability
    baselines: tuple[Baseline, ...]
    compared_with: str | None  # key of the baseline used in the verdict
    gain: float | None  # model metric - that baseline's metric (metric units, not points)
    n_rows: int
    n_rows_used: int
    seed: int
    cv: int
    output_used: str  # what "the model's output" was for the surrogates
    score_formula: str
    thresholds: dict[str, float]
    notes: tuple[str, ...] = ()
    # The model retrained on the baselines' folds (a clone per fold), scored out of fold:
    # the like-for-like metric; None with ``model_cv_reason`` when it could not be made.
    model_cv_metric: float | None = None
    model_cv_folds: tuple[float | None, ...] = ()
    model_cv_reason: str | None = None
    compared_on: ComparedOn = "audit_rows"
    # The model's metric on the audit rows is far above its cross-validated copy (or, with
    # no copy, above the baselines): it was probably trained on some of these rows.
    likely_overlap: bool = False


