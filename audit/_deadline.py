"""Run a function in a worker process that is terminated at a deadline (what-if fits, budgeted stages).

Why a process: a time cap checked between fits lets one long fit overrun it
(a gradient-boosting fit on a big table, or an estimator that hangs), and a
thread cannot be stopped.  Iteration limits and warm starts would only work
for the estimators that have them, and the what-if retrains *any* model.  So
each fit runs in one worker process, started with the "spawn" context (no
forked copy of the parent's threads and locks, same behaviour on every
platform) once per what-if and reused for all its fits; the parent waits for
each answer only until the deadline and then terminates the worker.  What
finished before is kept: the stage reports "partial".

Warnings raised in the worker are sent back with each answer (:attr:`FitWorker.caught`)
and can be raised again in the parent (:meth:`FitWorker.replay_warnings`), so a
stage run under a deadline records the same warnings as one run in the parent.

The fits send their inputs by pickle; a model that cannot be pickled (an
estimator defined inside a function, a lambda in a pipeline) runs in the
parent process instead, with the time cap checked between fits as before;
:attr:`FitWorker.shipped` says which happened.

Examples
--------
>>> import time
>>> w = FitWorker(deadline=time.perf_counter() + 60)
>>> w.call(divmod, 7, 2)
((3, 1), [])
>>> w.close()
"""

from __future__ import annotations

import multiprocessing
import pickle
import time
import warnings
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

#: Seconds given to a terminated worker to exit before it is killed.
_EXIT_GRACE = 0.5


class TimeUp(Exception):
    """The what-if's deadline passed: the fit running then was stopped (or never started)."""


class CannotShip(Exception):
    """The fit's inputs cannot be pickled to the worker process."""


#: A warning raised in the worker, as sent back: its category's module and qualified
#: name, its message, file and line (so the parent can raise it again, same category).
Caught = tuple[str, str, str, str, int]


def quiet_call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
               record: list[Caught] | None = None) -> tuple[Any, list[str]]:
    """``fn(*args, **kwargs)`` and the warnings it raised, as ``Category: first line``.

    ``record``, when given, receives every warning raised (all of them, in order,
    as :data:`Caught`), also when ``fn`` raises.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kwargs)
        finally:
            if record is not None:
                record.extend((w.category.__module__, w.category.__qualname__, str(w.message),
                               str(w.filename), int(w.lineno or 0)) for w in caught)
    seen: list[str] = []
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, FutureWarning)) or (
            w.category.__module__.startswith("pandas")
        ):
            continue  # library-internal deprecations say nothing about the model
        msg = f"{w.category.__name__}: {str(w.message).splitlines()[0][:160]}"
        if msg not in seen:
            seen.append(msg)
    return out, seen


def _category(module: str, qualname: str) -> type[Warning]:
    """The warning class named by a worker's record (``UserWarning`` if not importable)."""
    import importlib

    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except Exception:
        return UserWarning
    return obj if isinstance(obj, type) and issubclass(obj, Warning) else UserWarning


def warm_up() -> None:
    """Import what the fits need (run first in a new worker, so no fit is timed with it)."""
    import fairlearn.reductions  # noqa: F401
    import pandas  # noqa: F401
    import sklearn.pipeline  # noqa: F401


def _serve(conn: Connection, threads: int | None) -> None:
    """The worker's loop: run each call it is sent; ``None`` stops it.

    ``threads`` caps every native thread pool (BLAS and OpenMP: scikit-learn's
    HistGradientBoosting, LightGBM, XGBoost) during each call; ``None`` leaves them as
    they are.  The cap is set per call, after the call's inputs are unpickled, since a
    cap applies only to libraries already loaded (unpickling a model loads its own).
    """
    from threadpoolctl import threadpool_limits

    while True:
        msg = conn.recv()
        if msg is None:
            return
        fn, args, kwargs = msg
        record: list[Caught] = []
        try:
            with threadpool_limits(limits=threads):
                reply: tuple[str, Any, list[Caught]] = (
                    "ok", quiet_call(fn, args, kwargs, record), record)
        except BaseException as exc:
            reply = ("err", exc, record)
        try:
            conn.send(reply)
        except Exception as exc:  # an unpicklable result or exception
            conn.send(("err", RuntimeError(f"{type(exc).__name__}: {exc}"), record))


