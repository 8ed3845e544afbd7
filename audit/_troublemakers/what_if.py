"""The what-if: retrain copies of the model under the recommended constraint and measure.

On part of the audit data, copies of the model are retrained as is, with the
recommended fairlearn constraint (:class:`fairlearn.reductions.ExponentiatedGradient`)
and without each flagged feature; on the held-out rest the gap and the
performance of each copy are measured with paired bootstrap intervals.

Dropping a feature
    The feature's column is replaced by one constant (its most frequent
    training value) in both the training and the held-out part.  That keeps
    the model's input schema intact, so it works for any estimator or
    Pipeline (a ColumnTransformer still finds its column) while the feature
    carries no information any more.
The time cap
    A deadline, not a check between fits: every fit (with its predictions)
    runs in a worker process (:mod:`audit._deadline`) that is terminated when
    the budget is spent, so a single long fit cannot overrun it.  Runs that
    finished are kept and the what-if is "partial".
Side by side
    After the baseline, the runs (each experiment's reduction, each dropped
    feature) are independent: two run at once, each in its own worker with one
    thread, and their results are merged in a fixed order.
"""

from __future__ import annotations

import functools
import math
import queue
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import clone

from .._deadline import CannotShip, FitWorker, TimeUp, quiet_call, warm_up
from .._fairness.bootstrap import estimate
from .._inputs.groups import UNKNOWN
from .._inputs.model import ModelAdapter
from .._inputs.prepared import Grouping
from .._result.tables import Estimate
from .._result.troublemakers import (
    Flag,
    FlagThresholds,
    LossTerm,
    WhatIf,
    WhatIfExperiment,
    WhatIfRun,
)
from .._words import troublemakers as words
from .router import RouteSampleWeight

_WHAT_IF_MAX_ROWS = 10000
_WHAT_IF_TEST_SIZE = 0.3
#: Most iterations of the reduction (fairlearn's default is 50); each costs about
#: _EG_FITS_PER_ITER fits, and with 25 one HistGradientBoosting reduction on 7,000 rows
#: took 32 s (busy cores).  Measured: the constrained copy's held-out gap and accuracy
#: were the same after 8, 12 and 13 iterations (HistGradientBoosting,
#: TruePositiveRateParity on race) and after 10, 15 and 25 (XGBoost, ErrorRateParity on
#: 50 states) and, on the demo (a GradientBoosting pipeline, DemographicParity), for race
#: too; for its zip codes 10 iterations left a gap of 0.28 at accuracy 0.765, 25 one of
#: 0.32 at 0.769: another point of the same trade-off, not a worse one.
_EG_MAX_ITER = 10
_EG_MIN_ITER = 5  # fairlearn's ExponentiatedGradient runs at least 5 iterations
#: Fits per iteration of the reduction: one best response, then up to four more in each
#: duality-gap check (multipliers 1, 2, 5, 10).  Measured: 22-27 fits for 5 iterations
#: (XGBoost and LightGBM on 7,000 rows), so a budget is judged by 5 fits an iteration.
_EG_FITS_PER_ITER = 5
#: Retraining runs after the baseline that run at once, each in its own one-thread worker
#: (the experiments' reductions and the dropped-feature fits are independent).
_LANES = 2
_MIN_GROUP_TEST = 30  # groups smaller than this in the held-out part are not compared
_MIN_CONDITIONAL = 5  # ... nor when fewer positives (TPR) / negatives (FPR) than this
_MAX_EXPERIMENTS = 2
_MAX_WARNINGS = 5  # warnings during retraining kept as notes
# failing criteria first, then the classic families before geography and the rest
_FAMILY_RANK = {"race": 0, "gender": 1, "age": 2, "geography": 3}

RunKind = Literal["baseline", "constrained", "drop_feature"]
Fit = tuple[np.ndarray | None, float | None, str | None]  # predictions, seconds, reason


@dataclass(frozen=True)
class WhatIfInputs:
    """What the what-if needs: the model, the audited data, what to try and its budget."""

    model: ModelAdapter | None
    X: pd.DataFrame
    y: np.ndarray | None
    task: str
    groupings: Sequence[Grouping]
    terms: tuple[LossTerm, ...]
    flags: Sequence[Flag]
    seed: int
    thresholds: FlagThresholds
    enabled: bool  # what_if=False switches it off
    budget: float  # seconds: a deadline; the fit running then is stopped
    max_rows: int
    #: A worker started earlier (:meth:`FitWorker.prestart`), so its start and imports
    #: overlapped other stages; ``None``: one is started here.  Closed when the what-if
    #: ends; whoever started it closes it too (idempotent), if the what-if never runs.
    worker: FitWorker | None = None


