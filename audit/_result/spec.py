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
    # Whether the scores are read as probabilities (None: no scores), and why, in words:
    # only probabilities have a calibration gap and an average score (issue 10, item 1).
    scores_are_probabilities: bool | None = None
    scores_how: str | None = None
    # What the positive label means, "favourable" or "harmful" (None: regression), how that
    # was decided, and the sentence the summary opens with when the audit assumed it.
    positive_is: str | None = None
    positive_how: str | None = None
    positive_note: str | None = None


