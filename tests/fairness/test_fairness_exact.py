"""Exactness of the group-fairness engine against fairlearn / scikit-learn on the raw rows.

Every metric in ``audit._fairness.METRICS`` must have an oracle here (the
registry test fails otherwise), so a new metric cannot be added untested.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from sklearn.calibration import calibration_curve as sk_calibration_curve
from sklearn.metrics import (
    accuracy_score,
    mean_absolute_error,
    precision_score,
    roc_auc_score,
    root_mean_squared_error,
)

from audit._errors import ConfigError, InputError
from audit._fairness.calibration import calibration_curve
from audit._fairness.stats import binary_stats, regression_stats
from audit._fairness.tables import binary_attribute_table, fairness_tables
from audit._inputs.prepared import Grouping
from audit._result.metrics import CRITERIA, GAP_METRICS, METRICS, NO_ROWS, available_metrics
from audit._result.serial import from_jsonable, to_jsonable
from audit._result.tables import AttributeTable

TOL = 1e-9

# --------------------------------------------------------------------------- data

# group sizes: "c" has no actual positives, "d" is a single row, "e" is all selected,
# "unknown" holds rows whose attribute was missing, "empty" has no rows at all.
SIZES = {"a": 260, "b": 190, "c": 70, "d": 1, "e": 45, "unknown": 120, "empty": 0}
LABELS = tuple(SIZES)


def _codes(rng: np.random.Generator) -> np.ndarray:
    codes = np.repeat(np.arange(len(LABELS)), list(SIZES.values()))
    return rng.permutation(codes)


@dataclass(frozen=True)
class BinaryData:
    grouping: Grouping
    y: np.ndarray
    y_pred: np.ndarray
    scores: np.ndarray

    @property
    def sensitive(self) -> np.ndarray:
        return np.asarray(self.grouping.labels, dtype=object)[self.grouping.codes]


def make_binary(seed: int = 0, pred_from_score: bool = True) -> BinaryData:
    """Random binary-classifier outputs with awkward groups and tied scores."""
    rng = np.random.default_rng(seed)
    codes = _codes(rng)
    n = codes.size
    # scores rounded to 2 decimals -> many ties, which AUC must count as half
    scores = np.round(rng.beta(2, 2, n), 2)
    y = (rng.random(n) < 0.3 + 0.4 * scores).astype(np.int8)
    y[codes == LABELS.index("c")] = 0
    if pred_from_score:
        y_pred = (scores >= 0.5).astype(np.int8)
    else:
        y_pred = (rng.random(n) < 0.45).astype(np.int8)
    y_pred[codes == LABELS.index("e")] = 1
    grouping = Grouping(
        name="race", family="race", columns=("race",), codes=codes, labels=LABELS,
        reference=0, members={"unknown": ("", "NA")}, how_found="column name",
    )
    return BinaryData(grouping, y, y_pred, scores)


def make_regression(seed: int = 0) -> tuple[Grouping, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = _codes(rng)
    n = codes.size
    y = rng.gamma(2.0, 10.0, n) + 3 * codes
    y_pred = np.round(y + rng.normal(0, 4, n), 1) + 1.0
    grouping = Grouping("age", "age", ("age",), codes, LABELS, 0)
    return grouping, y, y_pred


# --------------------------------------------------------------------------- oracles


def _npv(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    neg = np.asarray(y_pred) == 0
    return float(np.mean(np.asarray(y_true)[neg] == 0))  # NaN with a warning when empty


@dataclass(frozen=True)
class Oracle:
    fn: Callable[..., float]
    input: str  # "pred" or "scores": what fairlearn gets as y_pred
    defined: Callable[[np.ndarray, np.ndarray], bool]  # (y_true, input) of one group


def _any(value: int) -> Callable[[np.ndarray, np.ndarray], bool]:
    return lambda yt, _: bool((np.asarray(yt) == value).any())


ORACLES: dict[str, Oracle] = {
    "base_rate": Oracle(lambda yt, yp: float(np.mean(yt)), "pred", lambda yt, _: len(yt) > 0),
    "selection_rate": Oracle(selection_rate, "pred", lambda yt, _: len(yt) > 0),
    "tpr": Oracle(true_positive_rate, "pred", _any(1)),
    "fpr": Oracle(false_positive_rate, "pred", _any(0)),
    "tnr": Oracle(true_negative_rate, "pred", _any(0)),
    "fnr": Oracle(false_negative_rate, "pred", _any(1)),
    "ppv": Oracle(precision_score, "pred", lambda _, yp: bool((yp == 1).any())),
    "npv": Oracle(_npv, "pred", lambda _, yp: bool((yp == 0).any())),
    "accuracy": Oracle(accuracy_score, "pred", lambda yt, _: len(yt) > 0),
    "auc": Oracle(roc_auc_score, "scores", lambda yt, _: len(np.unique(yt)) == 2),
    "mean_score": Oracle(lambda yt, s: float(np.mean(s)), "scores", lambda yt, _: len(yt) > 0),
    "calibration_gap": Oracle(lambda yt, s: float(np.mean(s) - np.mean(yt)), "scores",
                              lambda yt, _: len(yt) > 0),
    "mean_prediction": Oracle(lambda yt, yp: float(np.mean(yp)), "pred",
                              lambda yt, _: len(yt) > 0),
    "mean_target": Oracle(lambda yt, yp: float(np.mean(yt)), "pred", lambda yt, _: len(yt) > 0),
    "mae": Oracle(mean_absolute_error, "pred", lambda yt, _: len(yt) > 0),
    "rmse": Oracle(root_mean_squared_error, "pred", lambda yt, _: len(yt) > 0),
}


def _frame(metrics: object, y: np.ndarray, y_pred: np.ndarray, sensitive: np.ndarray,
           **kwargs: object) -> MetricFrame:
    """fairlearn MetricFrame; the oracle's own undefined-value warnings are expected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MetricFrame(metrics=metrics, y_true=y, y_pred=y_pred,
                           sensitive_features=sensitive, **kwargs)


