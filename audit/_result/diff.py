"""What changed between two audits (the result of ``audit diff``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """One thing that differs between the old and the new audit."""

    area: str  # "verdict", "check", "gap", "drivers", "data", "inputs"
    subject: str
    old: str
    new: str
    direction: str  # "better", "worse", "changed", "new", "gone"
    sentence: str


@dataclass(frozen=True)
class AuditDiff:
    old_verdict: str
    new_verdict: str
    changes: tuple[Change, ...]
    old_label: str
    new_label: str


