"""Group metric and fairness-criterion definitions: key, plain words, formula and computation.

Each metric is a function of a *view* of the sufficient statistics (``n``, ``tp``, ``fp`` ...,
arrays whose last axis is the group axis), so one definition serves point estimates and
bootstrap resamples alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .spec import Task

NO_ROWS = "no rows in this group"


Need = Literal["pred", "y", "scores"]




View = Mapping[str, np.ndarray]


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` as float, NaN where ``den == 0`` (no warnings)."""
    num_f = np.asarray(num, dtype=np.float64)
    den_f = np.asarray(den, dtype=np.float64)
    shape = np.broadcast_shapes(num_f.shape, den_f.shape)
    out = np.full(shape, np.nan)
    np.divide(num_f, den_f, out=out, where=den_f != 0)
    return out


@dataclass(frozen=True)
class MetricDef:
    """One group metric: plain-language description and how to compute it.

    Attributes
    ----------
    key : str
        Stable identifier, used as the key in :attr:`GroupRow.metrics`.
    label : str
        Plain words for reports, e.g. "selection rate".
    definition : str
        One plain sentence saying what the number means.
    formula : str
        The formula in terms of the confusion counts or sums.
    needs : tuple of {"pred", "y", "scores"}
        Inputs the metric needs; it is left out when one is missing.
    task : {"binary", "regression"}
    higher_is_better : bool or None
        Direction used to name the worst and best group; ``None`` means no
        direction (worst = lowest, best = highest).
    undefined_when : tuple of (view key, reason)
        The metric is undefined in a group where ``view[key] == 0``; the first
        matching entry gives the plain-language reason.
    compute : callable
        ``compute(view) -> array`` over the group axis (and any leading axes).
    """

    key: str
    label: str
    definition: str
    formula: str
    needs: tuple[Need, ...]
    task: Task
    higher_is_better: bool | None
    undefined_when: tuple[tuple[str, str], ...]
    compute: Callable[[View], np.ndarray] = field(repr=False, compare=False)

    def evaluate(self, view: View) -> np.ndarray:
        """Values over the view's groups, NaN where the metric is undefined."""
        values = np.array(self.compute(view), dtype=np.float64)
        for name, _ in self.undefined_when:
            values[view[name] == 0] = np.nan
        return values

    def reason(self, view: View, group: int) -> str | None:
        """Why the metric is undefined in ``group`` of a point view, else ``None``."""
        for name, text in self.undefined_when:
            if view[name][group] == 0:
                return text
        return None


def _m(
    key: str,
    label: str,
    definition: str,
    formula: str,
    needs: tuple[Need, ...],
    task: Task,
    better: bool | None,
    undefined: tuple[tuple[str, str], ...],
    compute: Callable[[View], np.ndarray],
) -> MetricDef:
    return MetricDef(
        key, label, definition, formula, needs, task, better, ((("n", NO_ROWS),) + undefined),
        compute,
    )


_NO_POS = ("pos", "no actual positives in this group")


_NO_NEG = ("neg", "no actual negatives in this group")


