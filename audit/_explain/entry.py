"""The entry point: explain the model on every row or a stratified sample, by group, with gaps.

:func:`explain` checks its inputs, sizes the sample to the SHAP stage's time budget
(:mod:`.budget`: every row when the cost model says that fits), draws it (:mod:`.sampling`) and the
background, computes the attributions (:mod:`.attributions`, :mod:`.explainers`),
summarises them per group and decomposes every gap (:mod:`.gaps`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import InputError
from .._inputs.model import ModelAdapter
from .._inputs.prepared import Grouping
from .._result.explanation import (
    EXPLAINER_DESCRIPTIONS,
    Explanation,
    GapDecomposition,
    GroupingAttribution,
)
from .._words import explain as words
from .attributions import (
    Attributions,
    _beeswarm,
    _global_importance,
    _group_attribution,
    _importance_order,
    _probabilities,
    compute_attributions,
)
from .budget import MIN_ROWS, SampleSize, size_sample
from .gaps import BOOT_MAX_ROWS, _decompose, _summary
from .output import _units
from .sampling import stratified_sample
from .split import Sorting, Work, columns, in_group_order, split


@dataclass(frozen=True)
class _Explained:
    """The explained sample: its rows, weights and attributions, and how it was drawn."""

    rows: np.ndarray
    weights: np.ndarray
    sampling: str
    weighted: bool
    Xs: pd.DataFrame
    features: list[str]
    att: Attributions


def _check_inputs(
    X: pd.DataFrame, groupings: Sequence[Grouping], n_sample: int | None, n_background: int,
    n_boot: int, seconds: float | None,
) -> None:
    """Raise InputError for empty data, bad sizes or groupings not aligned with ``X``."""
    if not isinstance(X, pd.DataFrame) or len(X) == 0 or X.shape[1] == 0:
        raise InputError(
            "explain: X must be a non-empty DataFrame of the model's input columns - "
            f"found {type(X).__name__} with shape {getattr(X, 'shape', None)}"
        )
    for name, value in (("n_sample", n_sample), ("n_background", n_background)):
        if value is not None and int(value) < 1:
            raise InputError(f"explain: {name} must be at least 1 - found {value}")
    if seconds is not None and not seconds > 0:
        raise InputError(f"explain: budget_seconds must be above 0 - found {seconds}")
    if n_boot < 0:
        raise InputError(f"explain: n_boot must be 0 or more - found {n_boot}")
    for g in groupings:
        if len(g.codes) != len(X):
            raise InputError(
                f"explain: grouping '{g.name}' has {len(g.codes)} rows but X has {len(X)} - "
                "build the groupings from the same rows as X"
            )


def _explain_sample(
    model: ModelAdapter, X: pd.DataFrame, groupings: Sequence[Grouping], seed: int,
    n_sample: int, n_background: int, row_weights: np.ndarray | None = None,
    margins: np.ndarray | None = None,
) -> _Explained:
    """Draw the stratified sample and the background, and attribute the sample's outputs."""
    rng = np.random.default_rng(seed)
    rows, weights, sampling, weighted = stratified_sample(len(X), groupings, n_sample, rng,
                                                          row_weights=row_weights)
    # the background stands for the whole table: drawn in proportion to the rows' weights
    chance = None if row_weights is None else row_weights / np.sum(row_weights)
    bg_rows = np.sort(rng.choice(len(X), size=min(n_background, len(X)), replace=False,
                                 p=chance))
    Xs = X if len(rows) == len(X) else X.iloc[rows]
    Xs = Xs.reset_index(drop=True)
    Xb = X.iloc[bg_rows].reset_index(drop=True)
    att = compute_attributions(model, Xs, Xb, seed=seed,
                               margins=None if margins is None else margins[rows])
    return _Explained(rows, weights, sampling, weighted, Xs, [str(c) for c in X.columns], att)


def _by_group(
    e: _Explained, groupings: Sequence[Grouping], order: list[int], n_boot: int, seed: int,
    work: Work | None = None,
) -> tuple[tuple[GroupingAttribution, ...], tuple[GapDecomposition, ...]]:
    """Per-group attributions and gap decompositions of every grouping.

    Each grouping's rows are sorted by group once (:mod:`.split`), into one array reused
    by the next grouping; the columns are the SHAP values, the output and, for log-odds,
    the probability (the bootstrap resamples exactly these).
    """
    phi, fx, space = e.att.phi, e.att.output_values, e.att.output_space
    prob = _probabilities(space, fx)
    pp = space == "log-odds"
    codes = [np.asarray(g.codes)[e.rows] for g in groupings]
    # rows read in place by a grouping already in group order keep np.hstack's layout;
    # when every grouping sorts them, the columns are built in C order, as sorted rows are
    V = columns(phi, fx, prob if pp else None, c_order=not any(map(in_group_order, codes)))
    p = phi.shape[1]
    prob_col = p + 1 if pp else (p if prob is not None else None)
    boot_rng = np.random.default_rng([seed, 1])
    results: list[GroupingAttribution] = []
    gaps: list[GapDecomposition] = []
    sorting = Sorting.of(V)
    for g, g_codes in zip(groupings, codes):
        sp = split(g_codes, len(g.labels), V, e.weights, p, sorting, work)
        results.append(_group_attribution(g, sp, prob_col, e.features, order))
        gaps.extend(_decompose(g, sp, pp, e.features, n_boot, boot_rng))
    return tuple(results), tuple(gaps)


