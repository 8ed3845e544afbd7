"""Template context for the performance, explanation, complexity, flag and method sections.

Pure python, like :mod:`audit._report.context`: every word a reader sees in these
sections is decided here (or comes from the result itself); the templates in
``reports/templates/sections/`` only lay things out.  Each ``*_context`` function
takes an :class:`~audit._result.AuditResult` and returns a plain ``dict``.  When
a part of the audit did not run, its dict has ``ran=False`` and ``why`` holds one
plain sentence built from ``result.skipped``.

Sentences are kept short on purpose (the report is read by compliance reviewers,
not only by engineers); numbers for engineers go into the tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .._complexity.assess import SCORE_FORMULA, WEIGHTS, Complexity, Component
from .._explain.explain import CANCEL_SHARE, DriverSummary, Explanation, GapDecomposition
from .._fairness.metrics import CRITERIA, METRICS
from .._fairness.verdict import CRITERION_CHECKS
from .._result.audit import AuditResult
from .._result.tables import AttributeTable, Estimate
from .._troublemakers.flags import (
    Flag,
    FlagThresholds,
    LossTerm,
    Troublemakers,
    WhatIf,
    WhatIfExperiment,
    WhatIfRun,
)
from .plots_explain import plot_beeswarm, plot_gap_drivers, plot_global_importance, plot_group_comparison
from .sentences import FAMILY_ORDER, capitalise, notable_gaps, people

__all__ = [
    "MAX_EXPLANATION_CHARTS",
    "complexity_context",
    "explanation_context",
    "extra_context",
    "flags_context",
    "glossary",
    "methodology_context",
    "performance_context",
]

#: Most charts the explanations section shows (importance + beeswarm + per-attribute charts).
MAX_EXPLANATION_CHARTS = 6
#: A per-group comparison chart is drawn only for attributes with at most this many groups.
MAX_GROUPS_IN_COMPARISON = 8
#: Gap sentences shown per attribute in the explanations section.
MAX_GAP_SENTENCES = 3
#: Rows of the proxy-strength table.
MAX_PROXY_ROWS = 10
#: Rows of the loss-term table before the rest is folded away.
MAX_TERM_ROWS = 6
#: A gap driver is named in a sentence only when it holds at least this share of the gap.
MIN_DRIVER_SHARE = 0.05

_NUMBER_WORDS = {2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six", 7: "Seven", 8: "Eight",
                 9: "Nine"}
_GAP_CRITERIA = ("demographic_parity", "equal_opportunity", "mean_prediction", "mae")
_BAD = ("fail", "review")


# --------------------------------------------------------------------------- helpers


def _words(result: AuditResult) -> tuple[str, str]:
    cfg = result.provenance.config
    return cfg.get("outcome_verb", "selected"), cfg.get("subject_noun", "people")


def _not_run(result: AuditResult, *keys: str) -> str:
    """One plain sentence saying why a section did not run."""
    for key in keys:
        why = result.skipped.get(key)
        if why:
            why = why.strip().rstrip(".")
            return f"This part of the audit did not run: {why}."
    return "This part of the audit did not run."


def _finite(x: float | None) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def _p(x: float | None) -> str:
    """A share as a whole percentage for sentences: 0.8518 -> '85%' (one decimal below 10%)."""
    if not _finite(x):
        return "–"
    assert x is not None
    v = 100 * x
    return f"{v:.1f}%" if abs(v) < 10 and abs(v) != 0 else f"{v:.0f}%"


def _p_ci(e: Estimate) -> str:
    """' (95% CI 84–86%)' or ''."""
    if not (_finite(e.lo) and _finite(e.hi)):
        return ""
    assert e.lo is not None and e.hi is not None
    lo, hi = 100 * e.lo, 100 * e.hi
    digits = 1 if max(abs(lo), abs(hi)) < 10 else 0
    return f" (95% CI {lo:.{digits}f}–{hi:.{digits}f}%)"


def _pts(x: float | None) -> str:
    """A difference of proportions in points: 0.1234 -> '12 points', 0.034 -> '3.4 points'."""
    if not _finite(x):
        return "–"
    assert x is not None
    v = abs(100 * x)
    return f"{v:.0f} points" if v >= 10 else f"{v:.1f} points"


def _sig(x: float | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits, thousands separated, '–' if undefined."""
    if not _finite(x):
        return "–"
    assert x is not None
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    return f"{x:,.{decimals}f}"


def _fixed(x: float | None, digits: int = 3) -> str:
    return f"{x:.{digits}f}" if _finite(x) else "–"


def _cell(e: Estimate | None, fmt: str = "fixed", digits: int = 3) -> dict[str, str]:
    """A table cell: value and interval as separate strings (the template styles them)."""
    if e is None:
        return {"value": "n/a", "ci": "", "reason": "not measured"}
    if e.value is None:
        return {"value": "undefined", "ci": "", "reason": e.reason or "undefined"}
    if fmt == "pct":
        def f(x: float | None) -> str:
            return f"{100 * x:.1f}%" if _finite(x) else "–"  # type: ignore[operator]
    elif fmt == "pp":
        def f(x: float | None) -> str:
            return f"{100 * x:.1f}" if _finite(x) else "–"  # type: ignore[operator]
    elif fmt == "pts":
        def f(x: float | None) -> str:
            if not _finite(x):
                return "–"
            text = f"{100 * x:+.1f}"  # type: ignore[operator]
            return "0.0" if text in ("+0.0", "-0.0") else text
    elif fmt == "sig":
        def f(x: float | None) -> str:
            return _sig(x, digits)
    else:
        def f(x: float | None) -> str:
            return _fixed(x, digits)
    ci = f"{f(e.lo)} to {f(e.hi)}" if _finite(e.lo) and _finite(e.hi) else ""
    return {"value": f(e.value), "ci": ci, "reason": ""}


def _table(result: AuditResult, attribute: str) -> AttributeTable | None:
    return next((t for t in result.fairness if t.attribute == attribute), None)


