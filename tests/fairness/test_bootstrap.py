"""The cell-count bootstrap is the row bootstrap, and it is reproducible.

Exactness is shown statistically: the distribution of a statistic under the
multinomial cell bootstrap is compared with a naive bootstrap that resamples
rows, on the same data (means, spreads, quantiles and a two-sample KS test,
all within Monte-Carlo error).  A negative control shows the comparison does
reject a wrong bootstrap.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from audit._fairness.bootstrap import resample_binary, resample_regression
from audit._fairness.stats import binary_stats
from audit._fairness.tables import fairness_tables
from audit._inputs.prepared import Grouping
from audit._result.metrics import METRICS
from audit._result.serial import to_jsonable

B = 3000


def _same_distribution(a: np.ndarray, b: np.ndarray) -> list[str]:
    """Problems found when comparing two bootstrap samples (empty if they agree)."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    problems = []
    se_mean = math.sqrt(a.var() / a.size + b.var() / b.size)
    if abs(a.mean() - b.mean()) > 4.5 * se_mean:
        problems.append(f"means differ: {a.mean():.5f} vs {b.mean():.5f} (se {se_mean:.5f})")
    sd = b.std()
    se_ratio = math.sqrt(1 / (2 * a.size) + 1 / (2 * b.size))
    if abs(a.std() / sd - 1) > 5 * se_ratio:
        problems.append(f"spreads differ: {a.std():.5f} vs {sd:.5f}")
    for q in (0.025, 0.5, 0.975):
        qa, qb = np.quantile(a, q), np.quantile(b, q)
        if abs(qa - qb) > 0.25 * sd:
            problems.append(f"{q:.1%} quantiles differ: {qa:.5f} vs {qb:.5f}")
    p = ks_2samp(a, b).pvalue
    if p < 1e-4:
        problems.append(f"two-sample KS test rejects (p={p:.2g})")
    return problems


def _binary_rows(seed: int, n: int, pred_from_score: bool,
                 decimals: int = 2) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    codes = rng.choice(3, size=n, p=[0.5, 0.35, 0.15])
    scores = np.round(rng.beta(2, 3, n) + 0.1 * codes, decimals).clip(0, 1)
    y = (rng.random(n) < scores).astype(np.int8)
    if pred_from_score:
        pred = (scores >= 0.4).astype(np.int8)
    else:
        pred = (rng.random(n) < 0.3 + 0.1 * codes).astype(np.int8)
    return codes, y, pred, scores


def _cell_bootstrap(codes: np.ndarray, y: np.ndarray, pred: np.ndarray,
                    scores: np.ndarray | None, seed: int) -> dict[str, np.ndarray]:
    stats = binary_stats(codes, 3, y, pred, scores)
    view = resample_binary(stats, B, np.random.default_rng(seed))
    keys = ["selection_rate", "tpr", "ppv"]
    if scores is not None:
        keys += ["auc", "mean_score", "calibration_gap"]
    return {k: METRICS[k].evaluate(view) for k in keys}


def _naive_rows(n: int, seed: int, n_boot: int = B) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def test_selection_rate_difference_matches_row_bootstrap() -> None:
    codes, y, pred, _ = _binary_rows(0, 400, pred_from_score=False)
    cells = _cell_bootstrap(codes, y, pred, None, seed=1)
    idx = _naive_rows(codes.size, seed=2)
    c, p = codes[idx], pred[idx]
    rate = [(p * (c == g)).sum(1) / (c == g).sum(1) for g in range(3)]
    naive_diff = rate[1] - rate[0]
    cell_diff = cells["selection_rate"][:, 1] - cells["selection_rate"][:, 0]
    assert _same_distribution(cell_diff, naive_diff) == []
    # TPR of the smallest group: a ratio of two random counts
    tp = ((c == 2) & (y[idx] == 1) & (p == 1)).sum(1)
    pos = ((c == 2) & (y[idx] == 1)).sum(1)
    assert _same_distribution(cells["tpr"][:, 2], tp / pos) == []


