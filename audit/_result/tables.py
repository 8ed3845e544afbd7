"""Result tables for group fairness (the contract between computing and presenting)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

GroupStatus = Literal["ok", "insufficient_evidence"]


@dataclass(frozen=True)
class Estimate:
    """A point value with its 95% bootstrap interval.

    ``value`` is ``None`` when the metric is undefined for this group, and
    ``reason`` then says why in plain words ("no positives in this group").
    ``lo``/``hi`` are ``None`` when no interval could be computed.
    """

    value: float | None
    lo: float | None = None
    hi: float | None = None
    reason: str | None = None


@dataclass(frozen=True)
class GroupRow:
    """All metrics for one group of one attribute."""

    group: str
    n: int
    share: float
    metrics: dict[str, Estimate]  # metric key (see _fairness.METRICS) -> estimate
    status: GroupStatus = "ok"
    status_reason: str | None = None
    members: tuple[str, ...] = ()  # original values merged into this group


@dataclass(frozen=True)
class GapRow:
    """One group's gap against the reference group on one metric."""

    metric: str  # metric key, e.g. "selection_rate"
    group: str
    reference: str
    difference: Estimate  # group - reference
    ratio: Estimate  # group / reference
    status: GroupStatus = "ok"


@dataclass(frozen=True)
class Criterion:
    """A named fairness criterion summarised over all groups of an attribute.

    For example demographic parity: ``difference`` = max - min selection rate,
    ``ratio`` = min / max selection rate (both as fairlearn defines them).
    """

    key: str  # "demographic_parity", "equalized_odds", "equal_opportunity", ...
    metric: str  # underlying metric key(s), e.g. "selection_rate" or "tpr,fpr"
    difference: Estimate
    ratio: Estimate
    worst_group: str | None = None
    best_group: str | None = None


@dataclass(frozen=True)
class AttributeTable:
    """Fairness tables for one protected attribute or intersection."""

    attribute: str
    family: str
    columns: tuple[str, ...]
    how_found: str
    reference: str
    groups: tuple[GroupRow, ...]
    gaps: tuple[GapRow, ...]
    criteria: tuple[Criterion, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