def _who(result: AuditResult, attribute: str, group: str) -> str:
    """Plain name of a group's people ('Black applicants', 'women')."""
    _, noun = _words(result)
    t = _table(result, attribute)
    family = t.family if t is not None else "other"
    return people(family, group, noun, attribute)


def _criterion_title(key: str) -> str:
    check = CRITERION_CHECKS.get(key)
    if check is not None:
        return check.title
    crit = CRITERIA.get(key)
    return crit.label if crit is not None else key.replace("_", " ")


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --------------------------------------------------------------------------- performance


def performance_context(result: AuditResult) -> dict[str, Any]:
    """How well the model works overall, in plain sentences and an engineer's table.

    Parameters
    ----------
    result : AuditResult
        The audit result; ``result.overall`` holds the whole population as one group.

    Returns
    -------
    dict
        ``ran``, ``why``, ``sentences`` (plain), ``baseline`` (sentences and rows
        comparing the model with the transparent baseline, or ``None``),
        ``rows`` (metric, value, interval, meaning, formula), ``n`` and ``n_boot``.
    """
    verb, noun = _words(result)
    groups = result.overall.groups
    if not groups:
        return {"ran": False, "why": _not_run(result, "performance"), "sentences": [],
                "baseline": None, "rows": [], "n": 0, "n_boot": result.provenance.n_boot,
                "task": result.spec.task}
    g = groups[0]
    m = g.metrics
    sentences: list[str] = []

    def has(key: str) -> bool:
        return key in m and m[key].value is not None

    if result.spec.task == "binary":
        if has("selection_rate"):
            s = f"The model {verb} {_p(m['selection_rate'].value)} of {noun}"
            s += _p_ci(m["selection_rate"]) + "."
            if has("base_rate"):
                s += f" In the data, {_p(m['base_rate'].value)} truly qualified."
            sentences.append(s)
        if has("tpr"):
            sentences.append(f"Of {noun} who truly qualified, the model {verb} "
                             f"{_p(m['tpr'].value)}{_p_ci(m['tpr'])}.")
        if has("fnr"):
            sentences.append(f"It missed the other {_p(m['fnr'].value)}{_p_ci(m['fnr'])}: "
                             f"they qualified but were not {verb}.")
        if has("fpr"):
            sentences.append(f"Of {noun} who did not qualify, the model still {verb} "
                             f"{_p(m['fpr'].value)}{_p_ci(m['fpr'])}.")
        if has("ppv"):
            sentences.append(f"When the model {verb} someone, it was right "
                             f"{_p(m['ppv'].value)} of the time{_p_ci(m['ppv'])}.")
        if has("accuracy"):
            sentences.append(f"Overall, its decision matched the true outcome for "
                             f"{_p(m['accuracy'].value)} of {noun}{_p_ci(m['accuracy'])}.")
        if has("auc"):
            sentences.append(
                f"Take two {noun}, one who qualified and one who did not. The model gives the "
                f"one who qualified the higher score {_p(m['auc'].value)} of the time"
                f"{_p_ci(m['auc'])}. A coin toss would do this 50% of the time.")
        if not has("tpr") and not has("accuracy"):
            sentences.append("There is no true outcome to compare with, so we cannot say how "
                             "often the model was right.")
        keys: tuple[str, ...] = ("selection_rate", "base_rate", "tpr", "fnr", "fpr", "tnr", "ppv", "npv",
                "accuracy", "auc", "mean_score", "calibration_gap")
    else:
        def num(key: str) -> str:
            e = m[key]
            ci = (f" (95% CI {_sig(e.lo)} to {_sig(e.hi)})"
                  if _finite(e.lo) and _finite(e.hi) else "")
            return _sig(e.value) + ci

        if has("mae"):
            sentences.append(f"On average, the model's prediction was off by {num('mae')}.")
        if has("rmse"):
            sentences.append(f"If large errors count more, the typical error was {num('rmse')}.")
        if has("mean_prediction") and has("mean_target"):
            sentences.append(f"The average prediction was {_sig(m['mean_prediction'].value)}. "
                             f"The average true value was {_sig(m['mean_target'].value)}.")
        elif has("mean_prediction"):
            sentences.append(f"The average prediction was {num('mean_prediction')}.")
        if not has("mae"):
            sentences.append("There is no true outcome to compare with, so we cannot say how "
                             "far off the model was.")
        keys = ("mean_prediction", "mean_target", "mae", "rmse")
    rows = []
    for key in keys:
        if key not in m or key not in METRICS:
            continue
        md = METRICS[key]
        pct_like = result.spec.task == "binary" and key not in ("auc", "calibration_gap")
        cell = _cell(m[key], "pct" if pct_like else ("fixed" if key != "mean_prediction"
                                                      and result.spec.task == "binary"
                                                      else "sig"))
        if key == "calibration_gap":
            cell = _cell(m[key], "pts")
            cell["value"] += " points" if cell["value"] not in ("undefined", "n/a") else ""
        rows.append({"key": key, "label": md.label, "definition": md.definition,
                     "formula": md.formula, **cell})
    return {
        "ran": True,
        "why": "",
        "task": result.spec.task,
        "sentences": sentences,
        "baseline": _baseline_compare(result),
        "rows": rows,
        "n": g.n,
        "n_boot": result.provenance.n_boot,
    }


_METRIC_PLAIN = {"auc": "ranking quality (AUC)", "accuracy": "accuracy",
                 "r2": "share of variation explained (R²)"}


