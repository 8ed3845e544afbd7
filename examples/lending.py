"""A synthetic loan-approval dataset with planted problems, and a model trained on it.

Everything here is generated deterministically from a seed; nothing is
downloaded.  The data is made so that an audit has real things to find:

* **Redlining through a proxy.**  Historical approvals penalise a set of zip
  codes that are mostly Black neighbourhoods.  ``race`` is not a model input,
  but ``zip_code`` is, and zip code predicts race well, so the trained model
  approves Black applicants markedly less often than White applicants.
* **A legitimate strong driver.**  ``income`` drives approval strongly and is
  only weakly related to race.
* **A protected attribute used directly.**  ``age`` is a model input.
* **Sanity problems.**  ``years_at_address`` holds numbers stored as text and
  ``application_date`` holds dates stored as text; ``race`` and ``gender``
  have a few missing values; a handful of zip codes have fewer than 30 rows.

The ground truth is recorded in :data:`PLANTED` so tests can check that an
audit finds it.

Command line::

    python examples/lending.py OUTDIR [--rows N] [--seed S]

writes ``loans.parquet``, ``loans.csv`` (the held-out 30 % the model never
saw), ``model.skops`` and ``model.pkl`` into ``OUTDIR``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

__all__ = [
    "FEATURES",
    "NUMERIC_FEATURES",
    "PLANTED",
    "ZIPS",
    "make_lending",
    "split_lending",
    "train_model",
    "write_demo",
]

RACES: tuple[str, ...] = ("White", "Black", "Hispanic", "Asian", "Other")

# Racial make-up of a neighbourhood, as probabilities over RACES.
_MAKEUP: dict[str, tuple[float, float, float, float, float]] = {
    "white": (0.80, 0.05, 0.08, 0.05, 0.02),
    "black": (0.10, 0.80, 0.06, 0.02, 0.02),
    "hispanic": (0.14, 0.07, 0.73, 0.03, 0.03),
    "asian": (0.26, 0.04, 0.08, 0.59, 0.03),
    "mixed": (0.46, 0.20, 0.20, 0.10, 0.04),
}

# (zip code, state, relative population, neighbourhood make-up, redlined in the
# historical decisions).  Weights 0.04 are the deliberately small zip codes
# (about 15 rows per 20 000), so geography merging has something to merge.
ZIPS: tuple[tuple[str, str, float, str, bool], ...] = (
    # Georgia (Atlanta)
    ("30305", "GA", 1.6, "white", False),
    ("30309", "GA", 1.4, "mixed", False),
    ("30310", "GA", 1.5, "black", True),
    ("30314", "GA", 1.3, "black", True),
    ("30318", "GA", 1.2, "black", False),
    ("30327", "GA", 0.04, "white", False),
    # Illinois (Chicago)
    ("60614", "IL", 1.7, "white", False),
    ("60618", "IL", 1.4, "hispanic", False),
    ("60621", "IL", 1.4, "black", True),
    ("60636", "IL", 1.2, "black", True),
    ("60640", "IL", 1.1, "asian", False),
    ("60655", "IL", 0.04, "white", False),
    # Texas (Houston)
    ("77005", "TX", 1.5, "white", False),
    ("77011", "TX", 1.3, "hispanic", False),
    ("77021", "TX", 1.2, "black", True),
    ("77036", "TX", 1.2, "asian", False),
    ("77087", "TX", 1.1, "hispanic", False),
    ("77044", "TX", 0.04, "mixed", False),
    # California (Los Angeles)
    ("90024", "CA", 1.5, "white", False),
    ("90022", "CA", 1.6, "hispanic", False),
    ("90043", "CA", 1.1, "black", False),
    ("90012", "CA", 1.2, "asian", False),
    ("90034", "CA", 1.3, "mixed", False),
    ("90001", "CA", 1.0, "hispanic", True),
    # New York (Brooklyn / Queens)
    ("11201", "NY", 1.5, "white", False),
    ("11212", "NY", 1.3, "black", True),
    ("11354", "NY", 1.3, "asian", False),
    ("11372", "NY", 1.2, "hispanic", False),
    ("11215", "NY", 1.4, "white", False),
    ("11693", "NY", 0.04, "mixed", False),
    # Michigan (Detroit area)
    ("48207", "MI", 1.0, "black", True),
    ("48226", "MI", 1.1, "white", False),
    ("48236", "MI", 1.4, "white", False),
    ("48209", "MI", 0.9, "hispanic", False),
    ("48239", "MI", 0.04, "white", False),
    # Ohio (Cleveland)
    ("44104", "OH", 1.0, "black", True),
    ("44107", "OH", 1.4, "white", False),
    ("44113", "OH", 1.0, "mixed", False),
    ("44116", "OH", 1.2, "white", False),
    ("44102", "OH", 0.04, "hispanic", False),
)

NUMERIC_FEATURES: tuple[str, ...] = (
    "income",
    "debt_to_income",
    "credit_score",
    "loan_amount",
    "employment_years",
    "age",
)
FEATURES: tuple[str, ...] = ("zip_code", *NUMERIC_FEATURES)

_MISSING_RACE = 0.02
_MISSING_GENDER = 0.01

PLANTED: dict[str, Any] = {
    "target": "approved",
    "positive_label": 1,
    "protected": ("race", "gender", "age"),
    "proxy_feature": "zip_code",
    "proxy_for": "race",
    "disadvantaged_group": "Black",
    "reference_group": "White",
    "redlined_zips": tuple(z for z, _, _, _, red in ZIPS if red),
    "small_zips": tuple(z for z, _, w, _, _ in ZIPS if w < 0.1),
    "legitimate_driver": "income",
    "direct_use_protected_feature": "age",
    "not_model_inputs": ("race", "gender", "state", "applicant_id"),
    "text_number_column": "years_at_address",
    "text_date_column": "application_date",
    "id_column": "applicant_id",
    "missing_share": {"race": _MISSING_RACE, "gender": _MISSING_GENDER},
    "model_features": FEATURES,
    "audit_fraction": 0.3,
    # Expected range of the trained model's selection-rate ratio Black / White.
    "selection_rate_ratio_range": (0.6, 0.75),
}

_REDLINE_PENALTY = 2.3
_INTERCEPT = 0.9


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


def make_lending(n: int = 20000, seed: int = 0) -> pd.DataFrame:
    """Generate the synthetic loan-approval table.

    Parameters
    ----------
    n : int, default 20000
        Number of applications (rows).
    seed : int, default 0
        Seed for :func:`numpy.random.default_rng`; the same seed gives the
        same table.

    Returns
    -------
    pandas.DataFrame
        One row per application with the columns ``applicant_id``,
        ``application_date`` (ISO dates as text), ``race``, ``gender``,
        ``age``, ``state``, ``zip_code`` (text), ``income``,
        ``debt_to_income``, ``credit_score``, ``loan_amount``,
        ``employment_years``, ``years_at_address`` (whole numbers as text) and
        ``approved`` (0/1).  See :data:`PLANTED` for what is built in.

    Examples
    --------
    >>> df = make_lending(1000, seed=1)
    >>> df.shape
    (1000, 14)
    >>> sorted(df["approved"].unique().tolist())
    [0, 1]
    """
    if n < 1:
        raise ValueError(f"n: expected a positive number of rows, found {n}")
    rng = np.random.default_rng(seed)

    # Where applicants live, and who lives there.
    weights = np.array([w for _, _, w, _, _ in ZIPS])
    zi = rng.choice(len(ZIPS), size=n, p=weights / weights.sum())
    zip_code = np.array([z for z, _, _, _, _ in ZIPS], dtype=object)[zi]
    state = np.array([s for _, s, _, _, _ in ZIPS], dtype=object)[zi]
    redlined = np.array([r for _, _, _, _, r in ZIPS])[zi]
    makeup = np.array([_MAKEUP[m] for _, _, _, m, _ in ZIPS])[zi]  # (n, 5)
    u = rng.random(n)[:, None]
    race_idx = (u > np.cumsum(makeup, axis=1)).sum(axis=1).clip(0, len(RACES) - 1)
    race = np.array(RACES, dtype=object)[race_idx]
    gender = np.where(rng.random(n) < 0.5, "Female", "Male").astype(object)

    age = np.clip(np.round(18 + rng.gamma(4.0, 5.0, n)), 18, 85).astype(np.int64)

    # Income: strong legitimate driver, only weakly related to race / gender.
    race_shift = np.array([0.0, -0.08, -0.06, 0.05, -0.03])[race_idx]
    gender_shift = np.where(gender == "Female", -0.04, 0.0)
    age_shift = 0.25 * np.clip((age - 22) / 25.0, 0.0, 1.0)
    log_income = np.log(52000) + age_shift + race_shift + gender_shift + rng.normal(0, 0.45, n)
    income = np.round(np.exp(log_income), -2)

    zi_income = _z(log_income)
    credit_score = np.clip(np.round(690 + 35 * zi_income + rng.normal(0, 55, n)), 300, 850)
    debt_to_income = np.round(
        np.clip(0.30 - 0.05 * zi_income + rng.normal(0, 0.10, n), 0.02, 0.75), 3
    )
    loan_amount = np.round(income * rng.uniform(1.2, 4.5, n), -3).clip(5000, None)
    employment_years = np.round(np.minimum(age - 18, rng.gamma(2.0, 3.5, n)).clip(0, None), 1)
    years_at_address = np.minimum(age - 18, rng.poisson(6, n)).clip(0, None)

    # Historical decisions: legitimate drivers plus a redlining penalty and a
    # mild penalty on the youngest applicants.
    logit = (
        _INTERCEPT
        + 1.6 * zi_income
        + 0.9 * _z(credit_score)
        - 0.7 * _z(debt_to_income)
        - 0.4 * _z(loan_amount / income)
        + 0.15 * _z(employment_years)
        - 0.35 * (age < 25)
        - _REDLINE_PENALTY * redlined
    )
    approved = (rng.random(n) < _sigmoid(logit)).astype(np.int64)

    # Applications through 2023-2024, stored as ISO text.
    days = rng.integers(0, 731, n)
    dates = (np.datetime64("2023-01-01") + days.astype("timedelta64[D]")).astype(str)

    # Missing answers on the protected attributes.
    race[rng.random(n) < _MISSING_RACE] = None
    gender[rng.random(n) < _MISSING_GENDER] = None

    ids = rng.permutation(n) + 1_000_000
    # Text columns are built from Python lists so pandas picks its default
    # string dtype (``str`` in pandas 3, ``object`` before).
    return pd.DataFrame(
        {
            "applicant_id": [f"L{i}" for i in ids],
            "application_date": dates.tolist(),
            "race": race.tolist(),
            "gender": gender.tolist(),
            "age": age,
            "state": state.tolist(),
            "zip_code": zip_code.tolist(),
            "income": income,
            "debt_to_income": debt_to_income,
            "credit_score": credit_score,
            "loan_amount": loan_amount,
            "employment_years": employment_years,
            "years_at_address": [str(v) for v in years_at_address],
            "approved": approved,
        }
    )


def split_lending(
    df: pd.DataFrame, seed: int = 0, audit_fraction: float = 0.3
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split into a training part and a held-out audit part.

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`make_lending`.
    seed : int, default 0
        Seed for the random split.
    audit_fraction : float, default 0.3
        Share of rows held out for the audit.

    Returns
    -------
    tuple of pandas.DataFrame
        ``(train, audit)``, both with a fresh 0..n-1 index.
    """
    rng = np.random.default_rng([seed, 1])
    order = rng.permutation(len(df))
    n_audit = round(audit_fraction * len(df))
    audit_idx = np.sort(order[:n_audit])
    train_idx = np.sort(order[n_audit:])
    return (
        df.iloc[train_idx].reset_index(drop=True),
        df.iloc[audit_idx].reset_index(drop=True),
    )


