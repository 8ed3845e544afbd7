"""A thin, uniform view of the fitted model being audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ModelError, UnsupportedError
from .._result.spec import Task

NOT_FITTED = (
    "{source}: the model is not fitted ({name} has not been trained) - expected a fitted "
    "estimator; call fit(X, y) on it before saving it, then pass the fitted model"
)
WRONG_ROWS = (
    "{source}: the model returned {n_out} {what} for {n_rows} rows (from {method}()) - "
    "expected one per row; check the model's steps (does one drop or add rows?)"
)
PROBA_SHAPE = (
    "{source}: the model's predict_proba() returned an array of shape {shape} - expected one "
    "column per class ({n_classes}: {classes}); check the model's predict_proba()"
)
SCORES_OUT_OF_RANGE = (
    "{source}: the model's predict_proba() returned scores from {lo:.6g} to {hi:.6g} "
    "({n_out} of {n_rows} outside [0, 1]) - expected probabilities in [0, 1]; fix or wrap "
    "the model's predict_proba(), or audit its decisions without scores: save predict() "
    "as a column and run audit run DATA --predictions COLUMN"
)
#: Scores this close outside [0, 1] are rounding, clipped to [0, 1] without a word.
SCORE_TOLERANCE = 1e-9


def require_fitted(estimator: Any, source: str) -> None:
    """Refuse an estimator that scikit-learn says is not fitted (``check_is_fitted``).

    Only scikit-learn estimators (LightGBM's and XGBoost's wrappers included) are
    checked: for other objects the check's rule (attributes ending in ``_``) may not hold.
    """
    from sklearn.base import BaseEstimator
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if not (isinstance(estimator, BaseEstimator) or hasattr(estimator, "__sklearn_is_fitted__")):
        return

    try:
        check_is_fitted(estimator)
    except NotFittedError as exc:
        raise ModelError(NOT_FITTED.format(source=source, name=describe_estimator(estimator))
                         ) from exc
    except Exception:  # check_is_fitted does not apply to this object (e.g. not an estimator)
        return


def final_estimator(estimator: Any) -> Any:
    """The last step of a (possibly nested) sklearn Pipeline, else ``estimator``."""
    while hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    return estimator


def describe_estimator(estimator: Any) -> str:
    """Short human name such as ``Pipeline(ColumnTransformer → LogisticRegression)``."""
    if hasattr(estimator, "steps"):
        inner = " → ".join(type(step).__name__ for _, step in estimator.steps)
        return f"Pipeline({inner})"
    return type(estimator).__name__


@dataclass
class ModelAdapter:
    """Uniform access to a fitted sklearn-compatible model.

    ``predict`` returns 0/1 (1 = the positive label) for binary models and
    floats for regression; ``score`` returns the probability of the positive
    label, or ``None`` when the model has no ``predict_proba``.
    """

    estimator: Any
    task: Task
    feature_names: tuple[str, ...] | None
    positive_label: Any = None  # a value of ``classes_`` for binary models
    source: str = "model"  # what to call it in error messages (usually the file name)

    @property
    def name(self) -> str:
        return describe_estimator(self.estimator)

    @property
    def final(self) -> Any:
        return final_estimator(self.estimator)

    @property
    def classes(self) -> tuple[Any, ...]:
        return tuple(getattr(self.estimator, "classes_", ()))

    @property
    def positive_index(self) -> int:
        """Column of the positive label in ``predict_proba`` (its place in ``classes_``)."""
        return self.classes.index(self.positive_label)

    def _call(self, method: str, X: pd.DataFrame) -> np.ndarray:
        try:
            out = getattr(self.estimator, method)(X)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ModelError(
                f"{self.source}: the model's {method}() raised {type(exc).__name__}: {first[:200]} "
                "- check that the data has the columns and types the model was trained on"
            ) from exc
        arr = np.asarray(out)
        n_out = arr.shape[0] if arr.ndim else 1
        if n_out != len(X):
            what = "predictions" if method == "predict" else "scores"
            raise ModelError(WRONG_ROWS.format(source=self.source, n_out=n_out, what=what,
                                               n_rows=len(X), method=method))
        return arr

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        raw = self._call("predict", X)
        if self.task == "regression":
            out = raw.astype(float).ravel()
            if not np.all(np.isfinite(out)):
                raise ModelError(
                    f"{self.source}: the model's predict() returned "
                    f"{int((~np.isfinite(out)).sum())} NaN/infinite values - expected finite "
                    "numbers; check the model and the rows with missing values"
                )
            return out
        return (raw.ravel() == self.positive_label).astype(np.int8)

    @property
    def has_scores(self) -> bool:
        """True for a binary model with ``predict_proba``."""
        return self.task == "binary" and hasattr(self.estimator, "predict_proba")

    def probabilities(self, X: pd.DataFrame) -> np.ndarray:
        """``predict_proba(X)``, checked: one row per input row, one column per class."""
        proba = self._call("predict_proba", X)
        if proba.ndim != 2 or proba.shape[1] != len(self.classes):
            raise ModelError(PROBA_SHAPE.format(
                source=self.source, shape=proba.shape, n_classes=len(self.classes),
                classes=", ".join(map(str, self.classes))))
        return proba

    def probabilities_and_margins(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`probabilities`, and the decision function on the same rows when the model
        makes its probabilities from it (scikit-learn's gradient boosting: ``predict_proba``
        is ``_loss.predict_proba(decision_function)``), so the rows are run through the
        trees once.  The probabilities are the model's own: checked equal, bit for bit, to
        ``predict_proba`` on :data:`LINK_PROBE_ROWS` rows spread over ``X``, else
        ``predict_proba`` runs on every row.  ``None`` margins: the model has no such link.
        """
        link = _probability_link(self.estimator)
        if link is None:
            return self.probabilities(X), None
        margins = self._call("decision_function", X)
        try:
            proba = np.asarray(link(np.array(margins, dtype=np.float64)))
        except Exception:  # a version whose loss object reads otherwise: run predict_proba
            return self.probabilities(X), margins.astype(float).ravel()
        probe = np.unique(np.linspace(0, len(X) - 1, min(len(X), LINK_PROBE_ROWS)).astype(int))
        own = self.probabilities(X.iloc[probe]) if len(X) else proba
        if proba.shape != (len(X), own.shape[1]) or not np.array_equal(own, proba[probe]):
            return self.probabilities(X), margins.astype(float).ravel()
        return proba, margins.astype(float).ravel()

    def positive_scores(self, proba: np.ndarray) -> np.ndarray:
        """The probability of the positive label from :meth:`probabilities`, checked."""
        out = proba[:, self.positive_index].astype(float)
        if not np.all(np.isfinite(out)):
            raise ModelError(
                f"{self.source}: the model's predict_proba() returned "
                f"{int((~np.isfinite(out)).sum())} NaN scores - expected probabilities in "
                "[0, 1]; check for missing values the model cannot handle"
            )
        return _probabilities(out, self.source)

    def score(self, X: pd.DataFrame) -> np.ndarray | None:
        if not self.has_scores:
            return None
        return self.positive_scores(self.probabilities(X))


