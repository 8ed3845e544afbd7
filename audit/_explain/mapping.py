"""Pipeline column mapping: which original column each transformed column comes from.

For scikit-learn Pipelines every step but the last is applied, the final estimator
is explained in its own (transformed) space, and the attributions of all the
transformed columns that come from one original column are summed back onto it
(:func:`_sum_back_matrix`), so the report speaks of ``zip_code``, not
``onehot__zip_code_94110``.  A step whose outputs cannot be traced to one input
column each raises :class:`_Unmappable`, and a model-agnostic explainer runs on the
original columns instead, through the numeric coding of :class:`_Codec`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

# --------------------------------------------------------------------------- pipeline steps


def _flatten_pipeline(estimator: Any) -> tuple[list[Any], Any]:
    """Preprocessing steps (in order) and the final estimator of a nested Pipeline."""
    pre: list[Any] = []
    while hasattr(estimator, "steps"):
        steps = [s for _, s in estimator.steps]
        pre.extend(s for s in steps[:-1] if s is not None and s != "passthrough")
        estimator = steps[-1]
    return pre, estimator


def _transform(pre: list[Any], X: Any) -> Any:
    """Apply the preprocessing steps in order."""
    Z = X
    for step in pre:
        Z = step.transform(Z)
    return Z


# --------------------------------------------------------------------------- owner maps


class _Unmappable(Exception):
    """A preprocessing step whose output columns cannot be traced to one input column each."""


_ONE_TO_ONE = {
    "StandardScaler",
    "MinMaxScaler",
    "MaxAbsScaler",
    "RobustScaler",
    "QuantileTransformer",
    "PowerTransformer",
    "Binarizer",
    "OrdinalEncoder",
    "TargetEncoder",
}


def _is_passthrough(step: Any) -> bool:
    """A pipeline slot that leaves its input unchanged (``None`` or ``"passthrough"``)."""
    return step is None or (isinstance(step, str) and step == "passthrough")


def _is_drop(step: Any) -> bool:
    """A ColumnTransformer / FeatureUnion slot that drops its columns."""
    return isinstance(step, str) and step == "drop"


def _resolve_columns(cols: Any, names: list[str] | None, n_in: int) -> np.ndarray:
    """Input positions selected by a ColumnTransformer column specification."""
    if callable(cols):
        raise _Unmappable("callable column selector")
    if isinstance(cols, slice):
        if isinstance(cols.start, str) or isinstance(cols.stop, str):
            if names is None:
                raise _Unmappable("string slice without feature names")
            start = names.index(cols.start) if cols.start is not None else 0
            stop = names.index(cols.stop) + 1 if cols.stop is not None else n_in
            return np.arange(start, stop)
        return np.arange(n_in)[cols]
    if isinstance(cols, (str, int, np.integer)):
        cols = [cols]
    arr = list(cols)
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int64)
    if all(isinstance(c, (bool, np.bool_)) for c in arr):
        return np.flatnonzero(np.asarray(arr, dtype=bool))
    if all(isinstance(c, str) for c in arr):
        if names is None:
            raise _Unmappable("column names without feature_names_in_")
        return np.asarray([names.index(c) for c in arr], dtype=np.int64)
    return np.asarray(arr, dtype=np.int64)


def _owner_pipeline(step: Any, n_in: int) -> np.ndarray:
    """Owner map of a nested Pipeline: the composition of its steps' maps."""
    owner = np.arange(n_in)
    for _, sub in step.steps:
        if _is_passthrough(sub):
            continue
        owner = owner[_owner_map(sub, len(owner))]
    return owner


def _owner_column_transformer(step: Any, n_in: int) -> np.ndarray:
    """Owner map of a ColumnTransformer: each transformer's map on its selected columns."""
    n_out = max((s.stop for s in step.output_indices_.values()), default=0)
    owner = np.full(n_out, -1, dtype=np.int64)
    names = list(getattr(step, "feature_names_in_", [])) or None
    private = getattr(step, "_transformer_to_input_indices", {})
    for tname, trans, cols in step.transformers_:
        sl = step.output_indices_.get(tname)
        if sl is None or sl.stop == sl.start or _is_drop(trans):
            continue
        if tname in private:
            in_idx = np.asarray(private[tname], dtype=np.int64)
        else:
            in_idx = _resolve_columns(cols, names, step.n_features_in_)
        sub = _owner_map(trans, len(in_idx))
        if len(sub) != sl.stop - sl.start:
            raise _Unmappable(f"{tname}: {len(sub)} != {sl.stop - sl.start} outputs")
        owner[sl] = in_idx[sub]
    if (owner < 0).any():
        raise _Unmappable("ColumnTransformer outputs not covered")
    return owner


