"""The template context: every section's part, assembled for the full report."""

from __future__ import annotations

from typing import Any

from .._result.audit import AuditResult
from .sections.complexity import complexity_context
from .sections.data import data_context
from .sections.explanations import explanation_context
from .sections.fairness import fairness_context
from .sections.flags import flags_context
from .sections.methodology import methodology_context
from .sections.performance import performance_context
from .sections.signed import signed_context
from .sections.summary import summary_context

__all__ = ["build_context", "section_contexts", "summary_context"]


def section_contexts(result: AuditResult) -> dict[str, Any]:
    """The sections that keep their context under one key each.

    Keys: ``perf``, ``expl``, ``cplx``, ``flags``, ``meth``.
    """
    return {
        "perf": performance_context(result),
        "expl": explanation_context(result),
        "cplx": complexity_context(result),
        "flags": flags_context(result),
        "meth": methodology_context(result),
    }


def build_context(result: AuditResult) -> dict[str, Any]:
    """Everything the full report needs, charts included (summary, scope and sign-off read
    ``r`` and ``spec``; data and fairness add their keys at the top level; ``signed`` holds
    the contents, the checks behind the verdict, the recommendation and the sign-off facts)."""
    return {
        **summary_context(result),
        **fairness_context(result),
        **data_context(result),
        **section_contexts(result),
        **signed_context(result),
    }
