"""The explainers, the additivity check and the choice between them.

* **linear** final estimators (``LogisticRegression``, ``Ridge``, ...) get exact
  interventional SHAP computed directly, ``phi_j = w_j (z_j - mean_background z_j)``,
  in the space the final estimator sees;
* **tree** models get exact *path-dependent* TreeSHAP, one definition for all of
  them whatever their split types (:mod:`.trees`): our TreeSHAP over
  ``HistGradientBoosting``'s fitted nodes, over LightGBM's trees (its own ``pred_contrib``
  for a model we do not read or whose values of ours do not add up to its raw score,
  :func:`_lightgbm`) and, in float64, over XGBoost's trees (categorical splits included;
  XGBoost's own float32 ``pred_contribs`` for a model we do not read) and over
  RandomForest / ExtraTrees trees (shap's TreeExplainer when ours do not add up to the
  forest's output, :func:`_forest`), ``shap.TreeExplainer(feature_perturbation=
  "tree_path_dependent")`` for the other scikit-learn trees.  There is
  no model-agnostic fallback for a tree model: if its values do not add up to the
  model's output, :class:`TreeShapError` is raised and the explanation section
  reports the failure instead of silently switching to sampled values;
* anything else gets a model-agnostic shap explainer on numerically coded original
  columns: exact enumeration (``ExactExplainer``) when its cost, 2^M coalitions x
  background x rows model evaluations, is at most :data:`EXACT_VS_PERMUTATION` times
  the permutation explainer's or within :data:`EXACT_MAX_EVALS`, else
  ``PermutationExplainer``.  A linear model whose values do not add up also ends here.

Why path-dependent for trees: it is exact and fast for every tree model, it needs no
background sample, and it is what LightGBM and XGBoost compute natively with their
categorical splits; shap's interventional TreeExplainer fails additivity on
``HistGradientBoosting`` models (float32 thresholds, missing-value branches) and does
not exist for categorical splits, so keeping it would give one model two definitions
depending on its split types.  Path-dependent values integrate an absent feature out
over the training rows' paths through the trees (the base value is the training
data's mean raw output); linear and model-agnostic values integrate it out over the
background sample of the audited rows.

For linear final estimators the values summed back onto the original columns are
exactly the interventional Shapley values of those columns; for trees they are the
(exactly additive) sum of the per-column values, the usual convention for one-hot
encoded inputs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._words import explain as words
from .mapping import _Codec, _sum_back_matrix, _transform, _Unmappable
from .output import _is_lightgbm, _is_linear, _is_tree, _is_xgboost, _ModelOutput, _units
from .trees import (
    _is_hgb,
    forest_contribs,
    hgb_contribs,
    is_sklearn_forest,
    lightgbm_contribs,
    lightgbm_float64_contribs,
    lightgbm_model,
    lightgbm_unsupported,
    xgboost_contribs,
    xgboost_float64_contribs,
    xgboost_model,
    xgboost_unsupported,
)

#: model-agnostic: exact enumeration when it costs at most this many times the permutation's
#: model evaluations (it is exact, and shap's exact explainer shares work between coalitions)
EXACT_VS_PERMUTATION = 2.0
#: model-agnostic: exact enumeration whenever it needs at most this many model-row evaluations
EXACT_MAX_EVALS = 20_000_000
#: model-agnostic fallback: background rows used (small, it multiplies the cost)
AGNOSTIC_BACKGROUND = 50
#: model-agnostic fallback: antithetic permutation pairs per row
PERMUTATIONS = 5
#: linear sum-back: values per block of rows (kept in the CPU cache)
_SUM_BACK_BLOCK = 131_072
#: linear sum-back: an original column with more transformed columns keeps scipy's product
_SUM_BACK_MAX_RANK = 64

ExactKind = Literal["linear", "tree"]


class TreeShapError(RuntimeError):
    """A tree model's TreeSHAP values failed (or did not add up): reported, never replaced."""


