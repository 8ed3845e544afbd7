"""The summary: verdict, its reasons and the headline findings (also all a notebook shows)."""

from __future__ import annotations

from typing import Any

from ..._result.audit import AuditResult
from ..._result.findings import OUTCOME_RANK, title_of
from ..._words.report import (
    VERDICT_TEXT,
    complexity_headline,
    direct_use_headline,
    proxy_headline,
)
from .fairness import FAMILY_ORDER, GapSentence, notable_gaps


def headlines(result: AuditResult, limit: int = 5) -> list[GapSentence]:
    """The worst gap of each attribute, in family order (race, gender, age, geography...).

    The remaining slots are filled with the next most severe gaps.
    """
    family = {t.attribute: t.family for t in result.fairness}
    gaps = notable_gaps(result)
    firsts: dict[str, GapSentence] = {}
    for g in gaps:
        firsts.setdefault(g.attribute, g)
    top = sorted(firsts.values(), key=lambda g: (
        family[g.attribute] == "intersection", -OUTCOME_RANK[g.outcome],
        FAMILY_ORDER.get(family[g.attribute], 4)))[:limit]
    rest = [g for g in gaps if g not in top and family[g.attribute] != "intersection"]
    return top + rest[: max(0, limit - len(top))]


def other_headlines(result: AuditResult) -> list[tuple[str, str, str]]:
    """Non-gap findings for the executive summary: (outcome tag, sentence, next step)."""
    out: list[tuple[str, str, str]] = []
    tm = result.troublemakers
    proxy = next((f for f in tm.flags if f.kind == "proxy_driver"), None) if tm else None
    if proxy is not None:
        out.append(("review", *proxy_headline(proxy.feature, proxy.attribute,
                                              proxy.driver_share, proxy.driver_group)))
    direct = [f.subject for f in result.findings if f.code == "SPEC001"]
    if direct:
        out.append(("review", *direct_use_headline(direct)))
    c = result.complexity
    if c is not None and c.outcome in ("does_not_pay", "review"):
        out.append(("review", *complexity_headline(c.outcome)))
    return out


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
