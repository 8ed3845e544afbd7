"""Groups as integer codes (issue 8, item 7) give exactly the groups the per-row strings gave.

The oracle is the former implementation, frozen in ``legacy_groups.py``: every protected
column of the existing fixtures (the small fixture, the lending demo, hostile values)
and every pair of them must give the same labels, order, members, reference and the same
code on every row.
"""

from __future__ import annotations

from itertools import combinations

import legacy_groups as L
import numpy as np
import pandas as pd
import pytest
from conftest import load_examples, make_small

from audit import AuditConfig
from audit._errors import ConfigError
from audit._inputs import groups as G
from audit._inputs import protected as P
from audit._inputs.prepared import Grouping

CFG = AuditConfig()


def _legacy_attribute(p: G.ProtectedColumn, df: pd.DataFrame, cfg: AuditConfig) -> Grouping:
    """``protected.attribute_grouping`` as it was: per-row labels, then make_grouping."""
    col = df[p.column]
    order = None
    if p.family != "age" or not (pd.api.types.is_numeric_dtype(col) or G.is_birth(p.column)):
        labels = L.as_labels(col)
    else:
        from datetime import date

        as_of = date.fromisoformat(cfg.age_as_of) if cfg.age_as_of else date.today()
        ages = G.ages_from_birth(col, as_of) if G.is_birth(p.column) else col
        labels = L.age_bands(ages, cfg.age_bands)
        order = G.band_order(cfg.age_bands) + [G.UNKNOWN]
    return L.make_grouping(p.name, p.family, p.column, labels, how_found=p.how_found,
                           min_group_size=cfg.min_group_size,
                           merge_small=p.family == "geography", order=order,
                           reference=cfg.reference.get(p.name))


def _same(new: Grouping, old: Grouping) -> None:
    assert new.labels == old.labels
    assert new.reference == old.reference
    assert new.members == old.members
    assert (new.name, new.family, new.columns, new.how_found) == (
        old.name, old.family, old.columns, old.how_found)
    assert new.codes.dtype == np.int64
    np.testing.assert_array_equal(new.codes, old.codes)


def _check_frame(df: pd.DataFrame, columns: dict[str, str], cfg: AuditConfig = CFG) -> None:
    """Every column's grouping and every pair's intersection, new against old."""
    news, olds = [], []
    for column, family in columns.items():
        p = G.ProtectedColumn(column, family, column, f"found {column}")
        news.append(P.attribute_grouping(p, df, cfg, "data", []))
        olds.append(_legacy_attribute(p, df, cfg))
        _same(news[-1], olds[-1])
    for i, j in combinations(range(len(news)), 2):
        for size in (1, cfg.min_group_size, 200):
            new = G.intersect(news[i], news[j], size)
            _same(new, L.intersect(olds[i], olds[j], size, new.how_found))


def test_small_fixture():
    _check_frame(make_small(), {"gender": "gender", "race": "race", "region": "geography"})


def test_lending_demo():
    df = load_examples().make_lending(6000, seed=3)
    _check_frame(df, {"race": "race", "gender": "gender", "age": "age", "state": "geography",
                      "zip_code": "geography"},
                 AuditConfig(reference={"race": "White"}))


def _hostile(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mixed = np.array([True, 1, "1", 1.0, None, "unknown", np.nan, False, 0, "x"], dtype=object)
    cats = pd.Categorical(rng.choice(["b", "a", "c"], n), categories=["z", "c", "b", "a"])
    cats[rng.random(n) < 0.05] = np.nan
    f = rng.choice([1.0, 2.0, 2.5, np.nan], n)
    strs = rng.choice(["A × B", "A", "B × C", "{0}", "x\x00", "x", "é\u202e", ""], n)
    geo = np.array([f"Z{int(v)}" for v in rng.pareto(1.0, n) * 3], dtype=object)
    geo[rng.random(n) < 0.03] = None
    return pd.DataFrame({
        "mixed": pd.Series(mixed[rng.integers(0, len(mixed), n)], dtype=object),
        "cat": cats,
        "float": f,
        "float32": pd.Series(rng.choice([1.1, 2.5], n)).astype("float32"),
        "bool": rng.random(n) < 0.3,
        "int": rng.integers(0, 4, n),
        "str": pd.Series(strs, dtype="str").where(rng.random(n) > 0.02),
        "objstr": pd.Series(strs, dtype=object),
        "age": np.where(rng.random(n) < 0.05, np.nan, rng.integers(15, 95, n)),
        "birth_year": rng.integers(1930, 2005, n),
        "date_of_birth": pd.Series(pd.to_datetime("1950-01-01")
                                   + pd.to_timedelta(rng.integers(0, 20000, n), unit="D")
                                   ).dt.strftime("%Y-%m-%d"),
        "geo": geo,
        "one": "same",
    })


@pytest.mark.parametrize("seed", [0, 1])
def test_hostile_values(seed):
    df = _hostile(seed=seed)
    cfg = AuditConfig(age_as_of="2024-06-30", min_group_size=40)
    _check_frame(df, {"mixed": "other", "cat": "other", "float": "other", "float32": "other",
                      "bool": "other", "int": "other", "str": "other", "objstr": "other",
                      "age": "age", "birth_year": "age", "date_of_birth": "age",
                      "geo": "geography", "one": "other"}, cfg)


@pytest.mark.parametrize("column", ["mixed", "cat", "float", "float32", "bool", "int", "str",
                                    "objstr", "geo", "one"])
def test_label_codes_are_the_per_row_labels(column):
    s = _hostile()[column]
    codes, labels = G.label_codes(s)
    np.testing.assert_array_equal(np.asarray(labels, dtype=object)[codes], L.as_labels(s))


def test_label_codes_of_a_column_not_numbered_by_appearance():
    s = pd.Series(pd.Categorical(["b", "a", None, "b"], categories=["a", "b"]))
    codes, labels = G.label_codes(s, (np.array([1, 0, -1, 1]), ["a", "b"]))
    assert [labels[c] for c in codes] == ["b", "a", G.UNKNOWN, "b"]


def test_unknown_reference_names_the_groups_as_before():
    df = make_small()
    p = G.ProtectedColumn("race", "race", "race", "")
    with pytest.raises(ConfigError) as exc:
        P.attribute_grouping(p, df, AuditConfig(reference={"race": "D"}), "data", [])
    assert str(exc.value) == ("reference group 'D' for race does not exist - "
                              "its groups are: A, B, C")
