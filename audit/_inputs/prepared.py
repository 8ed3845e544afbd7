"""The audit's standard internal form of its inputs, produced once by ``spec.resolve``.

Everything downstream trusts these objects: columns are resolved, labels are
0/1, group labels are strings with an explicit "unknown" group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._result.spec import Task
from .model import ModelAdapter


@dataclass(frozen=True)
class Grouping:
    """Group membership of every row for one protected attribute or intersection.

    ``codes[i]`` indexes ``labels``; every row belongs to exactly one group.
    ``members`` lists the original values merged into a group, e.g.
    ``{"other (7 regions)": ("94110", ...)}``.
    """

    name: str  # "race", "age", "race × gender"
    family: str  # "race", "gender", "age", "geography", "other", "intersection"
    columns: tuple[str, ...]
    codes: np.ndarray
    labels: tuple[str, ...]
    reference: int  # index into labels
    members: dict[str, tuple[str, ...]] = field(default_factory=dict)
    how_found: str = ""

    @property
    def counts(self) -> np.ndarray:
        return np.bincount(self.codes, minlength=len(self.labels))


@dataclass(frozen=True)
class Prepared:
    """Validated inputs for :func:`audit._pipeline.run_audit` stages."""

    task: Task
    X: pd.DataFrame | None  # model features in model order; None in predictions-only mode
    y: np.ndarray | None  # 0/1 int8 (binary) or float (regression); None when no target
    y_pred: np.ndarray  # 0/1 int8 (binary) or float (regression)
    scores: np.ndarray | None  # P(positive) for binary, None when unavailable
    groupings: tuple[Grouping, ...]  # single attributes first, then intersections
    model: ModelAdapter | None  # None in predictions-only mode
    data: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)  # all audited rows
    # Why the scores have no average score or calibration gap: they are not probabilities
    # (None: they are, or there are none). AUC uses them as a ranking either way.
    scores_not_probabilities: str | None = None
    # Rows of the whole table each row stands for, when the rows are the streaming engines'
    # sample (which holds extra rows of small groups); None: the rows are the whole table.
    row_weights: np.ndarray | None = field(default=None, repr=False)
    # The model's raw output on each row of X, when predicting gave it (Decisions.margins).
    margins: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Population:
    """The whole table, when :func:`~audit._inputs.spec.resolve` is given only a sample of it.

    The streaming engines read the rows once to find this, then audit the sample's
    predictions for the explanations and the whole table's counts for the fairness tables.
    """

    combos: pd.DataFrame  # one row per distinct combination of the protected columns' values
    weights: np.ndarray  # rows of the table (with a target value) per combination
    n_input: int  # rows read
    n_unlabelled: int  # rows without a target value, left out
