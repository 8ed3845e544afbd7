"""Troublemaker features: flags, proxy strength, recoverability, loss terms and the what-if."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..._result.audit import AuditResult
from ..._result.tables import Estimate
from ..._result.troublemakers import (
    Flag,
    FlagThresholds,
    LossTerm,
    Recoverability,
    Troublemakers,
    WhatIf,
    WhatIfRun,
    drop_advice,
)
from ..._words.report import (
    NO_FLAGS,
    capitalise,
    fixed,
    is_setup_note,
    recoverability_reading,
    what_if_sentences,
    what_if_setup,
    what_if_status,
)
from ..._words.text import isolate
from ..._words.troublemakers import (
    DROP_INTRO,
    NO_INPUTS,
    advice_plain,
    flag_kind_text,
    flag_plain,
    flags_intro,
    proxy_rule,
    target_sentence,
    term_plain,
)
from ..format import cell
from ._common import criterion_title, who, why_not_run, words

#: Rows of the proxy-strength table.
MAX_PROXY_ROWS = 10
#: Rows of the loss-term table before the rest is folded away.
MAX_TERM_ROWS = 6


def can_retrain(result: AuditResult) -> bool:
    """Whether the auditor has a model to retrain (not in predictions-only mode)."""
    return result.spec.mode != "predictions"


def decided(f: Flag, thr: FlagThresholds) -> Flag:
    """The flag with its recommendation (decided here only for a file written before it was stored)."""
    if f.recommendation is not None:
        return f
    return replace(f, recommendation=drop_advice(f.kind, f.recoverability_without, thr.proxy_auc))


def _flag_rows(result: AuditResult, tm: Troublemakers) -> list[dict[str, Any]]:
    """The flagged inputs, high severity first: plain sentence, advice and the recorded detail."""
    families = {p.name: p.family for p in result.spec.protected}

    def row(f: Flag) -> dict[str, Any]:
        named = who(result, f.attribute, f.driver_group) if f.driver_group is not None else None
        family = families.get(f.attribute, "other")
        return {
            "feature": f.feature,
            "attribute": f.attribute,
            "kind": flag_kind_text(f, family),
            "severity": f.severity,
            "tag": "fail" if f.severity == "high" else "review",
            "plain": flag_plain(f, named, family),
            "advice": advice_plain(decided(f, tm.thresholds), can_retrain=can_retrain(result)),
            "recommendation": decided(f, tm.thresholds).recommendation,
            "explanation": f.explanation,
            "auc": fixed(f.proxy_auc, 2),
            "share": "–" if f.driver_share is None else f"{100 * f.driver_share:.0f}%",
            "group": f.driver_group or "",
        }

    return [row(f) for f in sorted(tm.flags, key=lambda f: (f.severity != "high", f.feature,
                                                             f.attribute))]


def _proxy_rows(tm: Troublemakers) -> list[dict[str, Any]]:
    """The strongest input-attribute pairs, strong proxies first."""
    ranked = sorted(tm.proxies, key=lambda p: -(p.auc.value if p.auc.value is not None else 0))
    shown = [p for p in ranked if p.strong] + [p for p in ranked if not p.strong]
    rows = []
    for p in shown[:MAX_PROXY_ROWS]:
        best = max(p.by_group.items(), key=lambda kv: kv[1]) if p.by_group else None
        rows.append({
            "feature": p.feature,
            "attribute": p.attribute,
            "auc": cell(p.auc, "fixed", 2),
            "nmi": fixed(p.nmi, 3),
            "strong": "yes" if p.strong else "no",
            "best": f"{isolate(best[0])} ({best[1]:.2f})" if best else "–",
            "n": f"{p.n:,}",
            "note": p.note or "",
        })
    return rows


def _rule_value(rc: Recoverability) -> float | None:
    """The recoverability the proxy rule uses: the larger of the all-groups AUC and the
    best group's one-vs-rest AUC (``strength``), else the all-groups AUC."""
    if rc.auc.value is None:
        return None
    return rc.auc.value if rc.strength is None else max(rc.strength, rc.auc.value)


def _recover_rows(tm: Troublemakers) -> list[dict[str, Any]]:
    """How well all inputs together reveal each attribute (those with inputs to use)."""
    return [{"attribute": rc.attribute, "auc": cell(rc.auc, "fixed", 2), "n": f"{rc.n:,}",
             # the value the proxy rule (and so the flags' drop advice) uses
             "strength": fixed(_rule_value(rc), 2),
             "reading": recoverability_reading(rc.attribute, rc.auc.value, rc.note,
                                               tm.thresholds.proxy_auc, rc.strength),
             "note": rc.note or ""} for rc in tm.recoverability if rc.features]


def _drop(result: AuditResult, tm: Troublemakers) -> list[str]:
    """When dropping an input helps, then each flagged proxy's recorded recommendation."""
    proxies = [decided(f, tm.thresholds) for f in tm.flags if f.kind != "direct_use"]
    if not proxies:
        return []
    return [*DROP_INTRO, *(advice_plain(f, can_retrain=can_retrain(result)) for f in proxies)]


def _term_row(result: AuditResult, t: LossTerm) -> dict[str, Any]:
    """One recommended constraint: the call to make and what it targets."""
    bound = "" if t.bound is None else f"{t.bound:g}"
    call = (f"{t.constraint}({t.loss}, {t.bound_name}={bound or '…'})" if t.loss
            else f"{t.constraint}({t.bound_name}={bound or '…'})")
    return {
        "attribute": t.attribute,
        "criterion": criterion_title(result, t.criterion),
        "outcome": t.outcome,
        "call": call,
        "features": ", ".join(t.features) if t.features else "–",
        "rationale": t.rationale,
    }


