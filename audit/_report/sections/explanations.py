"""What drives the model overall, and what drives each failing gap (at most 6 charts)."""

from __future__ import annotations

from typing import Any

from ..._result.audit import AuditResult
from ..._result.explanation import DriverSummary, Explanation, GapDecomposition
from ..._words.explain import driver_sentence
from ..._words.report import (
    BEESWARM_CAPTION,
    CHARTS_LEFT_OUT,
    NO_ROWS_SAMPLED,
    additivity_check,
    capitalise,
    gap_drivers_caption,
    gap_sentence,
    group_comparison_caption,
    importance_caption,
    importance_lead,
    more_groups_note,
    no_breakdown,
    protected_inputs_lead,
    reading_guide,
    sample_clause,
    share,
    sig,
    too_many_groups_note,
)
from ..charts.explanations import (
    plot_beeswarm,
    plot_gap_drivers,
    plot_global_importance,
    plot_group_comparison,
)
from ._common import who, why_not_run, words
from .fairness import FAMILY_ORDER, notable_gaps

#: Most charts the explanations section shows (importance + beeswarm + per-attribute charts).
MAX_EXPLANATION_CHARTS = 6
#: A per-group comparison chart is drawn only for attributes with at most this many groups.
MAX_GROUPS_IN_COMPARISON = 8
#: Gap sentences shown per attribute in the explanations section.
MAX_GAP_SENTENCES = 3
#: A gap driver is named in a sentence only when it holds at least this share of the gap.
MIN_DRIVER_SHARE = 0.05

_GAP_CRITERIA = ("demographic_parity", "equal_opportunity", "mean_prediction", "mae")
_BAD = ("fail", "review")


def _bad_attributes(result: AuditResult) -> list[tuple[str, str, list[str]]]:
    """(attribute, worst outcome, groups with a failing/review gap check), most severe first.

    Only single attributes (not intersections) and only the gap criteria that SHAP
    decomposes: selection rate and equal opportunity (average prediction and error
    for regression).
    """
    families = {t.attribute: t.family for t in result.fairness}
    order: dict[str, tuple[str, list[str]]] = {}
    for gap in notable_gaps(result):
        if gap.criterion not in _GAP_CRITERIA or gap.outcome not in _BAD:
            continue
        if families.get(gap.attribute) == "intersection":
            continue
        outcome, groups = order.setdefault(gap.attribute, (gap.outcome, []))
        if gap.group not in groups:
            groups.append(gap.group)
    for c in result.verdict.checks:  # groups whose gap repeats a sentence already shown
        if c.criterion in _GAP_CRITERIA and c.outcome in _BAD and c.attribute in order \
                and c.group not in order[c.attribute][1]:
            order[c.attribute][1].append(c.group)
    ranked = sorted(order.items(), key=lambda kv: (
        0 if kv[1][0] == "fail" else 1, FAMILY_ORDER.get(families.get(kv[0], "other"), 4)))
    return [(a, o, gs) for a, (o, gs) in ranked]


def _combined_attributes(result: AuditResult) -> list[str]:
    """Combined attributes (intersections) with a failing or review gap of the kinds the
    breakdown covers, failing first: the breakdown does not cover them, the report says so."""
    combined = [t.attribute for t in result.fairness if t.family == "intersection"]
    worst: dict[str, str] = {}
    for c in result.verdict.checks:
        if c.attribute in combined and c.criterion in _GAP_CRITERIA and c.outcome in _BAD \
                and worst.get(c.attribute) != "fail":
            worst[c.attribute] = c.outcome
    return sorted(worst, key=lambda a: (worst[a] != "fail", combined.index(a)))


def _summary(expl: Explanation, attribute: str, group: str) -> DriverSummary | None:
    return next((s for s in expl.summaries if s.attribute == attribute and s.group == group),
                None)


def _decomposition(expl: Explanation, attribute: str, group: str) -> GapDecomposition | None:
    return next((d for d in expl.gaps if d.attribute == attribute and d.group == group), None)


