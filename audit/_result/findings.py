"""Registered checks and the findings they produce.

Every check has a stable code (``DATA001``, ``FAIR001`` ...), a default
severity, a title and a plain-language explanation.  A finding is one check's
outcome on one audit; "not applicable" and "insufficient evidence" are real
outcomes, not silence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["info", "warning", "error"]
Outcome = Literal["pass", "review", "fail", "not_applicable", "insufficient_evidence"]


@dataclass(frozen=True)
class Check:
    """A registered check: what it looks at and why it matters, in plain words."""

    code: str
    severity: Severity
    title: str
    explanation: str


@dataclass(frozen=True)
class Finding:
    """One check's outcome on this audit."""

    code: str
    outcome: Outcome
    severity: Severity
    title: str
    message: str
    subject: str = ""
    details: dict[str, str] = field(default_factory=dict)


REGISTRY: dict[str, Check] = {}


def register(code: str, severity: Severity, title: str, explanation: str) -> Check:
    """Add a check to the registry; codes are unique and never reused."""
    if code in REGISTRY:
        raise ValueError(f"check code {code} registered twice")
    check = Check(code, severity, title, explanation)
    REGISTRY[code] = check
    return check


def finding(
    check: Check,
    outcome: Outcome,
    message: str,
    subject: str = "",
    details: dict[str, str] | None = None,
) -> Finding:
    """Make a :class:`Finding` for ``check`` with the given outcome."""
    return Finding(
        code=check.code,
        outcome=outcome,
        severity=check.severity,
        title=check.title,
        message=message,
        subject=subject,
        details=dict(details or {}),
    )


#: How bad each outcome is, from harmless to worst; every ordering of outcomes uses this.
OUTCOME_RANK: dict[Outcome, int] = {
    "not_applicable": 0, "pass": 1, "insufficient_evidence": 2, "review": 3, "fail": 4,
}
#: How bad each overall verdict is. UNDECIDED (an attribute with no judged check) ranks
#: above REVIEW: the audit gives no evidence at all for part of the population, and it
#: wins over REVIEW in the verdict rule; only a FAIL is worse.
VERDICT_RANK: dict[str, int] = {"PASS": 0, "REVIEW": 1, "UNDECIDED": 2, "FAIL": 3}


def worst(outcomes: Sequence[Outcome]) -> Outcome:
    """The most severe outcome; 'not_applicable' when there is none.

    Examples
    --------
    >>> worst(["pass", "review", "insufficient_evidence"])
    'review'
    """
    return max(outcomes, key=OUTCOME_RANK.__getitem__, default="not_applicable")


def title_of(code: str) -> str:
    """The registered title of a check code (the code itself if it is unknown)."""
    check = REGISTRY.get(code)
    return check.title if check is not None else code
