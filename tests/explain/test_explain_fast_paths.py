"""Fast paths of the SHAP stage equal their plain definitions to the bit.

At 1M explained rows the linear explainer's sum-back and the per-group summaries were
most of the stage's time beside the model itself; their faster forms must not change a
single number of audit.json, so each is compared here with the plain computation it
replaces (``array_equal``, not ``allclose``), memory layout included where later
reductions depend on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from audit._explain import entry, explainers, gaps
from audit._explain.attributions import _group_attribution, _importance_order, compute_attributions
from audit._explain.mapping import _flatten_pipeline
from audit._explain.split import Sorting, Work, columns, split
from audit._explain.trees import lightgbm_model
from audit._inputs.model import ModelAdapter
from audit._inputs.prepared import Grouping


def _owner_matrix(owner: np.ndarray, p: int) -> sp.csr_matrix:
    """The sum-back matrix of an owner map, built as mapping._sum_back_matrix builds it."""
    q = len(owner)
    return sp.csr_matrix((np.ones(q), (np.arange(q), owner)), shape=(q, p))


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal values, signs of zero and memory order."""
    return (
        a.shape == b.shape
        and np.array_equal(a, b, equal_nan=True)
        and np.array_equal(np.signbit(a), np.signbit(b))
        and a.flags.f_contiguous == b.flags.f_contiguous
        and a.flags.c_contiguous == b.flags.c_contiguous
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 3000),
    owner=st.lists(st.integers(0, 6), min_size=1, max_size=40),
    p_extra=st.integers(0, 2),
    seed=st.integers(0, 2**32 - 1),
)
def test_scaled_sum_back_equals_scipys_product(n: int, owner: list[int], p_extra: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    own = np.asarray(owner)
    p = int(own.max()) + 1 + p_extra  # original columns without any transformed column too
    Z = rng.normal(size=(n, len(own))) * 10.0 ** rng.integers(-8, 8, len(own))
    Z[rng.uniform(size=Z.shape) < 0.2] = 0.0  # one-hot zeros, and signed zeros below
    Z[rng.uniform(size=Z.shape) < 0.05] = -0.0
    w = rng.normal(size=len(own))
    w[rng.uniform(size=len(w)) < 0.2] = 0.0
    M = _owner_matrix(own, p)
    shift = (rng.normal(size=len(own)) * w) @ M
    assert _same(explainers._scaled_sum_back(Z, w, M, shift), (Z * w) @ M - shift)


def test_scaled_sum_back_over_many_row_blocks_and_a_wide_one_hot(monkeypatch) -> None:
    rng = np.random.default_rng(3)
    own = np.concatenate([np.arange(4), np.repeat(4, 70), np.arange(5, 9)])  # 70 > the rank cap
    Z = rng.normal(size=(5000, len(own)))
    w = rng.normal(size=len(own))
    M = _owner_matrix(own, 9)
    shift = (Z[:50].mean(0) * w) @ M
    assert _same(explainers._scaled_sum_back(Z, w, M, shift), (Z * w) @ M - shift)
    own = np.concatenate([np.repeat(0, 12), np.arange(1, 6), np.repeat(6, 9)])
    M = _owner_matrix(own, 7)
    Z = rng.normal(size=(5000, len(own)))
    w = rng.normal(size=len(own))
    shift = (Z[:50].mean(0) * w) @ M
    monkeypatch.setattr(explainers, "_SUM_BACK_BLOCK", 300)  # blocks of 64 rows, a short last one
    assert _same(explainers._scaled_sum_back(Z, w, M, shift), (Z * w) @ M - shift)


def test_linear_attributions_of_a_one_hot_pipeline_are_the_scipy_product(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    n = 4000
    X = pd.DataFrame({
        "c1": rng.choice(list("abcdefgh"), n), "x1": rng.normal(size=n),
        "c2": rng.choice(list("xyz"), n), "x2": rng.normal(size=n),
    })
    y = (X["x1"] + (X["c1"] < "d") + rng.normal(size=n) > 0.5).astype(int)
    ct = ColumnTransformer([("oh", OneHotEncoder(sparse_output=False), ["c1", "c2"]),
                            ("num", StandardScaler(), ["x1", "x2"])])
    model = ModelAdapter(make_pipeline(ct, LogisticRegression()).fit(X, y), "classification",
                         tuple(X.columns))
    fast = compute_attributions(model, X, X.iloc[:100])

    def plain(Z, w, M, shift):  # type: ignore[no-untyped-def]
        return (Z * w) @ M - shift

    monkeypatch.setattr(explainers, "_scaled_sum_back", plain)
    slow = compute_attributions(model, X, X.iloc[:100])
    assert fast.explainer == "linear_exact" and fast.ok
    assert _same(fast.phi, slow.phi) and fast.max_error == slow.max_error


# --------------------------------------------------------------------------- per-group summaries


def _grouping(name: str, codes: np.ndarray, k: int, reference: int = 0) -> Grouping:
    return Grouping(name, "other", (name,), codes.astype(np.int64),
                    tuple(f"{name}{i}" for i in range(k)), reference)


def _data(n: int, p: int, order: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    phi = np.asarray(rng.normal(size=(n, p)) * rng.uniform(0.1, 3, p), order=order)
    fx = phi.sum(1) + 0.3
    return phi, fx, 1.0 / (1.0 + np.exp(-fx))


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("sorted_codes", [False, True])
def test_split_and_summaries_in_reused_arrays_equal_fresh_ones(order: str, sorted_codes: bool) -> None:
    n, p = gaps.BOOT_MAX_ROWS * 2 + 3000, 4  # a big side (normal draws) and small ones
    phi, fx, prob = _data(n, p, order)
    V = columns(phi, fx, prob)
    w = np.random.default_rng(1).uniform(0.5, 2.0, n)
    feats = [f"f{j}" for j in range(p)]
    sorting, work = Sorting.of(V), Work(n * (p + 2))
    k = 5
    for trial in range(2):  # the second grouping reuses what the first left behind
        rng = np.random.default_rng(10 + trial)
        codes = rng.choice(k, n, p=[0.6, 0.25, 0.1, 0.05 - 1e-4, 1e-4])
        if sorted_codes:
            codes = np.sort(codes)
        g = _grouping(f"g{trial}", codes, k)
        fresh = split(codes, k, V, w, p)
        reused = split(codes, k, V, w, p, sorting, work)
        assert _same(fresh.V, reused.V) and np.array_equal(fresh.w, reused.w)
        assert np.array_equal(fresh.means, reused.means, equal_nan=True)
        order_ = list(range(p))
        assert _group_attribution(g, fresh, p + 1, feats, order_) == _group_attribution(
            g, reused, p + 1, feats, order_)
        a = gaps._decompose(g, fresh, True, feats, 50, np.random.default_rng(7))
        b = gaps._decompose(g, reused, True, feats, 50, np.random.default_rng(7))
        assert a == b


@pytest.mark.parametrize("order", ["C", "F"])
def test_importance_order_in_the_work_area_equals_fresh(order: str) -> None:
    phi, _, _ = _data(3000, 6, order, seed=4)
    w = np.random.default_rng(5).uniform(0.5, 2.0, 3000)
    fresh = _importance_order(phi, w)
    reused = _importance_order(phi, w, Work(3000 * 8))
    assert fresh[0] == reused[0] and np.array_equal(fresh[1], reused[1])


@pytest.mark.parametrize("order", ["C", "F"])
def test_columns_in_c_order_hold_hstacks_values(order: str) -> None:
    phi, fx, prob = _data(500, 4, order)
    for pr in (prob, None):
        c = columns(phi, fx, pr, c_order=True)
        assert c.flags.c_contiguous and np.array_equal(c, columns(phi, fx, pr))


def test_work_area_hands_out_the_layout_of_a_fresh_result() -> None:
    work = Work(100)
    c = np.zeros((10, 12))
    assert work.like(c[:, :5]) is not None and work.like(c[:, :5]).flags.c_contiguous  # type: ignore[union-attr]
    f = np.asfortranarray(c)
    assert work.like(f[2:7, :5]).flags.f_contiguous  # type: ignore[union-attr]
    assert work.like(c[::2, ::2]) is None  # neither: allocate as numpy would
    assert work.like(np.zeros((11, 10))) is None  # too big for the area
    assert work.c(20, 10).shape == (20, 10) and work.c(11, 10).base is None


@pytest.mark.parametrize("one_in_group_order", [True, False])
def test_by_group_equals_the_plain_per_grouping_summaries(one_in_group_order: bool) -> None:
    rng = np.random.default_rng(2)
    n, p = gaps.BOOT_MAX_ROWS + 4000, 3
    X = pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(p)})
    y = (X["x0"] + rng.normal(size=n) > 0).astype(int)
    model = ModelAdapter(LogisticRegression().fit(X, y), "classification", tuple(X.columns))
    gs = [_grouping("a", rng.choice(3, n, p=[0.7, 0.2, 0.1]), 3),
          _grouping("b", rng.integers(0, 2, n), 2, reference=1)]
    if one_in_group_order:  # read in place, in np.hstack's layout
        gs.append(_grouping("c", np.sort(rng.integers(0, 4, n)), 4))
    e = entry._explain_sample(model, X, gs, 0, n, 100)
    order, _ = _importance_order(e.att.phi, e.weights)
    got = entry._by_group(e, gs, order, 40, 0, Work(n * (p + 2)))
    V = columns(e.att.phi, e.att.output_values, 1.0 / (1.0 + np.exp(-e.att.output_values)))
    boot = np.random.default_rng([0, 1])
    attrs, decs = [], []
    for g in gs:
        sp_ = split(np.asarray(g.codes)[e.rows], len(g.labels), V, e.weights, p)
        attrs.append(_group_attribution(g, sp_, p + 1, e.features, order))
        decs.extend(gaps._decompose(g, sp_, True, e.features, 40, boot))
    assert got == (tuple(attrs), tuple(decs))


# --------------------------------------------------------------------------- intervals, sampling


@settings(max_examples=80, deadline=None)
@given(b=st.integers(0, 300), p=st.integers(1, 20), seed=st.integers(0, 2**32 - 1),
       bad=st.sampled_from([None, np.nan, np.inf]))
def test_interval_of_every_column_at_once_equals_one_call_per_column(b: int, p: int, seed: int,
                                                                      bad: float | None) -> None:
    rng = np.random.default_rng(seed)
    s = rng.normal(size=(b, p)) * 10.0 ** rng.integers(-12, 12, p)
    tied = rng.uniform(size=p) < 0.3
    s[:, tied] = np.round(rng.normal(size=(b, int(tied.sum()))), 1)  # replicates with ties
    if bad is not None and b:
        s[rng.integers(0, b), rng.integers(0, p)] = bad
    assert gaps._cis(s) == [gaps._ci(s[:, j]) for j in range(p)]


def _trim_excess_plain(alloc, sizes, targets, n_sample):  # type: ignore[no-untyped-def]
    """The trimming loop as first written: every group rechecked for every row removed."""
    excess = int(alloc.sum()) - n_sample
    keep_one = len(sizes) <= n_sample
    protected_floor = np.where(sizes > 0, 1, 0) if keep_one else np.zeros_like(sizes)
    while excess > 0:
        ok = alloc > protected_floor
        for members, target in targets:
            if alloc[members].sum() <= target:
                ok[members] = False
        if not ok.any():
            break
        ratio = np.where(ok, alloc / np.maximum(sizes, 1), -np.inf)
        c = int(np.argmax(ratio))
        alloc[c] -= 1
        excess -= 1


@settings(max_examples=150, deadline=None)
@given(dims=st.lists(st.integers(1, 6), min_size=0, max_size=3), seed=st.integers(0, 2**32 - 1),
       floor=st.integers(0, 40), frac=st.floats(0.0, 1.2))
def test_trimming_with_a_heap_equals_the_plain_loop(dims: list[int], seed: int, floor: int,
                                                    frac: float) -> None:
    from audit._explain import sampling

    rng = np.random.default_rng(seed)
    n_cells = int(np.prod(dims)) if dims else 1
    cells = np.array(np.unravel_index(np.arange(n_cells), dims or [1])).T.reshape(n_cells, -1)
    if not dims:
        cells = cells[:, :0]
    sizes = (rng.pareto(1.0, n_cells) * 20).astype(np.int64) * (rng.uniform(size=n_cells) > 0.15)
    strata = [_grouping(f"s{k}", np.zeros(1, np.int64), d) for k, d in enumerate(dims)]
    targets = sampling._group_targets(strata, cells, sizes, floor)
    n_sample = max(1, int(frac * sizes.sum()))
    alloc = sampling._proportional(n_sample, sizes)
    sampling._raise_to_minimums(alloc, sizes, targets)
    a, b = alloc.copy(), alloc.copy()
    sampling._trim_excess(a, sizes, targets, n_sample)
    _trim_excess_plain(b, sizes, targets, n_sample)
    assert np.array_equal(a, b)


# --------------------------------------------------------------------------- cost model


def test_a_tree_models_cost_is_estimated_without_running_it(monkeypatch) -> None:
    import lightgbm
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
    )

    from audit._explain import budget, cost, output

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=600), "b": rng.normal(size=600)})
    y3 = rng.integers(0, 3, 600)
    cases = [
        (lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y3 > 0), "binary", True),
        (HistGradientBoostingClassifier(max_iter=4).fit(X, y3), "multiclass", 0),
        (HistGradientBoostingClassifier(max_iter=4).fit(X, y3), "multiclass", 2),
        (HistGradientBoostingRegressor(max_iter=4).fit(X, X["a"]), "regression", None),
        (make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=3, random_state=0))
         .fit(X, y3 > 0), "binary", False),
    ]
    for est, task, pos in cases:
        m = ModelAdapter(est, task, tuple(X.columns), positive_label=pos)
        pre, final = _flatten_pipeline(est)
        want = cost.estimate(est, output._choose_output(m, pre, final, X.iloc[:200]), X.shape[1])
        with monkeypatch.context() as mp:
            mp.setattr(output._ModelOutput, "_compute", lambda *a: pytest.fail("the model ran"))
            assert budget.model_cost(m, X) == want, (type(final).__name__, pos)


