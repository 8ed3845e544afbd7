"""How many rows to explain: every row when the SHAP stage's time budget allows it.

The explainers are exact and fast for trees and linear models, so the sample size
is not a fixed count but follows a time budget (``--budget``'s share for the SHAP
stage, else :data:`DEFAULT_SECONDS`):

1. the explainer runs on a few rows (warm-up: imports, compiling), then on probes of
   growing size until one takes a quarter of :data:`PROBE_SECONDS`; the last two
   give its fixed cost per call and its cost per row (:func:`measure`);
2. :data:`ATTRIBUTION_SHARE` of the budget goes to the attributions (the rest is
   for starting a budgeted worker, the probe, the gap decomposition and the
   summaries);
3. every row is explained when that fits; otherwise the largest size of the
   1-2-5 ladder (200, 500, 1,000, 2,000, 5,000, ...) that fits, at least
   :data:`MIN_ROWS`.  Rounding down to the ladder keeps the size the same from
   one run to the next unless the machine's speed changes a lot; ``--explain-rows``
   fixes it (the size then never depends on the machine).

A size asked for explicitly (``--explain-rows``) is used as is, without a probe.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._inputs.model import ModelAdapter
from .._result.explanation import SampleBasis
from .attributions import compute_attributions

#: seconds for the SHAP stage when ``--budget`` gives it none
DEFAULT_SECONDS = 60.0
#: share of the SHAP stage's seconds spent on the attributions of the sample
ATTRIBUTION_SHARE = 0.5
#: probes grow (x4) until one takes a quarter of this
PROBE_SECONDS = 1.0
#: rows of the first probe (the warm-up call has half as many)
WARM_UP_ROWS = 8
#: most rows of the probe
PROBE_MAX_ROWS = 1024
#: fewest rows explained when the budget fits fewer (unless the data has fewer)
MIN_ROWS = 200


@dataclass(frozen=True)
class SampleSize:
    """The rows to explain and why (``seconds``: the budget that sized them, if any;
    ``asked``: the number asked for)."""

    n_sample: int
    n_rows: int
    basis: SampleBasis
    seconds: float | None
    asked: int | None = None


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


@dataclass(frozen=True)
class Cost:
    """Measured cost of explaining ``n`` rows: ``fixed + per_row * n`` seconds."""

    fixed: float
    per_row: float

    def rows_within(self, seconds: float) -> float:
        """How many rows fit in ``seconds``."""
        return max(seconds - self.fixed, 0.0) / max(self.per_row, 1e-12)


def _timed(attribute: Callable[[np.ndarray], object], n_rows: int, k: int,
           rng: np.random.Generator) -> float:
    """Seconds ``attribute`` takes on ``k`` random rows: the faster of two runs when short.

    On a shared machine one run can take several times longer than the next; the
    faster of two is the explainer's own speed (the budget's margin covers a loaded
    machine).  A run longer than :data:`PROBE_SECONDS` is not repeated.
    """
    rows = np.sort(rng.choice(n_rows, size=k, replace=False))
    best = np.inf
    for _ in range(2):
        t0 = time.perf_counter()
        attribute(rows)
        best = min(best, time.perf_counter() - t0)
        if best >= PROBE_SECONDS:
            break
    return float(best)


def measure(attribute: Callable[[np.ndarray], object], n_rows: int,
            rng: np.random.Generator) -> Cost:
    """The explainer's cost: fixed seconds per call and seconds per row, measured.

    A warm-up call (imports, compiling) is not counted; then probes of 8, 32, 128, ...
    rows run until one takes a quarter of :data:`PROBE_SECONDS` or reaches
    :data:`PROBE_MAX_ROWS`; the cost per row is the slope between the last two (at
    least half the last probe's seconds per row: a slow moment during the smaller
    probe must not make the rows look nearly free), the rest of the last probe's time
    is the fixed cost.
    """
    cap = min(n_rows, PROBE_MAX_ROWS)
    attribute(np.sort(rng.choice(n_rows, size=min(n_rows, WARM_UP_ROWS // 2), replace=False)))
    k_prev, t_prev = 0, 0.0
    k = min(cap, WARM_UP_ROWS)
    while True:
        t = _timed(attribute, n_rows, k, rng)
        if k_prev and (t >= PROBE_SECONDS / 4 or k >= cap):
            break
        if k >= cap:  # a single probe: no slope, its fixed cost is counted per row
            return Cost(0.0, t / k)
        k_prev, t_prev, k = k, t, min(cap, 4 * k)
    per_row = max((t - t_prev) / (k - k_prev), 0.5 * t / k)
    return Cost(max(t - per_row * k, 0.0), per_row)


def choose_size(n_rows: int, cost: Cost, seconds: float) -> SampleSize:
    """Every row when their attributions fit the budget's share, else the ladder size that does.

    >>> choose_size(5_000, Cost(0.5, 1e-4), 60.0).basis
    'all'
    >>> s = choose_size(100_000, Cost(0.0, 1e-3), 60.0)
    >>> s.n_sample, s.basis
    (20000, 'budget')
    >>> s = choose_size(100_000, Cost(0.0, 0.5), 60.0)
    >>> s.n_sample, s.basis
    (200, 'minimum')
    """
    fits = cost.rows_within(ATTRIBUTION_SHARE * seconds)
    if fits >= n_rows:
        return SampleSize(n_rows, n_rows, "all", seconds)
    n = ladder_floor(fits)
    if n >= MIN_ROWS:
        return SampleSize(n, n_rows, "budget", seconds)
    return SampleSize(min(MIN_ROWS, n_rows), n_rows, "minimum", seconds)


def few(n_rows: int) -> SampleSize:
    """Every row, without a probe: there are no more than :data:`MIN_ROWS`."""
    return SampleSize(n_rows, n_rows, "few", None)


def requested(n_rows: int, n_sample: int) -> SampleSize:
    """The size asked for (``--explain-rows``), at most every row."""
    return SampleSize(min(int(n_sample), n_rows), n_rows, "requested", None, int(n_sample))


def size_sample(
    model: ModelAdapter, X: pd.DataFrame, seed: int, n_sample: int | None, n_background: int,
    seconds: float | None,
) -> SampleSize:
    """How many rows to explain: as asked, else every row when the time budget allows it.

    The probe draws its rows and background from its own random stream (``[seed, 3]``),
    so the sample itself is drawn exactly as with a size given by hand.
    """
    n = len(X)
    if n_sample is not None:
        return requested(n, n_sample)
    if n <= MIN_ROWS:
        return few(n)
    rng = np.random.default_rng([seed, 3])
    Xb = X.iloc[np.sort(rng.choice(n, size=min(n_background, n), replace=False))]

    def attribute(rows: np.ndarray) -> object:
        return compute_attributions(model, X.iloc[rows], Xb, seed=seed)

    return choose_size(n, measure(attribute, n, rng), seconds or DEFAULT_SECONDS)