# --------------------------------------------------------------------------- entry


def run_what_if(inputs: WhatIfInputs) -> WhatIf:
    """Run the what-if with one BLAS thread.

    The what-if makes many small fits; multi-threaded BLAS makes each of them
    several times slower on a busy machine (measured: 0.16 s vs 0.013 s for a
    LogisticRegression pipeline on 300 rows).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _what_if(inputs)


def _what_if(inp: WhatIfInputs) -> WhatIf:
    """Preconditions, split, fit baseline, fit constrained, fit dropped, measure."""
    early = _preconditions(inp)
    if early is not None:
        return early
    assert inp.model is not None and inp.y is not None
    base, failure = _copy_for_retraining(inp.model)
    if failure is not None:
        return failure
    t_start = time.perf_counter()
    worker = inp.worker or FitWorker(t_start + inp.budget)
    worker.deadline = t_start + inp.budget
    s = _Session(inp, base, t_start, {g.name: g for g in inp.groupings},
                 _accepts_sample_weight(inp.model.estimator), worker)
    try:
        return _run_fits(s)
    finally:
        s.worker.close()


def _run_fits(s: _Session) -> WhatIf:
    """Split, fit baseline, fit constrained, fit dropped, measure (the worker is open)."""
    inp = s.inp
    rng = np.random.default_rng([inp.seed, 7])
    rows = _sample_rows(len(inp.X), min(inp.max_rows, _WHAT_IF_MAX_ROWS), rng, s.notes)
    chosen = _choose_terms(inp.terms, s.by_name, s.notes)
    first = s.by_name[chosen[0].attribute] if inp.task == "binary" else None
    split = _split(inp, rows, first, rng)
    if isinstance(split, WhatIf):
        return split
    failure = _fit_baseline(s, split)
    if failure is not None:
        return failure
    _run_side_by_side(s, [functools.partial(_fit_constrained, sp=split, term=term)
                          for term in chosen]
                      + [functools.partial(_fit_dropped, sp=split, feat=feat)
                         for feat in _features_to_drop(inp, chosen)])
    experiments = [_experiment(s, split, term) for term in chosen]
    return _summary(s, split, experiments)


def _run_side_by_side(s: _Session, runs: Sequence[Callable[[_Session], None]]) -> None:
    """Run the retraining runs after the baseline, up to :data:`_LANES` at a time.

    Each run gets its own view of the session (its own worker, fits, notes and
    warnings), merged back in the runs' order, so the result does not depend on which
    run finished first.  The session's worker is one lane; the other starts (and
    imports) while the first run is fitting.  Fits that run in this process (a model
    that does not pickle) stay one at a time.
    """
    if s.in_process is not None or len(runs) < 2 or _LANES < 2:
        for run in runs:
            run(s)
        return
    spare: list[FitWorker] = []
    for _ in range(min(_LANES, len(runs)) - 1):
        spare.append(FitWorker(s.worker.deadline))
        spare[-1].prestart(warm_up)
    lanes: queue.SimpleQueue[FitWorker] = queue.SimpleQueue()
    for w in (s.worker, *spare):
        lanes.put(w)
    views = [replace(s, fits={}, notes=[], warnings=[], incomplete=False) for _ in runs]

    def one(run: Callable[[_Session], None], view: _Session) -> None:
        view.worker = lanes.get()
        try:
            run(view)
        finally:
            lanes.put(view.worker)

    pool = ThreadPoolExecutor(len(spare) + 1)
    try:
        for done in [pool.submit(one, run, view) for run, view in zip(runs, views)]:
            done.result()
    except BaseException:  # Ctrl-C: stop the workers first, so the waiting threads end now
        for w in (s.worker, *spare):
            w.close()
        raise
    finally:
        pool.shutdown()
        for w in spare:
            w.close()
    for view in views:
        s.fits.update(view.fits)
        s.notes.extend(view.notes)
        s.warnings.extend(w for w in view.warnings if w not in s.warnings)
        s.incomplete |= view.incomplete


# --------------------------------------------------------------------------- preconditions


def _preconditions(inp: WhatIfInputs) -> WhatIf | None:
    """Why the what-if does not run (switched off, no time, model, labels or terms), or None."""
    if not inp.enabled:
        return WhatIf("skipped", words.WHAT_IF_OFF)
    if inp.budget <= 0:
        return WhatIf("skipped", words.no_budget(inp.budget))
    if inp.model is None:
        return WhatIf("not_possible", words.NO_MODEL)
    if inp.y is None:
        return WhatIf("not_possible", words.NO_LABELS)
    if not inp.terms:
        return WhatIf("not_needed", words.NO_TERMS)
    return None


def _copy_for_retraining(model: ModelAdapter) -> tuple[Any, WhatIf | None]:
    """An unfitted copy of the model, or why there is none (not cloneable, no fairlearn)."""
    try:
        base = clone(model.estimator)
    except Exception as exc:
        return None, WhatIf("not_possible", words.not_cloneable(_err(exc)))
    try:
        import fairlearn.reductions  # noqa: F401
    except Exception as exc:
        return None, WhatIf("not_possible", words.no_fairlearn(type(exc).__name__))
    return base, None


def _sample_rows(n: int, limit: int, rng: np.random.Generator, notes: list[str]) -> np.ndarray:
    """All rows, or a seeded random sample of ``limit`` of them (noted)."""
    if n <= limit:
        return np.arange(n)
    notes.append(words.what_if_sample_note(limit, n))
    return np.sort(rng.choice(n, size=limit, replace=False))


def _choose_terms(
    terms: Sequence[LossTerm], by_name: dict[str, Grouping], notes: list[str]
) -> list[LossTerm]:
    """One experiment per attribute (its first term); failing and classic families first."""
    chosen: list[LossTerm] = []
    for lt in terms:
        if lt.attribute in by_name and all(c.attribute != lt.attribute for c in chosen):
            chosen.append(lt)
    chosen.sort(key=lambda lt: (lt.outcome != "fail",
                                _FAMILY_RANK.get(by_name[lt.attribute].family, 4)))
    if len(chosen) > _MAX_EXPERIMENTS:
        notes.append(words.first_attributes_note(_MAX_EXPERIMENTS))
        chosen = chosen[:_MAX_EXPERIMENTS]
    return chosen


# --------------------------------------------------------------------------- split


@dataclass(frozen=True)
class _Split:
    """The what-if's rows, split into a training and a held-out part."""

    rows: np.ndarray  # positions into the audited rows
    tr: np.ndarray  # positions into rows
    te: np.ndarray
    X_tr: pd.DataFrame
    X_te: pd.DataFrame
    y_tr: np.ndarray
    y_te: np.ndarray
    boot_w: list[np.ndarray]  # bootstrap weights of the held-out rows, shared by all runs