def _baseline_compare(result: AuditResult) -> dict[str, Any] | None:
    c = result.complexity
    if c is None:
        why = result.skipped.get("complexity")
        if not why:
            return None
        return {"sentences": [], "rows": [], "note": "",
                "why": "The comparison with a simple model did not run: "
                       f"{why.strip().rstrip('.')}."}
    rows = []
    if c.metric is not None:
        rows.append({"name": "Audited model", "what": c.model.description,
                     "metric": _fixed(c.model_metric), "how": "on the audit rows (as given)",
                     "score": _fixed(c.model.score, 0)})
        for b in c.baselines:
            folds = [v for v in b.fold_values if _finite(v)]
            spread = (f"; folds {min(folds):.3f}–{max(folds):.3f}"  # type: ignore[type-var]
                      if len(folds) > 1 else "")
            rows.append({
                "name": capitalise(b.interpretability.subject),
                "what": b.name,
                "metric": _fixed(b.metric_value) if b.reason is None else "–",
                "how": (f"{c.cv}-fold cross-validated{spread}" if b.reason is None
                        else b.reason),
                "score": _fixed(b.interpretability.score, 0),
            })
    base = next((b for b in c.baselines if b.key == c.compared_with), None)
    sentences: list[str] = []
    if c.metric is not None and _finite(c.model_metric) and base is not None \
            and _finite(base.metric_value):
        label = _METRIC_PLAIN.get(c.metric, c.metric_label)
        sentences.append(
            f"We also trained a simple model that a person can read in full. On the same "
            f"{c.n_rows_used:,} rows, its {label} was {_fixed(base.metric_value)}; the audited "
            f"model's was {_fixed(c.model_metric)}.")
        tol = c.thresholds.get("min_gain", 0.01)
        gain = c.gain if c.gain is not None else 0.0
        if abs(gain) < tol:
            sentences.append("So the audited model is about as good as the simple one.")
        elif gain > 0:
            sentences.append(f"So the audited model is better, by {gain:.3f}.")
        else:
            sentences.append(f"So the simple model is better, by {-gain:.3f}.")
    elif c.reason:
        sentences.append(f"The comparison with a simple model was not possible: "
                         f"{c.reason.strip().rstrip('.')}.")
    return {"sentences": sentences, "rows": rows, "note": c.model_metric_note,
            "why": "", "metric_label": c.metric_label}


# --------------------------------------------------------------------------- explanations


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


def _summary(expl: Explanation, attribute: str, group: str) -> DriverSummary | None:
    return next((s for s in expl.summaries if s.attribute == attribute and s.group == group),
                None)


def _decomposition(expl: Explanation, attribute: str, group: str) -> GapDecomposition | None:
    return next((d for d in expl.gaps if d.attribute == attribute and d.group == group), None)


def _about_points(x: float) -> str:
    v = abs(x)
    if round(v) == 1 and v >= 0.95:
        return "about 1 point"
    return f"about {v:.0f} points" if v >= 1 else f"about {v:.1f} points"


def gap_sentence(result: AuditResult, s: DriverSummary, output_space: str) -> str:
    """Plain sentences about one group's gap and its main drivers (from a DriverSummary)."""
    verb, _ = _words(result)
    who = _who(result, s.attribute, s.group)
    ref = _who(result, s.attribute, s.reference)
    side = "lower" if s.gap < 0 else "higher"
    regression = result.spec.task == "regression"
    if s.gap_pp is not None and output_space == "log-odds":
        side = "lower" if s.gap_pp < 0 else "higher"
        head = (f"On average, the model gave {who} a {abs(s.gap_pp):.1f}-point {side} chance "
                f"of being {verb} than {ref}.")
        unit = "points"
    elif output_space == "probability":
        head = (f"On average, the model gave {who} a {abs(100 * s.gap):.1f}-point {side} chance "
                f"of being {verb} than {ref}.")
        unit = "prob"
    elif regression:
        head = (f"On average, the model's prediction for {who} was {_sig(abs(s.gap))} {side} "
                f"than for {ref}.")
        unit = "raw"
    else:
        head = f"On average, the model's score for {who} was {_sig(abs(s.gap))} {side} than for {ref}."
        unit = "raw"
    if s.gap == 0:
        return head
    same: list[str] = []
    other: list[str] = []
    shown = [d for d in s.drivers if d.share is not None and abs(d.share) >= MIN_DRIVER_SHARE]
    if any(abs(d.share or 0.0) > CANCEL_SHARE for d in shown):
        # Shares like 687% of a small gap mean the inputs largely cancel out: say that plainly.
        widen = [d.feature for d in shown if (d.contribution < 0) == (s.gap < 0)]
        narrow = [d.feature for d in shown if (d.contribution < 0) != (s.gap < 0)]
        text = head + " Here the inputs pull in different directions and largely cancel out"
        if widen and narrow:
            text += (f": {_join(widen)} {'widens' if len(widen) == 1 else 'widen'} the gap, "
                     f"{_join(narrow)} {'narrows' if len(narrow) == 1 else 'narrow'} it")
        return text + "."
    for d in shown:
        if unit == "points" and d.pp is not None:
            amount = _about_points(d.pp)
        elif unit == "prob":
            amount = _about_points(100 * d.contribution)
        elif unit == "raw":
            amount = f"about {_sig(abs(d.contribution), 2)}"
        else:
            amount = f"{abs(d.share or 0.0) * 100:.0f}% of the gap"
        (same if (d.contribution < 0) == (s.gap < 0) else other).append(f"{d.feature} ({amount})")
    text = head
    if same:
        lead = "The main reason is" if len(same) == 1 else "The main reasons are"
        text += f" {lead} {_join(same)}."
    if other:
        text += f" Pulling the other way: {_join(other)}."
    return text


