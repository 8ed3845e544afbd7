"""Fairness by group: per-attribute tables and charts, and the gaps worth a sentence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..._result.audit import AuditResult
from ..._result.checks import CRITERION_CHECKS
from ..._result.findings import Outcome
from ..._result.metrics import CRITERIA, METRICS
from ..._result.tables import AttributeTable
from ..._result.verdict import DECISIONS, CheckResult, Decision, decision_of
from ..._words.report import (
    PRINT_FAIRNESS_NOTE,
    check_sentence,
    folded_print,
    next_step,
    people,
)
from ..._words.verdict import (
    DECISION_MARK,
    decided_by,
    decided_short,
    folded_rows,
    material_review_next,
    min_group_rule,
    own_check,
    table_caption,
    which_interval_decides,
)
from ..charts.fairness import selection_chart
from ._common import words

#: Order of attribute families when several attributes compete for a headline.
FAMILY_ORDER = {"race": 0, "gender": 1, "age": 2, "geography": 3, "other": 4, "intersection": 5}
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
    decision: Decision = "review"
    materiality: float = 0.0
    intersection: bool = False
    decided: str = ""  # the interval that decided, in words ('' when none)

    @property
    def code(self) -> str:
        """The check code of the gap's criterion (FAIR001 ...)."""
        check = CRITERION_CHECKS.get(self.criterion)
        return check.code if check is not None else ""


def decision(c: CheckResult) -> Decision:
    """A check's decision (worked out from its outcome and interval in older results)."""
    return c.decision or decision_of(c.outcome, c.kind, c.decision_interval or c.estimate)


def rank_key(c: CheckResult, intersection: bool) -> tuple[bool, int, float]:
    """Order of gaps everywhere in the report: single attributes before combinations; fails,
    then material reviews; then the most material first."""
    return intersection, DECISIONS.index(decision(c)), -(c.materiality or 0.0)


def _sentence(c: CheckResult, table: AttributeTable, verb: str, noun: str,
              positive_is: str | None = None) -> str:
    """The plain sentence of one check, naming the group's and the reference's people."""
    g = people(table.family, c.group, noun, table.attribute)
    r = people(table.family, c.reference, noun, table.attribute)
    return check_sentence(c, g, r, verb, noun, positive_is)


def notable_gaps(result: AuditResult, limit: int | None = None) -> list[GapSentence]:
    """A sentence for each check that fails or needs review for a material gap.

    Most material first (see :func:`rank_key`). Undecided checks (too little data to tell)
    get no sentence: they are counted, not told.
    """
    verb, noun = words(result)
    tables = {t.attribute: t for t in result.fairness}
    told = [c for c in result.verdict.checks
            if decision(c) in ("fail", "review") and c.estimate.value is not None
            and c.attribute in tables]
    ordered = sorted(told, key=lambda c: rank_key(c, tables[c.attribute].family
                                                  == "intersection"))
    out: list[GapSentence] = []
    seen: set[str] = set()
    for c in ordered:
        text = _sentence(c, tables[c.attribute], verb, noun, result.spec.positive_is)
        if text in seen:  # equalized odds often repeats the equal-opportunity sentence
            continue
        seen.add(text)
        d = decision(c)
        ratio = ((c.estimate.value, c.threshold)
                 if c.kind == "ratio" and c.estimate.value and c.threshold else None)
        step = (next_step(c.criterion, "fail", mode=result.spec.mode, ratio=ratio,
                          positive_is=result.spec.positive_is) if d == "fail"
                else material_review_next())
        out.append(GapSentence(c.attribute, c.criterion, c.group, c.outcome, text, step, d,
                               c.materiality or 0.0,
                               tables[c.attribute].family == "intersection",
                               _decided_text(c)))
    return out[:limit] if limit is not None else out


#: Attributes with more groups than this show their failing and review rows (and the
#: reference); the other rows are folded into a <details> element (printed open).
FOLD_ABOVE = 12
#: The mark of each decision in the group tables: a symbol, never colour alone.
MARK = {"fail": "✖", "review": "◆", "undecided": "○", "pass": ""}


def _worst_check(checks: list[CheckResult]) -> CheckResult:
    """The check that decides a cell or a row: worst decision, then most material."""
    return min(checks, key=lambda c: (DECISIONS.index(decision(c)), -(c.materiality or 0.0)))


def _decided_text(c: CheckResult) -> str:
    """'decided on the 99.4% simultaneous (Holm-corrected) interval 0.76 to 1.16'."""
    e = c.decision_interval
    if e is None:
        return ""
    plain = c.decision_confidence is None or abs(c.decision_confidence - 0.95) < 1e-9
    return decided_by(e.lo, e.hi, c.decision_confidence, c.kind == "ratio", not plain,
                      what=c.kind, limit=c.threshold)


def _plain_inside(c: CheckResult) -> bool:
    """Whether the plain 95% interval lies inside the limit (yet the check did not pass)."""
    lo, hi, t = c.estimate.lo, c.estimate.hi, c.threshold
    if lo is None or hi is None:
        return False
    return t <= lo and hi <= 1 / t if c.kind == "ratio" else -t <= lo and hi <= t


