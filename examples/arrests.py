"""A real public dataset: Toronto Star arrests for simple possession of marijuana.

The data (5,226 rows) ships inside the scikit-lego wheel (``sklego/data``), so
nothing is downloaded. It comes from the R package carData ("Arrests"); see
scikit-lego's documentation for its licence and origin.

The model predicts whether an arrested person was released with a summons
(``released == "Yes"``, the favourable outcome) from employment, citizenship,
prior police checks, age, sex and year. Skin colour (``colour``) is not a model
input; the audit checks the model's decisions across it.

Command line::

    python examples/arrests.py OUTDIR

writes ``arrests.parquet``, ``model.skops`` and ``audit.toml`` into OUTDIR; then
``audit run OUTDIR/model.skops OUTDIR/arrests.parquet -c OUTDIR/audit.toml``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

FEATURES = ("employed", "citizen", "checks", "age", "sex", "year")
CONFIG = """# Audit settings for the arrests example
target = "released"
positive_label = "Yes"
outcome_verb = "released with a summons"
subject_noun = "people"

[protected]
race = "colour"
gender = "sex"
age = "age"

[reference]
race = "White"
"""


def load() -> pd.DataFrame:
    """The arrests data as shipped in scikit-lego (no network)."""
    from sklego.datasets import load_arrests

    df = load_arrests(as_frame=True)
    return df.astype({c: object for c in df.columns if df[c].dtype.kind not in "iuf"})


def train(df: pd.DataFrame, seed: int = 0) -> Pipeline:
    pre = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
          ["employed", "citizen", "sex"])],
        remainder="passthrough",
    )
    model = Pipeline([("pre", pre),
                      ("gbm", HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05,
                                                             random_state=seed))])
    return model.fit(df[list(FEATURES)], df["released"])


def write(outdir: str | Path, seed: int = 0) -> dict[str, Path]:
    """Train on 60% of the rows and write the other 40% with the model and a config."""
    import skops.io

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    df = load()
    train_rows, audit_rows = train_test_split(df, test_size=0.4, random_state=seed,
                                              stratify=df["released"])
    model = train(train_rows, seed)
    paths = {"parquet": out / "arrests.parquet", "skops": out / "model.skops",
             "config": out / "audit.toml"}
    audit_rows.reset_index(drop=True).to_parquet(paths["parquet"], index=False)
    skops.io.dump(model, paths["skops"])
    paths["config"].write_text(CONFIG, encoding="utf-8")
    return paths


if __name__ == "__main__":
    for kind, path in write(sys.argv[1] if len(sys.argv) > 1 else "arrests").items():
        print(f"{kind}: {path}", file=sys.stderr)