def train_model(df: pd.DataFrame, seed: int = 0) -> Pipeline:
    """Fit the demo model on ``df``.

    The model sees ``zip_code`` (one-hot) and the numeric columns in
    :data:`NUMERIC_FEATURES` -- including ``age``, deliberately.  ``race`` and
    ``gender`` are not inputs.  It is fitted on ``df[FEATURES]`` so the
    pipeline's ``feature_names_in_`` lists exactly the model inputs.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows to train on, with the columns in :data:`FEATURES` and ``approved``.
    seed : int, default 0
        ``random_state`` of the gradient-boosting classifier.

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``ColumnTransformer`` (one-hot zip code, scaled numbers) followed by a
        ``GradientBoostingClassifier``.
    """
    pre = ColumnTransformer(
        [
            ("zip", OneHotEncoder(handle_unknown="ignore"), ["zip_code"]),
            ("num", StandardScaler(), list(NUMERIC_FEATURES)),
        ]
    )
    model = Pipeline(
        [
            ("prep", pre),
            (
                "gbm",
                GradientBoostingClassifier(
                    n_estimators=100, max_depth=3, learning_rate=0.1, random_state=seed
                ),
            ),
        ]
    )
    model.fit(df[list(FEATURES)], df["approved"].to_numpy())
    return model


