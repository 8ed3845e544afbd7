"""Property tests over random small tables (issue 9): hypothesis draws groups, labels,
predictions and scores (binary) or values (regression), and checks that

- the metrics do not depend on the order of the rows, nor on the names of the groups
  (renamed in place: everything equal; renamed and reordered: every point value equal);
- every reported interval contains its point, or is withheld with a reason saying why
  (max-min spreads whose percentile interval excluded the point, issue 10 item 7);
- the verdict is never PASS without a judged comparison for every protected attribute.

Kept fast: small tables, few resamples, a modest number of examples.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit._fairness.tables import fairness_tables
from audit._fairness.verdict import JUDGED, Policy, evaluate, judged_attributes
from audit._inputs.prepared import Grouping
from audit._result.serial import to_jsonable
from audit._result.tables import AttributeTable, Estimate

FAST = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
N_BOOT = 40


@st.composite
def tables(draw: Any, task: str = "binary") -> dict[str, Any]:
    """A small audit table: every group present, labels, predictions, scores."""
    n_groups = draw(st.integers(1, 4))
    extra = draw(st.integers(0, 40))
    codes = np.r_[np.arange(n_groups),
                  draw(st.lists(st.integers(0, n_groups - 1), min_size=extra,
                                max_size=extra))].astype(np.int64)
    n = len(codes)
    bits = st.lists(st.integers(0, 1), min_size=n, max_size=n)
    if task == "binary":
        y = np.array(draw(bits), dtype=np.int8)
        pred = np.array(draw(bits), dtype=np.int8)
        grid = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
        scores = (np.array(draw(st.lists(grid, min_size=n, max_size=n)))
                  if draw(st.booleans()) else None)
    else:
        vals = st.lists(st.integers(-5, 5), min_size=n, max_size=n)
        y = np.array(draw(vals), dtype=np.float64)
        pred = np.array(draw(vals), dtype=np.float64) / 2
        scores = None
    return {"codes": codes, "n_groups": n_groups, "y": y, "pred": pred, "scores": scores,
            "ref": draw(st.integers(0, n_groups - 1)), "task": task,
            "min_group_size": draw(st.integers(1, 12)), "seed": draw(st.integers(0, 2**32 - 1))}


def _label(i: int) -> str:
    return f"«g#{i}»"


def _tables(t: dict[str, Any], codes: np.ndarray | None = None, labels: tuple[str, ...] | None = None,
            ref: int | None = None, order: np.ndarray | None = None,
            replicates: dict | None = None) -> tuple[AttributeTable, ...]:
    idx = np.arange(len(t["codes"])) if order is None else order
    g = Grouping("attr", "race", ("attr",), (t["codes"] if codes is None else codes)[idx],
                 labels or tuple(_label(i) for i in range(t["n_groups"])),
                 t["ref"] if ref is None else ref)
    scores = None if t["scores"] is None else t["scores"][idx]
    return fairness_tables([g], t["y"][idx], t["pred"][idx], scores, t["task"], n_boot=N_BOOT,
                           seed=t["seed"], min_group_size=t["min_group_size"],
                           replicates=replicates)


def _close(a: Any, b: Any, path: str = "") -> None:
    """Equal JSON-like structures, floats to 1e-9 (sums in another order round differently)."""
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (path, a, b)
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]")
    else:
        assert a == b, (path, a, b)


def _points(tables_: tuple[AttributeTable, ...]) -> dict[str, float | None]:
    """Every point value, keyed by what it is (group names, not positions)."""
    out: dict[str, float | None] = {}
    for t in tables_:
        for g in t.groups:
            out[f"n {g.group}"] = g.n
            for k, e in g.metrics.items():
                out[f"{k} {g.group}"] = e.value
        for gap in t.gaps:
            if gap.reference == t.reference:
                out[f"diff {gap.metric} {gap.group}"] = gap.difference.value
                out[f"ratio {gap.metric} {gap.group}"] = gap.ratio.value
        for c in t.criteria:
            out[f"{c.key} difference"] = c.difference.value
            out[f"{c.key} ratio"] = c.ratio.value
    return out


def _estimates(t: AttributeTable) -> list[tuple[str, Estimate]]:
    found = [(f"{g.group} {k}", e) for g in t.groups for k, e in g.metrics.items()]
    found += [(f"gap {x.metric} {x.group} {kind}", getattr(x, kind))
              for x in t.gaps for kind in ("difference", "ratio")]
    found += [(f"criterion {c.key} {kind}", getattr(c, kind))
              for c in t.criteria for kind in ("difference", "ratio")]
    return found


# --------------------------------------------------------------------------- invariance


@FAST
@given(t=st.one_of(tables("binary"), tables("regression")), data=st.data())
def test_metrics_do_not_depend_on_row_order(t, data) -> None:
    order = np.array(data.draw(st.permutations(range(len(t["codes"])))), dtype=np.int64)
    a, b = _tables(t), _tables(t, order=order)
    if t["task"] == "binary":  # the bootstrap works on counts: intervals are equal too
        _close(to_jsonable(a), to_jsonable(b))
    else:  # the regression bootstrap draws rows: only the points are order-free
        _close(_points(a), _points(b))


@FAST
@given(t=tables("binary"), names=st.lists(st.text(max_size=6), min_size=4, max_size=4),
       data=st.data())
def test_metrics_do_not_depend_on_group_names(t, names, data) -> None:
    k = t["n_groups"]
    renamed = tuple(f"«{names[i]}#{i}»" for i in range(k))  # any text, still distinct
    original = json.dumps(to_jsonable(_tables(t)), ensure_ascii=False)
    got = json.dumps(to_jsonable(_tables(t, labels=renamed)), ensure_ascii=False)
    for i in range(k):
        got = got.replace(json.dumps(renamed[i], ensure_ascii=False)[1:-1], _label(i))
    _close(json.loads(original), json.loads(got))
    # renamed and reordered: the same group (by name) has the same point values
    sigma = np.array(data.draw(st.permutations(range(k))), dtype=np.int64)
    labels = [""] * k
    for i in range(k):
        labels[sigma[i]] = _label(i)
    moved = _tables(t, codes=sigma[t["codes"]], labels=tuple(labels), ref=int(sigma[t["ref"]]))
    _close(_points(_tables(t)), _points(moved))


# --------------------------------------------------------------------------- intervals


@FAST
@given(t=st.one_of(tables("binary"), tables("regression")))
def test_every_interval_contains_its_point_or_says_why_not(t) -> None:
    for table in _tables(t):
        for what, e in _estimates(table):
            if e.value is None:
                assert e.lo is None and e.hi is None and e.reason, what
            elif e.lo is None or e.hi is None:
                assert e.lo is None and e.hi is None and e.reason, what  # marked, with why
            else:
                assert e.lo <= e.value <= e.hi and e.reason is None, (what, e)


def test_a_biased_spread_interval_is_withheld_with_its_reason() -> None:
    """Issue 10 item 7: equal rates give a spread of 0, every resample a spread above 0."""
    from audit._words.fairness import POINT_OUTSIDE_INTERVAL

    codes = np.repeat(np.arange(4), 60)
    pred = np.tile(np.r_[np.ones(30), np.zeros(30)], 4).astype(np.int8)
    g = Grouping("attr", "race", ("attr",), codes, ("a", "b", "c", "d"), 0)
    (table,) = fairness_tables([g], None, pred, None, "binary", n_boot=200, seed=0)
    dp = next(c for c in table.criteria if c.key == "demographic_parity")
    assert dp.difference.value == 0.0
    assert dp.difference.lo is None and dp.difference.reason == POINT_OUTSIDE_INTERVAL


# --------------------------------------------------------------------------- verdict


@FAST
@given(t=st.one_of(tables("binary"), tables("regression")),
       holm=st.booleans(), pairs=st.booleans())
def test_no_pass_without_a_judged_comparison(t, holm, pairs) -> None:
    reps: dict = {}
    found = list(_tables(t, replicates=reps))
    if pairs:  # a pair of attributes, judged or not, never stands in for an attribute
        found.append(AttributeTable("attr × x", "intersection", ("attr", "x"), "",
                                    found[0].reference, found[0].groups, found[0].gaps,
                                    found[0].criteria))
    policy = Policy(multiple_testing="holm" if holm else "none")
    verdict, findings = evaluate(found, policy, t["task"], reps)
    judged = judged_attributes(verdict.checks)
    if not any(c.outcome in JUDGED for c in verdict.checks) or "attr" not in judged:
        assert verdict.verdict in ("UNDECIDED", "FAIL"), verdict.verdict
    if verdict.verdict == "PASS":
        assert "attr" in judged
        assert not any(c.outcome in ("review", "fail") for c in verdict.checks)
    if verdict.verdict == "UNDECIDED":
        assert verdict.reasons == ("FAIR008",) and "never PASS" in verdict.method
