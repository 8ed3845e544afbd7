"""The bad-input matrix: option values out of range, from flags and from audit.toml.

Each row: what is wrong, the extra arguments (flags, or ``-c FILE`` with the file's text),
a substring of the one-line message. Flags come after :func:`conftest.outs`, so they win
over its ``--n-boot 50``. The ``refused`` fixture checks exit 2, one line, no traceback,
no report written and the inputs untouched.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import outs

SEED = "seed must be a whole number from 0 to 4294967295 (numpy's seed range)"
N_BOOT = "n_boot must be a whole number from 20 to 100000"

FLAGS = [
    # (id, flags, message)
    ("seed-2**32", ["--seed", "4294967296"], f"command-line options: {SEED}, found 4294967296"),
    ("seed-negative", ["--seed", "-1"], f"{SEED}, found -1"),
    ("seed-not-a-number", ["--seed", "abc"], "Invalid value for '--seed'"),
    ("n-boot-0", ["--n-boot", "0"], f"{N_BOOT}: the verdict is decided from bootstrap intervals"),
    ("n-boot-19", ["--n-boot", "19"], f"{N_BOOT}"),
    ("n-boot-huge", ["--n-boot", "100001"], f"{N_BOOT}"),
    ("min-group-size-0", ["--min-group-size", "0"], "min_group_size must be a whole number of "
                                                    "at least 1, found 0"),
    ("explain-rows-0", ["--explain-rows", "0"], "explain_rows must be a whole number of at "
                                                "least 1"),
    ("threshold-above-1", ["--threshold", "1.5"], "threshold must be a probability between 0 "
                                                  "and 1, found 1.5"),
    ("threshold-nan", ["--threshold", "nan"], "threshold must be a probability"),
]

FILES = [
    # (id, audit.toml text, message)
    ("toml-seed-2**32", "seed = 4294967296", f"{SEED}, found 4294967296"),
    ("toml-seed-true", "seed = true", "'seed' should be a whole number, found True"),
    ("toml-n-boot-0", "n_boot = 0", N_BOOT),
    ("toml-min-group-size-0", "min_group_size = 0", "min_group_size must be a whole number"),
    ("toml-max-per-family-0", "max_per_family = 0", "max_per_family must be a whole number of "
                                                    "at least 1"),
    ("toml-intersection-max-groups-1", "intersection_max_groups = 1",
     "intersection_max_groups must be a whole number of at least 2"),
    ("toml-explain-rows-0", "explain_rows = 0", "explain_rows must be a whole number"),
    ("toml-max-ci-width-0", "max_ci_width = 0", "max_ci_width must be a number above 0 and at "
                                                "most 1, found 0"),
    ("toml-max-ci-width-1.5", "max_ci_width = 1.5", "max_ci_width must be a number above 0"),
    ("toml-max-ci-width-nan", "max_ci_width = nan", "max_ci_width must be a number above 0"),
    ("toml-what-if-seconds-0", "what_if_seconds = 0", "what_if_seconds must be a finite number "
                                                      "of seconds above 0"),
    ("toml-what-if-seconds-inf", "what_if_seconds = inf", "found inf"),
    ("toml-threshold-2", "threshold = 2", "threshold must be a probability between 0 and 1"),
    ("toml-age-bands-decreasing", "age_bands = [65, 25]", "age_bands must be increasing"),
    ("toml-age-bands-zero", "age_bands = [0, 25]", "age_bands must be increasing positive"),
]


@pytest.fixture()
def inputs(tmp_path: Path, small_df: pd.DataFrame, small_model) -> Path:
    import joblib

    joblib.dump(small_model, tmp_path / "model.joblib")
    small_df.to_parquet(tmp_path / "data.parquet", index=False)
    return tmp_path


def _untouched(d: Path) -> tuple[Path, ...]:
    return d / "model.joblib", d / "data.parquet"


@pytest.mark.parametrize("case", FLAGS, ids=[c[0] for c in FLAGS])
def test_flag_refused(case, inputs: Path, refused) -> None:
    _, flags, message = case
    args = ["run", inputs / "model.joblib", inputs / "data.parquet", *outs(inputs), *flags]
    refused(args, message, untouched=_untouched(inputs))


@pytest.mark.parametrize("case", FILES, ids=[c[0] for c in FILES])
def test_config_file_refused(case, inputs: Path, refused) -> None:
    _, text, message = case
    config = inputs / "audit.toml"
    config.write_text(text + "\n", encoding="utf-8")
    args = ["run", inputs / "model.joblib", inputs / "data.parquet", "-c", config,
            *outs(inputs)]
    line = refused(args, message, untouched=(*_untouched(inputs), config))
    assert f"config file '{config}'" in line
