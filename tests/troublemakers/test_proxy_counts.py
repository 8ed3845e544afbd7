"""Proxy strength from counts: the same numbers as the per-row computation, no model fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import normalized_mutual_info_score, roc_auc_score

from audit._inputs.prepared import Grouping
from audit._result.troublemakers import FlagThresholds
from audit._troublemakers import proxies
from audit._troublemakers.proxies import Sample, measure_proxies


@pytest.mark.parametrize("seed", range(5))
def test_auc_from_counts_equals_roc_auc_score(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_bins = int(rng.integers(2, 40))
    score = rng.integers(0, 8, n_bins) / 8.0  # ties between bins on purpose
    bins = rng.integers(0, n_bins, 3000)
    y = (rng.random(3000) < 0.2 + 0.6 * score[bins]).astype(int)
    pos = np.bincount(bins, weights=y, minlength=n_bins)
    neg = np.bincount(bins, weights=1 - y, minlength=n_bins)
    got = proxies._auc_from_counts(score, pos, neg)
    assert got == pytest.approx(roc_auc_score(y, score[bins]), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_nmi_from_counts_equals_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    target = rng.integers(0, 4, 2000)
    bins = (target * 3 + rng.integers(0, 5, 2000)) % 11
    table = np.zeros((4, 11), dtype=np.int64)
    np.add.at(table, (target, bins), 1)
    want = normalized_mutual_info_score(target, bins)
    assert proxies._nmi_from_counts(table) == pytest.approx(want, abs=1e-12)


def _grouping(codes: np.ndarray) -> Grouping:
    labels = tuple(f"g{i}" for i in range(int(codes.max()) + 1))
    return Grouping("race", "race", ("race",), codes, labels, 0)


def test_random_500_category_feature_is_not_a_proxy() -> None:
    """High-cardinality noise: the category rates come from other folds, so no optimism."""
    rng = np.random.default_rng(0)
    n = 6000
    race = rng.integers(0, 3, n)
    zip_code = np.where(rng.random(n) < 0.85, race, rng.integers(0, 3, n)) * 20 + rng.integers(0, 20, n)
    X = pd.DataFrame({"noise": rng.integers(0, 500, n).astype(str),
                      "zip": zip_code.astype(str)})
    out = measure_proxies(Sample(np.arange(n), X, list(X.columns)), [_grouping(race)],
                          FlagThresholds(), seed=0)
    by = {p.feature: p for p in out.proxies}
    assert by["noise"].auc.value is not None and by["noise"].auc.value < 0.56
    assert not by["noise"].strong
    assert by["zip"].strong  # the planted proxy is still found


def test_recoverability_fits_are_bounded() -> None:
    assert proxies._recover_iterations(2) == 40
    assert proxies._recover_iterations(6) == 40  # the demo's age bands: unchanged
    assert proxies._recover_iterations(50) == 10  # 50 states: 500 trees per fold, not 2,000
    target = np.repeat(np.arange(50), 400)  # 20,000 rows
    rows = proxies._recover_rows(target, seed=0)
    assert len(rows) == proxies.RECOVER_MAX_ROWS
    assert np.bincount(target[rows]).min() >= 190  # every group kept in proportion


@pytest.mark.parametrize("k", [2, 5, 50])
def test_ovr_aucs_equal_roc_auc_score(k: int) -> None:
    rng = np.random.default_rng(k)
    target = rng.integers(0, k, 4000)
    proba = rng.random((4000, k)).round(2)  # ties on purpose
    want = [roc_auc_score(target == j, proba[:, j]) for j in range(k)]
    np.testing.assert_allclose(proxies._ovr_aucs(target, proba, k), want, rtol=0, atol=1e-12)


def _fitted_iterations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record n_iter_ of every recoverability fit."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    seen: list[int] = []
    fit = HistGradientBoostingClassifier.fit

    def recording(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        out = fit(self, *args, **kwargs)
        seen.append(int(self.n_iter_))
        return out

    monkeypatch.setattr(HistGradientBoostingClassifier, "fit", recording)
    return seen


def test_recoverability_stops_early_when_the_features_reveal_nothing(monkeypatch) -> None:
    """Noise features: a few boosting iterations per fold, not the cap (the fixed cost)."""
    rng = np.random.default_rng(0)
    n = 6000
    X = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(6)})
    state = rng.integers(0, 20, n)
    seen = _fitted_iterations(monkeypatch)
    auc, _ = proxies._reveal(X, list(X.columns), state, tuple(f"s{i}" for i in range(20)), 0, None)
    assert len(seen) == proxies._RECOVER_SPLITS
    assert max(seen) <= 8 < proxies._recover_iterations(20)
    assert auc.value is not None and abs(auc.value - 0.5) < 0.03


def test_recoverability_still_finds_a_strong_signal_and_is_deterministic(monkeypatch) -> None:
    rng = np.random.default_rng(1)
    n = 6000
    race = rng.integers(0, 3, n)
    X = pd.DataFrame({"income": rng.normal(size=n) + 1.5 * race, "noise": rng.normal(size=n)})
    seen = _fitted_iterations(monkeypatch)
    first = proxies._reveal(X, ["income", "noise"], race, ("a", "b", "c"), 0, None)
    assert max(seen) > 8  # a signal keeps the boosting going
    assert first[0].value is not None and first[0].value > 0.85
    assert proxies._reveal(X, ["income", "noise"], race, ("a", "b", "c"), 0, None) == first


def test_tiny_groups_fit_without_early_stopping() -> None:
    """A group with one row in a training fold cannot be split off for validation."""
    target = np.array([0] * 50 + [1] * 50 + [2])
    assert not proxies._can_stop_early(target)
    assert proxies._can_stop_early(target[:100])
    rng = np.random.default_rng(2)
    codes = np.concatenate([rng.integers(0, 2, 300), [2, 2, 2, 2]])
    X = pd.DataFrame({"a": rng.normal(size=len(codes))})
    auc, _ = proxies._reveal(X, ["a"], codes, ("x", "y", "z"), 0, None)
    assert auc.value is not None