def _stratify(yv: np.ndarray, first: np.ndarray | None) -> np.ndarray | None:
    """Strata of a binary task: label x first attribute's group, else label, else none."""
    if first is None:
        return None
    combo = yv.astype(np.int64) * (int(first.max()) + 1) + first
    _, cnt = np.unique(combo, return_counts=True)
    strat = combo if cnt.min() >= 2 else yv
    if np.unique(strat, return_counts=True)[1].min() < 2:
        return None
    return strat


def _split(
    inp: WhatIfInputs, rows: np.ndarray, first: Grouping | None, rng: np.random.Generator
) -> _Split | WhatIf:
    """Seeded train / held-out split of the rows, and the held-out bootstrap weights."""
    from sklearn.model_selection import train_test_split

    yv = np.asarray(inp.y)[rows]
    strat = _stratify(yv, None if first is None else first.codes[rows])
    try:
        tr, te = train_test_split(
            np.arange(len(rows)), test_size=_WHAT_IF_TEST_SIZE, random_state=inp.seed,
            stratify=strat,
        )
    except ValueError as exc:
        return WhatIf("not_possible", words.split_failed(exc))
    tr, te = np.sort(tr), np.sort(te)
    Xr = inp.X.iloc[rows].reset_index(drop=True)
    kind = np.int64 if inp.task == "binary" else float
    boot_w = [
        np.bincount(rng.integers(0, len(te), len(te)), minlength=len(te)).astype(float)
        for _ in range(inp.thresholds.n_boot)
    ]
    return _Split(
        rows, tr, te,
        Xr.iloc[tr].reset_index(drop=True), Xr.iloc[te].reset_index(drop=True),
        yv[tr].astype(kind), yv[te].astype(kind), boot_w,
    )