def _lightgbm_work_from_json(final) -> float:  # type: ignore[no-untyped-def]
    """The LightGBM cost as first written: a walk over dump_model()'s JSON trees."""
    from audit._explain.cost import LEAF_UNITS

    work = 0.0
    for tree in final.booster_.dump_model()["tree_info"]:
        stack = [(tree["tree_structure"], 0)]
        while stack:
            node, d = stack.pop()
            if "left_child" in node:
                stack += [(node["left_child"], d + 1), (node["right_child"], d + 1)]
            else:
                work += (d + 1) ** 2 + LEAF_UNITS
    return work


def test_lightgbm_work_from_the_model_text_equals_the_json_walk() -> None:
    import lightgbm

    from audit._explain import cost

    rng = np.random.default_rng(1)
    n = 2000
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "c": pd.Categorical(rng.choice(list("pqrstu"), n))})
    y = ((X["a"] > 0) ^ (X["c"].isin(["p", "q"]))).astype(int)
    y3 = (rng.integers(0, 3, n) + (X["a"] > 1)) % 3
    models = [
        lightgbm.LGBMClassifier(n_estimators=30, num_leaves=15, verbose=-1).fit(X, y),
        lightgbm.LGBMClassifier(n_estimators=12, num_leaves=7, verbose=-1).fit(X, y3),
        # trees that are a single leaf: nothing left to split
        lightgbm.LGBMClassifier(n_estimators=5, min_child_samples=n, verbose=-1).fit(X, y),
        lightgbm.LGBMRegressor(n_estimators=8, max_depth=3, verbose=-1).fit(X, X["a"]),
        # early stopping on noise (a best iteration set on the booster)
        lightgbm.LGBMClassifier(n_estimators=200, learning_rate=0.5, verbose=-1).fit(
            X, y, eval_X=X, eval_y=rng.integers(0, 2, n),
            callbacks=[lightgbm.early_stopping(5, verbose=False)]),
    ]
    for m in models:
        assert cost._lightgbm_work(lightgbm_model(m)) == _lightgbm_work_from_json(m)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 5000), top=st.sampled_from([0, 1, 5, 255, 256, 3000, 65535, 65536, 10**6]),
       seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from([np.int64, np.int32, np.intp]))
def test_stable_order_of_small_codes_is_numpys_stable_argsort(n: int, top: int, seed: int,
                                                               dtype: type) -> None:
    from audit._explain.split import stable_order

    codes = np.random.default_rng(seed).integers(0, top + 1, n).astype(dtype)
    assert np.array_equal(stable_order(codes), np.argsort(codes, kind="stable"))
    codes[: n // 3] = -1  # negative codes: sorted as they are
    assert np.array_equal(stable_order(codes), np.argsort(codes, kind="stable"))