#: Rows on which probabilities made from the decision function are compared with the
#: model's own ``predict_proba`` (:meth:`ModelAdapter.probabilities_and_margins`).
LINK_PROBE_ROWS = 256


def _probability_link(estimator: Any) -> Any:
    """How a binary scikit-learn gradient-boosting classifier (or a Pipeline ending in one)
    turns its decision function into ``predict_proba``; ``None`` for other models."""
    final = final_estimator(estimator)
    link = getattr(getattr(final, "_loss", None), "predict_proba", None)
    if (not type(final).__module__.startswith("sklearn.ensemble") or link is None
            or not hasattr(estimator, "decision_function")
            or len(getattr(final, "classes_", ())) != 2):
        return None
    return link


def _probabilities(scores: np.ndarray, source: str) -> np.ndarray:
    """Scores checked to lie in [0, 1] (rounding errors clipped); refuses anything else."""
    outside = (scores < -SCORE_TOLERANCE) | (scores > 1 + SCORE_TOLERANCE)
    if outside.any():
        raise ModelError(SCORES_OUT_OF_RANGE.format(
            source=source, lo=float(scores.min()), hi=float(scores.max()),
            n_out=int(outside.sum()), n_rows=len(scores)))
    return np.clip(scores, 0.0, 1.0)


def infer_task(estimator: Any, source: str) -> Task:
    """Binary classification or regression; multiclass is refused with a clear error."""
    final = final_estimator(estimator)
    classes = getattr(estimator, "classes_", getattr(final, "classes_", None))
    est_type = getattr(final, "_estimator_type", None)
    if est_type is None:
        try:
            from sklearn.base import is_classifier, is_regressor

            if is_classifier(final):
                est_type = "classifier"
            elif is_regressor(final):
                est_type = "regressor"
        except Exception:  # pragma: no cover - sklearn always importable
            pass
    if classes is not None or est_type == "classifier":
        n = len(classes) if classes is not None else 2
        if n > 2:
            raise UnsupportedError(
                f"{source}: the model is a multiclass classifier ({n} classes: "
                f"{', '.join(map(str, (list(classes) if classes is not None else [])[:6]))}) - "
                "only binary classification and "
                "regression are supported yet; audit one class against the rest with a binary model"
            )
        if n < 2:
            raise UnsupportedError(f"{source}: the classifier knows only {n} class - nothing to audit")
        return "binary"
    return "regression"