@dataclass
class _Raw:
    """Attributions of one explainer on the original columns.

    ``reference``: the model's output computed in float64 by the explainer's own reading of
    the model (our XGBoost TreeSHAP: the leaves XGBoost routes each row to), which the
    values must add up to; ``allowed``: per row, how far the model's own output may be from
    it by float32 rounding (:func:`_reference_output`); ``note``: why this explainer ran.
    """

    phi: np.ndarray  # (n_sample, n_features) on original columns
    base: float
    explainer: str
    n_background: int
    reference: np.ndarray | None = None
    allowed: np.ndarray | None = None
    note: str | None = None


def _as_matrix(Z: Any) -> Any:
    """A float matrix, kept sparse when it is sparse."""
    if sp.issparse(Z):
        return sp.csr_matrix(Z, dtype=float)
    return np.asarray(Z, dtype=float)


def _dense(Z: Any) -> np.ndarray:
    """A dense float array."""
    return Z.toarray() if sp.issparse(Z) else np.asarray(Z, dtype=float)


def _import_shap() -> Any:
    """Import shap without its import-time warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap

    return shap


# --------------------------------------------------------------------------- the explainers


def _linear(out: _ModelOutput, Zs: Any, Zb: Any, M: sp.csr_matrix) -> _Raw:
    """Exact interventional SHAP of a linear final estimator, summed back by ``M``."""
    final = out.final
    coef = np.asarray(final.coef_, dtype=float)
    if coef.ndim == 2:
        if coef.shape[0] != 1:
            raise _Unmappable("multi-output linear model")
        coef = coef[0]
    intercept = (
        float(np.ravel(np.asarray(final.intercept_, dtype=float))[0])
        if np.ndim(final.intercept_)
        else float(final.intercept_)
    )
    w = out.sign * coef
    b = out.sign * intercept
    mu = np.asarray(Zb.mean(axis=0), dtype=float).ravel()
    shift = (mu * w) @ M  # (p,)
    if sp.issparse(Zs):
        phi = np.asarray((Zs @ sp.diags(w) @ M).todense()) - shift
    else:
        phi = _scaled_sum_back(Zs, w, M, shift)
    return _Raw(np.asarray(phi, dtype=float), float(mu @ w + b), "linear_exact", Zb.shape[0])


def _scaled_sum_back(Z: np.ndarray, w: np.ndarray, M: sp.csr_matrix, shift: np.ndarray) -> np.ndarray:
    """``(Z * w) @ M - shift`` for a dense ``Z`` and an owner map ``M``, the same to the bit.

    scipy computes a dense-times-sparse product on transposed copies of both (most of
    the linear explainer's time at 1M rows); here each original column's sum is
    built the way scipy builds it: 0.0, plus its transformed columns in column order
    (``M`` has one 1 per row, so each product term is the value itself).  Blocks of
    rows small enough to stay in the CPU cache; the r-th column of every original
    column is added in one step.  An owner with more than :data:`_SUM_BACK_MAX_RANK`
    columns (a wide dense one-hot) keeps scipy's product.
    """
    q, p = M.shape
    if M.nnz != q or np.any(np.diff(M.indptr) != 1) or np.any(M.data != 1.0):
        return np.asarray((Z * w) @ M - shift)
    owner = M.indices  # one entry per row: the row's original column
    cols = np.argsort(owner, kind="stable")  # transformed columns by owner, in order
    first = np.searchsorted(owner[cols], np.arange(p))  # rank 0 of each owner (if any)
    rank = np.arange(q) - first[owner[cols]]
    if q and rank.max() >= _SUM_BACK_MAX_RANK:
        return np.asarray((Z * w) @ M - shift)
    steps = [(owner[cols[rank == r]], cols[rank == r]) for r in range(int(rank.max(initial=-1)) + 1)]
    phi = np.empty((Z.shape[0], p), order="F")  # scipy's layout: later reductions run alike
    step = max(64, _SUM_BACK_BLOCK // max(q, 1))
    for lo in range(0, Z.shape[0], step):
        A = Z[lo : lo + step] * w
        S = np.zeros((len(A), p))
        for js, ks in steps:
            S[:, js] += A[:, ks]
        np.subtract(S, shift, out=phi[lo : lo + step])
    return phi


def _shap_tree(out: _ModelOutput, Z: Any) -> tuple[np.ndarray, float, bool]:
    """shap.TreeExplainer, path-dependent: values, base, and whether they are per class."""
    shap = _import_shap()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer = shap.TreeExplainer(
            out.final, feature_perturbation="tree_path_dependent", model_output="raw"
        )
        values = np.asarray(explainer.shap_values(_dense(Z), check_additivity=False), dtype=float)
    expected = np.ravel(np.asarray(explainer.expected_value, dtype=float))
    if values.ndim == 3:  # one output per class (forests): take the positive class
        return values[:, :, out.class_idx], float(expected[out.class_idx]), True
    return values, float(expected[0]), False


def _n_outputs(final: Any) -> int:
    """Trees per boosting round (1 for binary classification and regression)."""
    n = getattr(final, "n_trees_per_iteration_", None)
    if n is None and (_is_lightgbm(final) or _is_xgboost(final)):
        n = len(getattr(final, "classes_", [0, 1]))
        n = 1 if n <= 2 else n
    return int(n or 1)


def _xgboost(final: Any, Z: Any, k: int) -> _Raw:
    """XGBoost's values per transformed column: our float64 TreeSHAP when it reads the
    model exactly, else XGBoost's own float32 ``pred_contribs`` (with a note saying why)."""
    model = xgboost_model(final)
    why = xgboost_unsupported(final, model)
    if why is None:
        phi, base, reference, allowed = xgboost_float64_contribs(final, Z, k, model)
        return _Raw(phi, base, "xgboost_float64_tree_shap", 0, reference, allowed)
    phi, base = xgboost_contribs(final, Z, k)
    return _Raw(phi, base, "xgboost_tree_shap", 0, note=words.xgboost_native_note(why))


#: our LightGBM TreeSHAP must add up to LightGBM's float64 raw score within this much
#: (relative to the output's scale), else LightGBM's own ``pred_contrib`` replaces it
LIGHTGBM_ADDITIVITY = 1e-9


def _lightgbm(final: Any, Z: Any, k: int, score: np.ndarray | None = None) -> _Raw:
    """LightGBM's values per transformed column: our TreeSHAP when it reads the model
    exactly and its values add up to LightGBM's raw score within
    :data:`LIGHTGBM_ADDITIVITY`, else LightGBM's own ``pred_contrib`` (with a note saying
    why).  The same definition either way, so a failure of ours is never reported: the
    values LightGBM computes itself replace them (and are checked as every tree model's).
    ``score``: output ``k``'s raw score on ``Z`` when the explained output is it (else it
    is predicted here)."""
    model = lightgbm_model(final)
    why = lightgbm_unsupported(model)
    if why is None:
        raw = _Raw(*lightgbm_float64_contribs(final, Z, k, model), "lightgbm_float64_tree_shap", 0)
        fx = score if score is not None else np.asarray(
            final.predict(Z, raw_score=True), dtype=float).reshape(Z.shape[0], -1)[:, k]
        err, allowed = _additivity_error(raw, fx), LIGHTGBM_ADDITIVITY * _scale(fx)
        if err <= allowed:  # NaN fails
            return raw
        why = words.lightgbm_not_additive(err, allowed)
    phi, base = lightgbm_contribs(final, Z, k)
    return _Raw(phi, base, "lightgbm_tree_shap", 0, note=words.lightgbm_native_note(why))


#: our TreeSHAP of a RandomForest / ExtraTrees model must add up to the forest's own output
#: within this much (relative to the output's scale), else shap's TreeExplainer replaces it
FOREST_ADDITIVITY = 1e-9


def _forest(out: _ModelOutput, Z: Any, fx: np.ndarray) -> tuple[_Raw, bool]:
    """A RandomForest / ExtraTrees model's values per transformed column: our TreeSHAP when
    they add up to the explained output ``fx`` (the forest's probability of the positive
    class, or its prediction) within :data:`FOREST_ADDITIVITY`, else shap's TreeExplainer
    (the same definition) with a note saying why; and whether they are one class's (so not
    signed)."""
    classifier = hasattr(out.final, "classes_")
    raw = _Raw(*forest_contribs(out.final, Z, out.class_idx if classifier else 0),
               "forest_tree_shap", 0)
    err, allowed = _additivity_error(raw, fx), FOREST_ADDITIVITY * _scale(fx)
    if err <= allowed:  # NaN fails
        return raw, classifier
    phi, base, multi = _shap_tree(out, Z)
    return _Raw(phi, base, "tree_path_dependent", 0,
                note=words.forest_native_note(err, allowed)), multi


def _tree(out: _ModelOutput, Z: Any, M: sp.csr_matrix, fx: np.ndarray) -> _Raw:
    """Path-dependent TreeSHAP of the final estimator on ``Z`` (as it sees it), summed back.

    ``fx``: the explained output on those rows, already computed (signed: a LightGBM
    model's raw score times ``out.sign`` when that is the output).
    """
    final = out.final
    multi = _n_outputs(final) > 1
    k = out.class_idx if multi else 0
    raw = None
    if _is_lightgbm(final):
        score = out.sign * fx if out.kind == "lgbm" and not multi else None
        raw = _lightgbm(final, Z, k, score)
    elif _is_xgboost(final):
        raw = _xgboost(final, Z, k)
    elif is_sklearn_forest(final):
        raw, multi = _forest(out, Z, fx)
    if raw is not None:
        phi, base, name = raw.phi, raw.base, raw.explainer
    elif _is_hgb(final):
        phi, base, name = *hgb_contribs(final, Z, k), "hgb_tree_shap"
    else:
        phi, base, multi = _shap_tree(out, Z)
        name = "tree_path_dependent"
    sign = 1.0 if multi else out.sign
    result = _Raw(np.asarray(sign * phi @ M, dtype=float), sign * base, name, 0)
    if raw is not None:
        result.note, result.allowed = raw.note, raw.allowed
        result.reference = None if raw.reference is None else sign * raw.reference
    return result


def _agnostic_exact(p: int, n_rows: int, n_background: int) -> bool:
    """Whether exact enumeration is cheap enough, by its cost in model-row evaluations."""
    exact = 2.0**p * n_background * n_rows
    permutation = PERMUTATIONS * (2 * p + 1) * n_background * n_rows
    return exact <= EXACT_VS_PERMUTATION * permutation or exact <= EXACT_MAX_EVALS


def _agnostic(out: _ModelOutput, Xs: pd.DataFrame, Xb: pd.DataFrame, seed: int) -> _Raw:
    """Model-agnostic shap explainer (exact or permutation) on the original columns."""
    shap = _import_shap()
    codec = _Codec([Xs, Xb])
    A = codec.encode(Xs)
    Ab = codec.encode(Xb.iloc[: min(len(Xb), AGNOSTIC_BACKGROUND)])
    p = A.shape[1]

    def f(arr: np.ndarray) -> np.ndarray:
        return out(codec.decode(np.asarray(arr, dtype=float)))

    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    state = np.random.get_state()  # PermutationExplainer reseeds numpy's global RNG
    try:
        # thousands of small model calls: thread start-up costs more than it saves
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            masker = shap.maskers.Independent(Ab, max_samples=len(Ab))
            if _agnostic_exact(p, len(A), len(Ab)):
                res = shap.ExactExplainer(f, masker)(A, silent=True)
                name = "exact"
            else:
                res = shap.PermutationExplainer(f, masker, seed=seed)(
                    A, max_evals=PERMUTATIONS * (2 * p + 1), silent=True
                )
                name = "permutation"
    finally:
        np.random.set_state(state)
    values = np.asarray(res.values, dtype=float)
    base = float(np.ravel(np.asarray(res.base_values, dtype=float))[0])
    return _Raw(values, base, name, len(Ab))


# --------------------------------------------------------------------------- check and choose


def _tolerance(final: Any, fx: np.ndarray, float64: bool = False) -> float:
    """Largest additivity error accepted, relative to the output's scale: 1e-6, and 1e-4
    for XGBoost's own output and values, which it computes in float32 (``float64``: the
    output is the float64 sum of XGBoost's leaves, :func:`_reference_output`)."""
    return (1e-4 if _is_xgboost(final) and not float64 else 1e-6) * _scale(fx)


def _scale(fx: np.ndarray) -> float:
    """The output's scale, which additivity tolerances are relative to: its largest
    magnitude, at least 1."""
    return max(1.0, float(np.max(np.abs(fx))) if len(fx) else 1.0)


def _reference_output(
    raw: _Raw, out: _ModelOutput, fx: np.ndarray, tol: float
) -> tuple[np.ndarray, float]:
    """The output the values must add up to, and the tolerance.

    When the explainer computed the model's output in float64 itself (``raw.reference``,
    our XGBoost TreeSHAP), that output, with the strict tolerance, after checking on every
    row that the model's own (float32) output ``fx`` is within float32 rounding of it:
    otherwise the two do not describe the same model, and :class:`TreeShapError` is raised.
    """
    if raw.reference is None or raw.allowed is None:
        return fx, tol
    excess = np.abs(fx - raw.reference) - raw.allowed
    if len(fx) and not np.all(excess <= 0):  # NaN too
        i = int(np.argmax(np.where(np.isnan(excess), np.inf, excess)))
        raise TreeShapError(words.float32_output_off(
            float(abs(fx[i] - raw.reference[i])), float(raw.allowed[i]), _units(out)))
    return raw.reference, _tolerance(out.final, raw.reference, float64=True)


def _additivity_error(raw: _Raw, fx: np.ndarray) -> float:
    """Largest gap between ``base + sum(phi)`` and the model's own output."""
    return float(np.max(np.abs(raw.base + raw.phi.sum(1) - fx))) if len(fx) else 0.0


def _exact_kind(final: Any, out: _ModelOutput) -> ExactKind | None:
    """Which exact explainer fits the final estimator (``None``: model-agnostic only)."""
    if _is_linear(final) and out.space != "probability":
        return "linear"
    return "tree" if _is_tree(final) else None


def _run_exact(
    out: _ModelOutput, kind: ExactKind, pre: list[Any], Xs: pd.DataFrame, Xb: pd.DataFrame,
    fx: np.ndarray,
) -> _Raw:
    """The exact explainer's values on the original columns (errors propagate); ``fx``: the
    explained output on ``Xs``, already computed."""
    Z = out.transformed(Xs)
    M = _sum_back_matrix(pre, Xs, Z.shape[1])
    if kind == "tree":
        return _tree(out, Z, M, fx)
    return _linear(out, _as_matrix(Z), _as_matrix(_transform(pre, Xb)), M)


def _exact(
    out: _ModelOutput, kind: ExactKind, pre: list[Any], Xs: pd.DataFrame, Xb: pd.DataFrame,
    fx: np.ndarray, tol: float, notes: list[str],
) -> _Raw | None:
    """The exact explainer's values, or ``None`` (with a note) when they cannot be used.

    Raises :class:`TreeShapError` when a tree model's TreeSHAP fails or does not add up.
    """
    first_try = words.FIRST_TRY[kind]
    try:
        raw = _run_exact(out, kind, pre, Xs, Xb, fx)
    except _Unmappable as exc:
        notes.append(words.untraceable_note(first_try, str(exc)))
        return None
    except Exception as exc:
        if kind == "tree":
            raise TreeShapError(words.tree_shap_failed(type(exc).__name__, str(exc))) from exc
        notes.append(words.explainer_failed_note(first_try, type(exc).__name__))
        return None
    fx, tol = _reference_output(raw, out, fx, tol)
    err = _additivity_error(raw, fx)
    if err <= tol:
        return raw
    if kind == "tree":
        raise TreeShapError(words.tree_shap_not_additive(raw.explainer, err, _units(out), tol))
    notes.append(words.discarded_note(first_try, err, _units(out), tol))
    return None


def _attribute(
    out: _ModelOutput, pre: list[Any], final: Any, Xs: pd.DataFrame, Xb: pd.DataFrame,
    fx: np.ndarray, tol: float, seed: int, notes: list[str],
) -> _Raw:
    """The exact explainer when it applies and adds up, else the model-agnostic one."""
    kind = _exact_kind(final, out)
    raw = _exact(out, kind, pre, Xs, Xb, fx, tol, notes) if kind is not None else None
    return raw if raw is not None else _agnostic(out, Xs, Xb, seed)
