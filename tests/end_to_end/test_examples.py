"""The synthetic lending example: deterministic, and its planted structure is really there."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import normalized_mutual_info_score

_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lending.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_lending_example", _EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


lending = _load()


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return lending.make_lending(6000, seed=0)


@pytest.fixture(scope="module")
def audit_rows_with_predictions(data: pd.DataFrame) -> pd.DataFrame:
    train, audit = lending.split_lending(data, seed=0)
    model = lending.train_model(train, seed=0)
    return audit.assign(pred=model.predict(audit))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_columns_and_shape(data: pd.DataFrame) -> None:
    assert list(data.columns) == [
        "applicant_id",
        "application_date",
        "race",
        "gender",
        "age",
        "state",
        "zip_code",
        "income",
        "debt_to_income",
        "credit_score",
        "loan_amount",
        "employment_years",
        "years_at_address",
        "approved",
    ]
    assert len(data) == 6000
    assert data["applicant_id"].is_unique
    assert set(data["approved"].unique()) == {0, 1}
    assert data["age"].between(18, 85).all()
    assert set(data["race"].dropna()) == {"White", "Black", "Hispanic", "Asian", "Other"}
    assert set(data["gender"].dropna()) == {"Female", "Male"}
    assert 6 <= data["state"].nunique() <= 8
    assert data["zip_code"].str.fullmatch(r"\d{5}").all()


def test_same_seed_same_frame_different_seed_differs() -> None:
    a = lending.make_lending(2000, seed=3)
    b = lending.make_lending(2000, seed=3)
    c = lending.make_lending(2000, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_write_demo_files_are_byte_identical(tmp_path: Path) -> None:
    first = lending.write_demo(tmp_path / "a", n=3000, seed=0)
    second = lending.write_demo(tmp_path / "b", n=3000, seed=0)
    assert set(first) == {"parquet", "csv", "skops", "pickle"}
    for kind in ("parquet", "csv"):
        assert _sha(first[kind]) == _sha(second[kind]), kind
    audit = pd.read_parquet(first["parquet"])
    assert len(audit) == 900  # the held-out 30 %
    other = lending.write_demo(tmp_path / "c", n=3000, seed=1)
    assert _sha(other["parquet"]) != _sha(first["parquet"])


def test_saved_models_load_and_predict(tmp_path: Path) -> None:
    import joblib
    import skops.io

    paths = lending.write_demo(tmp_path, n=3000, seed=0)
    audit = pd.read_parquet(paths["parquet"])
    pickled = joblib.load(paths["pickle"])
    untrusted = skops.io.get_untrusted_types(file=paths["skops"])
    from_skops = skops.io.load(paths["skops"], trusted=untrusted)
    np.testing.assert_array_equal(pickled.predict(audit), from_skops.predict(audit))
    assert tuple(pickled.feature_names_in_) == lending.FEATURES


def test_planted_constants_are_consistent(data: pd.DataFrame) -> None:
    p = lending.PLANTED
    assert p["proxy_feature"] == "zip_code" and p["proxy_for"] == "race"
    assert (p["disadvantaged_group"], p["reference_group"]) == ("Black", "White")
    assert p["direct_use_protected_feature"] in lending.FEATURES
    assert "race" not in lending.FEATURES and "gender" not in lending.FEATURES
    assert set(p["redlined_zips"]) <= set(data["zip_code"])
    # The redlined zip codes are mostly Black neighbourhoods.
    red = data[data["zip_code"].isin(p["redlined_zips"])]
    assert red["race"].value_counts(normalize=True).idxmax() == "Black"


def test_small_zips_exist(data: pd.DataFrame) -> None:
    counts = lending.make_lending(20000, seed=0)["zip_code"].value_counts()
    small = counts[counts < 30]
    assert 3 <= len(small) <= 8
    assert set(small.index) == set(lending.PLANTED["small_zips"])
    assert 35 <= data["zip_code"].nunique() <= 45


def test_zip_code_is_a_strong_proxy_for_race_income_is_not(data: pd.DataFrame) -> None:
    d = data.dropna(subset=["race"])
    income_bins = pd.qcut(d["income"], 40, labels=False)
    nmi_zip = normalized_mutual_info_score(d["race"], d["zip_code"])
    nmi_income = normalized_mutual_info_score(d["race"], income_bins)
    assert nmi_zip > 0.15
    assert nmi_income < 0.03
    assert nmi_zip > 5 * nmi_income
    # Guessing race from the zip code's majority race beats the base rate by far.
    hit_rate = pd.crosstab(d["zip_code"], d["race"]).max(axis=1).sum() / len(d)
    base_rate = d["race"].value_counts(normalize=True).max()
    assert hit_rate > base_rate + 0.25


def test_income_drives_approval(data: pd.DataFrame) -> None:
    top = data["income"] > data["income"].quantile(0.75)
    bottom = data["income"] < data["income"].quantile(0.25)
    assert data.loc[top, "approved"].mean() - data.loc[bottom, "approved"].mean() > 0.4


def test_missing_protected_values(data: pd.DataFrame) -> None:
    assert 0.01 < data["race"].isna().mean() < 0.03
    assert 0.003 < data["gender"].isna().mean() < 0.02


def test_text_columns_hold_numbers_and_dates(data: pd.DataFrame) -> None:
    col = data[lending.PLANTED["text_number_column"]]
    assert not pd.api.types.is_numeric_dtype(col)
    assert col.map(type).eq(str).all()
    assert pd.to_numeric(col, errors="coerce").notna().all()
    dates = data[lending.PLANTED["text_date_column"]]
    assert not pd.api.types.is_datetime64_any_dtype(dates)
    assert pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce").notna().all()


def test_model_reproduces_planted_disparity(audit_rows_with_predictions: pd.DataFrame) -> None:
    d = audit_rows_with_predictions
    rates = d.groupby("race")["pred"].mean()
    ratio = rates["Black"] / rates["White"]
    low, high = lending.PLANTED["selection_rate_ratio_range"]
    assert low <= ratio <= high, ratio
    assert 0.5 <= d["pred"].mean() <= 0.6
    by_gender = d.groupby("gender")["pred"].mean()
    assert by_gender.min() / by_gender.max() > 0.85
    assert (d["pred"] == d["approved"]).mean() > 0.75


def test_cli_writes_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert lending._main([str(tmp_path), "--rows", "1000", "--seed", "2"]) == 0
    err = capsys.readouterr().err
    for name in ("loans.parquet", "loans.csv", "model.skops", "model.pkl"):
        assert (tmp_path / name).is_file()
        assert name in err