def explanation_context(result: AuditResult) -> dict[str, Any]:
    """What drives the model overall and what drives each failing gap, with at most 6 charts.

    Parameters
    ----------
    result : AuditResult

    Returns
    -------
    dict
        ``ran``, ``why``, ``lead`` and ``reading`` (plain sentences), ``charts``
        (importance and beeswarm: ``svg``, ``alt``, ``caption``), ``importance``
        (table rows), ``attributes`` (per attribute with a failing or review gap:
        plain sentences, the explainer's own sentences and up to two charts),
        ``quiet`` (attributes without such a gap) and ``method`` (explainer, output
        space, additivity check, fallback note, sampling).
    """
    expl = result.explanation
    empty: dict[str, Any] = {"ran": False, "why": _not_run(result, "explanations"), "lead": [],
                             "reading": [], "charts": [], "importance": [], "attributes": [],
                             "quiet": [], "method": {}}
    if expl is None:
        return empty
    verb, noun = _words(result)
    regression = result.spec.task == "regression"
    imp = list(expl.global_importance)
    total = sum(f.mean_abs_shap for f in imp) or 1.0
    lead: list[str] = []
    if imp:
        top = [f.feature for f in imp[:3]]
        share = sum(f.mean_abs_shap for f in imp[:3]) / total
        if len(imp) <= 3:
            lead.append(f"The model uses {_join(top)}. The first of these matters most.")
        else:
            lead.append(f"The model leans most on {_join(top)}. Together they make up "
                        f"{_p(share)} of the effect of all {len(imp)} inputs.")
        protected_inputs = [p.columns[0] for p in result.spec.protected
                            if p.is_model_input and p.columns]
        used = [c for c in protected_inputs if c in expl.features]
        if len(used) == 1:
            lead.append(f"One of its inputs, {used[0]}, is itself a protected attribute.")
        elif used:
            count = _NUMBER_WORDS.get(len(used), str(len(used)))
            lead.append(f"{count} of its inputs, {_join(used)}, are themselves protected "
                        "attributes.")
    towards = "raise the prediction" if regression else f"push towards being {verb}"
    away = "lower it" if regression else "push away from it"
    reading = [
        "The first chart shows how much each input moves the model's output, on average. "
        "A longer bar means the input matters more.",
        f"In the second chart, each dot is one of the sampled {noun}. Dots right of the centre "
        f"line {towards}; dots left of it {away}. Orange dots have a high value of the input and "
        "blue dots a low one.",
    ]
    charts = []
    svg, alt = plot_global_importance(expl)
    charts.append({"svg": svg, "alt": alt,
                   "caption": "Average size of each input's effect on the model's output "
                              f"({expl.units})."})
    svg, alt = plot_beeswarm(expl)
    charts.append({"svg": svg, "alt": alt,
                   "caption": "One dot per sampled row and input. Position: effect on the "
                              "output; colour: the input's value (grey: text or missing)."})
    budget = MAX_EXPLANATION_CHARTS - len(charts)
    importance = [{"feature": f.feature, "value": _sig(f.mean_abs_shap),
                   "share": _p(f.mean_abs_shap / total)} for f in imp]

    attributes: list[dict[str, Any]] = []
    grouping_sizes = {g.attribute: sum(1 for x in g.groups if x.n > 0) for g in expl.groupings}
    explained = set(grouping_sizes)
    bad = _bad_attributes(result)
    for attribute, outcome, groups in bad:
        if attribute not in explained:
            continue
        plain: list[str] = []
        technical: list[str] = []
        for group in groups[:MAX_GAP_SENTENCES]:
            s = _summary(expl, attribute, group)
            if s is not None:
                plain.append(gap_sentence(result, s, expl.output_space))
                technical.append(s.sentence)
            else:
                d = _decomposition(expl, attribute, group)
                reason = d.reason if d is not None and d.reason else "no rows were sampled"
                plain.append(f"The gap for {_who(result, attribute, group)} could not be "
                             f"broken down: {reason.rstrip('.')}.")
        a_charts = []
        first = next((g for g in groups if (d := _decomposition(expl, attribute, g)) is not None
                      and d.reason is None and d.gap.value is not None), None)
        if first is not None and budget > 0:
            svg, alt = plot_gap_drivers(expl, attribute, first)
            dec = _decomposition(expl, attribute, first)
            ref = _who(result, attribute, dec.reference if dec is not None else "")
            a_charts.append({
                "svg": svg, "alt": alt,
                "caption": f"What makes up the gap between {_who(result, attribute, first)} and "
                           f"{ref}. Bars left of the line lower the group's output, bars right "
                           "raise it; whiskers show 95% intervals."})
            budget -= 1
        if budget > 0 and 2 <= grouping_sizes.get(attribute, 0) <= MAX_GROUPS_IN_COMPARISON:
            svg, alt = plot_group_comparison(expl, attribute)
            a_charts.append({
                "svg": svg, "alt": alt,
                "caption": f"Average effect of the top inputs for each {attribute} group. An "
                           "input that helps one group and hurts another shows bars on both "
                           "sides of the line."})
            budget -= 1
        n_more = max(0, len(groups) - MAX_GAP_SENTENCES)
        notes = []
        if n_more:
            notes.append(f"{n_more} more group{'s' if n_more != 1 else ''} with a gap "
                         f"{'is' if n_more == 1 else 'are'} listed in audit.json "
                         "(explanation.summaries).")
        if grouping_sizes.get(attribute, 0) > MAX_GROUPS_IN_COMPARISON:
            notes.append(f"{attribute} has {grouping_sizes[attribute]} groups, too many for a "
                         "readable comparison chart.")
        elif not a_charts and budget <= 0:
            notes.append("Charts are left out here to keep the report short; the numbers are "
                         "in audit.json.")
        attributes.append({
            "name": attribute,
            "outcome": outcome,
            "sentences": plain,
            "technical": technical,
            "charts": a_charts,
            "notes": notes,
        })
    quiet = [g.attribute for g in expl.groupings if g.attribute not in {a for a, _, _ in bad}]
    if expl.additivity_ok:
        check = (f"Passed: the parts add up to the model's real output on every sampled row "
                 f"(largest error {expl.additivity_max_error:.1e}, allowed "
                 f"{expl.additivity_tolerance:.1e}).")
    else:
        check = (f"Failed: the parts missed the model's real output by up to "
                 f"{expl.additivity_max_error:.2g} (allowed {expl.additivity_tolerance:.1e}). "
                 "Treat the explanations with care.")
    method = {
        "explainer": expl.explainer_description,
        "space": expl.output_space,
        "units": expl.units,
        "base_value": _sig(expl.base_value, 4),
        "check": check,
        "note": capitalise(expl.note.strip()) if expl.note else "",
        "sampling": expl.sampling,
        "n_sample": expl.n_sample,
    }
    return {"ran": True, "why": "", "lead": lead, "reading": reading, "charts": charts,
            "importance": importance, "attributes": attributes, "quiet": quiet,
            "method": method}