def _cell(checks: list[CheckResult]) -> dict[str, str]:
    """A metric cell's mark: its worst check's decision, symbol and deciding interval."""
    c = _worst_check(checks)
    d = decision(c)
    # the deciding interval is shown beside every mark the plain 95% interval cannot explain
    told = d in ("fail", "review") or (d == "undecided" and _plain_inside(c))
    e = c.decision_interval
    short = "" if e is None or not told else decided_short(e.lo, e.hi, c.decision_confidence,
                                                           c.kind == "ratio", c.threshold)
    return {"decision": d, "mark": MARK[d], "label": DECISION_MARK[d], "decided": short,
            "decided_long": _decided_text(c) if told else ""}


def criterion_label(key: str) -> str:
    """A criterion's short name in words ('equal opportunity', 'calibration')."""
    crit = CRITERIA.get(key)
    return crit.label if crit is not None else key.replace("_", " ")


def _rows(result: AuditResult, t: AttributeTable) -> list[dict[str, Any]]:
    """Each group row with its marks: per metric column and for the whole row."""
    mine = [c for c in result.verdict.checks if c.attribute == t.attribute]
    rows = []
    for g in t.groups:
        checks = [c for c in mine if c.group == g.group]
        by_metric: dict[str, list[CheckResult]] = {}
        for c in checks:
            by_metric.setdefault(c.metric, []).append(c)
        row = _cell(checks) if checks else None
        is_ref = g.group == t.reference
        rows.append({"g": g, "is_ref": is_ref, "result": row,
                     "cells": {k: _cell(v) for k, v in by_metric.items()},
                     # the reference is not compared with itself: its row names the checks
                     # that do apply to it (calibration compares it with its own outcomes)
                     # when they do not pass (a pass shows in the cell's own column)
                     "ref_checks": [own_check(criterion_label(c.criterion), _cell([c])["label"])
                                    for c in checks if decision(c) != "pass"]
                     if is_ref else []})
    return rows


def _split_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows shown, rows folded): large tables show the reference and the told rows."""
    if len(rows) <= FOLD_ABOVE:
        return rows, []
    shown = [r for r in rows if r["is_ref"] or (r["result"] is not None and
                                                 r["result"]["decision"] in ("fail", "review"))]
    return shown, [r for r in rows if r not in shown]


def _folded_print(folded: list[dict[str, Any]]) -> str:
    """What print shows instead of the folded rows: their groups by decision, with sizes."""
    if not folded:
        return ""
    groups = [((r["result"] or {}).get("decision", "none"), r["g"].group, r["g"].n)
              for r in folded]
    return folded_print(groups, folded_rows(len(folded)))


def _attribute(result: AuditResult, t: AttributeTable, gaps: list[GapSentence],
               verb: str) -> dict[str, Any]:
    """One attribute's table rows (shown and folded), selection chart, sentences and worst."""
    dp = {c.group: c for c in result.verdict.checks
          if c.attribute == t.attribute and c.criterion == "demographic_parity"}
    outcomes: dict[str, str] = {g: decision(c) for g, c in dp.items()}  # undecided draws as such
    chart = None
    if result.spec.task == "binary" and len(t.groups) >= 2:
        svg, alt = selection_chart(t, outcomes, result.verdict.policy.selection_rate_ratio_min,
                                   verb)
        chart = {"svg": svg, "alt": alt}
    decided = [decision(c) for c in result.verdict.checks if c.attribute == t.attribute]
    checked = {c.metric for c in result.verdict.checks if c.attribute == t.attribute}
    shown, folded = _split_rows(_rows(result, t))
    short = t.family == "intersection" or bool(folded)  # printed shortened
    holm = result.verdict.policy.multiple_testing == "holm" and any(
        c.p_beyond is not None for c in result.verdict.checks if c.attribute == t.attribute)
    return {
        "table": t,
        "chart": chart,
        "sentences": [g.text for g in gaps if g.attribute == t.attribute],
        "is_intersection": t.family == "intersection",
        "worst": min(decided, key=DECISIONS.index) if decided else None,
        "worst_label": DECISION_MARK[min(decided, key=DECISIONS.index)] if decided else "",
        "rows": shown,
        "folded": folded,
        "folded_summary": folded_rows(len(folded)) if folded else "",
        "folded_print": _folded_print(folded),
        # columns that carry no check are left out of a shortened table in print
        "print_drop": {g for m in t.groups for g in m.metrics if g not in checked}
        if short and checked else set(),
        "which_interval": which_interval_decides(len(t.groups) - 1, holm),
        "caption": table_caption(t.attribute, len(t.groups), len(folded)),
    }


def fairness_context(result: AuditResult) -> dict[str, Any]:
    """``attributes`` (one per table), ``metric_columns`` shown, ``metrics``, ``verb`` and
    the rule that leaves groups unjudged."""
    verb, _ = words(result)
    gaps = notable_gaps(result)
    columns = BINARY_COLUMNS if result.spec.task == "binary" else REGRESSION_COLUMNS
    present = [c for c in columns
               if any(c in g.metrics for t in result.fairness for g in t.groups)]
    cfg = result.provenance.config
    return {
        "attributes": [_attribute(result, t, gaps, verb) for t in result.fairness],
        "metric_columns": [(c, METRICS[c]) for c in present],
        "metrics": METRICS,
        "verb": verb,
        "print_note": PRINT_FAIRNESS_NOTE if any(
            t.family == "intersection" or len(t.groups) > FOLD_ABOVE for t in result.fairness)
        else "",
        "rules": [result.verdict.rules[k] for k in ("decision", "decision_interval",
                                                     "materiality")
                  if k in result.verdict.rules],
        "unjudged_rule": min_group_rule(str(cfg.get("min_group_size", "30")),
                                        str(cfg.get("max_ci_width", "0.3"))),
    }
