"""What the audit resolved from its inputs: task, target, features, protected attributes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: The kinds of model the audit handles (multiclass is refused at the boundary).
Task = Literal["binary", "regression"]


@dataclass(frozen=True)
class ProtectedInfo:
    """A protected attribute as resolved for this audit (serialised in audit.json)."""

    name: str
    family: str
    columns: tuple[str, ...]
    how_found: str
    groups: tuple[str, ...]
    reference: str
    merged: dict[str, tuple[str, ...]]
    is_model_input: bool


@dataclass(frozen=True)
class ResolvedSpec:
    """What was audited and how each piece was found."""

    mode: str  # "model" or "predictions"
    task: Task
    target: str | None
    target_how: str
    positive_label: str | None
    threshold: float | None
    prediction_source: str
    features: tuple[str, ...]
    protected: tuple[ProtectedInfo, ...]
    n_rows: int
    n_rows_input: int
    notes: tuple[str, ...]
    period: str | None = None  # "2023-01-02 to 2024-12-30 (application_date)", if a date column exists


