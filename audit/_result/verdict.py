"""The sign-off policy and the verdict: every check, its outcome and the overall verdict.

The overall verdict is PASS, REVIEW, UNDECIDED or FAIL (worst last, see
:data:`~audit._result.findings.VERDICT_RANK`); UNDECIDED means the audit has no
judged check for at least one protected attribute (or none at all), so it cannot vouch
for the model either way.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

from .findings import Outcome
from .tables import Estimate

VerdictName = Literal["PASS", "REVIEW", "UNDECIDED", "FAIL"]


@dataclass(frozen=True)
class Policy:
    """Sign-off thresholds. Ratios are checked both ways (a group favoured too much counts)."""

    selection_rate_ratio_min: float = 0.8  # the four-fifths rule
    equal_opportunity_diff_max: float = 0.10  # true positive rate difference
    equalized_odds_diff_max: float = 0.10  # max of TPR and FPR differences
    predictive_parity_diff_max: float = 0.10  # precision difference
    accuracy_diff_max: float = 0.05
    calibration_gap_max: float = 0.05  # |mean score - observed rate| within a group
    mean_prediction_ratio_min: float = 0.8  # regression
    mae_ratio_max: float = 1.25  # regression
    alpha: float = 0.05  # two-sided error rate of each family of checks
    multiple_testing: str = "holm"  # "holm" (across the groups of an attribute) or "none"


@dataclass(frozen=True)
class CheckResult:
    """One policy check on one group of one attribute."""

    criterion: str
    attribute: str
    group: str
    reference: str
    metric: str
    kind: Literal["ratio", "difference", "level"]
    estimate: Estimate
    threshold: float
    outcome: Outcome
    p_beyond: float | None = None  # bootstrap p-value against "the gap is within the limit"
    p_within: float | None = None  # bootstrap p-value against "the gap is beyond the limit"


@dataclass(frozen=True)
class Verdict:
    """The overall verdict, its reasons (check codes) and every check behind it."""

    verdict: VerdictName
    reasons: tuple[str, ...]
    checks: tuple[CheckResult, ...]
    criterion_outcomes: dict[str, dict[str, Outcome]]  # attribute -> criterion -> outcome
    policy: Policy
    method: str = ""  # how the decisions were made, in words


POLICY_FIELDS = tuple(f.name for f in fields(Policy))


POLICY_DOC: dict[str, str] = {
    "selection_rate_ratio_min": "Each group's selection rate divided by the reference group's "
                                "must lie between this value and its inverse (four-fifths rule).",
    "equal_opportunity_diff_max": "Largest allowed difference in true positive rate.",
    "equalized_odds_diff_max": "Largest allowed difference in true or false positive rate.",
    "predictive_parity_diff_max": "Largest allowed difference in precision.",
    "accuracy_diff_max": "Largest allowed difference in accuracy.",
    "calibration_gap_max": "Largest allowed gap between mean score and observed rate in a group.",
    "mean_prediction_ratio_min": "Regression: mean prediction ratio must lie between this value "
                                 "and its inverse.",
    "mae_ratio_max": "Regression: mean absolute error ratio must lie between the inverse of this "
                     "value and this value.",
    "alpha": "Two-sided error rate for each family of checks (0.05 matches 95% intervals).",
    "multiple_testing": "'holm': Holm's correction across the groups of an attribute; 'none': "
                        "judge each group's 95% interval on its own.",
}


