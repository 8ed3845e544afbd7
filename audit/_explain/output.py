"""What is explained: the model's continuous output, and the kind of final estimator.

Whatever explainer runs, ``base_value + sum(phi)`` is compared with the model's own
output: ``decision_function`` / raw margin / logit of ``predict_proba`` in log-odds
space, ``predict_proba`` in probability space, ``predict`` for regression
(:func:`_choose_output`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._errors import InputError, ModelError, UnsupportedError
from .._inputs.model import ModelAdapter
from .._result.explanation import OutputSpace
from .._words import explain as words
from .mapping import _transform

OutputKind = Literal["decision", "lgbm", "xgb", "logit", "proba", "predict"]

#: rows on which a margin is checked against predict_proba
_PROBE_ROWS = 200
#: up to this many rows the model's output on the explained rows is computed with one
#: OpenMP thread: on a few thousand rows the threads cost more than they save (measured
#: on 5,000 rows, 2 cores: HistGradientBoosting with 200 trees, a parallel region per
#: tree, 0.20 s with 2 threads and 0.07 s with 1; XGBoost 0.08 s and 0.024 s; far worse
#: when the cores are busy); each row is predicted alone, so the values are the same
_ONE_THREAD_ROWS = 50_000

_TREE_CLASSES = {
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "ExtraTreeClassifier",
    "ExtraTreeRegressor",
}


# --------------------------------------------------------------------------- model kinds


def _is_tree(final: Any) -> bool:
    """A tree ensemble shap.TreeExplainer reads: scikit-learn trees, LightGBM, XGBoost."""
    if type(final).__module__.startswith(("sklearn.ensemble", "sklearn.tree")):
        return type(final).__name__ in _TREE_CLASSES
    return _is_lightgbm(final) or _is_xgboost(final)


def _is_lightgbm(final: Any) -> bool:
    """A fitted LightGBM scikit-learn estimator."""
    return type(final).__module__.startswith("lightgbm") and hasattr(final, "booster_")


def _is_xgboost(final: Any) -> bool:
    """A fitted XGBoost scikit-learn estimator."""
    return type(final).__module__.startswith("xgboost") and hasattr(final, "get_booster")


def _is_linear(final: Any) -> bool:
    """A fitted linear model with ``coef_`` and ``intercept_``."""
    mod = type(final).__module__
    linear_mod = mod.startswith("sklearn.linear_model") or type(final).__name__ in {
        "LinearSVC",
        "LinearSVR",
    }
    return linear_mod and hasattr(final, "coef_") and hasattr(final, "intercept_")


def _logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of probabilities, finite at 0 and 1."""
    p = np.clip(p.astype(float), 1e-300, 1.0)
    q = np.clip(1.0 - p, 1e-300, 1.0)
    return np.log(p) - np.log(q)


# --------------------------------------------------------------------------- the output


@dataclass
class _ModelOutput:
    """The quantity being explained, computed from the model on original columns."""

    model: ModelAdapter
    pre: list[Any]
    final: Any
    space: OutputSpace
    kind: OutputKind
    class_idx: int  # column of predict_proba for the positive label
    sign: float  # -1 when the positive label is classes_[0] for margins
    #: the last rows a margin was computed on and their preprocessed form, kept for the
    #: explainer (:meth:`transformed`) so a big sample is not preprocessed twice
    _last: tuple[Any, Any] | None = field(default=None, repr=False, compare=False)

    def transformed(self, X: pd.DataFrame) -> Any:
        """``X`` through the preprocessing steps: the one the margin used when it ran on ``X``.

        The kept copy is handed over once (and forgotten), so it does not outlive its use.
        """
        last, self._last = self._last, None
        if last is not None and last[0] is X:
            return last[1]
        return _transform(self.pre, X)

    def __call__(self, X: pd.DataFrame) -> np.ndarray:
        try:
            return self._compute(X)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ModelError(
                f"{self.model.source}: the model failed while being explained "
                f"({type(exc).__name__}: {first[:200]}) - check that the data has the columns "
                "and types the model was trained on"
            ) from exc

    def _compute(self, X: pd.DataFrame) -> np.ndarray:
        """The output on ``X`` (model errors propagate)."""
        est = self.model.estimator
        if self.kind == "predict":
            return np.asarray(est.predict(X), dtype=float).ravel()
        if self.kind == "proba":
            return np.asarray(est.predict_proba(X), dtype=float)[:, self.class_idx]
        if self.kind == "decision":
            if not _plain_pipeline(est, self.pre):
                return self.sign * np.asarray(est.decision_function(X), dtype=float).ravel()
            # what Pipeline.decision_function does, keeping the preprocessed rows
            Z = _transform(self.pre, X)
            self._last = (X, Z)
            return self.sign * np.asarray(self.final.decision_function(Z), dtype=float).ravel()
        if self.kind == "lgbm":
            Z = _transform(self.pre, X)
            return self.sign * np.asarray(self.final.predict(Z, raw_score=True), dtype=float).ravel()
        if self.kind == "xgb":
            Z = _transform(self.pre, X)
            return (
                self.sign
                * np.asarray(self.final.predict(Z, output_margin=True), dtype=float).ravel()
            )
        p = np.asarray(est.predict_proba(X), dtype=float)[:, self.class_idx]
        return _logit(p)