class FitWorker:
    """Runs calls in one spawned process until ``deadline`` (a ``time.perf_counter()`` value).

    Also used by the pipeline for a whole stage (SHAP, the interpretability score)
    when ``--budget`` gives it a deadline.

    The process starts at the first call.  :meth:`call` returns ``(result,
    warnings)``, re-raises the call's exception, raises :class:`TimeUp` when the
    deadline passes first (the worker is then terminated and every later call
    raises :class:`TimeUp` at once), and :class:`CannotShip` when the inputs do
    not pickle.
    """

    def __init__(self, deadline: float, threads: int | None = 1) -> None:
        self.deadline = deadline
        # The what-if's many small fits: one thread.  OpenMP's waiting threads made a
        # HistGradientBoosting / XGBoost fit on 7,000 rows 4-10x slower on 2 busy cores
        # (measured: 2.3-3.0 s instead of 0.5-0.7 s; XGBoost 2.2-2.9 s instead of 0.2-0.4 s).
        # None: as they are (a whole stage under --budget).
        self.threads = threads
        self.shipped = 0  # calls that ran in the worker
        self._proc: Any = None
        self._conn: Connection | None = None
        self._dead = False
        self._busy = False  # a call was sent and its answer not read
        self._warming = False  # that call is prestart()'s: its answer is not the caller's
        self.caught: list[Caught] = []  # every warning the calls raised in the worker

    def _start(self) -> Connection:
        """The pipe to the worker, starting it on first use."""
        if self._conn is None:
            ctx = multiprocessing.get_context("spawn")
            parent, child = ctx.Pipe()
            self._proc = ctx.Process(target=_serve, args=(child, self.threads), daemon=True,
                                     name="audit-what-if-fit")
            self._proc.start()
            child.close()
            self._conn = parent
        return self._conn

    def prestart(self, fn: Callable[[], Any]) -> None:
        """Start the worker and send it ``fn()`` (its imports) without waiting.

        The process starts and imports while the caller goes on with other work;
        the next :meth:`call` first waits for this answer, within its deadline.
        """
        self._start().send_bytes(pickle.dumps((fn, (), {}), protocol=pickle.HIGHEST_PROTOCOL))
        self._busy = self._warming = True

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
        """Run ``fn(*args, **kwargs)`` in the worker, stopping it at the deadline."""
        if self._dead or time.perf_counter() >= self.deadline:
            self.close()
            raise TimeUp
        try:
            payload = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise CannotShip(f"{type(exc).__name__}: {exc}") from exc
        conn = self._start()
        if self._warming:  # prestart()'s answer first
            self._warming = False
            self._answer(conn)
        conn.send_bytes(payload)
        self._busy = True
        value = self._answer(conn)
        self.shipped += 1
        return value

    def _answer(self, conn: Connection) -> Any:
        """The answer to the call sent last, by the deadline; its warnings are kept."""
        if not conn.poll(max(0.0, self.deadline - time.perf_counter())):
            self.close()
            raise TimeUp
        try:
            kind, value, caught = conn.recv()
        except (EOFError, OSError) as exc:  # the worker died (out of memory, a crash)
            code = self._proc.exitcode if self._proc is not None else None
            self._busy = False
            self.close()
            raise RuntimeError(f"the fit's worker process stopped (exit code {code})") from exc
        self._busy = False
        self.caught.extend(caught)
        if kind == "err":
            raise value
        return value

    def replay_warnings(self) -> None:
        """Raise again, in this process, every warning the calls raised in the worker.

        Same category (``UserWarning`` when it cannot be imported here), message, file
        and line, so a caller recording warnings (the audit's ``provenance.warnings``)
        sees them as if the calls had run here.  Each is replayed once.
        """
        caught, self.caught = self.caught, []
        for module, name, message, filename, lineno in caught:
            warnings.warn_explicit(message, _category(module, name), filename, lineno)

    def close(self) -> None:
        """Stop the worker: ask it to exit when idle, terminate it when busy; idempotent."""
        self._dead = True
        proc, conn, self._proc, self._conn = self._proc, self._conn, None, None
        if proc is None:
            return
        busy = self._busy
        if conn is not None and not busy:
            try:
                conn.send(None)
            except OSError:
                pass
        proc.join(_EXIT_GRACE if not busy else 0)
        if proc.is_alive():
            proc.terminate()
            proc.join(_EXIT_GRACE)
        if proc.is_alive():
            proc.kill()
            proc.join()
        if conn is not None:
            conn.close()
