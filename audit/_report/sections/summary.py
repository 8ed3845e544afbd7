"""The summary: verdict, its reasons and the headline findings (also all a notebook shows)."""

from __future__ import annotations

from typing import Any

from ..._result.audit import AuditResult
from ..._result.findings import title_of
from ..._result.verdict import decision_counts
from ..._words.report import (
    VERDICT_TEXT,
    complexity_headline,
    direct_use_headline,
    positive_first_line,
    proxy_headline,
)
from ..._words.text import isolate, isolate_names
from ..._words.verdict import counts_sentence
from ._common import check_title
from .fairness import GapSentence, decision, notable_gaps

#: Most gap findings of one attribute in the summary (so one attribute cannot fill it).
PER_ATTRIBUTE = 2


def headlines(result: AuditResult, limit: int = 5) -> list[GapSentence]:
    """The summary's gap findings: every verdict reason first, then the most material gaps.

    Each reason in the verdict box (a failing check code) gets the most material failing
    gap of its criterion; the other slots go to the next gaps in rank order (single
    attributes before combinations; fails, then material reviews; most material first), at
    most one per attribute and criterion and :data:`PER_ATTRIBUTE` per attribute. Undecided
    checks (too little data to tell) never take a slot.
    """
    gaps = notable_gaps(result)
    top: list[GapSentence] = []
    for code in result.verdict.reasons:
        first = next((g for g in gaps if g.code == code and g.decision == "fail"), None)
        if first is not None and first not in top:
            top.append(first)
    for g in gaps:
        if len(top) >= limit:
            break
        same = [t for t in top if t.attribute == g.attribute]
        if len(same) < PER_ATTRIBUTE and all(t.criterion != g.criterion for t in same):
            top.append(g)
    return top


def check_counts(result: AuditResult) -> str:
    """'15 checks fail, 23 need review for material gaps, 864 cannot be decided ...'."""
    family = {t.attribute: t.family for t in result.fairness}
    counts = decision_counts(result.verdict.checks)
    in_combinations = sum(decision(c) == "undecided" and family.get(c.attribute) == "intersection"
                          for c in result.verdict.checks)
    return counts_sentence(counts, in_combinations)


def other_headlines(result: AuditResult) -> list[tuple[str, str, str]]:
    """Non-gap findings for the executive summary: (outcome tag, sentence, next step)."""
    out: list[tuple[str, str, str]] = []
    tm = result.troublemakers
    proxy = next((f for f in tm.flags if f.kind == "proxy_driver"), None) if tm else None
    if proxy is not None:
        text, step = proxy_headline(proxy, result.spec.mode != "predictions")
        out.append(("review", text, isolate_names(step, (proxy.feature, proxy.attribute))))
    direct = [f.subject for f in result.findings if f.code == "SPEC001"]
    if direct:
        column = {p.name: p.columns[0] for p in result.spec.protected if p.columns}
        families = {p.columns[0]: p.family for p in result.spec.protected if p.columns}
        out.append(("review", *direct_use_headline([column.get(d, d) for d in direct],
                                                   families)))
    c = result.complexity
    if c is not None and c.outcome in ("does_not_pay", "review", "simpler_but_worse", "withheld"):
        out.append(("review", *complexity_headline(c.outcome)))
    return out


def positive_line(result: AuditResult) -> str:
    """What the positive label was read as, when the audit assumed or inferred it."""
    spec = result.spec
    line = positive_first_line(spec.positive_note, spec.positive_label, spec.target,
                               spec.positive_is, spec.positive_how)
    # the column's name, quoted in the recorded note, becomes an isolated data value
    return line.replace(f"'{spec.target}'", isolate(spec.target)) if spec.target else line


def summary_context(result: AuditResult) -> dict[str, Any]:
    """What the summary section needs (also all a notebook shows): no charts."""
    return {
        "r": result,
        "spec": result.spec,
        "verdict": result.verdict.verdict,
        "verdict_text": VERDICT_TEXT[result.verdict.verdict],
        "reasons": [(code, check_title(result, code)) for code in result.verdict.reasons],
        "reason_codes": [(code, title_of(code)) for code in result.verdict.reasons],
        "positive_line": positive_line(result),
        "headlines": headlines(result, 5),
        "check_counts": check_counts(result) if result.verdict.checks else "",
        "other_headlines": other_headlines(result)[:2],
    }