def gap_text(result: AuditResult, s: DriverSummary, output_space: str) -> str:
    """The plain sentences about one group's gap, with the result's words and group names."""
    verb, _ = words(result)
    expl = getattr(result, "explanation", None)
    sample = (sample_clause(expl.n_sample, getattr(expl, "n_rows", 0) or result.spec.n_rows)
              if expl is not None else "")
    return gap_sentence(s, output_space, who=who(result, s.attribute, s.group),
                        ref=who(result, s.attribute, s.reference), verb=verb,
                        regression=result.spec.task == "regression",
                        min_share=MIN_DRIVER_SHARE, sample=sample)


def _lead(result: AuditResult, expl: Explanation) -> list[str]:
    """Which inputs the model leans on, and whether some are protected attributes."""
    imp = list(expl.global_importance)
    if not imp:
        return []
    total = sum(f.mean_abs_shap for f in imp) or 1.0
    top_share = sum(f.mean_abs_shap for f in imp[:3]) / total
    lead = [importance_lead([f.feature for f in imp[:3]], len(imp), top_share)]
    protected_inputs = [p.columns[0] for p in result.spec.protected
                        if p.is_model_input and p.columns]
    used = [c for c in protected_inputs if c in expl.features]
    if used:
        lead.append(protected_inputs_lead(used, {p.columns[0]: p.family
                                                 for p in result.spec.protected if p.columns}))
    return lead


def _overall_charts(expl: Explanation) -> list[dict[str, str]]:
    """The importance chart and the beeswarm, with captions."""
    svg, alt = plot_global_importance(expl)
    charts = [{"svg": svg, "alt": alt, "caption": importance_caption(expl.units)}]
    svg, alt = plot_beeswarm(expl)
    charts.append({"svg": svg, "alt": alt, "caption": BEESWARM_CAPTION})
    return charts


def _gap_sentences(result: AuditResult, expl: Explanation, attribute: str,
                   groups: list[str]) -> tuple[list[str], list[str]]:
    """(plain sentences, the explainer's own sentences) for the first groups' gaps."""
    plain: list[str] = []
    technical: list[str] = []
    for group in groups[:MAX_GAP_SENTENCES]:
        s = _summary(expl, attribute, group)
        if s is not None:
            plain.append(gap_text(result, s, expl.output_space))
            # worded again from its facts, so a stored audit.json prints clean minus signs too
            technical.append(driver_sentence(
                attribute=s.attribute, group=s.group, reference=s.reference, units=s.units,
                gap=s.gap, gap_pp=s.gap_pp, direction=s.direction, drivers=s.drivers))
        else:
            d = _decomposition(expl, attribute, group)
            reason = d.reason if d is not None and d.reason else NO_ROWS_SAMPLED
            plain.append(no_breakdown(who(result, attribute, group), reason))
    return plain, technical


def _attribute_charts(result: AuditResult, expl: Explanation, attribute: str,
                      groups: list[str], n_groups: int, budget: int) -> list[dict[str, str]]:
    """Up to two charts for one attribute (gap drivers, group comparison) within ``budget``."""
    charts: list[dict[str, str]] = []
    first = next((g for g in groups if (d := _decomposition(expl, attribute, g)) is not None
                  and d.reason is None and d.gap.value is not None), None)
    if first is not None and budget > 0:
        svg, alt = plot_gap_drivers(expl, attribute, first)
        dec = _decomposition(expl, attribute, first)
        ref = who(result, attribute, dec.reference if dec is not None else "")
        charts.append({"svg": svg, "alt": alt,
                       "caption": gap_drivers_caption(who(result, attribute, first), ref)})
        budget -= 1
    if budget > 0 and 2 <= n_groups <= MAX_GROUPS_IN_COMPARISON:
        svg, alt = plot_group_comparison(expl, attribute)
        charts.append({"svg": svg, "alt": alt, "caption": group_comparison_caption(attribute)})
    return charts


