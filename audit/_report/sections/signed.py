"""The signed part: the contents, the checks behind the verdict, the recommendation, sign-off.

The report is one document in two parts. The signed part (summary, scope, the checks that
decide the verdict, the recommendation and the sign-off block) is short enough to read and
sign; everything else follows as a lettered appendix that prints complete.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from ..._result.audit import AuditResult
from ..._result.metrics import METRICS
from ..._result.verdict import CheckResult, decision_of
from ..._words.report import (
    DECISIONS,
    DECISIVE_INTRO,
    NO_DECISIVE,
    check_numbers,
    compared_with,
    decisive_more,
    outcome_meaning,
    policy_source,
    recommendation,
    scores_meaning,
)
from ._common import criterion_title, table_of, who

#: The signed part, in order: (element id, heading). The headings are the sections' own.
SIGNED = (("summary", "Summary"), ("scope", "What was audited"),
          ("decisive", "Checks behind the verdict"), ("recommendation", "Recommendation"),
          ("signoff", "Sign-off"))
#: The appendix, in order: (element id, heading); lettered A, B, ... in this order.
APPENDIX = (("data", "Data checks"), ("performance", "How well the model works"),
            ("fairness", "Fairness by group"),
            ("explanations", "What drives the model's decisions"),
            ("complexity", "Is the model's complexity worth it?"),
            ("flags", "Troublemaker features"), ("methodology", "How to read this report"),
            ("reproducibility", "Reproducibility"))
#: How many reviews beyond the limit the signed part lists after the failing checks.
MAX_REVIEWS = 10


def display_name(result: AuditResult) -> str:
    """The model's name for the title: --model-name, else the model file's name, else its kind."""
    cfg = result.provenance.config
    if cfg.get("model_name"):
        return cfg["model_name"]
    model = next((f.path for f in result.provenance.files if f.role == "model"), None)
    return PurePath(model).name if model else result.provenance.model_name


def _decision(c: CheckResult) -> str:
    """The check's decision (older results: derived from its outcome and interval)."""
    return c.decision or decision_of(c.outcome, c.kind, c.decision_interval or c.estimate)


def _weight(c: CheckResult) -> float:
    """Materiality (gap size in limits x evidence), for ordering; 0 when not recorded."""
    return c.materiality or 0.0


def decisive_checks(result: AuditResult) -> tuple[list[CheckResult], int]:
    """(the failing checks, then up to MAX_REVIEWS material reviews; how many more).

    A material review is a check whose gap may exceed the limit (decision "review"), not
    one that lacks data to tell ("undecided"). Single attributes come before
    combinations; within each kind, the most material first.
    """
    family = {t.attribute: t.family for t in result.fairness}

    def order(c: CheckResult) -> tuple[bool, float]:
        return family.get(c.attribute) == "intersection", -_weight(c)

    fails = sorted((c for c in result.verdict.checks if _decision(c) == "fail"), key=order)
    reviews = sorted((c for c in result.verdict.checks if _decision(c) == "review"), key=order)
    return fails + reviews[:MAX_REVIEWS], max(0, len(reviews) - MAX_REVIEWS)


def _anchor(result: AuditResult, attribute: str) -> str:
    """The id of an attribute's article in the appendix (see the fairness template)."""
    index = next((i for i, t in enumerate(result.fairness, 1) if t.attribute == attribute), 0)
    return f"attr-{index}"


def _blocks(result: AuditResult, checks: list[CheckResult]) -> list[dict[str, Any]]:
    """The checks grouped by (outcome, attribute, criterion), in the order first met.

    A group whose equalized-odds gap repeats its equal-opportunity gap is shown once.
    """
    blocks: dict[tuple[str, str, str], dict[str, Any]] = {}
    seen: set[tuple[str, str, float | None]] = set()
    for c in checks:
        if (c.attribute, c.group, c.estimate.value) in seen:
            continue
        seen.add((c.attribute, c.group, c.estimate.value))
        value, ci, limit = check_numbers(c)
        key = (c.outcome, c.attribute, c.criterion)
        if key not in blocks:
            table = table_of(result, c.attribute)
            blocks[key] = {
                "outcome": c.outcome, "what": criterion_title(result, c.criterion),
                "attribute": c.attribute, "anchor": _anchor(result, c.attribute),
                "combination": table is not None and table.family == "intersection",
                "reference": who(result, c.attribute, c.reference),
                "compared": compared_with(c.criterion, who(result, c.attribute, c.reference)),
                "limit": limit, "rows": []}
        if c.criterion == "equalized_odds" and c.metric in METRICS:  # two rates: say which
            value = f"{value} ({METRICS[c.metric].label})"
        blocks[key]["rows"].append({"group": who(result, c.attribute, c.group),
                                    "value": value, "ci": ci})
    return list(blocks.values())


def signed_context(result: AuditResult) -> dict[str, Any]:
    """``signed``: contents, decisive checks, recommendation and sign-off facts."""
    checks, more = decisive_checks(result)
    n_fail = sum(c.outcome == "fail" for c in result.verdict.checks)
    n_review = sum(_decision(c) == "review" for c in result.verdict.checks)
    policy = next((f for f in result.provenance.files if f.role == "policy"), None)
    return {"signed": {
        "title": display_name(result),
        "contents": SIGNED, "appendix": APPENDIX,
        "intro": DECISIVE_INTRO if checks else NO_DECISIVE,
        "blocks": _blocks(result, checks),
        "more": decisive_more(more) if more else "",
        "recommendation": recommendation(result.verdict.verdict, result.spec.mode,
                                         n_fail, n_review, {c.criterion for c in
                                                            result.verdict.checks
                                                            if c.outcome == "fail"}),
        "decisions": DECISIONS,
        "policy_source": policy_source(policy.path if policy else None),
        "policy_sha256": result.provenance.policy_sha256,
        "outcome_meaning": outcome_meaning(result.spec.positive_label, result.spec.positive_is),
        "scores_line": scores_meaning(result.spec.scores_are_probabilities),
    }}
