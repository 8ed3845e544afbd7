"""The bad-input matrix: models and data that look usable but would give a meaningless audit.

Each row: what is wrong, a builder that writes the files into a directory and returns the
arguments, and a substring of the one-line message. The ``refused`` fixture
(tests/conftest.py) checks exit 2, one line, no traceback, no report written and the
inputs untouched. The models are plain scikit-learn / LightGBM objects (no test classes),
so that the model-file scanner loads them without ``--trust-model``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from conftest import outs

Build = Callable[[Path, pd.DataFrame, object], list]


def _files(d: Path, df: pd.DataFrame, model: object, name: str = "data.parquet") -> list:
    """Write ``model`` and ``df`` into ``d``; the two positional arguments."""
    joblib.dump(model, d / "model.joblib")
    if name.endswith(".csv"):
        df.to_csv(d / name, index=False)
    else:
        df.to_parquet(d / name, index=False)
    return [d / "model.joblib", d / name]


def scores_out_of_range(d: Path, df: pd.DataFrame, model: object) -> list:
    from sklearn.dummy import DummyClassifier

    X = df[["income", "region"]]
    dummy = DummyClassifier(strategy="prior").fit(X, df.target)
    dummy.class_prior_ = np.array([-0.5, 1.5])  # "probabilities" outside [0, 1]
    return _files(d, df, dummy)


def continuous_gender(d: Path, df: pd.DataFrame, model: object) -> list:
    df = df.assign(gender=np.random.default_rng(1).random(len(df)))
    return _files(d, df, model)


def many_races(d: Path, df: pd.DataFrame, model: object) -> list:
    df = df.assign(race=[f"r{i % 150}" for i in range(len(df))])
    return _files(d, df, model)


def duplicate_header(d: Path, df: pd.DataFrame, model: object) -> list:
    joblib.dump(model, d / "model.joblib")
    text = df.to_csv(index=False).splitlines()
    lines = [text[0] + ",race"] + [line + ",A" for line in text[1:]]
    (d / "data.csv").write_text("\n".join(lines) + "\n")
    return [d / "model.joblib", d / "data.csv"]


def regressor(d: Path, df: pd.DataFrame, model: object) -> list:
    from sklearn.linear_model import Ridge

    return _files(d, df, Ridge().fit(df[["income"]], df.target))


def lightgbm_ambiguous(d: Path, df: pd.DataFrame, model: object) -> list:
    from lightgbm import LGBMClassifier

    X = df[["income"]].rename(columns={"income": "mean income"})
    lgbm = LGBMClassifier(n_estimators=5, verbose=-1).fit(X, df.target)
    both = df.assign(**{"mean income": df.income, "mean_income": df.income})
    return _files(d, both, lgbm)


def standardised_age(d: Path, df: pd.DataFrame, model: object) -> list:
    age = np.random.default_rng(2).normal(0, 0.07, len(df)).clip(-0.2, 0.2)
    return _files(d, df.assign(age=age), model)


def age_over_130(d: Path, df: pd.DataFrame, model: object) -> list:
    age = np.random.default_rng(2).integers(18, 90, len(df)).astype(float)
    age[:3] = 999  # the usual "unknown" code
    return _files(d, df.assign(age=age), model)


def unfitted(d: Path, df: pd.DataFrame, model: object) -> list:
    from sklearn.linear_model import LogisticRegression

    return _files(d, df, LogisticRegression())


def _cut_pipeline(df: pd.DataFrame, final: object) -> object:
    """A pipeline whose first step keeps only the first ``len(df) - 1`` rows."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    n = len(df) - 1
    cut = FunctionTransformer(pd.DataFrame, kw_args={"index": range(n)})
    return make_pipeline(cut, final).fit(df[["income"]].iloc[:n], df.target.iloc[:n])


def wrong_rows(d: Path, df: pd.DataFrame, model: object) -> list:
    from sklearn.svm import LinearSVC  # no predict_proba: predict() is the first call

    return _files(d, df, _cut_pipeline(df, LinearSVC()))


def wrong_score_rows(d: Path, df: pd.DataFrame, model: object) -> list:
    from sklearn.linear_model import LogisticRegression

    return _files(d, df, _cut_pipeline(df, LogisticRegression()))


CASES: list[tuple[str, Build, str]] = [
    ("scores-out-of-range", scores_out_of_range,
     "predict_proba() returned scores from 1.5 to 1.5 (1200 of 1200 outside [0, 1])"),
    ("protected-continuous", continuous_gender, "'gender' (gender) in "),
    ("protected-continuous-says-so", continuous_gender, "holds continuous numbers (1,200 distinct"),
    ("protected-too-many-groups", many_races, "has 150 distinct values - expected at most 100"),
    ("csv-duplicate-header", duplicate_header, "the column name 'race' more than once"),
    ("regressor-on-0/1-target", regressor, "the model is a regressor (Ridge) but the target"),
    ("lightgbm-name-ambiguous", lightgbm_ambiguous,
     "feature 'mean_income' matches several columns of the data ('mean income', 'mean_income')"),
    ("age-standardised", standardised_age, "age column 'age' in "),
    ("age-standardised-why", standardised_age, "is not in years: "),
    ("age-over-130", age_over_130, "3 rows are over 130 (values from 18 to 999)"),
    ("model-not-fitted", unfitted, "the model is not fitted (LogisticRegression"),
    ("predict-wrong-rows", wrong_rows, "the model returned 1199 predictions for 1200 rows"),
    ("predict-proba-wrong-rows", wrong_score_rows,
     "the model returned 1199 scores for 1200 rows (from predict_proba())"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_refused(case, tmp_path: Path, small_df: pd.DataFrame, small_model, refused) -> None:
    _, build, message = case
    inputs = build(tmp_path, small_df, small_model)
    refused(["run", *inputs, *outs(tmp_path)], message, untouched=tuple(inputs))
