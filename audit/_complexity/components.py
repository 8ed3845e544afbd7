"""The score's components: effective features, non-additivity, non-linearity, size, fidelity.

Non-additivity and non-linearity come from surrogates fitted to the model's continuous
output; fidelity from a depth-3 tree fitted to its decisions.  Each component's sub-score
and the combined 0-100 score follow :data:`audit._result.complexity.SCORE_FORMULA`.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from .._result.complexity import WEIGHTS, Component
from .._words import complexity as words
from .coding import _Coded, _constant, _r2

#: Share of total mean |SHAP| the "effective features" must hold.
EFFECTIVE_SHARE = 0.90
#: Effective-feature count at which that sub-score is 0.5 is ``1 + FEATURE_HALF``.
FEATURE_HALF = 10.0
#: Size (trees x leaves, coefficients or parameters) at or below which size costs nothing.
SIZE_FREE = 10.0
#: Decades of size above ``SIZE_FREE`` after which the size sub-score reaches 0 (10 -> 10,000).
SIZE_DECADES = 3.0
#: Non-additivity / non-linearity at which those sub-scores reach 0.
SHARE_ZERO = 0.5
#: Below this best surrogate R^2 the shares are not normalised by it.
REFERENCE_MIN_R2 = 0.5
#: Fewest rows needed to fit and evaluate the surrogates.
MIN_ROWS = 40
#: The shape surrogates' boosting: learning rate and the iterations without improvement on
#: their 15% validation split after which they stop.  0.1 and 20 cost 1.4-2.1 s per audit
#: (six fits of 70-500 iterations); 0.2 and 10 halve the iterations and moved the demo's
#: shares by under 0.004 and its score by 0.2 points, with the same outcome.
SURROGATE_LEARNING_RATE = 0.2
SURROGATE_NO_CHANGE = 10

# --------------------------------------------------------------------------------------
# Sub-scores and the combined score
# --------------------------------------------------------------------------------------


def _subscore(key: str, value: float | None, task: str) -> float | None:
    """Map a component's value to [0, 1] (1 = most interpretable)."""
    if value is None or not math.isfinite(value):
        return None
    if key == "effective_features":
        return 1.0 / (1.0 + max(value - 1.0, 0.0) / FEATURE_HALF)
    if key in ("non_additivity", "non_linearity"):
        return max(0.0, 1.0 - value / SHARE_ZERO)
    if key == "size":
        if value <= SIZE_FREE:
            return 1.0
        return 1.0 - min(1.0, math.log10(value / SIZE_FREE) / SIZE_DECADES)
    if key == "fidelity":
        if task == "binary":
            return min(1.0, max(0.0, (value - 0.5) / 0.5))
        return min(1.0, max(0.0, value))
    raise KeyError(key)


def _component(
    key: str,
    value: float | None,
    task: str,
    *,
    reason: str | None = None,
    note: str = "",
    extra: dict[str, float | None] | None = None,
) -> Component:
    """One component with its wording, sub-score and weight (``None`` value: ``reason`` says why)."""
    title, meaning, formula = words.COMPONENT_TEXT[key]
    if value is not None and not math.isfinite(value):
        value, reason = None, reason or words.NON_FINITE
    return Component(
        key=key,
        title=title,
        value=None if value is None else float(value),
        meaning=meaning,
        formula=formula,
        subscore=_subscore(key, value, task),
        weight=WEIGHTS[key],
        reason=reason if value is None else None,
        note=note,
        extra=dict(extra or {}),
    )


def size_component(size: int | None, note: str, task: str) -> Component:
    """The size component from :func:`audit._complexity.size.model_size`'s answer."""
    return _component("size", None if size is None else float(size), task, reason=note, note=note)


def _apply_size(components: tuple[Component, ...]) -> tuple[Component, ...]:
    """Let interactions and curves cost in proportion to the model's size (see SCORE_FORMULA)."""
    size = next((c for c in components if c.key == "size"), None)
    s_size = None if size is None else size.subscore
    out = []
    for c in components:
        if c.key in ("non_additivity", "non_linearity") and c.subscore is not None:
            raw = c.subscore
            if s_size is None:
                c = replace(c, note=words.size_unknown(c.note), extra={**c.extra, "shape_subscore": raw})
            else:
                adjusted = 1.0 - (1.0 - raw) * (1.0 - s_size)
                c = replace(c, subscore=adjusted, extra={**c.extra, "shape_subscore": raw})
        out.append(c)
    return tuple(out)