def _top_term(result: AuditResult, tm: Troublemakers, call: str) -> dict[str, Any]:
    """The first recommendation in full: call, rationale, code and a plain sentence."""
    verb, noun = words(result)
    t0 = tm.loss_terms[0]
    return {"attribute": t0.attribute, "call": call, "rationale": t0.rationale,
            "snippet": t0.snippet, "plain": term_plain(t0, verb, noun, can_retrain(result))}


def flags_context(result: AuditResult) -> dict[str, Any]:
    """Troublemaker features, proxy strength, recoverability, loss terms and the what-if.

    Returns
    -------
    dict
        ``ran``, ``why``, ``intro``, ``flags``, ``proxies`` (top rows) with
        ``n_proxies``, ``recover``, ``drop`` (why dropping rarely helps), ``terms``,
        ``more_terms``, ``top_term`` (with its ``snippet``), ``what_if``, ``notes``
        and ``thresholds`` (the ones the analysis recorded).
    """
    tm = result.troublemakers
    if tm is None:
        return {"ran": False, "why": why_not_run(result, "troublemakers", "flags"), "intro": [],
                "flags": [], "proxies": [], "n_proxies": 0, "recover": [], "drop": [],
                "terms": [], "more_terms": [], "top_term": None, "what_if": None, "notes": []}
    terms = [_term_row(result, t) for t in tm.loss_terms]
    thr: FlagThresholds = tm.thresholds
    return {
        "ran": True,
        "why": "",
        "intro": flags_intro(thr) + ([NO_INPUTS] if not tm.proxies
                                     and not any(rc.features for rc in tm.recoverability)
                                     else []),
        "proxy_rule": tm.proxy_rule or proxy_rule(thr),
        "flags": _flag_rows(result, tm),
        "no_flags": NO_FLAGS,
        "proxies": _proxy_rows(tm),
        "n_proxies": len(tm.proxies),
        "recover": _recover_rows(tm),
        "drop": _drop(result, tm),
        "terms": terms[:MAX_TERM_ROWS],
        "more_terms": terms[MAX_TERM_ROWS:],
        "top_term": _top_term(result, tm, terms[0]["call"]) if tm.loss_terms else None,
        "what_if": what_if_context(result, tm.what_if, tm.loss_terms),
        "notes": [capitalise(n) for n in tm.notes],
        "thresholds": thr,
    }


_RUN_CELLS = ("perf", "gap", "dgap", "dperf")  # the what-if table's numeric cells


def _run_cells(run: WhatIfRun, binary: bool) -> dict[str, Any]:
    """One retrained copy's row: performance, gap and their changes against the baseline."""
    perf_fmt = "pct" if binary else "sig"
    gap_fmt = "pp" if binary else "sig"
    return {
        "label": run.label,
        "kind": run.kind,
        "status": run.status,
        "reason": run.reason or "",
        "perf": _run_cell(run.performance, perf_fmt),
        "gap": _run_cell(run.gap, gap_fmt),
        "dgap": _run_cell(run.gap_change, "pts" if binary else "sig"),
        "dperf": _run_cell(run.performance_change, "pts" if binary else "sig"),
    }


def _run_cell(e: Estimate, fmt: str) -> dict[str, str]:
    """A what-if cell; ``no_ci`` says why a value has no interval (e.g. biased resamples)."""
    c = cell(e, fmt)
    c["no_ci"] = (e.reason or "") if e.value is not None and not c["ci"] else ""
    return c


def _target(terms: tuple[LossTerm, ...], constraint: str, criterion: str, attribute: str) -> str:
    """What the experiment's rule aims at, from its loss term (empty when there is none)."""
    t = next((t for t in terms if (t.constraint, t.criterion, t.attribute)
              == (constraint, criterion, attribute)), None)
    return "" if t is None else target_sentence(t)


def what_if_context(result: AuditResult, w: WhatIf,
                    terms: tuple[LossTerm, ...] = ()) -> dict[str, Any]:
    """The what-if: status, set-up, and per experiment its sentences and table rows."""
    verb, noun = words(result)
    binary = result.spec.task == "binary"
    metric = w.performance_metric or ("accuracy" if binary else "mean absolute error")
    runs = [[_run_cells(r, binary) for r in e.runs] for e in w.experiments]
    experiments = [{
        "title": f"{isolate(e.attribute)}: {criterion_title(result, e.criterion)}",
        "gap_metric": e.gap_metric,
        "n_groups": len(e.groups_compared),
        "sentences": [s for s in (_target(terms, e.constraint, e.criterion, e.attribute),)
                      if s] + what_if_sentences(e, metric, verb, noun, binary),
        "runs": rows,
    } for e, rows in zip(w.experiments, runs)]
    notes = [capitalise(n) for n in w.notes]
    # why a value has no interval, once, in print too (the cell's title is only on screen)
    notes += list(dict.fromkeys(capitalise(row[k]["no_ci"]) for rows in runs for row in rows
                                if row["status"] == "ok" for k in _RUN_CELLS if row[k]["no_ci"]))
    setup = ""
    if w.n_train:
        setup = what_if_setup(w.n_train, w.n_test)
        notes = [n for n in notes if not is_setup_note(n)]
    return {"status": w.status, "status_text": what_if_status(w.status, w.reason),
            "metric": metric, "setup": setup, "experiments": experiments, "notes": notes,
            "drop_method": w.drop_method, "binary": binary}
