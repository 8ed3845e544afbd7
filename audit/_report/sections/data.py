"""Data checks: the findings about the data and the inferred setup, worst first."""

from __future__ import annotations

from typing import Any

from ..._result.audit import AuditResult
from ..._result.findings import OUTCOME_RANK


def data_context(result: AuditResult) -> dict[str, Any]:
    """``data_findings``: DATA and SPEC findings, most severe first, then by code."""
    findings = sorted(result.findings, key=lambda f: (-OUTCOME_RANK[f.outcome], f.code))
    return {"data_findings": [f for f in findings if f.code.startswith(("DATA", "SPEC"))]}