def _combine(components: tuple[Component, ...], keys: tuple[str, ...]) -> float | None:
    """Weighted mean of the sub-scores of ``keys``, as 0-100 rounded to 0.1."""
    num = den = 0.0
    for c in components:
        if c.key in keys and c.subscore is not None:
            num += c.weight * c.subscore
            den += c.weight
    if den == 0:
        return None
    return round(100.0 * num / den, 1)


def interpretability_score(
    components: tuple[Component, ...], keys: tuple[str, ...] | None = None
) -> float | None:
    """Combine components into the 0-100 interpretability score of :data:`SCORE_FORMULA`.

    Parameters
    ----------
    components : tuple of Component
        Measured components (unavailable ones have ``subscore=None``).
    keys : tuple of str, optional
        Restrict the score to these component keys (to compare two models on the
        same footing); all available components by default.

    Returns
    -------
    float or None
        The score rounded to 0.1, or ``None`` when no component is available.
    """
    if keys is None:
        keys = tuple(c.key for c in components)
    return _combine(components, keys)


# --------------------------------------------------------------------------------------
# Effective features
# --------------------------------------------------------------------------------------


def effective_features(mean_abs: dict[str, float], share: float = EFFECTIVE_SHARE) -> int:
    """Fewest features whose mean |SHAP| values together reach ``share`` of the total.

    Parameters
    ----------
    mean_abs : dict of str to float
        Global mean absolute SHAP value per feature (non-finite values are ignored).
    share : float, default 0.9
        Fraction of the total attribution to cover.

    Returns
    -------
    int
        The count; 0 when every attribution is zero (a constant model).

    Examples
    --------
    >>> effective_features({"a": 5.0, "b": 4.0, "c": 1.0})
    2
    """
    vals = np.array(sorted((abs(v) for v in mean_abs.values() if math.isfinite(v)), reverse=True))
    total = float(vals.sum())
    if total <= 0:
        return 0
    cum = np.cumsum(vals)
    return int(np.searchsorted(cum, share * total * (1 - 1e-12)) + 1)


def _effective_component(mean_abs: dict[str, float] | None, task: str, note: str) -> Component:
    """The effective-features component from mean |SHAP| per feature (``note``: their source)."""
    if mean_abs is None:
        return _component("effective_features", None, task, reason=words.NO_SHAP)
    finite = {k: float(v) for k, v in mean_abs.items() if v is not None and math.isfinite(v)}
    if not finite:
        return _component("effective_features", None, task, reason=words.NO_FINITE_SHAP)
    k = effective_features(finite)
    total = sum(abs(v) for v in finite.values())
    text = words.effective_note(note, k, len(finite))
    if total == 0:
        text = words.all_shap_zero(note)
    return _component(
        "effective_features",
        float(k),
        task,
        note=text,
        extra={"features_with_shap": float(len(finite))},
    )


# --------------------------------------------------------------------------------------
# Surrogates: non-additivity, non-linearity, fidelity
# --------------------------------------------------------------------------------------


