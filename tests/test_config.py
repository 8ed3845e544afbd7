"""Every numeric option's type and range, checked once in AuditConfig (issue 9).

One case per option: its edge values are accepted from audit.toml, from the command
line (when the option has a flag) and from ``audit.run(**options)``; its bad values are
refused from audit.toml and from ``audit.run`` with the one message of
:data:`audit._config.RANGES`. The command-line refusals are rows of the bad-input
matrix (tests/bad_inputs/test_bad_config.py).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audit import AuditConfig
from audit._config import MAX_N_BOOT, MAX_SEED, MIN_N_BOOT, RANGES, load_config
from audit._errors import ConfigError

#: (option, its flag or None, accepted values, refused values)
OPTIONS: list[tuple[str, str | None, list[Any], list[Any]]] = [
    ("seed", "--seed", [0, MAX_SEED], [-1, MAX_SEED + 1, 2**40]),
    ("n_boot", "--n-boot", [MIN_N_BOOT, MAX_N_BOOT], [0, -1, MIN_N_BOOT - 1, MAX_N_BOOT + 1]),
    ("min_group_size", "--min-group-size", [1, 10_000], [0, -5]),
    ("max_per_family", None, [1, 5], [0, -1]),
    ("intersection_max_groups", None, [2, 50], [1, 0]),
    ("explain_rows", "--explain-rows", [1, 5000], [0, -1]),
    ("sample_rows", "--sample-rows", [1, 100000], [0, -5]),
    ("max_ci_width", None, [1, 0.01, 0.3], [0, -0.1, 1.5, math.nan, math.inf]),
    ("what_if_seconds", None, [0.5, 3600], [0, -1, math.inf, math.nan]),
    ("threshold", "--threshold", [0, 1, 0.5], [-0.01, 1.5, math.nan]),
    ("budget", "--budget", [0.5, 3600], [0, -1, math.inf, math.nan]),
]
IDS = [o[0] for o in OPTIONS]


def toml_value(value: Any) -> str:
    """A Python value written as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def _toml(tmp_path: Path, key: str, value: Any) -> Path:
    path = tmp_path / "audit.toml"
    path.write_text(f"{key} = {toml_value(value)}\n", encoding="utf-8")
    return path


class _Stop(Exception):
    """Raised by the stand-in for ``audit.run`` once the configuration is built."""


@pytest.fixture()
def cli_config(monkeypatch, tmp_path):
    """``cli_config(*flags)``: the AuditConfig the command line builds, without auditing."""
    import audit._api as api
    from audit.cli import main

    seen: dict[str, AuditConfig] = {}

    def fake_run(model, data, config=None, *, policy=None, command="", progress=None,
                 **options):
        seen["cfg"] = api._config(config, []).updated(**options)
        raise _Stop

    monkeypatch.setattr(api, "run", fake_run)
    for name in ("m.joblib", "d.parquet"):
        (tmp_path / name).write_bytes(b"never read")

    def build(*flags: str) -> AuditConfig:
        seen.clear()
        main(["run", str(tmp_path / "m.joblib"), str(tmp_path / "d.parquet"),
              "-o", str(tmp_path / "r.html"), "--json", str(tmp_path / "r.json"), *flags])
        return seen["cfg"]

    return build


def _same(a: Any, b: Any) -> bool:
    return a == b and type(a) is type(b) or (isinstance(b, float) and a == b)


def test_every_numeric_option_has_a_case():
    numeric = {k for k, v in AuditConfig().to_dict().items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)} | {"threshold", "budget",
                                                                   "explain_rows", "sample_rows"}
    assert numeric == set(RANGES) == set(IDS)


@pytest.mark.parametrize("option", OPTIONS, ids=IDS)
def test_option_range(option, tmp_path, cli_config, capsys) -> None:
    key, flag, good, bad = option
    for value in good:
        assert getattr(load_config(_toml(tmp_path, key, value)), key) == value
        assert getattr(AuditConfig().updated(**{key: value}), key) == value
        if flag is not None:
            assert getattr(cli_config(flag, str(value)), key) == value
    expected = RANGES[key].expected
    for value in bad:
        path = _toml(tmp_path, key, value)
        with pytest.raises(ConfigError) as err:
            load_config(path)
        assert str(err.value).startswith(f"config file '{path}': {key} must be {expected}, "
                                          f"found {value!r} - e.g. {RANGES[key].example}")
        with pytest.raises(ConfigError, match=f"^command-line options: {key} must be "):
            AuditConfig().updated(**{key: value})


@pytest.mark.parametrize("key", ["seed", "n_boot", "min_group_size", "explain_rows",
                                 "max_per_family", "intersection_max_groups"])
def test_whole_numbers_refuse_booleans_and_fractions(key, tmp_path) -> None:
    for value in (True, 1.5):
        path = _toml(tmp_path, key, value)
        with pytest.raises(ConfigError, match=f"'{key}' should be a whole number, found"):
            load_config(path)
        with pytest.raises(ConfigError, match=f"'{key}' should be a whole number"):
            AuditConfig().updated(**{key: value})


def test_numpy_numbers_become_plain_numbers() -> None:
    cfg = AuditConfig().updated(seed=np.int64(7), max_ci_width=np.float32(0.5))
    assert type(cfg.seed) is int and cfg.seed == 7
    assert type(cfg.max_ci_width) is float and cfg.max_ci_width == 0.5
    assert cfg.to_dict()["seed"] == 7


def test_a_float_option_refuses_text(tmp_path) -> None:
    with pytest.raises(ConfigError, match="'max_ci_width' should be a number, found '0.3'"):
        load_config(_toml(tmp_path, "max_ci_width", "0.3"))


@pytest.mark.parametrize("bands", [[18, 30], [25, 35, 45, 55, 65]])
def test_age_bands_accepted(bands, tmp_path) -> None:
    assert load_config(_toml(tmp_path, "age_bands", bands)).age_bands == tuple(bands)
    assert AuditConfig().updated(age_bands=tuple(bands)).age_bands == tuple(bands)


@pytest.mark.parametrize("bands", [[30, 18], [0, 10], [25, 25], [-5, 30], [true := True, 30]])
def test_age_bands_refused(bands, tmp_path) -> None:
    with pytest.raises(ConfigError, match="age_bands must be increasing positive whole years"):
        load_config(_toml(tmp_path, "age_bands", bands))
    with pytest.raises(ConfigError, match="age_bands must be increasing positive whole years"):
        AuditConfig().updated(age_bands=tuple(bands))


@pytest.mark.slow  # about 11 s: the complexity score and the what-if retrain
def test_the_largest_seed_runs_every_section(small_files, tmp_path, capsys) -> None:
    """A seed of 2**32 once crashed two sections (reported as bugs) with exit 0."""
    import json

    from audit.cli import main

    model, data = small_files
    code = main(["run", str(model), str(data), "-o", str(tmp_path / "r.html"), "--json",
                 str(tmp_path / "r.json"), "--n-boot", "20", "--no-explain",
                 "--seed", str(MAX_SEED)])
    err = capsys.readouterr().err
    assert code in (0, 1), err
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["provenance"]["config"]["seed"] == str(MAX_SEED)
    assert set(result["skipped"]) == {"explanations"}, result["skipped"]
