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
