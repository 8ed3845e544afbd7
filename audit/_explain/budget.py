"""How many rows to explain: every row when the SHAP stage's time budget allows it.

The explainers are exact and fast for trees and linear models, so the sample size
is not a fixed count but follows a time budget (``--budget``'s share for the SHAP
stage, else :data:`DEFAULT_SECONDS`).  The size must not depend on the machine or
its load (same inputs and seed, same ``audit.json``), so the explainer is never
timed to choose it: its cost comes from a model of the inputs (:mod:`.cost`: the
trees' structure, the number of columns, the background), calibrated once and
conservative, so the budget holds on the machine it was calibrated on and faster ones.

1. :data:`ATTRIBUTION_SHARE` of the budget goes to the attributions (the rest is for
   starting a budgeted worker, the gap decomposition and the summaries);
2. every row is explained when the estimate for all of them fits that share;
   otherwise the largest size of the 1-2-5 ladder (200, 500, 1,000, 2,000, 5,000,
   ...) whose estimate fits, at least :data:`MIN_ROWS`.

A size asked for explicitly (``--explain-rows``) is used as is, without an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._inputs.model import ModelAdapter
from .._result.explanation import SampleBasis
from .cost import Cost, estimate
from .mapping import _flatten_pipeline
from .output import _choose_output, _is_tree, _tree_output

#: seconds for the SHAP stage when ``--budget`` gives it none
DEFAULT_SECONDS = 60.0
#: share of the SHAP stage's seconds spent on the attributions of the sample
ATTRIBUTION_SHARE = 0.5
#: fewest rows explained when the budget fits fewer (unless the data has fewer)
MIN_ROWS = 200
#: rows the output (margin or probability) is chosen on for the estimate
OUTPUT_ROWS = 200


@dataclass(frozen=True)
class SampleSize:
    """The rows to explain and why (``seconds``: the budget that sized them, if any;
    ``estimate``: the cost model's seconds for every row; ``asked``: the number asked for;
    ``sample_estimate``: the cost model's seconds for the rows explained)."""

    n_sample: int
    n_rows: int
    basis: SampleBasis
    seconds: float | None
    asked: int | None = None
    estimate: float | None = None
    sample_estimate: float | None = None


def ladder_floor(x: float) -> int:
    """The largest size of the 1-2-5 ladder (1, 2, 5, 10, 20, ...) at most ``x`` (0 below 1).

    >>> [ladder_floor(v) for v in (0.5, 1, 4, 7, 19, 20, 49_999, 120_000)]
    [0, 1, 2, 5, 10, 20, 20000, 100000]
    """
    if x < 1:
        return 0
    power = 10 ** int(np.floor(np.log10(x)))
    for step in (5, 2, 1):
        if step * power <= x:
            return step * power
    return power  # pragma: no cover - unreachable (step 1 always fits)


def _ladder_below(n: int) -> list[int]:
    """Sizes of the 1-2-5 ladder from :data:`MIN_ROWS` up to below ``n``, largest first."""
    sizes, k = [], ladder_floor(max(n - 1, 1))
    while k >= MIN_ROWS:
        sizes.append(k)
        k = ladder_floor(k - 1)
    return sizes


def choose_size(n_rows: int, cost: Cost, seconds: float) -> SampleSize:
    """Every row when their estimate fits the budget's share, else the ladder size that does.

    >>> choose_size(5_000, Cost(0.5, 1e-4), 60.0).basis
    'all'
    >>> s = choose_size(100_000, Cost(0.0, 1e-3), 60.0)
    >>> s.n_sample, s.basis
    (20000, 'budget')
    >>> s = choose_size(100_000, Cost(0.0, 0.5), 60.0)
    >>> s.n_sample, s.basis
    (200, 'minimum')
    """
    share = ATTRIBUTION_SHARE * seconds
    everything = cost.seconds(n_rows)
    if everything <= share:
        return SampleSize(n_rows, n_rows, "all", seconds, estimate=everything,
                          sample_estimate=everything)
    for n in _ladder_below(n_rows):
        if cost.seconds(n) <= share:
            return SampleSize(n, n_rows, "budget", seconds, estimate=everything,
                              sample_estimate=cost.seconds(n))
    n = min(MIN_ROWS, n_rows)
    return SampleSize(n, n_rows, "minimum", seconds, estimate=everything,
                      sample_estimate=cost.seconds(n))


def few(n_rows: int) -> SampleSize:
    """Every row, without an estimate: there are no more than :data:`MIN_ROWS`."""
    return SampleSize(n_rows, n_rows, "few", None)


def requested(n_rows: int, n_sample: int) -> SampleSize:
    """The size asked for (``--explain-rows``), at most every row."""
    return SampleSize(min(int(n_sample), n_rows), n_rows, "requested", None, int(n_sample))


def model_cost(model: ModelAdapter, X: pd.DataFrame) -> Cost:
    """The cost model's estimate for ``model`` on rows like ``X``'s (see :mod:`.cost`).

    The output explained (margin or probability) is chosen on the first rows, as the
    explainer chooses it on the sample, except for a tree model: TreeSHAP's cost is the
    same whichever output is explained, so the model is not run (with a one-hot
    pipeline or native categories, two predictions on 200 rows took ~0.1 s); nothing
    is timed.
    """
    pre, final = _flatten_pipeline(model.estimator)
    if _is_tree(final):
        out = _tree_output(model, pre, final)
    else:
        out = _choose_output(model, pre, final, X.iloc[:OUTPUT_ROWS])
    return estimate(model.estimator, out, X.shape[1])


def size_sample(
    model: ModelAdapter, X: pd.DataFrame, n_sample: int | None, seconds: float | None
) -> SampleSize:
    """How many rows to explain: as asked, else every row when the time budget allows it."""
    n = len(X)
    if n_sample is not None:
        return requested(n, n_sample)
    if n <= MIN_ROWS:
        return few(n)
    return choose_size(n, model_cost(model, X), seconds or DEFAULT_SECONDS)
