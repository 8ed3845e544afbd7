"""The explainers, the additivity check and the fallbacks between them.

* **linear** final estimators (``LogisticRegression``, ``Ridge``, ...) get exact
  interventional SHAP computed directly, ``phi_j = w_j (z_j - mean_background z_j)``,
  in the space the final estimator sees;
* **tree** ensembles (scikit-learn forests / boosting / single trees, LightGBM,
  XGBoost) get ``shap.TreeExplainer`` in *interventional* mode with the
  background sample;
* anything else, and any explainer whose values fail the additivity check, gets a
  model-agnostic shap explainer (``ExactExplainer`` for up to
  :data:`EXACT_MAX_FEATURES` columns, ``PermutationExplainer`` above) on
  numerically coded original columns.

Why interventional for trees: it is the same game the linear and model-agnostic
explainers play (features outside a coalition are drawn from the background), so
attributions mean the same thing whichever explainer ran, and the base value is
the mean model output over a sample of the audited population rather than over
the training data the model remembers in its node counts.

For linear final estimators the values summed back onto the original columns are
exactly the interventional Shapley values of those columns; for trees they are the
(exactly additive) sum of the per-column values, the usual convention for one-hot
encoded inputs.  ``shap.TreeExplainer`` is silently wrong on
``HistGradientBoostingClassifier`` with native categorical splits; the additivity
check is what catches it.
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
from .output import _is_linear, _is_tree, _is_xgboost, _ModelOutput, _units

#: model-agnostic fallback: exact enumeration up to this many original columns
EXACT_MAX_FEATURES = 6
#: model-agnostic fallback: background rows used (small, it multiplies the cost)
AGNOSTIC_BACKGROUND = 50
#: model-agnostic fallback: antithetic permutation pairs per row
PERMUTATIONS = 5

ExactKind = Literal["linear", "tree"]


@dataclass
class _Raw:
    """Attributions of one explainer on the original columns."""

    phi: np.ndarray  # (n_sample, n_features) on original columns
    base: float
    explainer: str
    n_background: int


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
        phi = (Zs * w) @ M - shift
    return _Raw(np.asarray(phi, dtype=float), float(mu @ w + b), "linear_exact", Zb.shape[0])


def _tree(
    out: _ModelOutput, Zs: Any, Zb: Any, M: sp.csr_matrix, interventional: bool = True
) -> _Raw:
    """shap.TreeExplainer on the final estimator, summed back by ``M``."""
    shap = _import_shap()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer = shap.TreeExplainer(
            out.final,
            data=_dense(Zb) if interventional else None,
            feature_perturbation="interventional" if interventional else "tree_path_dependent",
            model_output="raw",
        )
        values = np.asarray(explainer.shap_values(_dense(Zs), check_additivity=False), dtype=float)
    expected = np.ravel(np.asarray(explainer.expected_value, dtype=float))
    if values.ndim == 3:  # one output per class (forests): take the positive class
        values = values[:, :, out.class_idx]
        base = float(expected[out.class_idx])
    else:
        values = out.sign * values
        base = out.sign * float(expected[0])
    name = "tree_interventional" if interventional else "tree_path_dependent"
    return _Raw(
        np.asarray(values @ M, dtype=float), base, name, Zb.shape[0] if interventional else 0
    )


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
            if p <= EXACT_MAX_FEATURES:
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


# --------------------------------------------------------------------------- check and fall back


def _tolerance(final: Any, fx: np.ndarray) -> float:
    """Largest additivity error accepted, relative to the output's scale."""
    scale = max(1.0, float(np.max(np.abs(fx))) if len(fx) else 1.0)
    return (1e-4 if _is_xgboost(final) else 1e-6) * scale  # XGBoost computes in float32


def _additivity_error(raw: _Raw, fx: np.ndarray) -> float:
    """Largest gap between ``base + sum(phi)`` and the model's own output."""
    return float(np.max(np.abs(raw.base + raw.phi.sum(1) - fx)))


def _exact_kind(final: Any, out: _ModelOutput) -> ExactKind | None:
    """Which exact explainer fits the final estimator (``None``: model-agnostic only)."""
    if _is_linear(final) and out.space != "probability":
        return "linear"
    return "tree" if _is_tree(final) else None


def _path_dependent(
    out: _ModelOutput, Zs: Any, Zb: Any, M: sp.csr_matrix, raw: _Raw, fx: np.ndarray,
    tol: float, notes: list[str],
) -> _Raw:
    """The path-dependent TreeExplainer when it adds up and the interventional one did not."""
    # shap's interventional TreeExplainer rounds split thresholds to float32 and can send a
    # row down the other branch than the model; the path-dependent algorithm reads the same
    # trees without that problem in most cases.
    err = _additivity_error(raw, fx)
    bad = int(np.sum(np.abs(raw.base + raw.phi.sum(1) - fx) > tol))
    try:
        alt = _tree(out, Zs, Zb, M, interventional=False)
        alt_err = _additivity_error(alt, fx)
    except Exception:
        return raw
    if alt_err <= tol:
        notes.append(words.path_dependent_note(bad, len(fx), err))
        return alt
    return raw


def _exact(
    out: _ModelOutput, kind: ExactKind, pre: list[Any], Xs: pd.DataFrame, Xb: pd.DataFrame,
    fx: np.ndarray, tol: float, notes: list[str],
) -> _Raw | None:
    """The exact explainer's values, or ``None`` (with a note) when they cannot be used."""
    first_try = words.FIRST_TRY[kind]
    try:
        Zs = _as_matrix(_transform(pre, Xs))
        Zb = _as_matrix(_transform(pre, Xb))
        M = _sum_back_matrix(pre, Xs, Zs.shape[1])
        raw = _linear(out, Zs, Zb, M) if kind == "linear" else _tree(out, Zs, Zb, M)
    except _Unmappable as exc:
        notes.append(words.untraceable_note(first_try, str(exc)))
        return None
    except Exception as exc:
        notes.append(words.explainer_failed_note(first_try, type(exc).__name__))
        return None
    if kind == "tree" and not _additivity_error(raw, fx) <= tol:
        raw = _path_dependent(out, Zs, Zb, M, raw, fx, tol, notes)
    err = _additivity_error(raw, fx)
    if not err <= tol:
        notes.append(words.discarded_note(first_try, err, _units(out), tol))
        return None
    return raw


def _attribute(
    out: _ModelOutput, pre: list[Any], final: Any, Xs: pd.DataFrame, Xb: pd.DataFrame,
    fx: np.ndarray, tol: float, seed: int, notes: list[str],
) -> _Raw:
    """The exact explainer when it applies and adds up, else the model-agnostic one."""
    kind = _exact_kind(final, out)
    raw = _exact(out, kind, pre, Xs, Xb, fx, tol, notes) if kind is not None else None
    return raw if raw is not None else _agnostic(out, Xs, Xb, seed)