# --------------------------------------------------------------------------- complexity

_HEADLINE = {
    "pays_for_itself": "The model is not more complex than it needs to be.",
    "review": "A person should check whether the model's complexity is worth it.",
    "does_not_pay": "A simpler model that people can read would do about as well.",
    "not_applicable": "This comparison could not be made.",
}


def _component_value(c: Component) -> str:
    if c.value is None:
        return "–"
    if c.key in ("effective_features",):
        return f"{c.value:.0f}"
    if c.key == "size":
        return f"{c.value:,.0f}"
    if c.key == "fidelity":
        return f"{100 * c.value:.1f}%" if 0 <= c.value <= 1 else _sig(c.value)
    return f"{100 * c.value:.1f}%"


def complexity_context(result: AuditResult) -> dict[str, Any]:
    """Interpretability versus complexity: verdict, scores side by side and the components.

    Parameters
    ----------
    result : AuditResult

    Returns
    -------
    dict
        ``ran``, ``why``, ``headline`` (one short plain sentence), ``verdict`` (the
        computed verdict sentence), ``outcome``, ``models`` (name, description,
        score 0-100, metric), ``components`` (title, meaning, formula, weight and one
        cell per model), ``notes`` and ``formula``.
    """
    c: Complexity | None = result.complexity
    if c is None:
        return {"ran": False, "why": _not_run(result, "complexity"), "headline": "",
                "verdict": "", "outcome": "", "models": [], "components": [], "notes": [],
                "formula": SCORE_FORMULA}
    subjects = [c.model] + [b.interpretability for b in c.baselines]
    metrics = [c.model_metric] + [b.metric_value for b in c.baselines]
    models = []
    for i, (it, metric) in enumerate(zip(subjects, metrics, strict=True)):
        score = it.score if _finite(it.score) else None
        models.append({
            "name": capitalise(it.subject),
            "description": it.description,
            "score": "–" if score is None else f"{score:.0f}",
            "width": 0 if score is None else max(0.0, min(100.0, round(score, 1))),
            "metric": _fixed(metric),
            "is_model": i == 0,
            "reason": it.reason or "",
        })
    keys = [comp.key for comp in c.model.components]
    components = []
    for key in keys:
        mine = next(comp for comp in c.model.components if comp.key == key)
        cells = []
        for it in subjects:
            comp = next((x for x in it.components if x.key == key), None)
            if comp is None:
                cells.append({"value": "–", "sub": "", "note": "not measured"})
                continue
            cells.append({
                "value": _component_value(comp),
                "sub": "" if comp.subscore is None else f"{comp.subscore:.2f}",
                "note": comp.reason or comp.note,
            })
        components.append({"key": key, "title": mine.title, "meaning": mine.meaning,
                           "formula": mine.formula, "weight": f"{mine.weight:.2f}",
                           "cells": cells})
    notes = [n for n in (c.model_metric_note, *c.notes) if n]
    if c.reason:
        notes.insert(0, c.reason)
    notes.append(f"The model's output used for the surrogate models: {c.output_used}.")
    return {"ran": True, "why": "", "headline": _HEADLINE.get(c.outcome, ""),
            "verdict": c.verdict, "outcome": c.outcome, "models": models,
            "components": components, "notes": notes, "formula": c.score_formula,
            "metric_label": c.metric_label, "n_rows_used": c.n_rows_used, "cv": c.cv}


# --------------------------------------------------------------------------- troublemakers

_KIND_TEXT = {
    "direct_use": "the protected attribute itself",
    "proxy_driver": "stands in for it and drives a gap",
    "proxy_unconfirmed": "stands in for it (effect on gaps not measured)",
}
_WHAT_IF_STATUS = {
    "ran": "The what-if ran.",
    "partial": "The what-if ran only in part.",
    "skipped": "The what-if did not run.",
    "not_possible": "The what-if was not possible.",
    "not_needed": "The what-if was not needed.",
    "failed": "The what-if failed.",
}


def _run_cells(run: WhatIfRun, binary: bool) -> dict[str, Any]:
    perf_fmt = "pct" if binary else "sig"
    gap_fmt = "pp" if binary else "sig"
    return {
        "label": run.label,
        "kind": run.kind,
        "status": run.status,
        "reason": run.reason or "",
        "perf": _cell(run.performance, perf_fmt),
        "gap": _cell(run.gap, gap_fmt),
        "dgap": _cell(run.gap_change, "pts" if binary else "sig"),
        "dperf": _cell(run.performance_change, "pts" if binary else "sig"),
    }


_GAP_WORDS = {
    "demographic_parity": "in the share {verb}",
    "equal_opportunity": "in the share of qualified {noun} {verb}",
    "equalized_odds": "in error rates",
    "accuracy": "in accuracy",
    "mean_prediction": "in average prediction",
    "mae": "in average error",
}


def _move(a: float, b: float, fmt: Any) -> str:
    """'fell from 26 to 12 points', 'rose from 78% to 81%' or 'stayed at 81%'."""
    x, y = fmt(a), fmt(b)
    if x == y:
        return f"stayed at {y}"
    if x.endswith(" points") and y.endswith(" points"):
        x = x[: -len(" points")]
    return f"{'fell' if b < a else 'rose'} from {x} to {y}"


