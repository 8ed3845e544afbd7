"""The streaming engine's fast paths give exactly what the plain definitions give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit._engines.passes import Combos
from audit._engines.rows import row_hashes, sample_keys
from audit._engines.sample import _selection
from audit._engines.scan import Regrouped
from audit._fairness.stats import binary_stats


@pytest.mark.parametrize("with_y", [True, False])
@pytest.mark.parametrize("n_atoms", [7, 20_000])  # cell ids below and above 2**16
def test_regrouped_statistics_equal_regroup(with_y: bool, n_atoms: int) -> None:
    rng = np.random.default_rng(n_atoms)
    n = 30_000
    atom = rng.integers(0, n_atoms, n)
    scores = rng.choice(np.linspace(0, 1, 50), n)  # many ties, within and across atoms
    y = rng.integers(0, 2, n) if with_y else None
    atoms = binary_stats(atom, n_atoms, y, (scores > .5).astype(int), scores)
    groups = {"a": (rng.integers(0, 3, n_atoms), 3), "b": (np.arange(n_atoms) % 5, 5),
              "everyone": (np.zeros(n_atoms, dtype=np.int64), 1)}
    lazy = Regrouped.of(atoms, groups)
    assert sorted(lazy) == sorted(groups) and len(lazy) == 3
    for name, (codes, k) in groups.items():
        assert lazy[name].equals(atoms.regroup(codes, k)), name
    no_scores = binary_stats(atom, n_atoms, y, (scores > .5).astype(int))
    assert Regrouped.of(no_scores, groups)["a"].equals(no_scores.regroup(*groups["a"]))


def _plain_selection(hashes: np.ndarray, strata: list[np.ndarray], k: int, per: int
                     ) -> np.ndarray:
    """The definition: sort by hash (ties in row order), k first, per first of each value."""
    rows = pd.DataFrame({"h": hashes, **{f"s{i}": s for i, s in enumerate(strata)}})
    rows = rows.sort_values("h", kind="stable")
    keep = np.arange(len(rows)) < k
    for i in range(len(strata)):
        keep |= rows.groupby(f"s{i}", sort=False).cumcount().to_numpy() < per
    return rows.index.to_numpy()[keep]


@pytest.mark.parametrize("stable", [True, False])
def test_sample_selection_is_the_bottom_k_rule(stable: bool) -> None:
    rng = np.random.default_rng(1)
    hashes = rng.integers(0, 500, 5000).astype(np.uint64)  # many equal hashes (copies)
    strata = [rng.choice(np.array([3, 9, 27], dtype=np.uint64), 5000, p=[.9, .09, .01]),
              rng.integers(0, 40, 5000).astype(np.uint64)]
    got = _selection(hashes, strata, 300, 7, stable=stable)
    assert got.tolist() == _plain_selection(hashes, strata, 300, 7).tolist()


def test_combos_of_a_batch_are_its_distinct_protected_values_with_counts() -> None:
    df = pd.DataFrame({"race": ["b", "a", "b", None, "a", "b"], "sex": [1, 2, 1, 1, 2.0, 1]})
    combos = Combos.of(df, ("race", "sex"))
    keys = row_hashes(df, 0, ("race", "sex"))
    uniq, first, counts = np.unique(keys, return_index=True, return_counts=True)
    assert combos.rows["__audit_combo_key"].tolist() == uniq.tolist()
    assert combos.rows["__audit_combo_rows"].tolist() == counts.tolist()
    assert combos.rows["race"].tolist() == df.race.iloc[first].tolist()
    merged = combos.merge(Combos.of(df.iloc[::-1], ("race", "sex")))
    assert merged.rows["__audit_combo_rows"].tolist() == (2 * counts).tolist()


def test_sample_keys_depend_on_the_seed_and_keep_copies_equal() -> None:
    h = row_hashes(pd.DataFrame({"a": [1, 2, 2, 3]}), 0)
    k3, k4 = sample_keys(h, 3), sample_keys(h, 4)
    assert k3[1] == k3[2] and len(set(k3.tolist())) == 3 and (k3 != k4).all()


@pytest.mark.parametrize("n_cells", [50, 150_000, 2**33])  # one, two radix passes, 64-bit
def test_histogram_pieces_equal_aggregate_cells(n_cells: int) -> None:
    from audit._fairness.stats import _aggregate_cells

    def _aggregated(cell, value, count):  # type: ignore[no-untyped-def]
        """The plain definition: lexsort, then sums over equal (cell, value) pairs."""
        order = np.lexsort((value, cell))
        c, v, n = cell[order].astype(np.int64), value[order], count[order].astype(np.int64)
        new = np.ones(len(c), dtype=bool)
        new[1:] = (c[1:] != c[:-1]) | (v[1:] != v[:-1])
        starts = np.flatnonzero(new)
        return c[starts], v[starts].astype(np.float64), np.add.reduceat(n, starts)

    rng = np.random.default_rng(2)
    n = 50_000
    cell = rng.integers(0, n_cells, n) if n_cells < 2**32 else rng.choice(
        np.array([1, 2**32 + 5, 2**33 - 1]), n)
    value = rng.choice(np.linspace(0, 1, 300), n)
    count = rng.integers(1, 4, n)
    for got, want in zip(_aggregated(cell, value, count), _aggregate_cells(cell, value, count)):
        assert got.dtype == want.dtype and np.array_equal(got, want)


def test_rows_with_a_combination_unseen_in_the_first_reading_are_refused() -> None:
    from audit._errors import InputError

    combos = Combos.of(pd.DataFrame({"race": ["a", "b"]}), ("race",))
    seen = combos.rows["race"].tolist()
    assert combos.index_of(pd.DataFrame({"race": ["b", "a", "b"]})).tolist() == [
        seen.index(v) for v in "bab"]
    with pytest.raises(InputError, match="first reading did not see"):
        combos.index_of(pd.DataFrame({"race": ["a", "c"]}))


def test_combos_merged_in_any_order_equal_the_whole_table_s() -> None:
    import functools

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"race": rng.choice(list("abcde"), 5000),
                       "age": rng.integers(18, 90, 5000).astype(float)})
    parts = [Combos.of(df.iloc[i:i + 700], ("race", "age")) for i in range(0, 5000, 700)]
    whole = Combos.of(df, ("race", "age"))
    for merged in (functools.reduce(Combos.merge, parts),
                   functools.reduce(Combos.merge, parts[::-1]),
                   whole.merge(parts[0]).merge(parts[1])):  # parts adding nothing new
        assert merged.rows["__audit_combo_key"].tolist() == whole.rows["__audit_combo_key"].tolist()
        pd.testing.assert_frame_equal(merged.rows.drop(columns="__audit_combo_rows"),
                                      whole.rows.drop(columns="__audit_combo_rows"))
    assert merged.rows["__audit_combo_rows"].sum() == 5000 + 1400
    assert functools.reduce(Combos.merge, parts).rows["__audit_combo_rows"].tolist() == \
        whole.rows["__audit_combo_rows"].tolist()


def test_regrouped_statistics_of_distinct_scores_equal_regroup() -> None:
    rng = np.random.default_rng(3)
    n, n_atoms = 20_000, 300
    atom, scores = rng.integers(0, n_atoms, n), rng.random(n)  # every score distinct
    atoms = binary_stats(atom, n_atoms, rng.integers(0, 2, n), (scores > .5).astype(int), scores)
    codes = rng.integers(0, 4, n_atoms)
    got = Regrouped.of(atoms, {"a": (codes, 4)})["a"]
    want = atoms.regroup(codes, 4)
    assert got.equals(want)
    assert got.score_cell is not None and got.score_count is not None
    assert got.score_cell.dtype == np.int64 and got.score_count.dtype == np.int64


def test_regrouped_from_unsummed_pieces_equals_the_summed_histogram() -> None:
    rng = np.random.default_rng(4)
    n, n_atoms = 9_000, 40
    atom, scores = rng.integers(0, n_atoms, n), rng.choice(np.linspace(0, 1, 30), n)
    y, pred = rng.integers(0, 2, n), (scores > .5).astype(int)
    atoms = binary_stats(atom, n_atoms, y, pred, scores)
    cell = atom * 4 + y * 2 + pred
    pieces = [(cell[i:i + 1000].astype(np.int32), scores[i:i + 1000],
               np.ones(len(cell[i:i + 1000]), dtype=np.int32)) for i in range(0, n, 1000)]
    groups = {"a": (rng.integers(0, 3, n_atoms), 3), "atoms": (np.arange(n_atoms), n_atoms)}
    lazy = Regrouped(atoms.counts, pieces, groups)
    for name, (codes, k) in groups.items():
        assert lazy[name].equals(atoms.regroup(codes, k)), name