def write_demo(outdir: str | Path, n: int = 20000, seed: int = 0) -> dict[str, Path]:
    """Write the demo data (held-out part) and the trained model to ``outdir``.

    Parameters
    ----------
    outdir : str or pathlib.Path
        Directory to write into; created if missing.
    n : int, default 20000
        Rows generated in total; 70 % train the model, the other 30 % are
        written as the audit data.
    seed : int, default 0
        Seed for the data, the split and the model.

    Returns
    -------
    dict of str to pathlib.Path
        Keys ``"parquet"``, ``"csv"``, ``"skops"`` and ``"pickle"``.
    """
    import joblib
    import skops.io

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    df = make_lending(n, seed)
    train, audit = split_lending(df, seed, PLANTED["audit_fraction"])
    model = train_model(train, seed)
    paths = {
        "parquet": out / "loans.parquet",
        "csv": out / "loans.csv",
        "skops": out / "model.skops",
        "pickle": out / "model.pkl",
    }
    audit.to_parquet(paths["parquet"], index=False)
    audit.to_csv(paths["csv"], index=False)
    skops.io.dump(model, paths["skops"])
    joblib.dump(model, paths["pickle"])
    return paths


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the synthetic lending demo.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    paths = write_demo(args.outdir, n=args.rows, seed=args.seed)
    for kind, path in paths.items():
        print(f"{kind}: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
