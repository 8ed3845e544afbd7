"""How well the model works overall, and how it compares with a transparent baseline."""

from __future__ import annotations

from typing import Any

from ..._result.audit import AuditResult
from ..._result.complexity import Complexity
from ..._result.metrics import METRICS
from ..._result.tables import Estimate
from ..._words.report import (
    MODEL_MEASURED_HOW,
    baseline_comparison,
    baseline_how,
    baseline_impossible,
    baseline_not_run,
    binary_performance,
    capitalise,
    finite,
    fixed,
    regression_performance,
    undefined_reason,
)
from ..format import cell
from ._common import why_not_run, words

BINARY_ROWS = ("selection_rate", "base_rate", "tpr", "fnr", "fpr", "tnr", "ppv", "npv",
               "accuracy", "auc", "mean_score", "calibration_gap")
REGRESSION_ROWS = ("mean_prediction", "mean_target", "mae", "rmse")


def _row(key: str, e: Estimate, binary: bool) -> dict[str, str]:
    """One row of the overall numbers: label, meaning, formula and the formatted cell."""
    md = METRICS[key]
    if key == "calibration_gap":
        c = cell(e, "pts")
        c["value"] += " points" if c["value"] not in ("undefined", "n/a") else ""
    elif binary and key != "auc":
        c = cell(e, "pct")
    else:
        c = cell(e, "fixed" if binary and key != "mean_prediction" else "sig")
    if c["reason"]:  # said in the row, not only in a tooltip
        c["reason"] = undefined_reason(c["value"], c["reason"])
    return {"key": key, "label": md.label, "definition": md.definition, "formula": md.formula,
            **c}


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
    groups = result.overall.groups
    task = result.spec.task
    if not groups:
        return {"ran": False, "why": why_not_run(result, "performance"), "sentences": [],
                "baseline": None, "rows": [], "n": 0, "n_boot": result.provenance.n_boot,
                "task": task}
    verb, noun = words(result)
    m = groups[0].metrics
    binary = task == "binary"
    sentences = (binary_performance(m, verb, noun, result.spec.positive_is) if binary
                 else regression_performance(m))
    keys = BINARY_ROWS if binary else REGRESSION_ROWS
    return {
        "ran": True,
        "why": "",
        "task": task,
        "sentences": sentences,
        "baseline": _baseline_compare(result),
        "rows": [_row(k, m[k], binary) for k in keys if k in m and k in METRICS],
        "n": groups[0].n,
        "n_boot": result.provenance.n_boot,
    }


def _baseline_rows(c: Complexity) -> list[dict[str, str]]:
    """The audited model and each transparent baseline: metric, how measured, score."""
    if c.metric is None:
        return []
    rows = [{"name": "Audited model", "what": c.model.description, "metric": fixed(c.model_metric),
             "how": MODEL_MEASURED_HOW, "score": fixed(c.model.score, 0)}]
    if c.model_cv_metric is not None:  # the like-for-like copy the verdict used
        folds = [v for v in c.model_cv_folds if v is not None and finite(v)]
        rows.append({"name": "Audited model, retrained copy", "what": c.model.description,
                     "metric": fixed(c.model_cv_metric), "how": baseline_how(c.cv, folds),
                     "score": "–"})
    for b in c.baselines:
        folds = [v for v in b.fold_values if v is not None and finite(v)]
        rows.append({
            "name": capitalise(b.interpretability.subject),
            "what": b.name,
            "metric": fixed(b.metric_value) if b.reason is None else "–",
            "how": baseline_how(c.cv, folds) if b.reason is None else b.reason,
            "score": fixed(b.interpretability.score, 0),
        })
    return rows


def _all_rows(result: AuditResult, metric: str) -> tuple[int, float] | None:
    """(audited rows, the model's value of ``metric`` on all of them), when recorded."""
    key = {"roc_auc": "auc"}.get(metric, metric)
    e = result.overall.groups[0].metrics.get(key) if result.overall.groups else None
    if e is None or e.value is None or not finite(e.value):
        return None
    return result.spec.n_rows, e.value


def _baseline_sentences(c: Complexity, result: AuditResult) -> list[str]:
    """The comparison with the baseline the verdict used, or why there is none."""
    base = next((b for b in c.baselines if b.key == c.compared_with), None)
    if c.metric is not None and finite(c.model_metric) and base is not None \
            and finite(base.metric_value):
        assert c.model_metric is not None and base.metric_value is not None
        retrained = c.compared_on == "cross_validated" and c.model_cv_metric is not None
        model_value = c.model_cv_metric if retrained else c.model_metric  # what gain used
        assert model_value is not None
        return baseline_comparison(c.metric, c.metric_label, c.n_rows_used, base.metric_value,
                                   model_value, c.gain if c.gain is not None else 0.0,
                                   c.thresholds.get("min_gain", 0.01),
                                   c.model_metric if retrained else None,
                                   _all_rows(result, c.metric))
    if c.reason:
        return [baseline_impossible(c.reason)]
    return []


def _baseline_compare(result: AuditResult) -> dict[str, Any] | None:
    """The "compared with a simple model" part: sentences, rows and notes (None: not asked)."""
    c = result.complexity
    if c is None:
        why = result.skipped.get("complexity")
        if not why:
            return None
        return {"sentences": [], "rows": [], "note": "", "why": baseline_not_run(why)}
    return {"sentences": _baseline_sentences(c, result), "rows": _baseline_rows(c),
            "note": c.model_metric_note, "why": "", "metric_label": c.metric_label}