def test_every_metric_has_an_oracle() -> None:
    assert set(ORACLES) == set(METRICS)


def test_registry_entries_are_complete() -> None:
    for key, m in METRICS.items():
        assert m.key == key
        assert m.label and m.definition.endswith(".") and m.formula
        assert set(m.needs) <= {"pred", "y", "scores"} and m.needs
        assert m.task in ("binary", "regression")
    for c in CRITERIA.values():
        assert all(METRICS[k].task == c.task for k in c.metrics)
    for task, keys in GAP_METRICS.items():
        assert all(METRICS[k].task == task for k in keys)


# --------------------------------------------------------------------------- per-group metrics


def _ours_binary(data: BinaryData) -> AttributeTable:
    (table,) = fairness_tables([data.grouping], data.y, data.y_pred, data.scores, "binary",
                               n_boot=0)
    return table


def _check_against_oracle(table: AttributeTable, key: str, y: np.ndarray,
                          inputs: np.ndarray, sensitive: np.ndarray) -> None:
    oracle = ORACLES[key]
    theirs = _frame(oracle.fn, y, inputs, sensitive).by_group
    rows = {r.group: r for r in table.groups}
    checked_undefined = 0
    for label, row in rows.items():
        est = row.metrics[key]
        if row.n == 0:
            assert label not in theirs.index
            assert est.value is None and est.reason == NO_ROWS
            continue
        mask = sensitive == label
        if oracle.defined(y[mask], inputs[mask]):
            assert est.value is not None, (label, est)
            assert abs(est.value - float(theirs[label])) <= TOL, (label, est, theirs[label])
            assert est.reason is None
        else:
            # fairlearn/sklearn return 0 or NaN (with a warning); we say None and why
            value = float(theirs[label])
            assert value == 0.0 or math.isnan(value)
            assert est.value is None and est.lo is None and est.hi is None
            assert isinstance(est.reason, str) and len(est.reason) > 10
            checked_undefined += 1
    assert len(rows) == len(LABELS)


BINARY_KEYS = [k for k, m in METRICS.items() if m.task == "binary"]
REGRESSION_KEYS = [k for k, m in METRICS.items() if m.task == "regression"]


@pytest.mark.parametrize("pred_from_score", [True, False])
@pytest.mark.parametrize("key", BINARY_KEYS)
def test_binary_metric_matches_oracle(key: str, pred_from_score: bool) -> None:
    data = make_binary(seed=3, pred_from_score=pred_from_score)
    table = _ours_binary(data)
    inputs = data.scores if ORACLES[key].input == "scores" else data.y_pred
    _check_against_oracle(table, key, data.y, inputs, data.sensitive)