def _assemble(
    e: _Explained, groupings: Sequence[Grouping], n_boot: int, seed: int, size: SampleSize
) -> Explanation:
    """Rank the features, summarise by group, decompose the gaps and build the result.

    The summaries run with one BLAS thread: their products are skinny (rows x at most a
    few dozen columns), where a second thread gains nothing and, with the cores busy
    with other work, OpenBLAS's waiting threads made each product up to 1,000x slower
    (measured: 0.9 s instead of 0.3 ms for 20,000 x 17 at load 6); one thread gives
    the same values.
    """
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    att, raw = e.att, e.att.raw
    work = Work(att.phi.shape[0] * (att.phi.shape[1] + 2))  # the summaries' temporaries
    with threadpool_limits(limits=1, user_api="blas"):
        order, mean_abs = _importance_order(att.phi, e.weights, work)
        grouping_results, gaps = _by_group(e, groupings, order, n_boot, seed, work)
    units = _units(att.output)
    summaries = tuple(s for s in (_summary(d, units, att.output_space) for d in gaps) if s is not None)
    return Explanation(
        explainer=raw.explainer,
        explainer_description=EXPLAINER_DESCRIPTIONS[raw.explainer],
        output_space=att.output_space,
        units=units,
        base_value=raw.base,
        n_sample=len(e.rows),
        n_background=raw.n_background,
        seed=seed,
        additivity_max_error=att.max_error,
        additivity_tolerance=att.tolerance,
        additivity_ok=att.ok,
        note="; ".join(att.notes) if att.notes else None,
        sampling=e.sampling,
        weighted=e.weighted,
        features=tuple(e.features),
        global_importance=_global_importance(mean_abs, order, e.features),
        groupings=grouping_results,
        gaps=gaps,
        summaries=summaries,
        beeswarm=_beeswarm(att.phi, e.Xs, order, e.features, np.random.default_rng([seed, 2])),
        n_rows=size.n_rows,
        sample_basis=size.basis,
        sample_seconds=size.seconds,
        sample_reason=words.sample_reason(size.basis, len(e.rows), size.n_rows, size.seconds,
                                          MIN_ROWS, size.asked, size.estimate,
                                          size.sample_estimate),
        gap_intervals=words.gap_intervals(n_boot, BOOT_MAX_ROWS),
    )


def explain(
    model: ModelAdapter, X: pd.DataFrame, groupings: Sequence[Grouping], *, seed: int = 0,
    n_sample: int | None = None, n_background: int = 100, n_boot: int = 200,
    budget_seconds: float | None = None, row_weights: np.ndarray | None = None,
    margins: np.ndarray | None = None, size: SampleSize | None = None,
) -> Explanation:
    """Explain the model with SHAP on every row or a stratified sample, by group, with gaps.

    Parameters
    ----------
    model : ModelAdapter
        The fitted model.
    X : pandas.DataFrame
        The model's input columns in model order, one row per audited row.
    groupings : sequence of Grouping
        Protected attributes / intersections; ``codes`` are aligned with ``X``'s rows.
    seed : int
        Seed for the samples, the permutation explainer and the bootstrap.
    n_sample : int or None
        Rows explained (stratified by group, see :mod:`audit._explain.sampling`);
        ``None``: every row when the cost model's estimate for them fits the time budget,
        else as many as fit (see :mod:`audit._explain.budget`; nothing is timed, so the
        size does not depend on the machine).
    n_background : int
        Background rows (simple random sample) that define "feature absent".
    n_boot : int
        Bootstrap resamples for the gap decomposition intervals (0 = none).
    budget_seconds : float or None
        The SHAP stage's time budget that sizes the sample when ``n_sample`` is ``None``
        (default :data:`audit._explain.budget.DEFAULT_SECONDS`).
    row_weights : numpy.ndarray, optional
        Rows of the whole table each row of ``X`` stands for, when ``X`` is the streaming
        engines' sample (see :func:`audit._explain.sampling.stratified_sample`).
    margins : numpy.ndarray, optional
        The model's raw output on each row of ``X`` when predicting already gave it
        (``Prepared.margins``): the rows explained are not run through the model again.
    size : SampleSize, optional
        The sample's size already decided by :func:`audit._explain.budget.size_sample` with
        the same model, rows, ``n_sample`` and ``budget_seconds`` (so that a progress
        display could say it first); decided here when ``None``.

    Returns
    -------
    Explanation
        Frozen, JSON-serialisable result.

    Raises
    ------
    InputError
        Empty data, bad sizes or groupings not aligned with ``X``.
    UnsupportedError
        A classifier with no continuous output.
    ModelError
        The model fails while predicting.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> X = pd.DataFrame({"a": [0.0, 1, 2, 3], "b": [1.0, 0, 1, 0]})
    >>> m = ModelAdapter(LinearRegression().fit(X, [0.0, 1, 2, 3]), "regression", ("a", "b"))
    >>> e = explain(m, X, [], n_boot=0)
    >>> e.explainer, e.additivity_ok
    ('linear_exact', True)
    """
    _check_inputs(X, groupings, n_sample, n_background, n_boot, budget_seconds)
    size = size or size_sample(model, X, n_sample, budget_seconds)
    e = _explain_sample(model, X, groupings, seed, size.n_sample, n_background, row_weights,
                        margins)
    return _assemble(e, groupings, n_boot, seed, size)