def _fit_shape_surrogates(
    output: np.ndarray, coded: _Coded, train: np.ndarray, seed: int
) -> tuple[Any, Any, Any]:
    """Fit the additive booster, the booster with interactions and the ridge to ``output``."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge

    y_tr, Xo_tr = output[train], coded.ordinal[train]
    p = coded.ordinal.shape[1]
    common: dict[str, Any] = {
        "max_iter": 500,
        "learning_rate": SURROGATE_LEARNING_RATE,
        "max_leaf_nodes": 15,
        "early_stopping": True,
        "validation_fraction": 0.15,
        "n_iter_no_change": SURROGATE_NO_CHANGE,
        "random_state": seed,
        "categorical_features": coded.is_cat if coded.is_cat.any() else None,
    }
    additive = HistGradientBoostingRegressor(
        interaction_cst=[[i] for i in range(p)], **common
    ).fit(Xo_tr, y_tr)
    full = HistGradientBoostingRegressor(**common).fit(Xo_tr, y_tr)
    ridge = Ridge(alpha=1.0).fit(coded.design[train], y_tr)
    return additive, full, ridge


def _shape_from_r2(
    r2_add: float, r2_full: float, r2_lin: float, task: str
) -> tuple[Component, Component]:
    """Non-additivity and non-linearity from the surrogates' held-out R^2."""
    r2_ref = max(r2_full, r2_add, r2_lin)
    extra: dict[str, float | None] = {
        "r2_additive": r2_add,
        "r2_linear": r2_lin,
        "r2_with_interactions": r2_full,
        "r2_reference": r2_ref,
    }
    if r2_ref >= REFERENCE_MIN_R2:
        v_add = 1.0 - r2_add / r2_ref
        v_lin = 1.0 - r2_lin / r2_ref
        how = words.relative_to_reference(r2_ref)
    else:
        v_add, v_lin = 1.0 - r2_add, 1.0 - r2_lin
        how = words.unnormalised(r2_ref)
    non_add = _component(
        "non_additivity",
        min(1.0, max(0.0, v_add)),
        task,
        note=words.non_additivity_note(r2_add, r2_full, how),
        extra=extra,
    )
    non_lin = _component(
        "non_linearity",
        min(1.0, max(0.0, v_lin)),
        task,
        note=words.non_linearity_note(r2_lin, how),
        extra=extra,
    )
    return non_add, non_lin


def _shape_components(
    output: np.ndarray, coded: _Coded, train: np.ndarray, test: np.ndarray, task: str, seed: int
) -> tuple[Component, Component]:
    """Non-additivity and non-linearity: surrogates of the continuous output."""
    if _constant(output):
        non_add = _component("non_additivity", 0.0, task, note=words.CONSTANT_OUTPUT)
        non_lin = _component("non_linearity", 0.0, task, note=words.CONSTANT_OUTPUT)
        return non_add, non_lin
    additive, full, ridge = _fit_shape_surrogates(output, coded, train, seed)
    y_te, Xo_te = output[test], coded.ordinal[test]
    if _constant(y_te):
        why = words.CONSTANT_HELD_OUT
        return (
            _component("non_additivity", None, task, reason=why),
            _component("non_linearity", None, task, reason=why),
        )
    r2_add = _r2(y_te, additive.predict(Xo_te))
    r2_full = _r2(y_te, full.predict(Xo_te))
    r2_lin = _r2(y_te, ridge.predict(coded.design[test]))
    return _shape_from_r2(r2_add, r2_full, r2_lin, task)


def _fidelity_component(
    labels: np.ndarray, coded: _Coded, train: np.ndarray, test: np.ndarray, task: str, seed: int
) -> Component:
    """Fidelity of a depth-3 tree to the model's predictions."""
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    D = coded.design
    if task == "binary":
        tree_c = DecisionTreeClassifier(max_depth=3, random_state=seed)
        tree_c.fit(D[train], labels[train])
        acc = float(np.mean(tree_c.predict(D[test]) == labels[test]))
        agree = float(max(labels[test].mean(), 1 - labels[test].mean()))
        return _component(
            "fidelity",
            acc,
            task,
            note=words.fidelity_binary_note(acc, agree),
            extra={"majority_agreement": agree},
        )
    if _constant(labels[test]):
        return _component("fidelity", 1.0, task, note=words.CONSTANT_PREDICTIONS)
    tree_r = DecisionTreeRegressor(max_depth=3, random_state=seed)
    tree_r.fit(D[train], labels[train])
    r2 = _r2(labels[test], tree_r.predict(D[test]))
    return _component("fidelity", r2, task, note=words.fidelity_regression_note(r2))


def _surrogate_components(
    output: np.ndarray,
    labels: np.ndarray,
    coded: _Coded,
    train: np.ndarray,
    test: np.ndarray,
    task: str,
    seed: int,
) -> tuple[Component, Component, Component]:
    """Non-additivity, non-linearity and fidelity from surrogates fitted to one model."""
    n = len(train) + len(test)
    if n < MIN_ROWS or len(test) < 10:
        why = words.too_few_surrogate_rows(n, MIN_ROWS)
        return (
            _component("non_additivity", None, task, reason=why),
            _component("non_linearity", None, task, reason=why),
            _component("fidelity", None, task, reason=why),
        )
    non_add, non_lin = _shape_components(output, coded, train, test, task, seed)
    fid = _fidelity_component(labels, coded, train, test, task, seed)
    return non_add, non_lin, fid