def _owner_feature_union(step: Any, n_in: int) -> np.ndarray:
    """Owner map of a FeatureUnion: its transformers' maps side by side."""
    parts = [_owner_map(t, n_in) for _, t in step.transformer_list if not _is_drop(t)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _owner_one_hot(step: Any, n_in: int) -> np.ndarray:
    """Owner map of a OneHotEncoder: each input repeated once per output category."""
    counts = getattr(step, "_n_features_outs", None)
    if counts is None:
        drop = getattr(step, "drop_idx_", None)
        counts = [
            len(c) - (0 if drop is None or drop[i] is None else 1)
            for i, c in enumerate(step.categories_)
        ]
    return np.repeat(np.arange(n_in), np.asarray(counts, dtype=np.int64))


def _owner_simple_imputer(step: Any, n_in: int) -> np.ndarray:
    """Owner map of a SimpleImputer: kept columns, then its missing-value indicators."""
    stats = np.asarray(step.statistics_, dtype=object)
    empty = np.asarray(pd.isna(pd.Series(stats, dtype=object)), dtype=bool)
    keep = np.arange(n_in) if step.keep_empty_features else np.flatnonzero(~empty)
    if step.add_indicator and getattr(step, "indicator_", None) is not None:
        keep = np.concatenate([keep, np.asarray(step.indicator_.features_, dtype=np.int64)])
    return keep


def _owner_missing_indicator(step: Any, n_in: int) -> np.ndarray:
    """Owner map of a MissingIndicator: one output per column with missing values."""
    return np.asarray(step.features_, dtype=np.int64)


def _owner_bins(step: Any, n_in: int) -> np.ndarray:
    """Owner map of a KBinsDiscretizer: ordinal codes, or one-hot bins."""
    if step.encode == "ordinal":
        return np.arange(n_in)
    enc = getattr(step, "_encoder", None)
    if enc is not None:
        return _owner_map(enc, n_in)
    return np.repeat(np.arange(n_in), np.asarray(step.n_bins_, dtype=np.int64))


def _owner_spline(step: Any, n_in: int) -> np.ndarray:
    """Owner map of a SplineTransformer: the same number of splines per input."""
    n_out = int(step.n_features_out_)
    if n_in == 0 or n_out % n_in:
        raise _Unmappable("SplineTransformer layout")
    return np.repeat(np.arange(n_in), n_out // n_in)


def _owner_function(step: Any, n_in: int) -> np.ndarray:
    """Owner map of a FunctionTransformer: only element-wise functions can be traced."""
    func = step.func
    if func is None or isinstance(func, np.ufunc) or step.feature_names_out == "one-to-one":
        return np.arange(n_in)
    raise _Unmappable("FunctionTransformer with an arbitrary function")


def _owner_one_to_one(step: Any, n_in: int) -> np.ndarray:
    """Owner map of a column-wise transformer in :data:`_ONE_TO_ONE`."""
    name = type(step).__name__
    n_out = getattr(step, "n_features_out_", None)
    if name == "TargetEncoder" and len(getattr(step, "classes_", [])) > 2:
        raise _Unmappable("multiclass TargetEncoder")
    if n_out is not None and n_out != n_in:
        raise _Unmappable(f"{name} changes the number of columns")
    return np.arange(n_in)


_OWNER_BY_NAME: dict[str, Callable[[Any, int], np.ndarray]] = {
    "ColumnTransformer": _owner_column_transformer,
    "FeatureUnion": _owner_feature_union,
    "OneHotEncoder": _owner_one_hot,
    "SimpleImputer": _owner_simple_imputer,
    "MissingIndicator": _owner_missing_indicator,
    "KBinsDiscretizer": _owner_bins,
    "SplineTransformer": _owner_spline,
    "FunctionTransformer": _owner_function,
}


def _owner_map(step: Any, n_in: int) -> np.ndarray:
    """For each output column of a fitted transformer, the input column it comes from."""
    if _is_passthrough(step):
        return np.arange(n_in)
    if hasattr(step, "steps"):  # nested Pipeline
        return _owner_pipeline(step, n_in)
    name = type(step).__name__
    if name in _OWNER_BY_NAME:
        return _OWNER_BY_NAME[name](step, n_in)
    if hasattr(step, "get_support") and type(step).__module__.startswith(
        "sklearn.feature_selection"
    ):
        return np.asarray(step.get_support(indices=True), dtype=np.int64)
    if name in _ONE_TO_ONE:
        return _owner_one_to_one(step, n_in)
    raise _Unmappable(f"{name} is not a known column-wise transformer")


def _sum_back_matrix(pre: list[Any], X: pd.DataFrame, n_transformed: int) -> sp.csr_matrix:
    """Sparse (n_transformed x n_original) 0/1 matrix mapping transformed to original columns."""
    p = X.shape[1]
    owner = np.arange(p)
    for step in pre:
        names_in = getattr(step, "feature_names_in_", None)
        if (
            step is pre[0]
            and names_in is not None
            and [str(c) for c in names_in] != [str(c) for c in X.columns]
        ):
            raise _Unmappable("the pipeline expects its columns in another order")
        owner = owner[_owner_map(step, len(owner))]
    if len(owner) != n_transformed:
        raise _Unmappable(f"mapped {len(owner)} columns but the pipeline made {n_transformed}")
    return sp.csr_matrix(
        (np.ones(n_transformed), (np.arange(n_transformed), owner)), shape=(n_transformed, p)
    )


# --------------------------------------------------------------------------- numeric coding


class _Codec:
    """Numeric coding of a DataFrame for model-agnostic explainers, and its inverse."""

    def __init__(self, frames: Sequence[pd.DataFrame]) -> None:
        ref = frames[0]
        self.columns = list(ref.columns)
        self.dtypes = [ref[c].dtype for c in self.columns]
        self.categories: list[np.ndarray | None] = []
        for j, c in enumerate(self.columns):
            dt = self.dtypes[j]
            if pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt):
                self.categories.append(None)
                continue
            vals = pd.concat([f[c] for f in frames], ignore_index=True)
            uniq = pd.unique(vals[vals.notna()].astype(object))
            self.categories.append(np.asarray(uniq, dtype=object))

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        """Numbers for every column: numeric as is, categories as their position."""
        out = np.empty((len(X), len(self.columns)), dtype=float)
        for j, c in enumerate(self.columns):
            cats = self.categories[j]
            col = X[c]
            if cats is None:
                out[:, j] = pd.to_numeric(col, errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan
                )
            else:
                lookup = {v: i for i, v in enumerate(cats)}
                out[:, j] = [np.nan if pd.isna(v) else float(lookup[v]) for v in col.astype(object)]
        return out

    def decode(self, A: np.ndarray) -> pd.DataFrame:
        """The DataFrame (original dtypes and categories) that ``A`` encodes."""
        data: dict[str, Any] = {}
        for j, c in enumerate(self.columns):
            cats = self.categories[j]
            col = A[:, j]
            data[c] = self._numeric(col, self.dtypes[j]) if cats is None else self._category(
                col, cats, self.dtypes[j]
            )
        return pd.DataFrame(data, columns=self.columns)

    @staticmethod
    def _numeric(col: np.ndarray, dt: Any) -> Any:
        """A numeric column back in its dtype (integers rounded when nothing is missing)."""
        if pd.api.types.is_integer_dtype(dt) and not np.isnan(col).any():
            return pd.array(np.rint(col).astype(np.int64)).astype(dt)
        return pd.array(col, dtype=dt) if pd.api.types.is_float_dtype(dt) else col

    @staticmethod
    def _category(col: np.ndarray, cats: np.ndarray, dt: Any) -> Any:
        """A categorical column back from category positions (NaN -> missing)."""
        nan = np.isnan(col)
        idx = np.where(nan, 0, np.rint(np.nan_to_num(col))).astype(np.int64)
        vals = (
            np.asarray(cats, dtype=object)[idx]
            if len(cats)
            else np.full(len(col), None, dtype=object)
        )
        vals[nan] = None
        return pd.array(list(vals), dtype=dt)
