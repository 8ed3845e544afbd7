"""The per-group summaries: rows split by group once, same values as masked copies, one BLAS thread."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from audit._explain import entry, explain
from audit._explain.split import _wmean, columns, split
from audit._inputs.model import ModelAdapter
from audit._inputs.prepared import Grouping


@pytest.mark.parametrize("with_prob", [True, False])
def test_split_means_equal_the_masked_means_to_the_bit(with_prob: bool) -> None:
    rng = np.random.default_rng(0)
    n, p, k = 3000, 5, 7
    phi, fx, prob = rng.normal(size=(n, p)), rng.normal(size=n), rng.uniform(size=n)
    w = rng.uniform(0.5, 2.0, n)
    codes = rng.integers(0, k - 1, n)  # the last group has no rows
    sp = split(codes, k, columns(phi, fx, prob if with_prob else None), w, p)
    for gi in range(k):
        m = codes == gi
        assert sp.size(gi) == m.sum()
        if not m.any():
            assert np.isnan(sp.means[gi]).all()
            continue
        rows = sp.rows(gi)
        assert np.array_equal(sp.V[rows, :p], phi[m])  # same rows, same order
        assert np.array_equal(sp.means[gi, :p], _wmean(phi[m], w[m]))
        assert sp.means[gi, p] == _wmean(fx[m], w[m])
        if with_prob:
            assert sp.means[gi, p + 1] == _wmean(prob[m], w[m])


def test_the_group_summaries_run_with_one_blas_thread(monkeypatch) -> None:
    # with the cores busy, OpenBLAS's waiting threads made each skinny product of the
    # summaries up to 1,000x slower; one thread gives the same values
    from threadpoolctl import threadpool_info

    seen: list[int] = []
    by_group = entry._by_group

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
        return by_group(*args, **kwargs)

    monkeypatch.setattr(entry, "_by_group", spy)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = (X["a"] + rng.normal(size=400) > 0).astype(int)
    model = ModelAdapter(LogisticRegression().fit(X, y), "classification", ("a", "b"))
    g = Grouping("g", "other", ("g",), rng.integers(0, 2, 400).astype(np.int64), ("x", "y"), 0)
    e = explain(model, X, [g], n_boot=20)
    assert seen and set(seen) == {1}
    assert e.gaps and e.gaps[0].gap.value is not None


class _CountingScaler(StandardScaler):
    """A StandardScaler that records the number of rows of every transform."""

    seen: list[int] = []

    def transform(self, X, copy=None):  # type: ignore[no-untyped-def,override]
        _CountingScaler.seen.append(len(X))
        return super().transform(X, copy=copy)


def test_a_pipelines_explained_rows_are_preprocessed_once() -> None:
    # the margin's preprocessed rows are handed to the linear explainer (1M rows of a
    # one-hot pipeline took 1.2 s per transform), with the same values as before
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=700), "b": rng.normal(size=700)})
    y = (X["a"] + rng.normal(size=700) > 0).astype(int)
    pipe = make_pipeline(_CountingScaler(), LogisticRegression()).fit(X, y)
    model = ModelAdapter(pipe, "classification", ("a", "b"))
    _CountingScaler.seen = []
    e = explain(model, X, [], n_sample=700, n_background=50, n_boot=0)
    assert e.n_sample == 700 and e.additivity_ok
    assert _CountingScaler.seen.count(700) == 1


def test_the_output_on_a_small_sample_is_computed_with_one_openmp_thread(monkeypatch) -> None:
    # a parallel region per tree costs more than it saves on a few thousand rows
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_info

    from audit._explain import output

    seen: list[int] = []
    compute = output._ModelOutput._compute

    def spy(self, X):  # type: ignore[no-untyped-def]
        seen.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp")
        return compute(self, X)

    monkeypatch.setattr(output._ModelOutput, "_compute", spy)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    y = (X["a"] + rng.normal(size=500) > 0).astype(int)
    hgb = HistGradientBoostingClassifier(max_iter=5).fit(X, y)
    model = ModelAdapter(hgb, "classification", ("a", "b"))
    expected = hgb.decision_function(X)
    out, fx = output._output_and_values(model, [], hgb, X)
    assert seen and set(seen) == {1}
    assert np.array_equal(fx, expected)
