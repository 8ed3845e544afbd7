"""How to read this report: definitions, formulas, the rules the audit used, the glossary."""

from __future__ import annotations

from typing import Any

from ..._result.audit import AuditResult
from ..._result.complexity import SCORE_FORMULA, WEIGHTS
from ..._result.metrics import CRITERIA, METRICS
from ..._result.troublemakers import FlagThresholds
from ..._words.report import SHAP_FORMULAS, flag_rules, glossary, weights_text
from ..._words.verdict import DECISION_RULE, MARKS_LEGEND
from ._common import words


def _measures(task: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(metrics, criteria) of the audited task: label, plain definition, formula or metrics."""
    metrics = [{"key": k, "label": m.label, "definition": m.definition, "formula": m.formula}
               for k, m in METRICS.items() if m.task == task]
    criteria = [{"label": c.label, "definition": c.definition,
                 "metrics": ", ".join(METRICS[k].label for k in c.metrics if k in METRICS)}
                for c in CRITERIA.values() if c.task == task]
    return metrics, criteria


def _score(result: AuditResult) -> dict[str, Any]:
    """The interpretability score as the result recorded it (the documented one if absent)."""
    c = result.complexity
    if c is None:
        return {"components": [], "score_formula": SCORE_FORMULA,
                "weights": weights_text(WEIGHTS)}
    components = [{"title": x.title, "meaning": x.meaning, "formula": x.formula,
                   "weight": f"{x.weight:.2f}"} for x in c.model.components]
    recorded = {x.key: x.weight for x in c.model.components} or WEIGHTS
    return {"components": components, "score_formula": c.score_formula,
            "weights": weights_text(recorded)}


def methodology_context(result: AuditResult) -> dict[str, Any]:
    """Definitions and formulas for the method section, plus the glossary.

    Returns
    -------
    dict
        ``metrics`` and ``criteria`` (label, plain definition, formula) for the
        audited task, ``shap`` (plain sentence, formula, detail), ``score_formula``,
        ``weights`` and ``components`` of the interpretability score (as recorded
        in the result), ``thresholds`` (the proxy and flag rules with the
        thresholds the analysis recorded; the defaults when it did not run) and
        ``glossary``.
    """
    verb, noun = words(result)
    metrics, criteria = _measures(result.spec.task)
    thr = result.troublemakers.thresholds if result.troublemakers else FlagThresholds()
    return {"metrics": metrics, "criteria": criteria, "marks_legend": MARKS_LEGEND,
            # the rule as the result recorded it (verdict.rules), the documented one if absent
            "decision_rule": result.verdict.rules.get("decision") or DECISION_RULE,
            "shap": [{"plain": a, "formula": b, "detail": c} for a, b, c in SHAP_FORMULAS],
            **_score(result), "thresholds": flag_rules(thr),
            "glossary": glossary(verb, noun, result.spec.positive_is)}