@pytest.mark.parametrize("key", REGRESSION_KEYS)
def test_regression_metric_matches_oracle(key: str) -> None:
    grouping, y, y_pred = make_regression(seed=4)
    (table,) = fairness_tables([grouping], y, y_pred, None, "regression", n_boot=0)
    sensitive = np.asarray(LABELS, dtype=object)[grouping.codes]
    _check_against_oracle(table, key, y, y_pred, sensitive)


def test_expected_undefined_reasons() -> None:
    table = _ours_binary(make_binary(seed=5))
    rows = {r.group: r for r in table.groups}
    assert rows["c"].metrics["tpr"].reason == "no actual positives in this group"
    assert rows["c"].metrics["auc"].value is None
    assert "no actual positives" in str(rows["c"].metrics["auc"].reason)
    assert rows["e"].metrics["npv"].reason == "everyone in this group was selected"
    assert rows["empty"].metrics["selection_rate"].reason == NO_ROWS
    d = rows["d"]
    assert d.n == 1 and d.status == "insufficient_evidence"
    assert d.status_reason == ("only 1 rows in this group; at least 30 are needed for a "
                               "reliable comparison")
    assert rows["unknown"].members == ("", "NA")
    assert math.isclose(sum(r.share for r in table.groups), 1.0)


def test_ppv_reason_when_no_one_selected() -> None:
    codes = np.array([0] * 40 + [1] * 40)
    y = np.tile([0, 1], 40).astype(np.int8)
    pred = np.r_[np.zeros(40), np.tile([0, 1], 20)].astype(np.int8)
    g = Grouping("sex", "gender", ("sex",), codes, ("f", "m"), 1)
    (table,) = fairness_tables([g], y, pred, None, "binary", n_boot=0)
    est = table.groups[0].metrics["ppv"]
    assert est.value is None and est.reason == "no one in this group was selected"
    gap = next(x for x in table.gaps if x.metric == "selection_rate")
    assert gap.difference.value == -0.5 and gap.ratio.value == 0.0


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_metrics_needing_y_are_absent_without_y(task: str) -> None:
    if task == "binary":
        data = make_binary(seed=6)
        grouping, y_pred, scores = data.grouping, data.y_pred, data.scores
    else:
        grouping, _, y_pred = make_regression(seed=6)
        scores = None
    (table,) = fairness_tables([grouping], None, y_pred, scores, task, n_boot=50)
    keys = set(table.groups[0].metrics)
    assert keys == set(available_metrics(task, has_y=False, has_scores=scores is not None))
    assert all("y" not in METRICS[k].needs for k in keys)
    assert {g.metric for g in table.gaps} <= keys
    assert all(set(c.metric.split(",")) <= keys for c in table.criteria)
    assert len(table.criteria) == 1


# --------------------------------------------------------------------------- criteria


def _criteria(table: AttributeTable) -> dict[str, tuple[float | None, float | None]]:
    return {c.key: (c.difference.value, c.ratio.value) for c in table.criteria}


def _close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) <= TOL


def test_criteria_match_fairlearn_functions_when_all_groups_defined() -> None:
    data = make_binary(seed=7, pred_from_score=False)
    keep = np.isin(data.grouping.codes, [LABELS.index(x) for x in ("a", "b", "unknown")])
    codes = np.searchsorted([0, 1, 5], data.grouping.codes[keep])
    g = Grouping("race", "race", ("race",), codes, ("a", "b", "unknown"), 0)
    y, pred = data.y[keep], data.y_pred[keep]
    sf = np.asarray(g.labels, dtype=object)[codes]
    (table,) = fairness_tables([g], y, pred, None, "binary", n_boot=0)
    ours = _criteria(table)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = {
            "demographic_parity": (demographic_parity_difference(y, pred, sensitive_features=sf),
                                   demographic_parity_ratio(y, pred, sensitive_features=sf)),
            "equalized_odds": (equalized_odds_difference(y, pred, sensitive_features=sf),
                               equalized_odds_ratio(y, pred, sensitive_features=sf)),
            "equal_opportunity": (equal_opportunity_difference(y, pred, sensitive_features=sf),
                                  equal_opportunity_ratio(y, pred, sensitive_features=sf)),
        }
    mf = _frame({"ppv": precision_score, "accuracy": accuracy_score}, y, pred, sf)
    expected["predictive_parity"] = (mf.difference()["ppv"], mf.ratio()["ppv"])
    expected["accuracy_parity"] = (mf.difference()["accuracy"], mf.ratio()["accuracy"])
    assert set(ours) == set(expected) == {k for k, c in CRITERIA.items() if c.task == "binary"}
    for key, (diff, ratio) in expected.items():
        assert _close(ours[key][0], diff), (key, ours[key], diff)
        assert _close(ours[key][1], ratio), (key, ours[key], ratio)


