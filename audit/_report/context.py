"""Build the template context from an AuditResult (pure; all wording decided here)."""

from __future__ import annotations

from typing import Any

from .._fairness.metrics import METRICS
from .._result.audit import AuditResult
from .._result.findings import OUTCOME_RANK, title_of, worst
from .context_extra import extra_context
from .plots import selection_chart
from .sentences import headlines, notable_gaps, other_headlines

VERDICT_TEXT = {
    "PASS": "No fairness check failed, and every measured gap is within the policy's limits "
            "even allowing for uncertainty.",
    "REVIEW": "No gap is clearly beyond the limits, but some cannot be ruled out: the "
              "uncertainty ranges cross a limit, or groups are too small. A person should review "
              "them before release.",
    "FAIL": "At least one gap is beyond the policy's limits even allowing for uncertainty. "
            "The model should not be released as it is.",
}
BINARY_COLUMNS = ("selection_rate", "base_rate", "tpr", "fpr", "ppv", "accuracy", "auc",
                  "calibration_gap")
REGRESSION_COLUMNS = ("mean_prediction", "mean_target", "mae", "rmse")


def summary_context(result: AuditResult) -> dict[str, Any]:
    """What the summary section needs (also all a notebook shows): no charts."""
    return {
        "r": result,
        "spec": result.spec,
        "verdict": result.verdict.verdict,
        "verdict_text": VERDICT_TEXT[result.verdict.verdict],
        "reasons": [(code, title_of(code)) for code in result.verdict.reasons],
        "headlines": headlines(result, 3),
        "other_headlines": other_headlines(result)[:2],
    }


def build_context(result: AuditResult) -> dict[str, Any]:
    """Everything the full report needs, charts included."""
    spec = result.spec
    verb = result.provenance.config.get("outcome_verb", "selected")
    gaps = notable_gaps(result)
    columns = BINARY_COLUMNS if spec.task == "binary" else REGRESSION_COLUMNS
    present = [c for c in columns
               if any(c in g.metrics for t in result.fairness for g in t.groups)]
    attributes = []
    for t in result.fairness:
        outcomes = {c.group: c.outcome for c in result.verdict.checks
                    if c.attribute == t.attribute and c.criterion == "demographic_parity"}
        chart = None
        if spec.task == "binary" and len(t.groups) >= 2:
            svg, alt = selection_chart(t, outcomes, result.verdict.policy.selection_rate_ratio_min,
                                       verb)
            chart = {"svg": svg, "alt": alt}
        judged = list(result.verdict.criterion_outcomes.get(t.attribute, {}).values())
        attributes.append({
            "table": t,
            "chart": chart,
            "sentences": [g.text for g in gaps if g.attribute == t.attribute],
            "is_intersection": t.family == "intersection",
            "worst": worst(judged) if judged else None,
        })
    findings = sorted(result.findings, key=lambda f: (
        -OUTCOME_RANK[f.outcome], f.code))
    return {
        **summary_context(result),
        "attributes": attributes,
        "metric_columns": [(c, METRICS[c]) for c in present],
        "metrics": METRICS,
        "data_findings": [f for f in findings if f.code.startswith(("DATA", "SPEC"))],
        "verb": verb,
        **extra_context(result),
    }

