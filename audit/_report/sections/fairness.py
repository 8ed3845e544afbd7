"""Fairness by group: per-attribute tables and charts, and the gaps worth a sentence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..._result.audit import AuditResult
from ..._result.findings import OUTCOME_RANK, Outcome, worst
from ..._result.metrics import METRICS
from ..._result.tables import AttributeTable
from ..._result.verdict import CheckResult
from ..._words.report import check_sentence, next_step, people
from ..charts.fairness import selection_chart
from ._common import words

#: Order of attribute families when several attributes compete for a headline.
FAMILY_ORDER = {"race": 0, "gender": 1, "age": 2, "geography": 3, "other": 4, "intersection": 5}
#: Which criterion's gap is told first (lower = sooner).
_PRIORITY = {"demographic_parity": 0, "mean_prediction": 0, "equal_opportunity": 1, "mae": 1,
             "equalized_odds": 2, "predictive_parity": 3, "accuracy": 4, "calibration": 5}
BINARY_COLUMNS = ("selection_rate", "base_rate", "tpr", "fpr", "ppv", "accuracy", "auc",
                  "calibration_gap")
REGRESSION_COLUMNS = ("mean_prediction", "mean_target", "mae", "rmse")


@dataclass(frozen=True)
class GapSentence:
    """A check that failed or needs review, in words, with what to do next."""

    attribute: str
    criterion: str
    group: str
    outcome: Outcome
    text: str
    next_step: str = ""


def _point_inside(check: CheckResult) -> bool:
    """Whether the point estimate is inside the policy's limit (only the interval is not)."""
    v, t = check.estimate.value, check.threshold
    if v is None:
        return False
    if check.kind == "ratio":
        return t <= v <= 1 / t
    return abs(v) <= t


def _distance(c: CheckResult) -> float:
    """How far a check's value is from passing (larger = worse), for ordering."""
    v = c.estimate.value or 0.0
    if c.kind == "ratio":
        return min(v, 1 / v) if v > 0 else 0.0
    return -abs(v)


def _sentence(c: CheckResult, table: AttributeTable, verb: str, noun: str) -> str:
    """The plain sentence of one check, naming the group's and the reference's people."""
    g = people(table.family, c.group, noun, table.attribute)
    r = people(table.family, c.reference, noun, table.attribute)
    return check_sentence(c, g, r, verb, noun)


def notable_gaps(result: AuditResult, limit: int | None = None) -> list[GapSentence]:
    """A sentence for each check that failed or needs review, most severe first.

    Within a criterion and attribute, only the largest gap is kept so that a
    reader sees each problem once.
    """
    verb, noun = words(result)
    tables = {t.attribute: t for t in result.fairness}
    best: dict[tuple[str, str, str], CheckResult] = {}
    for c in result.verdict.checks:
        if c.outcome not in ("fail", "review") or c.estimate.value is None:
            continue
        best[(c.attribute, c.criterion, c.group)] = c
    ordered = sorted(best.values(), key=lambda c: (
        -OUTCOME_RANK[c.outcome], tables[c.attribute].family == "intersection",
        _PRIORITY.get(c.criterion, 9), _distance(c)))
    out: list[GapSentence] = []
    seen: set[str] = set()
    for c in ordered:
        text = _sentence(c, tables[c.attribute], verb, noun)
        if text not in seen:  # equalized odds often repeats the equal-opportunity sentence
            seen.add(text)
            out.append(GapSentence(c.attribute, c.criterion, c.group, c.outcome, text,
                                   next_step(c.criterion, c.outcome, _point_inside(c))))
    return out[:limit] if limit is not None else out


def _attribute(result: AuditResult, t: AttributeTable, gaps: list[GapSentence],
               verb: str) -> dict[str, Any]:
    """One attribute's table, selection chart, gap sentences and worst outcome."""
    outcomes = {c.group: c.outcome for c in result.verdict.checks
                if c.attribute == t.attribute and c.criterion == "demographic_parity"}
    chart = None
    if result.spec.task == "binary" and len(t.groups) >= 2:
        svg, alt = selection_chart(t, outcomes, result.verdict.policy.selection_rate_ratio_min,
                                   verb)
        chart = {"svg": svg, "alt": alt}
    judged = list(result.verdict.criterion_outcomes.get(t.attribute, {}).values())
    return {
        "table": t,
        "chart": chart,
        "sentences": [g.text for g in gaps if g.attribute == t.attribute],
        "is_intersection": t.family == "intersection",
        "worst": worst(judged) if judged else None,
    }


def fairness_context(result: AuditResult) -> dict[str, Any]:
    """``attributes`` (one per table), ``metric_columns`` shown, ``metrics`` and ``verb``."""
    verb, _ = words(result)
    gaps = notable_gaps(result)
    columns = BINARY_COLUMNS if result.spec.task == "binary" else REGRESSION_COLUMNS
    present = [c for c in columns
               if any(c in g.metrics for t in result.fairness for g in t.groups)]
    return {
        "attributes": [_attribute(result, t, gaps, verb) for t in result.fairness],
        "metric_columns": [(c, METRICS[c]) for c in present],
        "metrics": METRICS,
        "verb": verb,
    }
