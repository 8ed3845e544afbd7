"""TreeSHAP's tasks: every thread busy, and an interrupt (Ctrl-C, SIGTERM) stops within a task."""

from __future__ import annotations

import _thread
import threading
import time

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from audit._explain import treeshap
from audit._explain.trees import hgb_contribs


@pytest.fixture(scope="module")
def deep_model() -> tuple[HistGradientBoostingRegressor, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 8))
    y = X @ rng.normal(size=8) + np.sin(3 * X[:, 0]) + rng.normal(size=3000)
    model = HistGradientBoostingRegressor(max_iter=150, max_leaf_nodes=31, early_stopping=False,
                                          random_state=0).fit(X, y)
    return model, rng.normal(size=(30_000, 8))


def test_values_do_not_depend_on_the_task_size(deep_model, monkeypatch) -> None:
    model, X = deep_model
    phi, _ = hgb_contribs(model, X[:300], 0)
    monkeypatch.setattr(treeshap, "_TASK_ROWS", 7)
    assert np.array_equal(hgb_contribs(model, X[:300], 0)[0], phi)


def test_an_interrupt_is_not_held_until_every_row_is_done(deep_model) -> None:
    model, X = deep_model
    start = time.perf_counter()
    hgb_contribs(model, X[:512], 0)
    per_row = (time.perf_counter() - start) / 512
    whole = per_row * len(X)  # a few seconds: the time an interrupt used to wait
    timer = threading.Timer(0.2, _thread.interrupt_main)
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        hgb_contribs(model, X, 0)
    took = time.perf_counter() - start
    timer.cancel()
    # the task being waited for, then the ones running when the interrupt is seen
    task = treeshap._TASK_ROWS * per_row
    assert took < 0.2 + 4 * task + 0.5 and took < whole / 2, (took, task, whole)


def test_few_rows_still_keep_every_thread_busy(deep_model, monkeypatch) -> None:
    """200 rows on 2 threads are 2 tasks of 100, not one task of 200 on one thread."""
    model, X = deep_model
    tasks: list[tuple[int, int]] = []

    class Recording(treeshap.ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
            tasks.append(args[-2:])
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(treeshap, "ThreadPoolExecutor", Recording)
    monkeypatch.setattr(treeshap, "_threads", lambda n: 2)
    hgb_contribs(model, X[:200], 0)
    assert tasks == [(0, 100), (100, 200)]
    tasks.clear()
    hgb_contribs(model, X[:1000], 0)
    assert tasks == [(0, 256), (256, 512), (512, 768), (768, 1000)]