def _what_if_sentences(result: AuditResult, e: WhatIfExperiment, metric: str) -> list[str]:
    """Plain sentences: how the gap and the performance moved for each retrained copy."""
    verb, noun = _words(result)
    binary = result.spec.task == "binary"
    base = next((r for r in e.runs if r.kind == "baseline" and r.status == "ok"), None)
    if base is None or base.gap.value is None or base.performance.value is None:
        return ["The model could not be retrained as it is, so there is nothing to compare."]

    def gap(x: float) -> str:
        return _pts(x) if binary else _sig(x)

    def perf(x: float) -> str:
        return _p(x) if binary else _sig(x)

    what = _GAP_WORDS.get(e.criterion, "").format(verb=verb, noun=noun)
    out = []
    for r in e.runs:
        if r.kind == "baseline":
            continue
        if r.status != "ok" or r.gap.value is None or r.performance.value is None:
            why = (r.reason or r.status).strip().rstrip(".")
            out.append(f"{capitalise(r.label)}: not measured ({why}).")
            continue
        if r.kind == "constrained":
            out.append(f"With the fairness rule in training, the largest gap between "
                       f"{e.attribute} groups {what} {_move(base.gap.value, r.gap.value, gap)}. "
                       f"{capitalise(metric)} "
                       f"{_move(base.performance.value, r.performance.value, perf)}.")
        else:
            who = f"Without {r.feature}" if r.feature else capitalise(r.label)
            out.append(f"{who}, the gap {_move(base.gap.value, r.gap.value, gap)} and {metric} "
                       f"{_move(base.performance.value, r.performance.value, perf)}.")
    rule = next((r for r in e.runs if r.kind == "constrained" and r.status == "ok"
                 and r.gap_change.lo is not None and r.gap_change.hi is not None), None)
    for r in e.runs:
        if rule is None or r.kind != "drop_feature" or r.status != "ok" \
                or r.gap_change.lo is None or r.gap_change.hi is None:
            continue
        assert rule.gap_change.lo is not None and rule.gap_change.hi is not None
        if r.gap_change.hi < rule.gap_change.lo:
            out.append(f"Dropping {r.feature} closed more of the gap than the rule.")
        elif rule.gap_change.hi < r.gap_change.lo:
            out.append(f"The rule closed more of the gap than dropping {r.feature}.")
        else:
            out.append(f"Given the uncertainty, the rule and dropping {r.feature} closed the "
                       "gap by similar amounts.")
    return out


def _flag_sentence(result: AuditResult, f: Flag) -> str:
    """One or two short plain sentences saying why an input is flagged."""
    if f.kind == "direct_use":
        text = (f"The model uses {f.feature} as an input, and it is a protected attribute."
                if f.feature in f.attribute else
                f"The model uses {f.feature}, which is itself a protected attribute "
                f"({f.attribute}).")
    else:
        auc = f" (AUC {f.proxy_auc:.2f})" if f.proxy_auc is not None else ""
        text = f"{f.feature} gives away {f.attribute}{auc}."
    if f.driver_share is not None and f.driver_group is not None:
        who = _who(result, f.attribute, f.driver_group)
        if f.driver_share > 1:
            text += (f" It makes up more than the whole gap for {who} "
                     f"({100 * f.driver_share:.0f}%); other inputs narrow it.")
        elif f.driver_share >= 0:
            text += f" It makes up {100 * f.driver_share:.0f}% of the gap for {who}."
    elif f.kind == "proxy_unconfirmed":
        text += " We could not measure whether it drives the gap."
    return text


_TERM_WHAT = {
    "DemographicParity": "the share {verb}",
    "TruePositiveRateParity": "the share of qualified {noun} {verb}",
    "EqualizedOdds": "both kinds of error",
    "ErrorRateParity": "error rates",
}


def _term_sentence(result: AuditResult, t: LossTerm) -> str:
    """The top recommendation in plain words."""
    verb, noun = _words(result)
    if t.constraint == "BoundedGroupLoss":
        bound = f" below {_sig(t.bound)}" if t.bound is not None else ""
        return (f"Retrain the model with a rule that keeps the average error of every "
                f"{t.attribute} group{bound}.")
    what = _TERM_WHAT.get(t.constraint, "the outcome").format(verb=verb, noun=noun)
    bound = f" under {100 * t.bound:g} points" if t.bound is not None else " small"
    return (f"Retrain the model with a rule that keeps the gap between {t.attribute} groups "
            f"in {what}{bound}.")