def test_the_comparison_rejects_a_wrong_bootstrap() -> None:
    """Negative control: resampling only half as many rows must be detected."""
    codes, y, pred, _ = _binary_rows(0, 400, pred_from_score=False)
    stats = binary_stats(codes, 3, y, pred)
    half = resample_binary(binary_stats(codes[:200], 3, y[:200], pred[:200]), B,
                            np.random.default_rng(1))
    full = resample_binary(stats, B, np.random.default_rng(2))
    sr = METRICS["selection_rate"]
    wrong = sr.evaluate(half)[:, 1] - sr.evaluate(half)[:, 0]
    right = sr.evaluate(full)[:, 1] - sr.evaluate(full)[:, 0]
    assert _same_distribution(wrong, right) != []


@pytest.mark.parametrize(
    ("pred_from_score", "n", "decimals", "chunk"),
    # 2 decimals on few rows: mostly distinct values per cell (rows drawn directly);
    # 1 decimal on more rows: heavy ties (one multinomial per cell and resample);
    # a tiny chunk size exercises the chunked loop over resamples
    [(True, 300, 2, None), (False, 300, 2, None), (True, 900, 1, None), (False, 900, 1, None),
     (False, 300, 2, 997)],
)
def test_score_metrics_match_row_bootstrap(
    pred_from_score: bool, n: int, decimals: int, chunk: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two-stage draw (cells, then score values within cells) = row bootstrap."""
    import audit._fairness.bootstrap as bootstrap

    if chunk is not None:
        monkeypatch.setattr(bootstrap, "_CHUNK_ELEMENTS", chunk)
    codes, y, pred, scores = _binary_rows(3, n, pred_from_score, decimals)
    cells = _cell_bootstrap(codes, y, pred, scores, seed=4)
    n_boot = 1500
    idx = _naive_rows(codes.size, seed=5, n_boot=n_boot)
    naive_auc = np.empty(n_boot)
    naive_gap = np.empty(n_boot)
    naive_ppv = np.empty(n_boot)
    naive_mean = np.empty(n_boot)
    for b in range(n_boot):
        rows = idx[b][codes[idx[b]] == 0]
        naive_auc[b] = roc_auc_score(y[rows], scores[rows])
        naive_mean[b] = scores[rows].mean()
        naive_gap[b] = naive_mean[b] - y[rows].mean()
        sel = rows[pred[rows] == 1]
        naive_ppv[b] = y[sel].mean()
    assert _same_distribution(cells["auc"][:, 0], naive_auc) == []
    assert _same_distribution(cells["mean_score"][:, 0], naive_mean) == []
    assert _same_distribution(cells["calibration_gap"][:, 0], naive_gap) == []
    assert _same_distribution(cells["ppv"][:, 0], naive_ppv) == []


# --------------------------------------------------------------------------- binned scores

TOLERANCE = 1e-3  # documented in audit/_fairness/bootstrap.py


def _continuous_rows(seed: int, n: int) -> tuple[np.ndarray, ...]:
    """Rows whose scores are all distinct (more than MAX_SCORE_BINS per group)."""
    return _binary_rows(seed, n, pred_from_score=True, decimals=15)


class _CountingRng:
    """A generator that counts the variates it draws (multinomial cells, binomials)."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.variates = 0

    def multinomial(self, n: object, pvals: np.ndarray, size: int | None = None) -> np.ndarray:
        out = self.rng.multinomial(n, pvals, size=size)
        self.variates += out.size
        return out

    def binomial(self, n: np.ndarray, p: np.ndarray) -> np.ndarray:
        out = self.rng.binomial(n, p)
        self.variates += out.size
        return out


def test_many_distinct_scores_are_resampled_over_bins_not_rows() -> None:
    """With continuous scores the histogram has at most cells × MAX_SCORE_BINS entries
    whatever the number of rows, and each resample draws one variate per entry: the
    cost is O(resamples × entries), not O(resamples × rows)."""
    from audit._fairness.views import MAX_SCORE_BINS, score_layout

    per_resample = []
    for n in (20_000, 200_000):
        codes, y, pred, scores = _continuous_rows(20, n)
        stats = binary_stats(codes, 3, y, pred, scores)
        assert stats.score_count is not None and stats.score_count.size > 0.99 * n
        layout = score_layout(stats, MAX_SCORE_BINS)
        assert layout.binned.all() and (layout.n_values <= MAX_SCORE_BINS).all()
        assert layout.count.size <= stats.counts.size * MAX_SCORE_BINS
        rng = _CountingRng(0)
        view = resample_binary(stats, 50, rng)  # type: ignore[arg-type]
        assert np.isfinite(view["auc"]).all()
        # the cells once, then one binomial per entry but the last of each cell
        assert rng.variates <= 50 * (stats.counts.size + layout.count.size)
        per_resample.append(rng.variates / 50)
    # ten times the rows, about the same work (bins are fixed, cells fill up)
    assert per_resample[1] <= 1.2 * per_resample[0]


def test_drawn_bin_counts_add_up_to_the_drawn_cells_and_have_multinomial_moments() -> None:
    """Second stage: every cell's bin counts sum to its drawn size exactly, and over
    resamples each bin count has the mean n·p and variance n·p·(1-p) of a multinomial."""
    from audit._fairness.bootstrap import _ScorePlan
    from audit._fairness.views import MAX_SCORE_BINS, score_layout

    codes, y, pred, scores = _binary_rows(40, 3000, pred_from_score=False, decimals=3)
    stats = binary_stats(codes, 3, y, pred, scores)
    layout = score_layout(stats, MAX_SCORE_BINS)
    plan = _ScorePlan.of(layout, 3)
    k = stats.counts.size
    n_b = 4000
    cells = np.tile(stats.counts.reshape(1, k), (n_b, 1))  # every resample: the data's sizes
    cells[1::2] = np.random.default_rng(41).multinomial(stats.n, stats.counts.ravel() / stats.n,
                                                        size=n_b // 2)
    m = plan.draw(cells, np.random.default_rng(42))
    entry_cell = np.repeat(np.arange(k), np.diff(layout.cell_start))
    sums = np.zeros((n_b, k), dtype=np.int64)
    for c in range(k):
        sums[:, c] = m[:, entry_cell == c].sum(axis=1)
    assert np.array_equal(sums, cells)
    fixed = m[0::2].astype(np.float64)  # cell sizes fixed: bin counts are multinomial
    n_c = stats.counts.ravel()[entry_cell]
    p = layout.count / n_c
    mean, var = n_c * p, n_c * p * (1 - p)
    se = np.sqrt(var / fixed.shape[0])
    ok = var > 0
    assert (np.abs(fixed.mean(axis=0) - mean)[ok] <= 5 * se[ok]).all()
    assert np.abs(fixed.var(axis=0)[ok] / var[ok] - 1).max() < 0.25


def test_resamples_depend_only_on_the_counts_and_the_seed() -> None:
    """Row order and how the rows were split into merged chunks do not change a draw."""
    codes, y, pred, scores = _continuous_rows(43, 6000)
    whole = binary_stats(codes, 3, y, pred, scores)
    order = np.random.default_rng(44).permutation(codes.size)
    c, yy, pp, ss = codes[order], y[order], pred[order], scores[order]
    merged = (binary_stats(c[:1000], 3, yy[:1000], pp[:1000], ss[:1000])
              + binary_stats(c[1000:], 3, yy[1000:], pp[1000:], ss[1000:]))
    first = resample_binary(whole, 200, np.random.default_rng(45))
    again = resample_binary(merged, 200, np.random.default_rng(45))
    assert first.keys() == again.keys()
    for key in first:
        assert np.array_equal(first[key], again[key], equal_nan=True), key


def test_score_intervals_cover_the_true_value() -> None:
    """Coverage on a known case: binormal scores (true AUC Φ(1/√2)) and a known mean
    score; binned (many distinct scores) 95% intervals cover in about 95% of data sets."""
    from scipy.stats import norm

    from audit._fairness.bootstrap import interval

    rng = np.random.default_rng(46)
    n, reps = 1500, 200
    true_auc = norm.cdf(1 / math.sqrt(2))
    x0 = rng.normal(0.0, 1.0, 2_000_000)  # the true mean score, by simulation
    true_mean = 0.5 * (1 / (1 + np.exp(-x0))).mean() + 0.5 * (1 / (1 + np.exp(-x0 - 1))).mean()
    covered = np.zeros(2)
    for _ in range(reps):
        y = rng.integers(0, 2, n)
        scores = 1 / (1 + np.exp(-(rng.normal(0.0, 1.0, n) + y)))
        stats = binary_stats(np.zeros(n, dtype=np.int64), 1, y, (scores > 0.5).astype(int), scores)
        view = resample_binary(stats, 400, rng)
        assert view["score_bins"][0] > 0  # binned
        for i, (key, truth) in enumerate((("auc", true_auc), ("mean_score", true_mean))):
            lo, hi = interval(METRICS[key].evaluate(view), 0.95)
            covered[i] += lo[0] <= truth <= hi[0]
    # 95% ± 3.5 standard errors of 200 data sets
    assert ((covered / reps > 0.90) & (covered / reps < 0.995)).all(), covered / reps


def test_binned_histogram_gives_the_exact_auc_and_mean_on_the_data() -> None:
    from audit._fairness.views import MAX_SCORE_BINS, _point_auc, score_layout

    codes, y, pred, scores = _continuous_rows(21, 20_000)
    stats = binary_stats(codes, 3, y, pred, scores)
    layout = score_layout(stats, MAX_SCORE_BINS)
    assert layout.binned.all()
    auc = _point_auc(stats, layout)
    for g in range(3):
        rows = codes == g
        assert abs(auc[g] - roc_auc_score(y[rows], scores[rows])) <= 1e-9
    sums = np.bincount(np.repeat(np.arange(stats.counts.size), np.diff(layout.cell_start)),
                       weights=layout.count * layout.mean, minlength=stats.counts.size)
    assert np.allclose(sums, stats.score_sums().ravel(), rtol=1e-12, atol=1e-9)


def _binned_metrics(layout: object, g: int, s: np.ndarray, y: np.ndarray,
                    pred: np.ndarray) -> tuple[float, float]:
    """AUC and mean score of one group's resampled rows counted in the data's bins."""
    from audit._fairness.views import ScoreLayout, auc_from_histograms

    assert isinstance(layout, ScoreLayout)
    edges, n_bins = layout.edges[g], int(layout.n_values[g])
    assert edges is not None
    b = np.searchsorted(edges, s, side="right") - 1
    neg = np.bincount(b[y == 0], minlength=n_bins)
    pos = np.bincount(b[y == 1], minlength=n_bins)
    mean_of = np.zeros((4, n_bins))
    for c in range(4):
        lo, hi = layout.cell_start[4 * g + c], layout.cell_start[4 * g + c + 1]
        mean_of[c, layout.pos[lo:hi]] = layout.mean[lo:hi]
    auc = float(auc_from_histograms(neg, pos, layout.within[g]))
    return auc, float(mean_of[2 * y + pred, b].mean())


def test_binned_resamples_are_within_the_tolerance_of_exact_resamples() -> None:
    """Coupled: the same row resamples, counted exactly and in the data's bins.

    The binned scheme draws bin counts with exactly the distribution of binned
    row resamples, so the per-resample difference bounds how far its interval
    endpoints are from the exact row bootstrap's.
    """
    from audit._fairness.bootstrap import interval
    from audit._fairness.views import MAX_SCORE_BINS, score_layout

    n = 20_000
    codes, y, pred, scores = _continuous_rows(22, n)
    layout = score_layout(binary_stats(codes, 3, y, pred, scores), MAX_SCORE_BINS)
    idx = _naive_rows(n, seed=23, n_boot=200)
    exact = np.empty((200, 3, 2))
    binned = np.empty((200, 3, 2))
    for b in range(200):
        c, yy, pp, ss = codes[idx[b]], y[idx[b]], pred[idx[b]], scores[idx[b]]
        for g in range(3):
            rows = c == g
            exact[b, g] = roc_auc_score(yy[rows], ss[rows]), ss[rows].mean()
            binned[b, g] = _binned_metrics(layout, g, ss[rows], yy[rows], pp[rows])
    assert np.abs(binned - exact).max() <= TOLERANCE
    lo_e, hi_e = interval(exact.reshape(200, -1), 0.95)
    lo_b, hi_b = interval(binned.reshape(200, -1), 0.95)
    assert np.abs(lo_b - lo_e).max() <= TOLERANCE and np.abs(hi_b - hi_e).max() <= TOLERANCE
    # relative to the spread: below the Monte-Carlo error of a percentile (~0.085 sd)
    sd = exact.reshape(200, -1).std(axis=0)
    assert (np.abs(lo_b - lo_e) / sd).max() <= 0.05 and (np.abs(hi_b - hi_e) / sd).max() <= 0.05


def test_binned_scheme_matches_row_bootstrap_and_exact_scheme(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Distributions: binned AUC/mean resamples vs the row bootstrap; intervals vs the
    exact scheme (all distinct values) within the tolerance plus Monte-Carlo error."""
    import audit._fairness.bootstrap as bootstrap

    codes, y, pred, scores = _continuous_rows(24, 4000)  # group 0: ~2000 distinct scores
    cells = _cell_bootstrap(codes, y, pred, scores, seed=25)
    n_boot = 1500
    idx = _naive_rows(codes.size, seed=26, n_boot=n_boot)
    naive_auc = np.empty(n_boot)
    naive_mean = np.empty(n_boot)
    for b in range(n_boot):
        rows = idx[b][codes[idx[b]] == 0]
        naive_auc[b] = roc_auc_score(y[rows], scores[rows])
        naive_mean[b] = scores[rows].mean()
    assert _same_distribution(cells["auc"][:, 0], naive_auc) == []
    assert _same_distribution(cells["mean_score"][:, 0], naive_mean) == []
    monkeypatch.setattr(bootstrap, "MAX_SCORE_BINS", 10**9)
    exact = _cell_bootstrap(codes, y, pred, scores, seed=25)
    for key in ("auc", "mean_score", "calibration_gap"):
        a, e = cells[key][:, 0], exact[key][:, 0]
        mc = 4 * e.std() * math.sqrt(0.025 * 0.975 * 2 / B) / 0.0584
        for q in (0.025, 0.975):
            assert abs(np.quantile(a, q) - np.quantile(e, q)) <= TOLERANCE + mc, key


def test_regression_bootstrap_matches_row_bootstrap() -> None:
    rng = np.random.default_rng(6)
    n = 300
    codes = rng.choice(2, size=n, p=[0.6, 0.4])
    y = rng.normal(10 + 2 * codes, 3)
    pred = y + rng.standard_t(3, n)
    view = resample_regression(codes, 2, y, pred, B, np.random.default_rng(7))
    mae = METRICS["mae"].evaluate(view)
    mean_pred = METRICS["mean_prediction"].evaluate(view)
    idx = _naive_rows(n, seed=8)
    c, err, p = codes[idx], np.abs(pred - y)[idx], pred[idx]
    naive_mae = [(err * (c == g)).sum(1) / (c == g).sum(1) for g in range(2)]
    naive_mean = (p * (c == 1)).sum(1) / (c == 1).sum(1)
    assert _same_distribution(mae[:, 1] - mae[:, 0], naive_mae[1] - naive_mae[0]) == []
    assert _same_distribution(mean_pred[:, 1], naive_mean) == []


def test_regression_bootstrap_chunks_do_not_change_the_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import audit._fairness.bootstrap as bootstrap

    rng = np.random.default_rng(9)
    codes = rng.integers(0, 3, 500)
    y, pred = rng.normal(size=500), rng.normal(size=500)
    big = resample_regression(codes, 3, y, pred, 40, np.random.default_rng(1))
    monkeypatch.setattr(bootstrap, "_CHUNK_ELEMENTS", 50)
    small = resample_regression(codes, 3, y, pred, 40, np.random.default_rng(1))
    for key in big:
        assert np.allclose(big[key], small[key])
    assert np.array_equal(big["n"].sum(1), np.full(40, 500))


# --------------------------------------------------------------------------- reproducibility


def _groupings(n: int, seed: int) -> list[Grouping]:
    rng = np.random.default_rng(seed)
    race = Grouping("race", "race", ("race",), rng.integers(0, 4, n), ("a", "b", "c", "d"), 0)
    sex = Grouping("sex", "gender", ("sex",), rng.integers(0, 2, n), ("f", "m"), 1)
    return [race, sex]


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_same_seed_gives_identical_intervals(task: str) -> None:
    n = 3000
    rng = np.random.default_rng(10)
    groupings = _groupings(n, 11)
    if task == "binary":
        scores = rng.random(n)
        y = (rng.random(n) < scores).astype(np.int8)
        pred = (scores > 0.5).astype(np.int8)
    else:
        scores = None
        y = rng.normal(size=n)
        pred = y + rng.normal(size=n)
    first = fairness_tables(groupings, y, pred, scores, task, n_boot=300, seed=42)
    again = fairness_tables(groupings, y, pred, scores, task, n_boot=300, seed=42)
    assert to_jsonable(first) == to_jsonable(again)
    other = fairness_tables(groupings, y, pred, scores, task, n_boot=300, seed=43)
    assert to_jsonable(first) != to_jsonable(other)
    # each grouping has its own stream: order of groupings does not matter
    swapped = fairness_tables(groupings[::-1], y, pred, scores, task, n_boot=300, seed=42)
    assert to_jsonable(swapped[::-1]) == to_jsonable(first)
    # intervals exist and contain the point estimate for these large groups
    key = "selection_rate" if task == "binary" else "mean_prediction"
    for row in first[0].groups:
        est = row.metrics[key]
        assert est.lo is not None and est.hi is not None and est.value is not None
        assert est.lo <= est.value <= est.hi
    for crit in first[0].criteria:
        assert crit.difference.lo is not None and crit.difference.hi is not None
        assert crit.difference.lo <= crit.difference.hi


def test_no_bootstrap_means_no_intervals() -> None:
    n = 500
    rng = np.random.default_rng(12)
    y = rng.integers(0, 2, n).astype(np.int8)
    pred = rng.integers(0, 2, n).astype(np.int8)
    (table,) = fairness_tables(_groupings(n, 13)[:1], y, pred, None, "binary", n_boot=0)
    for row in table.groups:
        assert all(e.lo is None and e.hi is None and e.reason is None
                   for e in row.metrics.values())
    assert not any("bootstrap" in note for note in table.notes)


def test_interval_width_shrinks_with_more_rows() -> None:
    widths = []
    for n in (400, 6400):
        rng = np.random.default_rng(14)
        y = rng.integers(0, 2, n).astype(np.int8)
        pred = rng.integers(0, 2, n).astype(np.int8)
        (table,) = fairness_tables(_groupings(n, 15)[1:], y, pred, None, "binary", n_boot=500)
        est = table.groups[0].metrics["selection_rate"]
        assert est.lo is not None and est.hi is not None
        widths.append(est.hi - est.lo)
    # 16 times the rows: a quarter of the width
    assert 0.18 < widths[1] / widths[0] < 0.32


def test_the_table_says_which_groups_had_binned_scores() -> None:
    from audit._fairness.views import MAX_SCORE_BINS

    n = 6000
    groupings = _groupings(n, 30)[1:]  # sex: about 3,000 rows per group
    rng = np.random.default_rng(31)
    for decimals, binned in ((1, False), (15, True)):
        scores = np.round(rng.random(n), decimals)
        y = (rng.random(n) < scores).astype(np.int8)
        pred = (scores > 0.5).astype(np.int8)
        (table,) = fairness_tables(groupings, y, pred, scores, "binary", n_boot=50)
        notes = [note for note in table.notes if "quantile bins" in note]
        assert len(notes) == binned
        if binned:
            assert "f, m" in notes[0] and str(MAX_SCORE_BINS) in notes[0]