# --------------------------------------------------------------------------- fits


_TimeUp = TimeUp  # the reduction's own check between its fits raises the same


class _DeadlineRouter(RouteSampleWeight):
    """The snippet's ``RouteSampleWeight`` that also stops once the time budget is spent.

    ExponentiatedGradient calls ``fit(X, y, sample_weight=w)``; a Pipeline only
    accepts ``<last step>__sample_weight``.  (fairlearn's ``sample_weight_name``
    cannot be used for this: it is also passed to the DummyClassifier that
    fairlearn substitutes when a reweighted problem has a single class.)
    ``deadline`` (a ``time.perf_counter()`` value) stops the reduction
    between two of its fits once the what-if's time budget is spent.
    """

    def __init__(self, estimator: Any, deadline: float | None = None) -> None:
        self.estimator = estimator
        self.deadline = deadline

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _DeadlineRouter:
        """Fit the wrapped estimator, routing the weights; raise ``_TimeUp`` past the deadline."""
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise _TimeUp
        super().fit(X, y, sample_weight=sample_weight)
        return self


@dataclass
class _Session:
    """State shared by the fits of one what-if: the clock, the fits so far, notes, warnings."""

    inp: WhatIfInputs
    base: Any  # an unfitted copy of the model
    t_start: float  # time.perf_counter() at the start
    by_name: dict[str, Grouping]
    weights_ok: bool  # the model's fit accepts sample_weight
    worker: FitWorker  # runs the fits until the deadline
    fits: dict[str, Fit] = field(default_factory=dict)  # run key -> fit
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    base_secs: float = 0.0
    incomplete: bool = False
    in_process: str | None = None  # why the fits run in this process, if they do

    def remaining(self) -> float:
        """Seconds left of the budget."""
        return self.inp.budget - (time.perf_counter() - self.t_start)

    def fit_predict(self, est: Any, X_tr: pd.DataFrame, y_tr: np.ndarray, X_te: pd.DataFrame,
                    randomized: bool = False, **fit_kwargs: Any) -> np.ndarray:
        """Fit ``est`` and predict the held-out rows, in the worker until the deadline.

        Raises :class:`TimeUp` when the deadline stops (or precedes) the fit.  A model
        that does not pickle is fitted here instead, once noted.
        """
        args = (est, X_tr, y_tr, X_te, self.inp.task, self.inp.seed, randomized,
                fit_kwargs)
        if self.in_process is None:
            try:
                pred, seen = self.worker.call(_fit_predict, *args)
            except CannotShip as exc:
                self.in_process = str(exc)[:200]
                self.notes.append(words.in_process_note(self.in_process))
            else:
                self.warnings.extend(w for w in seen if w not in self.warnings)
                return pred  # type: ignore[no-any-return]
        if self.remaining() <= 0:
            raise TimeUp
        pred, seen = quiet_call(_fit_predict, args, {})
        self.warnings.extend(w for w in seen if w not in self.warnings)
        return pred  # type: ignore[no-any-return]

    def record(self, key: str, pred: np.ndarray | None, secs: float | None, why: str | None) -> None:
        """Keep one fit; a fit without predictions makes the what-if incomplete."""
        self.fits[key] = (pred, secs, why)
        if pred is None:
            self.incomplete = True


def _constrained_key(term: LossTerm) -> str:
    """Run key of a term's constrained fit."""
    return f"constrained:{term.attribute}:{term.criterion}"


def _fit_baseline(s: _Session, sp: _Split) -> WhatIf | None:
    """Retrain a copy as is; its failure (or the deadline) ends the what-if."""
    def ended(status: Literal["partial", "failed"], reason: str) -> WhatIf:
        return WhatIf(status, reason, words.performance_metric(s.inp.task), len(sp.tr),
                      len(sp.te), words.DROP_METHOD)

    try:
        s.worker.call(warm_up)  # the worker's start and imports: not part of base_secs
        t = time.perf_counter()
        base_pred = s.fit_predict(clone(s.base), sp.X_tr, sp.y_tr, sp.X_te)
    except TimeUp:
        return ended("partial", words.baseline_time_cap(s.inp.budget))
    except Exception as exc:
        return ended("failed", words.retrain_failed(_err(exc)))
    s.base_secs = time.perf_counter() - t
    s.record("baseline", base_pred, s.base_secs, None)
    return None