def flags_context(result: AuditResult) -> dict[str, Any]:
    """Troublemaker features, proxy strength, recoverability, loss terms and the what-if.

    Parameters
    ----------
    result : AuditResult

    Returns
    -------
    dict
        ``ran``, ``why``, ``intro``, ``flags``, ``proxies`` (top rows) with
        ``n_proxies``, ``recover``, ``drop`` (why dropping rarely helps), ``terms``,
        ``more_terms``, ``top_term`` (with its ``snippet``), ``what_if`` and ``notes``.
    """
    tm: Troublemakers | None = result.troublemakers
    if tm is None:
        return {"ran": False, "why": _not_run(result, "troublemakers", "flags"), "intro": [],
                "flags": [], "proxies": [], "n_proxies": 0, "recover": [], "drop": [],
                "terms": [], "more_terms": [], "top_term": None, "what_if": None, "notes": []}
    verb, noun = _words(result)
    thr = tm.thresholds
    intro = [
        "A troublemaker is an input that stands in for a protected attribute and drives a "
        "gap that fails or needs review.",
        f"We call an input a proxy when, on its own, it can tell the groups apart with an "
        f"AUC of at least {thr.proxy_auc:.2f}. An AUC of 0.5 is a coin toss; 1 is perfect.",
    ]
    flags = [{
        "feature": f.feature,
        "attribute": f.attribute,
        "kind": _KIND_TEXT.get(f.kind, f.kind),
        "severity": f.severity,
        "tag": "fail" if f.severity == "high" else "review",
        "plain": _flag_sentence(result, f),
        "explanation": f.explanation,
        "auc": _fixed(f.proxy_auc, 2),
        "share": "–" if f.driver_share is None else f"{100 * f.driver_share:.0f}%",
        "group": f.driver_group or "",
    } for f in sorted(tm.flags, key=lambda f: (f.severity != "high", f.feature, f.attribute))]
    ranked = sorted(tm.proxies, key=lambda p: -(p.auc.value if p.auc.value is not None else 0))
    shown = [p for p in ranked if p.strong] + [p for p in ranked if not p.strong]
    proxies = []
    for p in shown[:MAX_PROXY_ROWS]:
        best = max(p.by_group.items(), key=lambda kv: kv[1]) if p.by_group else None
        proxies.append({
            "feature": p.feature,
            "attribute": p.attribute,
            "auc": _cell(p.auc, "fixed", 2),
            "nmi": _fixed(p.nmi, 3),
            "strong": "yes" if p.strong else "no",
            "best": f"{best[0]} ({best[1]:.2f})" if best else "–",
            "n": f"{p.n:,}",
            "note": p.note or "",
        })
    recover = []
    for rc in tm.recoverability:
        v = rc.auc.value
        if v is None:
            reading = f"Could not be measured{': ' + rc.note if rc.note else ''}."
        elif v >= thr.proxy_auc:
            reading = f"The inputs together reveal {rc.attribute}."
        elif v >= 0.6:
            reading = f"The inputs together reveal a little about {rc.attribute}."
        else:
            reading = f"The inputs together reveal next to nothing about {rc.attribute}."
        recover.append({"attribute": rc.attribute, "auc": _cell(rc.auc, "fixed", 2),
                        "n": f"{rc.n:,}", "reading": reading, "note": rc.note or ""})
    drop = [
        "The other inputs often carry the same signal as the proxy. A model retrained "
        "without it then finds the signal again, and the gap comes back.",
        "A better fix is to put the fairness rule into the training itself, as a constraint "
        "the model must keep while it learns. That is what the recommendation below does.",
    ]
    still: dict[str, list[str]] = {}
    little: dict[str, list[str]] = {}
    for f in tm.flags:
        if f.recoverability_without is None or f.kind == "direct_use":
            continue
        bucket = still if f.recoverability_without >= thr.proxy_auc else little
        bucket.setdefault(f.feature, []).append(
            f"{f.attribute} (AUC {f.recoverability_without:.2f})")
    for feature, items in still.items():
        drop.append(f"Without {feature}, the other inputs still reveal {_join(items)}. "
                    "Dropping it would not help.")
    for feature, items in little.items():
        drop.append(f"Without {feature}, the other inputs reveal little about "
                    f"{' or '.join(items)}. Here dropping it might help, but check the "
                    "what-if below.")
    terms = []
    for t in tm.loss_terms:
        bound = "" if t.bound is None else f"{t.bound:g}"
        call = (f"{t.constraint}({t.loss}, {t.bound_name}={bound or '…'})" if t.loss
                else f"{t.constraint}({t.bound_name}={bound or '…'})")
        terms.append({
            "attribute": t.attribute,
            "criterion": _criterion_title(t.criterion),
            "outcome": t.outcome,
            "call": call,
            "features": ", ".join(t.features) if t.features else "–",
            "rationale": t.rationale,
        })
    top = None
    if tm.loss_terms:
        t0 = tm.loss_terms[0]
        top = {
            "attribute": t0.attribute,
            "call": terms[0]["call"],
            "rationale": t0.rationale,
            "snippet": t0.snippet,
            "plain": _term_sentence(result, t0),
        }
    return {
        "ran": True,
        "why": "",
        "intro": intro,
        "flags": flags,
        "no_flags": ("No input was flagged: none both stands in for a protected attribute and "
                     "drives a gap that fails or needs review."),
        "proxies": proxies,
        "n_proxies": len(tm.proxies),
        "recover": recover,
        "drop": drop,
        "terms": terms[:MAX_TERM_ROWS],
        "more_terms": terms[MAX_TERM_ROWS:],
        "top_term": top,
        "what_if": _what_if_context(result, tm.what_if),
        "notes": [capitalise(n) for n in tm.notes],
        "thresholds": thr,
    }


def _what_if_context(result: AuditResult, w: WhatIf) -> dict[str, Any]:
    binary = result.spec.task == "binary"
    metric = w.performance_metric or ("accuracy" if binary else "mean absolute error")
    status = _WHAT_IF_STATUS.get(w.status, w.status)
    if w.reason:
        status = status.rstrip(".") + f": {w.reason.strip().rstrip('.')}."
    experiments = []
    for e in w.experiments:
        experiments.append({
            "title": f"{e.attribute}: {_criterion_title(e.criterion)}",
            "gap_metric": e.gap_metric,
            "n_groups": len(e.groups_compared),
            "sentences": _what_if_sentences(result, e, metric),
            "runs": [_run_cells(r, binary) for r in e.runs],
        })
    setup = ""
    notes = [capitalise(n) for n in w.notes]
    if w.n_train:
        setup = (f"Copies of the model were retrained on {w.n_train:,} rows and tested on "
                 f"the other {w.n_test:,} rows. The numbers describe those copies, not the "
                 "audited model.")
        notes = [n for n in notes if not n.lower().startswith("copies of the model were")]
    return {"status": w.status, "status_text": status, "metric": metric, "setup": setup,
            "experiments": experiments, "notes": notes,
            "drop_method": w.drop_method,
            "binary": binary}


# --------------------------------------------------------------------------- methodology


