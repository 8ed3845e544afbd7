"""The sign-off policy and the verdict: every check, its outcome and the overall verdict.

The overall verdict is PASS, REVIEW, UNDECIDED or FAIL (worst last, see
:data:`~audit._result.findings.VERDICT_RANK`); UNDECIDED means the audit has no
judged check for at least one protected attribute (or none at all), so it cannot vouch
for the model either way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Literal

from .findings import Outcome
from .tables import Estimate

VerdictName = Literal["PASS", "REVIEW", "UNDECIDED", "FAIL"]
#: How a check is reported: its ``outcome`` with "review" split in two. ``review``: the
#: interval that decided excludes "no gap" and reaches beyond the limit (a real gap that
#: may exceed it); ``undecided``: that interval holds both "no gap" and a gap beyond the
#: limit, or there is none (too little data to tell). Both count as "review" in the
#: verdict rule, and neither passes.
Decision = Literal["pass", "review", "undecided", "fail"]
#: Every decision, worst first (the order counts and lists use).
DECISIONS: tuple[Decision, ...] = ("fail", "review", "undecided", "pass")
#: Largest gap size (in limits) a materiality score counts; beyond it the gap is "huge".
MAX_GAP_SIZE = 10.0


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
    decision: Decision | None = None  # the outcome with "review" split (see Decision)
    #: The interval the decision used: with Holm's correction, a Wald interval at the
    #: check's corrected level (its coverage in ``decision_confidence``); else the 95% one.
    decision_interval: Estimate | None = None
    decision_confidence: float | None = None
    materiality: float | None = None  # gap size (in limits) x evidence, see materiality()


@dataclass(frozen=True)
class Verdict:
    """The overall verdict, its reasons (check codes) and every check behind it."""

    verdict: VerdictName
    reasons: tuple[str, ...]
    checks: tuple[CheckResult, ...]
    criterion_outcomes: dict[str, dict[str, Outcome]]  # attribute -> criterion -> outcome
    policy: Policy
    method: str = ""  # how the decisions were made, in words
    #: The documented rules behind each check's decision and materiality, in words.
    rules: dict[str, str] = field(default_factory=dict)


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




def gap_size(kind: str, value: float | None, threshold: float) -> float | None:
    """How big a gap is, in units of its limit (1 = at the limit), on the test's scale.

    Ratios are measured on the log scale, so a ratio of 0.64 and one of 1/0.64 weigh the
    same; differences and levels as they are. Capped at :data:`MAX_GAP_SIZE`.

    >>> gap_size("ratio", 0.64, 0.8), gap_size("difference", -0.05, 0.10)
    (2.0, 0.5)
    """
    if value is None or not math.isfinite(value) or threshold <= 0:
        return None
    if kind == "ratio":
        if threshold >= 1:
            return None
        size = abs(math.log(max(value, 1e-12))) / abs(math.log(threshold))
    else:
        size = abs(value) / threshold
    return round(min(size, MAX_GAP_SIZE), 6)


def materiality(size: float | None, p_beyond: float | None) -> float | None:
    """A check's materiality: its gap size (in limits) times the evidence it lies beyond.

    ``size`` is :func:`gap_size`; the evidence is ``1 - p_beyond``, the (uncorrected)
    bootstrap confidence that the true gap lies beyond the limit. A failing gap twice the
    limit scores about 2, a gap at the limit about 0.5, no gap 0. Rounded to 4 decimals.

    >>> materiality(2.0, 0.0), materiality(1.0, 0.5), materiality(0.0, 0.9)
    (2.0, 0.5, 0.0)
    """
    if size is None or p_beyond is None:
        return None
    return round(size * (1.0 - p_beyond), 4)


def holds_no_gap(kind: str, lo: float | None, hi: float | None) -> bool:
    """Whether an interval holds "no gap" (ratio 1, difference or level 0), or is missing."""
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return True
    none = 1.0 if kind == "ratio" else 0.0
    return lo <= none <= hi


def decision_of(outcome: Outcome, kind: str, interval: Estimate | None) -> Decision:
    """The reported decision of a check (see :data:`Decision`)."""
    if outcome in ("pass", "fail"):
        return outcome  # type: ignore[return-value]
    if outcome == "review" and interval is not None \
            and not holds_no_gap(kind, interval.lo, interval.hi):
        return "review"
    return "undecided"


def decision_counts(checks: Iterable[CheckResult]) -> dict[Decision, int]:
    """How many checks have each decision, worst first (checks without one count by outcome)."""
    counts: dict[Decision, int] = dict.fromkeys(DECISIONS, 0)
    for c in checks:
        counts[c.decision or decision_of(c.outcome, c.kind, c.decision_interval or c.estimate)] += 1
    return counts
