"""Data sanity checks (DATA001...): each fires on its planted problem and passes on clean data."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from audit._inputs.sanity import SANITY_CHECKS, sanity_checks
from audit._result.findings import REGISTRY, Finding
from audit._result.serial import from_jsonable, to_jsonable
from audit._words.inputs import (
    MSG_DUPLICATES,
    MSG_IMBALANCE,
    MSG_IMBALANCE_NO_TARGET,
    MSG_NUMBERS,
    MSG_PROTECTED,
)

N = 400


def _clean(n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "applicant_id": [f"A{i:05d}" for i in range(n)],
            "zip_code": rng.choice(["02139", "10001", "94110"], n),
            "income": rng.normal(50_000, 10_000, n).round(2),
            "age": rng.integers(18, 80, n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "race": rng.choice(["A", "B", "C"], n),
            "label": rng.integers(0, 2, n),
        }
    )


def _run(df: pd.DataFrame, **kw: object) -> tuple[Finding, ...]:
    args: dict[str, object] = {"target": "label", "protected": ("race",), "source": "test.csv"}
    args.update(kw)
    return sanity_checks(df, **args)  # type: ignore[arg-type]


def _of(findings: tuple[Finding, ...], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


# One planted problem per check: (data maker, expected subject of the finding).
def _numbers_as_text() -> pd.DataFrame:
    df = _clean()
    df["years_at_address"] = [str(v) for v in np.arange(N) % 13]
    return df


def _dates_as_text() -> pd.DataFrame:
    df = _clean()
    days = np.datetime64("2024-01-01") + (np.arange(N) % 300).astype("timedelta64[D]")
    df["applied"] = days.astype(str)
    return df


def _missing() -> pd.DataFrame:
    df = _clean()
    df.loc[df.index % 10 == 0, "income"] = np.nan
    return df


def _duplicates() -> pd.DataFrame:
    df = _clean()
    return pd.concat([df, df.iloc[:7]], ignore_index=True)


def _constant() -> pd.DataFrame:
    df = _clean()
    df["country"] = "US"
    return df


def _imbalance() -> pd.DataFrame:
    df = _clean()
    df["label"] = (np.arange(N) % 25 == 0).astype(int)
    return df


def _protected_missing() -> pd.DataFrame:
    df = _clean()
    df["race"] = df["race"].where(df.index % 4 == 0)
    return df


PLANTED: dict[str, tuple[Callable[[], pd.DataFrame], str]] = {
    "DATA001": (_numbers_as_text, "years_at_address"),
    "DATA002": (_dates_as_text, "applied"),
    "DATA003": (_missing, "income"),
    "DATA004": (_duplicates, ""),
    "DATA005": (_constant, "country"),
    "DATA006": (_imbalance, "label"),
    "DATA007": (_protected_missing, "race"),
}


def test_registry() -> None:
    codes = [c.code for c in SANITY_CHECKS]
    assert codes == [f"DATA00{i}" for i in range(1, 8)]
    for check in SANITY_CHECKS:
        assert REGISTRY[check.code] is check
        assert check.severity in ("info", "warning", "error")
        assert check.title and len(check.explanation) > 60
    assert set(PLANTED) == set(codes)


def test_clean_data_passes_every_check() -> None:
    findings = _run(_clean())
    assert [f.code for f in findings] == [c.code for c in SANITY_CHECKS]
    assert {f.outcome for f in findings} == {"pass"}
    assert all(f.details["source"] == "test.csv" for f in findings)


@pytest.mark.parametrize("check", SANITY_CHECKS, ids=lambda c: c.code)
def test_check_fires_on_its_planted_problem(check: object) -> None:
    code = check.code  # type: ignore[attr-defined]
    make, subject = PLANTED[code]
    findings = _run(make())
    hits = _of(findings, code)
    assert len(hits) == 1
    expected = "fail" if hits[0].severity == "error" else "review"
    assert hits[0].outcome == expected
    assert hits[0].subject == subject
    # ...and the planted problem does not trip any other check (a mostly missing protected
    # column is, of course, also a column with missing values).
    also = {"DATA007": {"DATA003"}}.get(code, set())
    others = [f for f in findings if f.code != code and f.code not in also]
    assert {f.outcome for f in others} == {"pass"}, [(f.code, f.message) for f in others]
    for extra in also:
        assert [f.subject for f in _of(findings, extra)] == [subject]


@pytest.mark.parametrize("check", SANITY_CHECKS, ids=lambda c: c.code)
def test_check_passes_on_clean_data(check: object) -> None:
    hits = _of(_run(_clean()), check.code)  # type: ignore[attr-defined]
    assert [f.outcome for f in hits] == ["pass"]
    assert hits[0].message


def test_numbers_as_text_exact_message() -> None:
    df = _clean(100)
    df["years"] = [str(i % 9) if i % 50 else "n/a" for i in range(100)]
    (hit,) = _of(_run(df), "DATA001")
    assert hit.message == (
        "Column 'years' holds numbers stored as text: 98 of 100 non-missing values (98.0%) read "
        "as numbers, for example '1'. Convert the column to a number type (for example with "
        "pandas.to_numeric) before training and auditing."
    )
    assert hit.message == MSG_NUMBERS.format(
        column="years", parsed=98, total=100, share="98.0%", example="1"
    )
    assert hit.details["parsed"] == "98" and hit.details["non_missing"] == "100"


def test_duplicates_exact_message() -> None:
    (hit,) = _of(_run(_duplicates()), "DATA004")
    assert hit.message == (
        "7 of 407 rows (1.7%) are exact copies of an earlier row. Remove them if each row should "
        "be a different case."
    )
    assert hit.message == MSG_DUPLICATES.format(count=7, n_rows=407, share="1.7%")


def test_imbalance_and_protected_exact_messages() -> None:
    (hit,) = _of(_run(_imbalance()), "DATA006")
    assert hit.message == MSG_IMBALANCE.format(
        target="label", label=1, share="4.0%", count=16, total=400, limit="10.0%"
    )
    assert hit.message.startswith(
        "The target 'label' is imbalanced: the rarest label 1 makes up 4.0%"
    )
    (hit,) = _of(_run(_protected_missing()), "DATA007")
    assert hit.message == MSG_PROTECTED.format(
        column="race", missing=300, n_rows=400, share="75.0%"
    )
    assert hit.severity == "error"


def test_not_applicable_without_target_or_protected() -> None:
    findings = _run(_clean().drop(columns="label"), target=None, protected=())
    (imb,) = _of(findings, "DATA006")
    assert (imb.outcome, imb.message) == ("not_applicable", MSG_IMBALANCE_NO_TARGET)
    (prot,) = _of(findings, "DATA007")
    assert prot.outcome == "not_applicable"


def test_regression_target_is_not_checked_for_balance() -> None:
    df = _clean()
    df["label"] = np.linspace(0, 1, N)
    (hit,) = _of(_run(df), "DATA006")
    assert hit.outcome == "not_applicable"


def test_single_label_target_is_flagged() -> None:
    df = _clean()
    df["label"] = 1
    (hit,) = _of(_run(df), "DATA006")
    assert hit.outcome == "review" and "single label" in hit.message


@pytest.mark.parametrize(
    "convert",
    [
        lambda s: s.astype(object),
        lambda s: s.astype("str"),
        lambda s: s.astype("string"),
        lambda s: s.astype("category"),
    ],
    ids=["object", "str", "string", "category"],
)
def test_numbers_as_text_for_every_text_dtype(convert: Callable[[pd.Series], pd.Series]) -> None:
    df = _clean()
    df["years_at_address"] = convert(pd.Series([str(v) for v in np.arange(N) % 13]))
    (hit,) = _of(_run(df), "DATA001")
    assert hit.outcome == "review" and hit.subject == "years_at_address"
    assert hit.details["parsed"] == str(N)


def test_numbers_threshold_is_95_percent() -> None:
    df = _clean(200)
    df["ok"] = [str(i) if i % 20 else "x" for i in range(200)]  # 95 % parse
    df["not_ok"] = [str(i) if i % 10 else "x" for i in range(200)]  # 90 % parse
    hits = _of(_run(df), "DATA001")
    assert [h.subject for h in hits] == ["ok"]


def test_codes_with_digits_are_not_numbers() -> None:
    df = _clean()
    df["postal_code"] = [str(10000 + i) for i in range(N)]
    df["branch"] = [f"{i % 50:03d}" for i in range(N)]  # leading zeros
    df["customer_number"] = [str(4_000_000 + 7 * i) for i in range(N)]  # fixed-width digits
    assert {f.outcome for f in _of(_run(df), "DATA001")} == {"pass"}


def test_pure_numbers_are_not_dates() -> None:
    df = _clean()
    df["year"] = [str(2000 + i % 20) for i in range(N)]
    df["yyyymmdd"] = [f"2024{1 + i % 12:02d}{1 + i % 28:02d}" for i in range(N)]
    findings = _run(df)
    assert [f.outcome for f in _of(findings, "DATA002")] == ["pass"]


def test_mixed_date_formats_are_not_flagged_but_one_day_first_format_is() -> None:
    df = _clean()
    iso = [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(N)]
    dmy = [f"{1 + i % 28:02d}/{1 + i % 12:02d}/2024" for i in range(N)]
    df["mixed"] = [a if i % 2 else b for i, (a, b) in enumerate(zip(iso, dmy))]
    df["day_first"] = [f"{13 + i % 15}/{1 + i % 12:02d}/2024" for i in range(N)]
    hits = _of(_run(df), "DATA002")
    assert [h.subject for h in hits] == ["day_first"]
    assert hits[0].details["format"] == "%d/%m/%Y"
    assert "written like DD/MM/YYYY" in hits[0].message


def test_counts_are_exact_beyond_the_sample() -> None:
    n = 30_000
    df = pd.DataFrame(
        {
            "amount": [str(i % 1000) if i % 40 else "unknown" for i in range(n)],
            "label": np.arange(n) % 2,
        }
    )
    (hit,) = _of(_run(df, protected=()), "DATA001")
    assert hit.details["parsed"] == str(n - n // 40)
    assert hit.details["non_missing"] == str(n)


def test_missing_values_lists_columns_over_threshold() -> None:
    df = _clean()
    df.loc[df.index % 10 == 0, "income"] = np.nan  # 10 %
    df.loc[df.index % 50 == 0, "colour"] = None  # 2 %: under the 5 % threshold
    (hit,) = _of(_run(df), "DATA003")
    assert hit.subject == "income"
    assert hit.details["income"] == "0.1000"
    assert "income (10.0%)" in hit.message
    (hit,) = _of(_run(df, missing_threshold=0.01), "DATA003")
    assert hit.subject == "income, colour"


def test_all_missing_column_is_constant_and_missing() -> None:
    df = _clean()
    df["empty"] = np.nan
    findings = _run(df)
    (const,) = _of(findings, "DATA005")
    assert const.subject == "empty" and const.details["empty"] == "missing"
    (miss,) = _of(findings, "DATA003")
    assert miss.subject == "empty"


def test_duplicates_with_unhashable_values() -> None:
    df = _clean(10)
    df["tags"] = [[i] for i in range(10)]
    (hit,) = _of(_run(df), "DATA004")
    assert hit.outcome == "insufficient_evidence" and hit.subject == "tags"


def test_findings_round_trip_through_json() -> None:
    for f in _run(_protected_missing()) + _run(_numbers_as_text()):
        assert from_jsonable(Finding, to_jsonable(f)) == f


def _lending() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "examples" / "lending.py"
    spec = importlib.util.spec_from_file_location("_lending_for_sanity", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_lending_example_planted_problems_are_found() -> None:
    lending = _lending()
    df = lending.make_lending(3000, seed=0)
    findings = sanity_checks(
        df, target="approved", protected=("race", "gender", "age"), source="loans.parquet"
    )
    numbers = [f.subject for f in _of(findings, "DATA001") if f.outcome == "review"]
    dates = [f.subject for f in _of(findings, "DATA002") if f.outcome == "review"]
    assert numbers == [lending.PLANTED["text_number_column"]]  # not zip_code, not applicant_id
    assert dates == [lending.PLANTED["text_date_column"]]
    (date,) = _of(findings, "DATA002")
    assert date.details["format"] == "%Y-%m-%d"
    others = [f for f in findings if f.code not in ("DATA001", "DATA002")]
    assert {f.outcome for f in others} == {"pass"}


def test_problems_in_columns_the_model_does_not_read_are_informational():
    """Issue 10: data checks on columns the model does not use are not REVIEW."""
    from audit._words.verdict import UNUSED_COLUMN

    df = pd.DataFrame({"years": ["1", "2", "3"] * 10, "used": ["4", "5", "6"] * 10,
                       "when": ["2024-01-02"] * 30, "gone": [None] * 29 + [1.0],
                       "y": [0, 1] * 15})
    got = sanity_checks(df, target="y", protected=(), source="demo",
                        model_features=("used",))
    by = {(f.code, f.subject): f for f in got}
    assert by[("DATA001", "used")].outcome == "review"
    unused = [by[("DATA001", "years")], by[("DATA002", "when")]]
    unused += [f for f in got if f.code in ("DATA003", "DATA005")]
    for f in unused:
        assert f.outcome == "not_applicable", f
        assert f.message.endswith(UNUSED_COLUMN)
        assert f.details["model_uses_column"] == "no"
    # without knowing the model's columns (predictions only), every column counts
    plain = sanity_checks(df, target="y", protected=(), source="demo")
    assert {f.outcome for f in plain if f.code in ("DATA001", "DATA002")} == {"review"}