def _plain_pipeline(est: Any, pre: list[Any]) -> bool:
    """Whether ``est`` predicts as ``final`` on ``pre``'s transforms (a scikit-learn Pipeline)."""
    if not pre:
        return True
    from sklearn.pipeline import Pipeline

    return isinstance(est, Pipeline)


def _positive_class(model: ModelAdapter, final: Any) -> tuple[int, float]:
    """Column of the positive label in ``classes_`` and the sign that makes margins point to it."""
    est = model.estimator
    classes = list(getattr(est, "classes_", getattr(final, "classes_", [0, 1])))
    pos = model.positive_label if model.positive_label is not None else classes[-1]
    if pos not in classes:
        raise InputError(
            f"{model.source}: positive label {pos!r} is not one of the model's classes "
            f"{classes} - pass a positive label the model knows"
        )
    class_idx = classes.index(pos)
    return class_idx, 1.0 if class_idx == len(classes) - 1 else -1.0


def _margin_kind(est: Any, final: Any) -> OutputKind | None:
    """How to read the model's raw margin, if it has one."""
    if hasattr(est, "decision_function"):
        return "decision"
    if _is_lightgbm(final):
        return "lgbm"
    if _is_xgboost(final):
        return "xgb"
    return None


def _tree_output(model: ModelAdapter, pre: list[Any], final: Any) -> _ModelOutput:
    """A tree model's output for what does not depend on margin vs probability: the model
    is not run, so the space is not checked (``raw``); the positive class is resolved."""
    if model.task == "regression":
        return _ModelOutput(model, pre, final, "raw", "predict", 0, 1.0)
    class_idx, sign = _positive_class(model, final)
    return _ModelOutput(model, pre, final, "raw", _margin_kind(model.estimator, final) or "proba",
                        class_idx, sign)


def _choose_output(
    model: ModelAdapter, pre: list[Any], final: Any, X: pd.DataFrame
) -> _ModelOutput:
    """The output to explain: the log-odds margin when it matches predict_proba, else scores."""
    return _output_and_values(model, pre, final, X)[0]


def _output_and_values(
    model: ModelAdapter, pre: list[Any], final: Any, X: pd.DataFrame,
    margins: np.ndarray | None = None,
) -> tuple[_ModelOutput, np.ndarray]:
    """The output to explain (see :func:`_choose_output`) and its values on ``X``.

    The model runs once on ``X``: the margin's values on its first rows are reused for
    the check against ``predict_proba``, which runs on those rows only.  Up to
    :data:`_ONE_THREAD_ROWS` rows it runs with one OpenMP thread (see there).
    ``margins``: the model's raw output on ``X``'s rows when predicting already gave it
    (a regressor's predictions, a decision function: ``Prepared.margins``); then the
    model does not run on ``X`` again.
    """
    if len(X) > _ONE_THREAD_ROWS:
        return _output_and_values_on(model, pre, final, X, margins)
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=1, user_api="openmp"):
        return _output_and_values_on(model, pre, final, X, margins)


def _output_and_values_on(
    model: ModelAdapter, pre: list[Any], final: Any, X: pd.DataFrame,
    margins: np.ndarray | None = None,
) -> tuple[_ModelOutput, np.ndarray]:
    """:func:`_output_and_values` with the thread pools as they are."""
    est = model.estimator
    if margins is not None and len(margins) != len(X):
        margins = None
    if model.task == "regression":
        out = _ModelOutput(model, pre, final, "raw", "predict", 0, 1.0)
        return out, out(X) if margins is None else np.asarray(margins, dtype=float)
    class_idx, sign = _positive_class(model, final)
    kind = _margin_kind(est, final)
    has_proba = hasattr(est, "predict_proba")
    proba = _ModelOutput(model, pre, final, "probability", "proba", class_idx, sign)
    if kind is not None:
        if not has_proba:
            out = _ModelOutput(model, pre, final, "raw", kind, class_idx, sign)
            return out, out(X)
        margin = _ModelOutput(model, pre, final, "log-odds", kind, class_idx, sign)
        given = margins is not None and kind == "decision"
        values = sign * np.asarray(margins, dtype=float) if given else margin(X)
        n_probe = min(len(X), _PROBE_ROWS)
        z = np.clip(values[:n_probe], -700, 700)
        if np.allclose(1.0 / (1.0 + np.exp(-z)), proba(X.iloc[:n_probe]), rtol=0, atol=1e-7):
            return margin, values
        return proba, proba(X)
    if has_proba:
        return proba, proba(X)
    raise UnsupportedError(
        f"{model.source}: the classifier has neither predict_proba nor decision_function - "
        "SHAP needs a continuous output; use a model that provides scores"
    )


def _units(out: _ModelOutput) -> str:
    """What the explained output measures, in words."""
    return words.output_units(out.model.task == "regression", out.space, out.model.positive_label)