def _nan_when_undefined(key: str) -> Callable[[np.ndarray, np.ndarray], float]:
    oracle = ORACLES[key]

    def fn(yt: np.ndarray, yp: np.ndarray) -> float:
        return float(oracle.fn(yt, yp)) if oracle.defined(yt, yp) else math.nan

    return fn


@pytest.mark.parametrize("pred_from_score", [True, False])
def test_criteria_skip_undefined_groups_like_metricframe(pred_from_score: bool) -> None:
    """With undefined groups, criteria = fairlearn's difference()/ratio() over defined groups."""
    data = make_binary(seed=8, pred_from_score=pred_from_score)
    table = _ours_binary(data)
    ours = {c.key: c for c in table.criteria}
    keys = ("selection_rate", "tpr", "fpr", "ppv", "accuracy")
    mf = _frame({k: _nan_when_undefined(k) for k in keys}, data.y, data.y_pred, data.sensitive)
    diff, ratio = mf.difference(), mf.ratio()
    for ckey, cdef in CRITERIA.items():
        if cdef.task != "binary":
            continue
        exp_diff = max(diff[k] for k in cdef.metrics)
        exp_ratio = min(ratio[k] for k in cdef.metrics)
        assert _close(ours[ckey].difference.value, exp_diff), ckey
        assert _close(ours[ckey].ratio.value, exp_ratio), ckey
    # the worst/best groups are those at the ends of the selection rates
    sr = mf.by_group["selection_rate"]
    assert ours["demographic_parity"].worst_group == sr.idxmin()
    assert ours["demographic_parity"].best_group == sr.idxmax()
    assert any("left out of the comparison" in n for n in table.notes)


def test_regression_criteria_match_metricframe() -> None:
    grouping, y, y_pred = make_regression(seed=9)
    (table,) = fairness_tables([grouping], y, y_pred, None, "regression", n_boot=0)
    sf = np.asarray(LABELS, dtype=object)[grouping.codes]
    mf = _frame({"mean_prediction": ORACLES["mean_prediction"].fn, "mae": mean_absolute_error},
                y, y_pred, sf)
    ours = {c.key: c for c in table.criteria}
    for ckey, metric in (("mean_prediction_parity", "mean_prediction"), ("mae_parity", "mae")):
        assert _close(ours[ckey].difference.value, mf.difference()[metric])
        assert _close(ours[ckey].ratio.value, mf.ratio()[metric])
    assert ours["mae_parity"].worst_group == mf.by_group["mae"].idxmax()


def test_ratio_undefined_for_negative_values() -> None:
    codes = np.repeat([0, 1], 50)
    pred = np.r_[np.full(50, -1.0), np.full(50, 2.0)]
    g = Grouping("sex", "gender", ("sex",), codes, ("f", "m"), 0)
    (table,) = fairness_tables([g], None, pred, None, "regression", n_boot=0)
    crit = table.criteria[0]
    assert crit.difference.value == 3.0
    assert crit.ratio.value is None
    assert crit.ratio.reason == ("some groups have a negative average prediction, so the ratio "
                                 "is undefined")


# --------------------------------------------------------------------------- gaps


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_gaps_are_group_minus_reference(task: str) -> None:
    if task == "binary":
        data = make_binary(seed=10)
        (table,) = fairness_tables([data.grouping], data.y, data.y_pred, data.scores, task,
                                   n_boot=0)
    else:
        grouping, y, y_pred = make_regression(seed=10)
        (table,) = fairness_tables([grouping], y, y_pred, None, task, n_boot=0)
    rows = {r.group: r for r in table.groups}
    ref = rows[table.reference]
    assert table.reference == "a"
    assert {gap.metric for gap in table.gaps} == set(GAP_METRICS[task])
    for gap in table.gaps:
        assert gap.group != table.reference
        mine, theirs = rows[gap.group].metrics[gap.metric], ref.metrics[gap.metric]
        if mine.value is None:
            assert gap.difference.value is None and gap.ratio.value is None
            assert "undefined for this group" in str(gap.difference.reason)
            continue
        assert theirs.value is not None
        assert _close(gap.difference.value, mine.value - theirs.value)
        assert _close(gap.ratio.value, mine.value / theirs.value)
        expected_status = "ok" if rows[gap.group].status == "ok" else "insufficient_evidence"
        assert gap.status == expected_status