def _fit_constrained(s: _Session, sp: _Split, term: LossTerm) -> None:
    """Retrain a copy under the term's constraint, within the time left."""
    from fairlearn.reductions import ExponentiatedGradient

    key, budget = _constrained_key(term), s.inp.budget
    if not s.weights_ok:
        s.record(key, None, None, words.NO_SAMPLE_WEIGHT)
        return
    # Each iteration of the reduction is about _EG_FITS_PER_ITER fits; fewer iterations
    # when time is short, none when not even the reduction's minimum fits in.
    max_iter = int(min(_EG_MAX_ITER,
                       s.remaining() / (max(s.base_secs, 1e-3) * _EG_FITS_PER_ITER)))
    if max_iter < _EG_MIN_ITER:
        why = words.too_little_time(budget, s.remaining(), _EG_MIN_ITER * _EG_FITS_PER_ITER,
                                    s.base_secs)
        s.record(key, None, None, why)
        return
    g = s.by_name[term.attribute]
    sens_tr = np.asarray(g.labels, dtype=object)[g.codes[sp.rows][sp.tr]]
    est = _DeadlineRouter(clone(s.base), deadline=s.t_start + budget)
    mitigator = ExponentiatedGradient(est, constraints=_make_moment(term, sp.y_tr), max_iter=max_iter)
    t = time.perf_counter()
    try:
        pred = s.fit_predict(mitigator, sp.X_tr, sp.y_tr, sp.X_te, True,
                             sensitive_features=sens_tr)
        s.record(key, pred, time.perf_counter() - t, None)
        if max_iter < _EG_MAX_ITER:
            s.notes.append(words.iterations_limited(term.constraint, term.attribute, max_iter))
    except _TimeUp:
        s.record(key, None, time.perf_counter() - t, words.time_cap_hit(budget, term.constraint))
    except Exception as exc:
        s.record(key, None, time.perf_counter() - t, words.reduction_failed(_err(exc)))


def _features_to_drop(inp: WhatIfInputs, chosen: Sequence[LossTerm]) -> list[str]:
    """Flagged features of the chosen attributes that are model inputs, once each."""
    chosen_attrs = {c.attribute for c in chosen}
    out: list[str] = []
    for fl in inp.flags:
        if fl.attribute in chosen_attrs and fl.feature in inp.X.columns and fl.feature not in out:
            out.append(fl.feature)
    return out


def _fit_dropped(s: _Session, sp: _Split, feat: str) -> None:
    """Retrain a copy with the feature's column held at its most frequent training value."""
    key = f"drop:{feat}"
    if s.remaining() < 1.5 * s.base_secs:
        s.record(key, None, None, words.time_cap_before_fit(s.inp.budget))
        return
    col = sp.X_tr[feat]
    mode = col.mode(dropna=True)
    const = mode.iloc[0] if len(mode) else col.iloc[0]
    Xd_tr = sp.X_tr.copy()
    Xd_te = sp.X_te.copy()
    Xd_tr[feat] = pd.Series([const] * len(Xd_tr), dtype=col.dtype)
    Xd_te[feat] = pd.Series([const] * len(Xd_te), dtype=col.dtype)
    t = time.perf_counter()
    try:
        s.record(key, s.fit_predict(clone(s.base), Xd_tr, sp.y_tr, Xd_te),
                 time.perf_counter() - t, None)
    except TimeUp:
        s.record(key, None, time.perf_counter() - t,
                 words.time_cap_stopped_drop(s.inp.budget, feat))
    except Exception as exc:
        s.record(key, None, time.perf_counter() - t, words.drop_failed(feat, _err(exc)))


def _make_moment(term: LossTerm, y: np.ndarray) -> Any:
    """The fairlearn constraint object of a loss term."""
    import fairlearn.reductions as red

    if term.constraint == "BoundedGroupLoss":
        loss = red.AbsoluteLoss(min_val=float(np.min(y)), max_val=float(np.max(y)))
        return red.BoundedGroupLoss(loss, upper_bound=term.bound)
    return getattr(red, term.constraint)(difference_bound=term.bound)


def _accepts_sample_weight(estimator: Any) -> bool:
    """Whether the (final step of the) estimator's fit takes ``sample_weight``."""
    from sklearn.utils.validation import has_fit_parameter

    from .._inputs.model import final_estimator

    try:
        return bool(has_fit_parameter(final_estimator(estimator), "sample_weight"))
    except Exception:
        return False