def glossary(verb: str = "selected", noun: str = "people") -> list[tuple[str, str]]:
    """Short plain definitions of the technical words the report uses, alphabetically.

    Parameters
    ----------
    verb, noun : str
        The configured outcome verb ("approved") and subject noun ("applicants").

    Returns
    -------
    list of (term, definition)

    Examples
    --------
    >>> dict(glossary())["Proxy"][:20]
    'An input that is not'
    """
    items = [
        ("AUC", "The chance that the model scores a random person who qualified above a "
                "random person who did not. 0.5 is a coin toss and 1 is perfect."),
        ("Bootstrap", "We redraw the rows at random many times and work out each number "
                      "again, to see how much it could vary by chance."),
        ("Calibration", "Scores are calibrated when they match reality. Of the people given "
                        "a 70% score, about 70% really have the good outcome."),
        ("Confidence interval (95% CI)", "The range that very likely holds the true value, "
                                         "given how much data we have. Small groups get wide "
                                         "ranges."),
        ("Demographic parity", f"Every group is {verb} at the same rate."),
        ("Equal opportunity", f"{capitalise(noun)} who truly qualify are {verb} at the same "
                              "rate in every group."),
        ("Equalized odds", f"People who qualify are missed, and people who do not qualify "
                           f"are {verb}, at the same rates in every group."),
        ("Fairness constraint", f"A rule the model must keep while it learns, such as “no "
                                f"group may be {verb} much less often than another”."),
        ("Four-fifths rule", f"A warning sign when a group is {verb} less than four-fifths "
                             "(80%) as often as the reference group."),
        ("Intersection", "A group formed by two traits at once, such as women over 65."),
        ("Log-odds", "The scale many models use inside. Higher means a higher chance, and 0 "
                     "means even odds."),
        ("Loss function", "The score a model tries to make as small as it can while it "
                          "learns."),
        ("Mutual information", "How much knowing one thing tells you about another. 0 means "
                               "nothing and 1 means everything."),
        ("Percentage point", "The plain difference between two percentages. Going from 50% "
                             "to 55% is a rise of 5 points."),
        ("Predictive parity", f"Of the people the model {verb}, the same share truly "
                              "qualify in every group."),
        ("Protected attribute", "A trait such as race, sex or age that must not lead to "
                                "unfair treatment."),
        ("Proxy", "An input that is not a protected trait itself but gives it away, as a zip "
                  "code can give away race."),
        ("Recoverability", "How well all the other inputs together can guess a protected "
                           "trait."),
        ("Reference group", "The group every other group is compared with. It is the "
                            "largest group unless you chose one."),
        ("SHAP value", "The part of one prediction that comes from one input. The parts of "
                       "all inputs add up to the prediction."),
        ("Surrogate model", "A small, simple model trained to copy what the audited model "
                            "does, to see how easy it is to copy."),
        ("Troublemaker", "An input that gives away a protected trait and drives a gap that "
                         "fails or needs review."),
        ("Transparent baseline", "A simple model, such as a short decision tree, that a "
                                 "person can read in full."),
    ]
    return sorted(items, key=lambda kv: kv[0].lower())


_SHAP_FORMULAS: tuple[tuple[str, str, str], ...] = (
    ("Each prediction is split into a base value plus one part per input.",
     "f(x) = φ₀ + Σⱼ φⱼ(x)",
     "φ₀ is the average output over the sample; φⱼ(x) is the SHAP value of input j for "
     "row x."),
    ("An input's importance is the average size of its parts.",
     "importance(j) = Σᵢ wᵢ |φⱼ(xᵢ)| / Σᵢ wᵢ",
     "wᵢ = N_cell / n_cell weights each sampled row back to the population."),
    ("A group's gap splits into one part per input.",
     "mean f(x | group) − mean f(x | reference) = Σⱼ [mean φⱼ(x | group) − mean φⱼ(x | "
     "reference)] + residual",
     "The residual is zero up to the additivity error; intervals come from a bootstrap of "
     "the sampled rows."),
    ("We check that the parts really add up.",
     "max over rows |φ₀ + Σⱼ φⱼ(x) − f(x)| ≤ tolerance",
     "On failure a slower, model-agnostic explainer is used and the report says so."),
)


def methodology_context(result: AuditResult) -> dict[str, Any]:
    """Definitions and formulas for the method section, plus the glossary.

    Parameters
    ----------
    result : AuditResult

    Returns
    -------
    dict
        ``metrics`` and ``criteria`` (label, plain definition, formula) for the
        audited task, ``shap`` (plain sentence, formula, detail), ``score_formula``,
        ``weights`` and ``components`` of the interpretability score, ``thresholds``
        (proxy and flag rules in plain words) and ``glossary``.
    """
    verb, noun = _words(result)
    task = result.spec.task
    metrics = [{"key": k, "label": m.label, "definition": m.definition, "formula": m.formula}
               for k, m in METRICS.items() if m.task == task]
    criteria = [{"label": c.label, "definition": c.definition,
                 "metrics": ", ".join(METRICS[k].label for k in c.metrics if k in METRICS)}
                for c in CRITERIA.values() if c.task == task]
    shap = [{"plain": a, "formula": b, "detail": c} for a, b, c in _SHAP_FORMULAS]
    comps: list[dict[str, str]] = []
    if result.complexity is not None:
        comps = [{"title": c.title, "meaning": c.meaning, "formula": c.formula,
                  "weight": f"{c.weight:.2f}"} for c in result.complexity.model.components]
    score_formula = result.complexity.score_formula if result.complexity else SCORE_FORMULA
    weights = ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in WEIGHTS.items())
    thr = result.troublemakers.thresholds if result.troublemakers else FlagThresholds()
    thresholds = [
        ("Proxy", f"On its own, the input predicts the attribute with a cross-validated AUC "
                  f"of at least {thr.proxy_auc:.2f} ({thr.n_splits}-fold, numeric inputs cut "
                  f"into {thr.n_bins} bins)."),
        ("Driver", f"The input accounts for at least {100 * thr.driver_share:.0f}% of some "
                   "group's gap against the reference group (SHAP gap decomposition)."),
        ("Flag", "An input is flagged when it is a proxy and a driver of a gap that fails or "
                 "needs review, or when it is the protected attribute itself."),
        ("High severity", f"Proxy AUC at least {thr.high_proxy_auc:.2f}, driver share at least "
                          f"{100 * thr.high_driver_share:.0f}% and a failing criterion; "
                          "otherwise medium."),
        ("Suggested bound", f"difference_bound = {thr.difference_bound:g} for the fairlearn "
                            "parity constraints, inside the policy's limits."),
        ("What-if intervals", f"{thr.n_boot} bootstrap resamples of the held-out rows, "
                              "paired for the changes."),
    ]
    return {"metrics": metrics, "criteria": criteria, "shap": shap,
            "score_formula": score_formula, "weights": weights, "components": comps,
            "thresholds": thresholds, "glossary": glossary(verb, noun)}


def extra_context(result: AuditResult) -> dict[str, Any]:
    """All context of these sections, under keys that do not clash with ``build_context``.

    Keys: ``perf``, ``expl``, ``cplx``, ``flags``, ``meth``.
    """
    return {
        "perf": performance_context(result),
        "expl": explanation_context(result),
        "cplx": complexity_context(result),
        "flags": flags_context(result),
        "meth": methodology_context(result),
    }