def test_gap_ratio_undefined_when_reference_is_zero() -> None:
    codes = np.repeat([0, 1], 40)
    y = np.tile([0, 1], 40).astype(np.int8)
    pred = np.r_[np.zeros(40), np.tile([1, 1, 0, 0], 10)].astype(np.int8)
    g = Grouping("sex", "gender", ("sex",), codes, ("f", "m"), 0)
    (table,) = fairness_tables([g], y, pred, None, "binary", n_boot=100)
    gap = next(x for x in table.gaps if x.metric == "selection_rate")
    assert gap.difference.value == 0.5
    assert gap.ratio.value is None
    assert gap.ratio.reason == ("the reference group's selection rate is 0, so the ratio is "
                                "undefined")
    dp = table.criteria[0]
    assert dp.ratio.value == 0.0 and dp.worst_group == "f" and dp.best_group == "m"


# --------------------------------------------------------------------------- statistics


def _halves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    idx = np.random.default_rng(seed).permutation(n)
    return idx[: n // 2], idx[n // 2 :]


@pytest.mark.parametrize("with_y", [True, False])
@pytest.mark.parametrize("with_scores", [True, False])
def test_binary_stats_merge_equals_whole(with_y: bool, with_scores: bool) -> None:
    data = make_binary(seed=11, pred_from_score=False)
    codes, n_groups = data.grouping.codes, len(LABELS)
    y = data.y if with_y else None
    s = data.scores if with_scores else None

    def build(idx: np.ndarray) -> object:
        return binary_stats(codes[idx], n_groups, None if y is None else y[idx],
                            data.y_pred[idx], None if s is None else s[idx])

    whole = binary_stats(codes, n_groups, y, data.y_pred, s)
    first, second = _halves(codes.size, 0)
    merged = build(first) + build(second)
    assert merged.equals(whole)
    assert whole.counts.shape == ((n_groups, 2, 2) if with_y else (n_groups, 2))
    assert int(whole.counts.sum()) == codes.size
    if with_scores:
        assert whole.score_count is not None and int(whole.score_count.sum()) == codes.size
        assert np.allclose(whole.score_sums().sum(), s.sum())


def test_merged_stats_give_the_same_table() -> None:
    data = make_binary(seed=12)
    codes, n_groups = data.grouping.codes, len(LABELS)
    first, second = _halves(codes.size, 1)
    parts = [binary_stats(codes[i], n_groups, data.y[i], data.y_pred[i], data.scores[i])
             for i in (first, second)]
    merged = binary_attribute_table(data.grouping, parts[0] + parts[1], n_boot=200, seed=3)
    whole = binary_attribute_table(
        data.grouping, binary_stats(codes, n_groups, data.y, data.y_pred, data.scores),
        n_boot=200, seed=3)
    assert to_jsonable(merged) == to_jsonable(whole)


def test_regression_stats_merge_equals_whole() -> None:
    grouping, y, y_pred = make_regression(seed=13)
    n_groups = len(LABELS)
    first, second = _halves(y.size, 2)
    whole = regression_stats(grouping.codes, n_groups, y, y_pred)
    merged = (regression_stats(grouping.codes[first], n_groups, y[first], y_pred[first])
              + regression_stats(grouping.codes[second], n_groups, y[second], y_pred[second]))
    assert np.array_equal(merged.n, whole.n)
    for name in ("sum_pred", "sum_pred_sq", "sum_y", "sum_abs_err", "sum_sq_err"):
        assert np.allclose(getattr(merged, name), getattr(whole, name), rtol=1e-12, atol=1e-9)
    no_y = regression_stats(grouping.codes, n_groups, None, y_pred)
    with pytest.raises(ValueError, match="different groups or target availability"):
        whole.merge(no_y)


def test_merge_rejects_different_shapes() -> None:
    a = binary_stats(np.array([0, 1]), 2, np.array([0, 1]), np.array([1, 1]))
    b = binary_stats(np.array([0, 1]), 3, np.array([0, 1]), np.array([1, 1]))
    with pytest.raises(ValueError, match="same grouping"):
        a.merge(b)


# --------------------------------------------------------------------------- misc


def test_table_round_trips_through_json() -> None:
    data = make_binary(seed=14)
    (table,) = fairness_tables([data.grouping], data.y, data.y_pred, data.scores, "binary",
                               n_boot=100)
    assert from_jsonable(AttributeTable, to_jsonable(table)) == table
    assert table.attribute == "race" and table.family == "race"
    assert table.columns == ("race",) and table.how_found == "column name"


def test_calibration_curve_matches_sklearn() -> None:
    data = make_binary(seed=15)
    curve = calibration_curve(data.grouping, data.y, data.scores, n_bins=5)
    assert [g.group for g in curve.groups] == list(LABELS)
    for g in curve.groups:
        mask = data.sensitive == g.group
        assert g.n == int(mask.sum())
        if g.n == 0:
            assert g.bins == ()
            continue
        prob_true, prob_pred = sk_calibration_curve(data.y[mask], data.scores[mask], n_bins=5)
        assert np.allclose([b.observed_rate for b in g.bins], prob_true, atol=TOL)
        assert np.allclose([b.mean_score for b in g.bins], prob_pred, atol=TOL)
        assert sum(b.n for b in g.bins) == g.n


def test_wide_interval_marks_insufficient_evidence() -> None:
    data = make_binary(seed=16)
    (table,) = fairness_tables([data.grouping], data.y, data.y_pred, None, "binary",
                               n_boot=200, max_ci_width=0.15)
    rows = {r.group: r for r in table.groups}
    assert rows["a"].status == "ok"  # n=260: interval about 0.12 wide
    e = rows["e"]  # n=45 but everyone selected: interval [1, 1]
    assert e.status == "ok"
    unk = rows["unknown"]  # n=120: interval about 0.18 wide
    assert unk.status == "insufficient_evidence"
    assert str(unk.status_reason).startswith("the selection rate is too uncertain: its 95% "
                                             "interval (")


def test_bad_inputs_raise_clear_errors() -> None:
    data = make_binary(seed=17)
    g = data.grouping
    with pytest.raises(InputError, match=r"^y_pred: expected 686 values"):
        fairness_tables([g], data.y, data.y_pred[:-1], None, "binary")
    with pytest.raises(InputError, match="^task: expected 'binary' or 'regression'"):
        fairness_tables([g], data.y, data.y_pred, None, "multiclass")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^n_boot: expected a whole number >= 0"):
        fairness_tables([g], data.y, data.y_pred, None, "binary", n_boot=-1)
    with pytest.raises(ConfigError, match=r"^confidence: expected a number between 0 and 1"):
        fairness_tables([g], data.y, data.y_pred, None, "binary", confidence=95.0)
    bad = data.scores.copy()
    bad[0] = np.nan
    with pytest.raises(InputError, match="^scores: expected finite probabilities"):
        fairness_tables([g], data.y, data.y_pred, bad, "binary")


def test_single_group_has_no_gaps_and_undefined_criteria() -> None:
    data = make_binary(seed=18)
    everyone = Grouping("everyone", "overall", (), np.zeros(data.y.size, dtype=np.int64),
                        ("everyone",), 0)
    (table,) = fairness_tables([everyone], data.y, data.y_pred, data.scores, "binary",
                               n_boot=50, min_group_size=1, max_ci_width=1.0)
    assert table.gaps == ()
    assert table.groups[0].n == data.y.size and table.groups[0].status == "ok"
    dp = table.criteria[0]
    assert dp.difference.value is None and dp.worst_group is None
    assert dp.difference.reason == "fewer than two groups have a defined selection rate"
    # only one group with actual positives: equal opportunity is undefined, parity is not
    codes = np.repeat([0, 1], 50)
    y = np.r_[np.tile([0, 1], 25), np.zeros(50)].astype(np.int8)
    pred = np.tile([0, 1, 1, 0], 25).astype(np.int8)
    g = Grouping("sex", "gender", ("sex",), codes, ("f", "m"), 0)
    (table,) = fairness_tables([g], y, pred, None, "binary", n_boot=0)
    crit = {c.key: c for c in table.criteria}
    assert crit["equal_opportunity"].difference.value is None
    assert crit["equal_opportunity"].ratio.reason == (
        "fewer than two groups have a defined true positive rate")
    assert crit["equalized_odds"].difference.value is None
    assert crit["demographic_parity"].difference.value == 0.0