_METRIC_LIST: tuple[MetricDef, ...] = (
    _m("base_rate", "actual positive rate",
       "Share of people in the group whose true outcome is positive.",
       "(TP + FN) / n", ("y",), "binary", None, (),
       lambda v: _div(v["pos"], v["n"])),
    _m("selection_rate", "selection rate",
       "Share of people in the group the model predicts positive (for example, approved).",
       "(TP + FP) / n", ("pred",), "binary", True, (),
       lambda v: _div(v["sel"], v["n"])),
    _m("tpr", "true positive rate",
       "Of the people whose true outcome is positive, the share the model predicts positive.",
       "TP / (TP + FN)", ("pred", "y"), "binary", True, (_NO_POS,),
       lambda v: _div(v["tp"], v["pos"])),
    _m("fpr", "false positive rate",
       "Of the people whose true outcome is negative, the share the model wrongly predicts "
       "positive.",
       "FP / (FP + TN)", ("pred", "y"), "binary", False, (_NO_NEG,),
       lambda v: _div(v["fp"], v["neg"])),
    _m("tnr", "true negative rate",
       "Of the people whose true outcome is negative, the share the model predicts negative.",
       "TN / (TN + FP)", ("pred", "y"), "binary", True, (_NO_NEG,),
       lambda v: _div(v["tn"], v["neg"])),
    _m("fnr", "false negative rate",
       "Of the people whose true outcome is positive, the share the model wrongly predicts "
       "negative.",
       "FN / (TP + FN)", ("pred", "y"), "binary", False, (_NO_POS,),
       lambda v: _div(v["fn"], v["pos"])),
    _m("ppv", "precision",
       "Of the people the model predicts positive, the share whose true outcome is positive.",
       "TP / (TP + FP)", ("pred", "y"), "binary", True,
       (("sel", "no one in this group was selected"),),
       lambda v: _div(v["tp"], v["sel"])),
    _m("npv", "negative predictive value",
       "Of the people the model predicts negative, the share whose true outcome is negative.",
       "TN / (TN + FN)", ("pred", "y"), "binary", True,
       (("nsel", "everyone in this group was selected"),),
       lambda v: _div(v["tn"], v["nsel"])),
    _m("accuracy", "accuracy",
       "Share of people in the group whose prediction matches their true outcome.",
       "(TP + TN) / n", ("pred", "y"), "binary", True, (),
       lambda v: _div(v["tp"] + v["tn"], v["n"])),
    _m("auc", "ranking quality (AUC)",
       "Chance that a person with a positive outcome gets a higher score than a person with a "
       "negative outcome in the same group (ties count half).",
       "P(score⁺ > score⁻) + ½ P(score⁺ = score⁻)", ("y", "scores"), "binary", True,
       (("pos", "no actual positives in this group, so the ranking cannot be checked"),
        ("neg", "no actual negatives in this group, so the ranking cannot be checked")),
       lambda v: v["auc"]),
    _m("mean_score", "average score",
       "Average predicted probability of the positive outcome in the group.",
       "Σ score / n", ("scores",), "binary", None, (),
       lambda v: _div(v["score_sum"], v["n"])),
    _m("calibration_gap", "calibration gap",
       "Average predicted probability minus the actual positive rate; above 0 means the model "
       "over-predicts for this group.",
       "mean score − (TP + FN) / n", ("scores", "y"), "binary", None, (),
       lambda v: _div(v["score_sum"], v["n"]) - _div(v["pos"], v["n"])),
    _m("mean_prediction", "average prediction",
       "Average predicted value in the group.",
       "Σ pred / n", ("pred",), "regression", None, (),
       lambda v: _div(v["sum_pred"], v["n"])),
    _m("mean_target", "average actual value",
       "Average true value in the group.",
       "Σ y / n", ("y",), "regression", None, (),
       lambda v: _div(v["sum_y"], v["n"])),
    _m("mae", "mean absolute error",
       "Average size of the prediction error in the group.",
       "Σ |pred − y| / n", ("pred", "y"), "regression", False, (),
       lambda v: _div(v["sum_abs_err"], v["n"])),
    _m("rmse", "root mean squared error",
       "Typical size of the prediction error in the group, weighting large errors more.",
       "√(Σ (pred − y)² / n)", ("pred", "y"), "regression", False, (),
       lambda v: np.sqrt(_div(v["sum_sq_err"], v["n"]))),
)


#: Every group metric, by key.
METRICS: dict[str, MetricDef] = {m.key: m for m in _METRIC_LIST}


#: Metrics that get a gap row (group vs reference), per task, in this order.
GAP_METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("selection_rate", "tpr", "fpr", "ppv", "accuracy"),
    "regression": ("mean_prediction", "mae"),
}


@dataclass(frozen=True)
class CriterionDef:
    """A fairness criterion: which metrics it compares across groups.

    ``difference`` is max − min over groups and ``ratio`` is min / max (as
    fairlearn's ``MetricFrame.difference()``/``ratio()``); with two metrics
    (equalized odds) the difference is the larger of the two differences and
    the ratio the smaller of the two ratios.
    """

    key: str
    label: str
    metrics: tuple[str, ...]
    task: Task
    definition: str


#: Every criterion, by key.
CRITERIA: dict[str, CriterionDef] = {
    c.key: c
    for c in (
        CriterionDef("demographic_parity", "demographic parity", ("selection_rate",), "binary",
                     "Groups are selected at the same rate."),
        CriterionDef("equalized_odds", "equalized odds", ("tpr", "fpr"), "binary",
                     "Groups have the same true positive rate and the same false positive rate."),
        CriterionDef("equal_opportunity", "equal opportunity", ("tpr",), "binary",
                     "People with a positive outcome are selected at the same rate in every "
                     "group."),
        CriterionDef("predictive_parity", "predictive parity", ("ppv",), "binary",
                     "A positive prediction is equally reliable in every group."),
        CriterionDef("accuracy_parity", "accuracy parity", ("accuracy",), "binary",
                     "The model is equally accurate in every group."),
        CriterionDef("mean_prediction_parity", "average prediction parity",
                     ("mean_prediction",), "regression",
                     "Groups receive the same average prediction."),
        CriterionDef("mae_parity", "error parity", ("mae",), "regression",
                     "The model's average error is the same in every group."),
    )
}


def available_metrics(task: Task, has_y: bool, has_scores: bool) -> tuple[str, ...]:
    """Keys of the metrics computable for this task and these inputs.

    Parameters
    ----------
    task : {"binary", "regression"}
    has_y : bool
        Whether the true target is available.
    has_scores : bool
        Whether predicted probabilities are available (binary only).

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> available_metrics("regression", has_y=False, has_scores=False)
    ('mean_prediction',)
    """
    have = {"pred"} | ({"y"} if has_y else set()) | ({"scores"} if has_scores else set())
    return tuple(m.key for m in _METRIC_LIST if m.task == task and set(m.needs) <= have)


