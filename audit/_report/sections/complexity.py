"""Is the model's complexity worth it: verdict, scores side by side and the components."""

from __future__ import annotations

from typing import Any

from ..._result.audit import AuditResult
from ..._result.complexity import SCORE_FORMULA, Complexity, Component, Interpretability
from ..._words.complexity import HEADLINE, metric_rows_note
from ..._words.report import (
    capitalise,
    finite,
    fixed,
    sig,
    surrogate_output_note,
)
from ._common import why_not_run


def _component_value(c: Component) -> str:
    """A component's measured value as shown in the table (count, size or percentage)."""
    if c.value is None:
        return "–"
    if c.key in ("effective_features",):
        return f"{c.value:.0f}"
    if c.key == "size":
        return f"{c.value:,.0f}"
    if c.key == "fidelity":
        return f"{100 * c.value:.1f}%" if 0 <= c.value <= 1 else sig(c.value)
    return f"{100 * c.value:.1f}%"


def _models(c: Complexity, subjects: list[Interpretability]) -> list[dict[str, Any]]:
    """The audited model and each baseline: score (and bar width) and metric."""
    metrics = [c.model_metric] + [b.metric_value for b in c.baselines]
    models = []
    for i, (it, metric) in enumerate(zip(subjects, metrics, strict=True)):
        score = it.score if finite(it.score) else None
        models.append({
            "name": capitalise(it.subject),
            "description": it.description,
            "score": "–" if score is None else f"{score:.0f}",
            "width": 0 if score is None else max(0.0, min(100.0, round(score, 1))),
            "metric": fixed(metric),
            "metric_cv": fixed(c.model_cv_metric) if i == 0 and finite(c.model_cv_metric) else "",
            "is_model": i == 0,
            "reason": it.reason or "",
        })
    return models


def _components(c: Complexity, subjects: list[Interpretability]) -> list[dict[str, Any]]:
    """One row per component of the audited model's score, one cell per model."""
    rows = []
    for mine in c.model.components:
        cells = []
        for it in subjects:
            comp = next((x for x in it.components if x.key == mine.key), None)
            if comp is None:
                cells.append({"value": "–", "sub": "", "note": "not measured"})
                continue
            cells.append({
                "value": _component_value(comp),
                "sub": "" if comp.subscore is None else f"{comp.subscore:.2f}",
                "note": comp.reason or comp.note,
            })
        rows.append({"key": mine.key, "title": mine.title, "meaning": mine.meaning,
                     "formula": mine.formula, "weight": f"{mine.weight:.2f}", "cells": cells})
    return rows


def _notes(c: Complexity) -> list[str]:
    """Caveats: why the comparison is limited, measurement notes, the surrogates' output."""
    notes = [n for n in (c.model_metric_note, *c.notes) if n]
    if c.reason:
        notes.insert(0, c.reason)
    if c.model_cv_reason and c.metric is not None and c.reason is None:
        notes.append(metric_rows_note(c.model_cv_reason))
    notes.append(surrogate_output_note(c.output_used))
    return notes


def complexity_context(result: AuditResult) -> dict[str, Any]:
    """Interpretability versus complexity: verdict, scores side by side and the components.

    Returns
    -------
    dict
        ``ran``, ``why``, ``headline`` (one short plain sentence), ``verdict`` (the
        computed verdict sentence), ``outcome``, ``models`` (name, description,
        score 0-100, metric), ``components`` (title, meaning, formula, weight and one
        cell per model), ``notes`` and ``formula`` (the result's recorded formula).
    """
    c = result.complexity
    if c is None:
        return {"ran": False, "why": why_not_run(result, "complexity"), "headline": "",
                "verdict": "", "outcome": "", "models": [], "components": [], "notes": [],
                "formula": SCORE_FORMULA}
    subjects = [c.model] + [b.interpretability for b in c.baselines]
    return {"ran": True, "why": "", "headline": HEADLINE.get(c.outcome, ""),
            "verdict": c.verdict, "outcome": c.outcome, "models": _models(c, subjects),
            "components": _components(c, subjects), "notes": _notes(c),
            "formula": c.score_formula, "metric_label": c.metric_label,
            "n_rows_used": c.n_rows_used, "cv": c.cv}