def _err(exc: BaseException) -> str:
    """``TypeName: first line of the message`` (shortened)."""
    text = str(exc).strip()
    first = text.splitlines()[0][:200] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _fit_predict(est: Any, X_tr: pd.DataFrame, y_tr: np.ndarray, X_te: pd.DataFrame,
                 task: str, seed: int, randomized: bool, fit_kwargs: dict[str, Any]
                 ) -> np.ndarray:
    """Fit ``est`` and predict ``X_te`` as 0/1 integers (binary) or floats (regression).

    Module-level so that the worker process can run it; ``randomized`` predictions
    (ExponentiatedGradient's) are drawn with ``seed``.
    """
    est.fit(X_tr, y_tr, **fit_kwargs)
    out = est.predict(X_te, random_state=seed) if randomized else est.predict(X_te)
    out = np.asarray(out).ravel()
    return out.astype(np.int64) if task == "binary" else out.astype(float)


# --------------------------------------------------------------------------- measure


def _experiment(s: _Session, sp: _Split, term: LossTerm) -> WhatIfExperiment:
    """One term's runs, measured on the held-out rows with shared bootstrap weights."""
    g = s.by_name[term.attribute]
    codes = g.codes[sp.rows][sp.te]
    k = len(g.labels)
    sizes = np.bincount(codes, minlength=k)
    # 'unknown' is trained on as a group but is not a demographic group to compare
    allowed = (sizes >= _MIN_GROUP_TEST) & (np.asarray(g.labels, dtype=object) != UNKNOWN)
    wanted = ["baseline", _constrained_key(term)] + [
        f"drop:{fl.feature}" for fl in s.inp.flags if fl.attribute == term.attribute
    ]
    keys = [key for key in dict.fromkeys(wanted) if key in s.fits]
    stats = {
        key: _measure(term.criterion, s.inp.task, sp.y_te, pred, codes, k, allowed, sp.boot_w)
        for key, (pred, _, _) in s.fits.items()
        if pred is not None and key in keys
    }
    perf_name = words.performance_metric(s.inp.task)
    return WhatIfExperiment(
        constraint=term.constraint,
        criterion=term.criterion,
        attribute=term.attribute,
        gap_metric=words.gap_metric(term.criterion, term.attribute),
        groups_compared=tuple(lab for lab, a in zip(g.labels, allowed) if a),
        runs=tuple(_run(key, term, s.fits[key], stats, perf_name) for key in keys),
    )


def _run_kind(key: str, term: LossTerm) -> tuple[RunKind, str, str | None]:
    """Kind, label and dropped feature of a run key."""
    if key == "baseline":
        return "baseline", words.BASELINE_LABEL, None
    if key.startswith("constrained:"):
        return "constrained", words.constrained_label(term.constraint, term.bound_name,
                                                      term.bound), None
    feature = key.split(":", 1)[1]
    return "drop_feature", words.dropped_label(feature), feature


Stats = tuple[float, float, np.ndarray, np.ndarray]  # gap, performance, their bootstraps


def _run(key: str, term: LossTerm, fit: Fit, stats: dict[str, Stats], perf_name: str) -> WhatIfRun:
    """One run's gap and performance, and their changes against the baseline (paired)."""
    pred, secs, why = fit
    kind, label, feature = _run_kind(key, term)
    if pred is None or key not in stats:
        return WhatIfRun(label, kind, "failed" if secs is not None else "skipped", feature,
                         reason=why)
    gp, pf, bg, bp = stats[key]
    b_gp, b_pf, b_bg, b_bp = stats["baseline"]
    baseline = kind == "baseline"
    return WhatIfRun(
        label=label,
        kind=kind,
        status="ok",
        feature=feature,
        performance=_interval(pf, bp, perf_name),
        gap=_interval(gp, bg, words.GAP),
        gap_change=(Estimate(None, reason=words.BASELINE) if baseline
                    else _interval(gp - b_gp, bg - b_bg, words.GAP_CHANGE)),
        performance_change=(Estimate(None, reason=words.BASELINE) if baseline
                            else _interval(pf - b_pf, bp - b_bp, perf_name)),
    )


