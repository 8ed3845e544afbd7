"""Troublemaker features: flags, proxy strength, recoverability, loss terms and the what-if."""

from __future__ import annotations

from typing import Any

from ..._result.audit import AuditResult
from ..._result.troublemakers import Flag, FlagThresholds, LossTerm, Troublemakers, WhatIf, WhatIfRun
from ..._words.report import (
    DROP_INTRO,
    FLAG_KIND,
    NO_FLAGS,
    capitalise,
    fixed,
    flags_intro,
    is_setup_note,
    little_revealed,
    recoverability_reading,
    revealed_item,
    still_revealed,
    term_sentence,
    what_if_sentences,
    what_if_setup,
    what_if_status,
)
from ..._words.text import isolate
from ..._words.troublemakers import flag_plain
from ..format import cell
from ._common import criterion_title, who, why_not_run, words

#: Rows of the proxy-strength table.
MAX_PROXY_ROWS = 10
#: Rows of the loss-term table before the rest is folded away.
MAX_TERM_ROWS = 6


def _flag_rows(result: AuditResult, tm: Troublemakers) -> list[dict[str, Any]]:
    """The flagged inputs, high severity first: plain sentence and the recorded explanation."""
    def row(f: Flag) -> dict[str, Any]:
        named = who(result, f.attribute, f.driver_group) if f.driver_group is not None else None
        return {
            "feature": f.feature,
            "attribute": f.attribute,
            "kind": FLAG_KIND.get(f.kind, f.kind),
            "severity": f.severity,
            "tag": "fail" if f.severity == "high" else "review",
            "plain": flag_plain(f, named),
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


def _recover_rows(tm: Troublemakers) -> list[dict[str, Any]]:
    """How well all inputs together reveal each attribute, with a plain reading."""
    return [{"attribute": rc.attribute, "auc": cell(rc.auc, "fixed", 2), "n": f"{rc.n:,}",
             "reading": recoverability_reading(rc.attribute, rc.auc.value, rc.note,
                                               tm.thresholds.proxy_auc),
             "note": rc.note or ""} for rc in tm.recoverability]


def _drop(tm: Troublemakers) -> list[str]:
    """Why dropping a proxy rarely helps, then what dropping each flagged input would leave."""
    thr = tm.thresholds
    still: dict[str, list[str]] = {}
    little: dict[str, list[str]] = {}
    for f in tm.flags:
        if f.recoverability_without is None or f.kind == "direct_use":
            continue
        bucket = still if f.recoverability_without >= thr.proxy_auc else little
        bucket.setdefault(f.feature, []).append(
            revealed_item(f.attribute, f.recoverability_without))
    return ([*DROP_INTRO]
            + [still_revealed(feature, items) for feature, items in still.items()]
            + [little_revealed(feature, items) for feature, items in little.items()])


def _term_row(t: LossTerm) -> dict[str, Any]:
    """One recommended constraint: the call to make and what it targets."""
    bound = "" if t.bound is None else f"{t.bound:g}"
    call = (f"{t.constraint}({t.loss}, {t.bound_name}={bound or '…'})" if t.loss
            else f"{t.constraint}({t.bound_name}={bound or '…'})")
    return {
        "attribute": t.attribute,
        "criterion": criterion_title(t.criterion),
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
            "snippet": t0.snippet, "plain": term_sentence(t0, verb, noun)}


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
    terms = [_term_row(t) for t in tm.loss_terms]
    thr: FlagThresholds = tm.thresholds
    return {
        "ran": True,
        "why": "",
        "intro": flags_intro(thr),
        "flags": _flag_rows(result, tm),
        "no_flags": NO_FLAGS,
        "proxies": _proxy_rows(tm),
        "n_proxies": len(tm.proxies),
        "recover": _recover_rows(tm),
        "drop": _drop(tm),
        "terms": terms[:MAX_TERM_ROWS],
        "more_terms": terms[MAX_TERM_ROWS:],
        "top_term": _top_term(result, tm, terms[0]["call"]) if tm.loss_terms else None,
        "what_if": what_if_context(result, tm.what_if),
        "notes": [capitalise(n) for n in tm.notes],
        "thresholds": thr,
    }


def _run_cells(run: WhatIfRun, binary: bool) -> dict[str, Any]:
    """One retrained copy's row: performance, gap and their changes against the baseline."""
    perf_fmt = "pct" if binary else "sig"
    gap_fmt = "pp" if binary else "sig"
    return {
        "label": run.label,
        "kind": run.kind,
        "status": run.status,
        "reason": run.reason or "",
        "perf": cell(run.performance, perf_fmt),
        "gap": cell(run.gap, gap_fmt),
        "dgap": cell(run.gap_change, "pts" if binary else "sig"),
        "dperf": cell(run.performance_change, "pts" if binary else "sig"),
    }


def what_if_context(result: AuditResult, w: WhatIf) -> dict[str, Any]:
    """The what-if: status, set-up, and per experiment its sentences and table rows."""
    verb, noun = words(result)
    binary = result.spec.task == "binary"
    metric = w.performance_metric or ("accuracy" if binary else "mean absolute error")
    experiments = [{
        "title": f"{isolate(e.attribute)}: {criterion_title(e.criterion)}",
        "gap_metric": e.gap_metric,
        "n_groups": len(e.groups_compared),
        "sentences": what_if_sentences(e, metric, verb, noun, binary),
        "runs": [_run_cells(r, binary) for r in e.runs],
    } for e in w.experiments]
    notes = [capitalise(n) for n in w.notes]
    setup = ""
    if w.n_train:
        setup = what_if_setup(w.n_train, w.n_test)
        notes = [n for n in notes if not is_setup_note(n)]
    return {"status": w.status, "status_text": what_if_status(w.status, w.reason),
            "metric": metric, "setup": setup, "experiments": experiments, "notes": notes,
            "drop_method": w.drop_method, "binary": binary}