def _attribute_notes(attribute: str, groups: list[str], n_groups: int, charted: bool,
                     budget_left: int) -> list[str]:
    """Notes on what is left out: more groups, too many groups, charts over budget."""
    notes = []
    n_more = max(0, len(groups) - MAX_GAP_SENTENCES)
    if n_more:
        notes.append(more_groups_note(n_more))
    if n_groups > MAX_GROUPS_IN_COMPARISON:
        notes.append(too_many_groups_note(attribute, n_groups))
    elif not charted and budget_left <= 0:
        notes.append(CHARTS_LEFT_OUT)
    return notes


def _attributes(result: AuditResult, expl: Explanation,
                bad: list[tuple[str, str, list[str]]], budget: int) -> list[dict[str, Any]]:
    """Per attribute with a failing or review gap: sentences, charts (within budget), notes."""
    sizes = {g.attribute: sum(1 for x in g.groups if x.n > 0) for g in expl.groupings}
    out: list[dict[str, Any]] = []
    for attribute, outcome, groups in bad:
        if attribute not in sizes:
            continue
        plain, technical = _gap_sentences(result, expl, attribute, groups)
        charts = _attribute_charts(result, expl, attribute, groups, sizes[attribute], budget)
        budget -= len(charts)
        out.append({"name": attribute, "outcome": outcome, "sentences": plain,
                    "technical": technical, "charts": charts,
                    "notes": _attribute_notes(attribute, groups, sizes[attribute], bool(charts),
                                              budget)})
    return out


def _method(expl: Explanation) -> dict[str, Any]:
    """How the explanations were made: explainer, output space, additivity, sampling."""
    return {
        "explainer": expl.explainer_description,
        "space": expl.output_space,
        "units": expl.units,
        "base_value": sig(expl.base_value, 4),
        "check": additivity_check(expl.additivity_ok, expl.additivity_max_error,
                                  expl.additivity_tolerance),
        "note": capitalise(expl.note.strip()) if expl.note else "",
        "sampling": expl.sampling,
        "n_sample": expl.n_sample,
    }


def explanation_context(result: AuditResult) -> dict[str, Any]:
    """What drives the model overall and what drives each failing gap, with at most 6 charts.

    Returns
    -------
    dict
        ``ran``, ``why``, ``lead`` and ``reading`` (plain sentences), ``charts``
        (importance and beeswarm: ``svg``, ``alt``, ``caption``), ``importance``
        (table rows), ``attributes`` (per attribute with a failing or review gap:
        plain sentences, the explainer's own sentences and up to two charts),
        ``quiet`` (attributes without such a gap), ``combined`` (intersections with
        such a gap, which the breakdown does not cover) and ``method`` (explainer, output
        space, additivity check, explainer notes (fallbacks, float32 rounding), sampling).
    """
    expl = result.explanation
    if expl is None:
        return {"ran": False, "why": why_not_run(result, "explanations"), "lead": [],
                "reading": [], "charts": [], "importance": [], "attributes": [], "quiet": [],
                "combined": [], "method": {}}
    verb, noun = words(result)
    total = sum(f.mean_abs_shap for f in expl.global_importance) or 1.0
    charts = _overall_charts(expl)
    bad = _bad_attributes(result)
    named = {a for a, _, _ in bad}
    return {
        "ran": True, "why": "", "lead": _lead(result, expl),
        "reading": reading_guide(verb, noun, result.spec.task == "regression"),
        "charts": charts,
        "importance": [{"feature": f.feature, "value": sig(f.mean_abs_shap),
                        "share": share(f.mean_abs_shap / total)}
                       for f in expl.global_importance],
        "attributes": _attributes(result, expl, bad, MAX_EXPLANATION_CHARTS - len(charts)),
        "quiet": [g.attribute for g in expl.groupings if g.attribute not in named],
        "combined": _combined_attributes(result),
        "method": _method(expl),
    }