def _summary(s: _Session, sp: _Split, experiments: list[WhatIfExperiment]) -> WhatIf:
    """The what-if's result, with what the numbers describe and warnings as notes."""
    notes = [words.held_out_note(len(sp.tr), len(sp.te)), *s.notes]
    notes += [words.retraining_warning(w) for w in s.warnings[:_MAX_WARNINGS]]
    return WhatIf(
        status="partial" if s.incomplete else "ran",
        reason=words.SOME_RUNS_INCOMPLETE if s.incomplete else None,
        performance_metric=words.performance_metric(s.inp.task),
        n_train=len(sp.tr),
        n_test=len(sp.te),
        drop_method=words.DROP_METHOD,
        experiments=tuple(experiments),
        notes=tuple(notes),
    )
# --------------------------------------------------------------------------- gaps


def _group_rates(
    criterion: str,
    task: str,
    y: np.ndarray,
    pred: np.ndarray,
    codes: np.ndarray,
    k: int,
    weights: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Per-group arrays whose (max - min) is the gap; NaN where a group is too small."""
    w = np.ones(len(y)) if weights is None else weights
    ones = np.ones(len(y))

    def rate(num: np.ndarray, mask: np.ndarray, need: int) -> np.ndarray:
        """Per-group weighted mean of ``num`` over ``mask``; NaN below ``need``."""
        den = np.bincount(codes, weights=w * mask, minlength=k)
        top = np.bincount(codes, weights=w * mask * num, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = top / den
        out[den < need] = np.nan
        return out

    if task == "regression":
        num = np.abs(y - pred) if criterion == "mae" else pred
        return [rate(num, ones, _MIN_GROUP_TEST)]
    if criterion == "demographic_parity":
        return [rate(pred, ones, _MIN_GROUP_TEST)]
    tpr = rate(pred, (y == 1).astype(float), _MIN_CONDITIONAL)
    if criterion == "equal_opportunity":
        return [tpr]
    if criterion == "equalized_odds":
        return [tpr, rate(pred, (y == 0).astype(float), _MIN_CONDITIONAL)]
    return [rate((pred != y).astype(float), ones, _MIN_GROUP_TEST)]  # accuracy / error rate


def _gap(parts: list[np.ndarray], allowed: np.ndarray) -> float:
    """Largest (max - min) over the parts, among the allowed groups; NaN below two groups."""
    vals = []
    for p in parts:
        q = p[allowed]
        q = q[np.isfinite(q)]
        if len(q) < 2:
            return math.nan
        vals.append(float(q.max() - q.min()))
    return max(vals)


def _performance(task: str, y: np.ndarray, pred: np.ndarray, w: np.ndarray | None) -> float:
    """Weighted accuracy (binary) or mean absolute error (regression)."""
    ww = np.ones(len(y)) if w is None else w
    if task == "regression":
        return float(np.sum(ww * np.abs(y - pred)) / np.sum(ww))
    return float(np.sum(ww * (pred == y)) / np.sum(ww))


def _measure(
    crit: str,
    task: str,
    y: np.ndarray,
    pred: np.ndarray,
    codes: np.ndarray,
    k: int,
    allowed: np.ndarray,
    boot_w: list[np.ndarray],
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Gap and performance, plus their values on each (shared, paired) bootstrap resample."""
    gap = _gap(_group_rates(crit, task, y, pred, codes, k), allowed)
    perf = _performance(task, y, pred, None)
    bg = np.empty(len(boot_w))
    bp = np.empty(len(boot_w))
    for i, w in enumerate(boot_w):
        bg[i] = _gap(_group_rates(crit, task, y, pred, codes, k, w), allowed)
        bp[i] = _performance(task, y, pred, w)
    return gap, perf, bg, bp


def _interval(point: float, boot: np.ndarray, what: str) -> Estimate:
    """Point value with a 95% percentile-bootstrap interval.

    The fairness tables' rule (:func:`~audit._fairness.bootstrap.estimate`): every
    interval reported contains its point; the resamples of a largest-minus-smallest gap
    over many groups can be biased away from it, and then no interval is given, with
    the reason.
    """
    if not np.isfinite(point):
        return Estimate(None, reason=words.undefined_gap(what))
    b = boot[np.isfinite(boot)]
    if len(b) < 10:
        return Estimate(point, reason=words.FEW_RESAMPLES)
    lo, hi = np.percentile(b, [2.5, 97.5])
    return estimate(point, float(lo), float(hi), None)


