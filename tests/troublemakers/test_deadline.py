"""The what-if's time cap is a deadline: a fit that would overrun it is stopped.

Correctness tests of the deadline (elapsed < budget + 2 s), not speed benchmarks.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from test_flags import FEATURES, make_data, race_grouping

from audit._deadline import FitWorker, TimeUp
from audit._inputs.model import ModelAdapter
from audit._troublemakers import assess_troublemakers

SLACK = 2.0  # seconds the what-if may take past its deadline (terminating, measuring)


class SlowLogistic(LogisticRegression):
    """A logistic regression whose fit sleeps: always, or only when weighted (the reduction)."""

    def __init__(self, sleep_always: float = 0.0, sleep_weighted: float = 0.0,
                 max_iter: int = 1000) -> None:
        super().__init__(max_iter=max_iter)
        self.sleep_always = sleep_always
        self.sleep_weighted = sleep_weighted

    def fit(self, X, y, sample_weight=None):  # type: ignore[no-untyped-def]
        time.sleep(self.sleep_always + (self.sleep_weighted if sample_weight is not None else 0))
        return super().fit(X, y, sample_weight=sample_weight)


def _model(df: pd.DataFrame, final: SlowLogistic) -> ModelAdapter:
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["zip_code"]),
                             ("num", StandardScaler(), ["income", "tenure"])])
    pipe = Pipeline([("prep", pre), ("clf", final)]).fit(df[FEATURES], df["approved"])
    return ModelAdapter(pipe, "binary", tuple(FEATURES), 1)


def _what_if(final: SlowLogistic, budget: float):  # type: ignore[no-untyped-def]
    df = make_data(1500)
    g = race_grouping(df)
    shares = {"race": {"Black": {"zip_code": 0.8, "income": 0.1, "tenure": 0.1}}}
    t = time.perf_counter()
    tm = assess_troublemakers(
        _model(df, final), df[FEATURES], df, [g], y=df["approved"].to_numpy(), task="binary",
        criterion_outcomes={"race": {"demographic_parity": "fail"}}, driver_shares=shares,
        what_if=True, what_if_seconds=budget)
    return tm.what_if, time.perf_counter() - t


def test_a_constrained_fit_that_overruns_is_stopped_at_the_deadline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from audit._troublemakers import what_if

    # the reduction must start whatever the baseline's time on a busy machine: this test
    # is about the deadline, not the estimate of the time the reduction needs
    monkeypatch.setattr(what_if, "_EG_FITS_PER_ITER", 1)
    budget = 10.0
    wi, elapsed = _what_if(SlowLogistic(sleep_weighted=300.0), budget)
    assert elapsed < budget + SLACK
    assert wi.status == "partial"
    runs = {r.kind: r for r in wi.experiments[0].runs}
    assert runs["baseline"].status == "ok"  # what finished is kept
    assert runs["constrained"].status == "failed"
    assert "time cap of 10 s hit" in (runs["constrained"].reason or "")


def test_a_baseline_that_overruns_is_stopped_at_the_deadline() -> None:
    budget = 4.0
    final = SlowLogistic()
    model_fit_once = _model(make_data(1500), final)  # fitted fast, then made slow
    model_fit_once.estimator.named_steps["clf"].sleep_always = 300.0
    df = make_data(1500)
    t = time.perf_counter()
    tm = assess_troublemakers(
        model_fit_once, df[FEATURES], df, [race_grouping(df)], y=df["approved"].to_numpy(),
        task="binary", criterion_outcomes={"race": {"demographic_parity": "fail"}},
        driver_shares={"race": {"Black": {"zip_code": 0.8, "income": 0.2}}},
        what_if=True, what_if_seconds=budget)
    elapsed = time.perf_counter() - t
    assert elapsed < budget + SLACK
    assert tm.what_if.status == "partial"
    assert "time cap of 4 s hit while retraining the model as is" in (tm.what_if.reason or "")
    assert tm.what_if.experiments == ()


def test_worker_stops_a_call_and_refuses_more() -> None:
    w = FitWorker(deadline=time.perf_counter() + 3.0)
    t = time.perf_counter()
    with pytest.raises(TimeUp):
        w.call(time.sleep, 60)
    assert time.perf_counter() - t < 3.0 + SLACK
    with pytest.raises(TimeUp):
        w.call(divmod, 7, 2)
    w.close()


def test_worker_returns_results_warnings_and_errors() -> None:
    w = FitWorker(deadline=time.perf_counter() + 120.0)
    try:
        assert w.call(np.mean, [1.0, 2.0]) == (1.5, [])
        out, seen = w.call(np.mean, [])  # empty mean: RuntimeWarning, NaN
        assert np.isnan(out) and seen and seen[0].startswith("RuntimeWarning")
        with pytest.raises(ZeroDivisionError):
            w.call(divmod, 1, 0)
        assert w.call(divmod, 7, 2) == ((3, 1), [])  # still serving after an error
    finally:
        w.close()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to see a cap of one")
def test_worker_caps_openmp_at_one_thread() -> None:
    """The what-if's fits run with one OpenMP thread (HistGradientBoosting, LightGBM, XGBoost).

    sklearn's OpenMP helpers are first loaded in the worker when the call is unpickled,
    after the worker started (as a model's library is when its estimator is unpickled).
    """
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    assert _openmp_effective_n_threads() > 1  # this process is not capped
    w = FitWorker(deadline=time.perf_counter() + 120.0)
    try:
        assert w.call(_openmp_effective_n_threads) == (1, [])
        assert w.call(_openmp_effective_n_threads) == (1, [])
    finally:
        w.close()
    uncapped = FitWorker(deadline=time.perf_counter() + 120.0, threads=None)
    try:
        assert uncapped.call(_openmp_effective_n_threads)[0] > 1
    finally:
        uncapped.close()


def test_a_reduction_that_cannot_finish_its_minimum_is_not_started() -> None:
    """fairlearn's reduction needs about 25 fits (5 iterations of about 5): with time for
    only about 12 after the baseline, it is skipped with the reason, not started and cut."""
    budget = 8.0
    wi, elapsed = _what_if(SlowLogistic(sleep_always=0.5), budget)  # baseline ~0.6 s
    assert elapsed < budget + SLACK
    runs = {r.kind: r for r in wi.experiments[0].runs}
    assert runs["baseline"].status == "ok"
    assert runs["constrained"].status == "skipped"
    assert "too little for the reduction's 25 or more fits" in (runs["constrained"].reason or "")


def test_a_prestarted_worker_warms_up_in_the_background() -> None:
    """prestart() returns at once; the first call then waits for the warm-up within its
    deadline and runs; closing a prestarted worker that was never called is clean."""
    from audit._deadline import warm_up

    w = FitWorker(deadline=float("inf"))
    t = time.perf_counter()
    w.prestart(warm_up)
    assert time.perf_counter() - t < 0.5  # did not wait for the imports
    w.deadline = time.perf_counter() + 120.0
    try:
        assert w.call(divmod, 7, 2) == ((3, 1), [])
        assert w.shipped == 1  # the warm-up is not counted as a shipped call
    finally:
        w.close()
    idle = FitWorker(deadline=float("inf"))
    idle.prestart(warm_up)
    idle.close()
    with pytest.raises(TimeUp):
        idle.call(divmod, 7, 2)


def test_ctrl_c_during_the_runs_side_by_side_stops_them_at_once() -> None:
    """Ctrl-C while a lane waits for a long fit: the workers are stopped first, so the
    waiting threads end and the interrupt reaches the caller in seconds, not at the cap."""
    import multiprocessing
    import signal
    import threading

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(4.0, os.kill, (os.getpid(), signal.SIGINT))
    t = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            _what_if(SlowLogistic(sleep_weighted=300.0), 120.0)  # the reduction never ends
        assert time.perf_counter() - t < 4.0 + 3 * SLACK
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert multiprocessing.active_children() == []
