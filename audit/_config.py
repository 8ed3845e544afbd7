"""Audit configuration: one dataclass, filled from ``audit.toml`` and CLI flags."""

from __future__ import annotations

import difflib
import math
import numbers
import sys
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ._errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_AGE_BANDS: tuple[int, ...] = (25, 35, 45, 55, 65)


@dataclass(frozen=True)
class AuditConfig:
    """Everything that steers an audit. Every field can be set in ``audit.toml``.

    Examples
    --------
    >>> from audit import AuditConfig
    >>> AuditConfig(target="approved", seed=7).seed
    7
    """

    target: str | None = None
    features: tuple[str, ...] | None = None
    protected: dict[str, str] = field(default_factory=dict)  # attribute name -> column
    reference: dict[str, str] = field(default_factory=dict)  # attribute name -> group label
    positive_label: str | None = None
    positive_is: str | None = None  # "favourable" or "harmful": what the positive label means
    threshold: float | None = None
    predictions: str | None = None  # predictions-only mode: column with the model's predictions
    scores: str | None = None  # ... and optionally its scores
    scores_are_probabilities: bool = False  # a scores column in [0, 1] is read as probabilities
    age_bands: tuple[int, ...] = DEFAULT_AGE_BANDS
    age_as_of: str | None = None  # ISO date to compute age from a date of birth
    min_group_size: int = 30
    max_per_family: int = 3
    intersections: bool = True
    intersection_max_groups: int = 12  # attributes with more groups are not paired
    n_boot: int = 1000
    seed: int = 0
    max_ci_width: float = 0.30
    outcome_verb: str = "selected"  # "approved", "hired" ... used in plain sentences
    subject_noun: str = "people"  # "applicants", "candidates" ...
    explain: bool = True
    explain_rows: int | None = None  # None: every row if the SHAP stage's time budget allows
    what_if: bool = True
    what_if_seconds: float = 60.0
    budget: float | None = None  # seconds for the optional stages together (STAGE_SHARES)
    trust_types: tuple[str, ...] = ()  # extra types to trust when loading .skops files
    trust_model: bool = False  # load a model file that names code outside the allow-list
    skip: tuple[str, ...] = ()  # stages not to run (see STAGES), e.g. ("proxies", "what-if")
    engine: str | None = None  # "pandas", "stream" or "spark"; None: by size (see ENGINES)
    spark_master: str | None = None  # Spark master URL for engine "spark" (local[*] if None)
    sample_rows: int | None = None  # streaming/Spark: rows sampled for SHAP etc. (100,000)
    # Sign-off block: left blank to fill in by hand when not given.
    model_name: str | None = None
    model_version: str | None = None
    signoff_by: str | None = None
    signoff_date: str | None = None
    signoff_decision: str | None = None
    signoff_notes: str | None = None

    def updated(self, **changes: Any) -> AuditConfig:
        """A copy with the non-``None`` ``changes`` applied (CLI flags over file)."""
        clean = {k: v for k, v in changes.items() if v is not None}
        try:
            return _validate(replace(self, **clean), "command-line options")
        except TypeError as exc:  # unknown field name: a programming error in the caller
            raise ConfigError(str(exc)) from exc

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


_FIELDS = {f.name: f for f in fields(AuditConfig)}
_TUPLE_FIELDS = {"features", "age_bands", "trust_types", "skip"}
#: The optional stages that ``skip`` (``--skip``) can turn off: SHAP explanations, the
#: interpretability score, the proxy search (with its loss terms and what-if), the what-if.
STAGES = ("explain", "complexity", "proxies", "what-if")
_DICT_FIELDS = {"protected", "reference"}
#: How ``budget`` (``--budget SECONDS``) is split: each optional stage gets this share of
#: it as a deadline of its own (time one stage leaves unused is not passed on, so a stage's
#: result never depends on how fast another ran). SHAP and the what-if are the long ones.
#: Without a budget: explain and complexity are not timed, the proxy search is not timed,
#: and the what-if has ``what_if_seconds``.
STAGE_SHARES = {"explain": 0.35, "complexity": 0.15, "proxies": 0.15, "what-if": 0.35}


def stage_seconds(cfg: AuditConfig, stage: str) -> float | None:
    """Seconds ``stage`` may take under ``cfg.budget`` (``None``: no budget given)."""
    return None if cfg.budget is None else cfg.budget * STAGE_SHARES[stage]


def budget_text() -> str:
    """The split in words, for ``--help`` and the progress display."""
    return ", ".join(f"{stage} {share:.0%}" for stage, share in STAGE_SHARES.items())


#: Fewest bootstrap resamples the verdict accepts: its intervals and tests need them
#: (20 x 2.5% puts half a resample in each tail of a 95% interval; Holm's tests need 10).
MIN_N_BOOT = 20
#: Most bootstrap resamples: more add no precision, only memory and time.
MAX_N_BOOT = 100_000
#: numpy's and scikit-learn's seed range is 0 .. 2**32 - 1.
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class _Range:
    """The allowed range of a numeric option, in words for the error message."""

    lo: float
    hi: float | None  # None: no upper limit
    lo_open: bool  # the lowest value itself is not allowed
    expected: str
    example: str

    def holds(self, value: float) -> bool:
        """Whether ``value`` (finite) lies in the range (NaN never does)."""
        above = value > self.lo if self.lo_open else value >= self.lo
        return math.isfinite(value) and above and (self.hi is None or value <= self.hi)


#: Every numeric option's range, checked in one place (:func:`_validate`).
RANGES: dict[str, _Range] = {
    "seed": _Range(0, MAX_SEED, False, f"a whole number from 0 to {MAX_SEED} (numpy's seed "
                   "range)", "seed = 0"),
    "n_boot": _Range(MIN_N_BOOT, MAX_N_BOOT, False, f"a whole number from {MIN_N_BOOT} to "
                     f"{MAX_N_BOOT}: the verdict is decided from bootstrap intervals, which "
                     f"need at least {MIN_N_BOOT} resamples", "n_boot = 1000"),
    "min_group_size": _Range(1, None, False, "a whole number of at least 1",
                             "min_group_size = 30"),
    "max_per_family": _Range(1, None, False, "a whole number of at least 1",
                             "max_per_family = 3"),
    "intersection_max_groups": _Range(2, None, False, "a whole number of at least 2 (to skip "
                                      "pairs of attributes, set intersections = false)",
                                      "intersection_max_groups = 12"),
    "explain_rows": _Range(1, None, False, "a whole number of at least 1 (to skip the "
                           "explanations, set explain = false)", "explain_rows = 2000"),
    "max_ci_width": _Range(0, 1, True, "a number above 0 and at most 1", "max_ci_width = 0.30"),
    "what_if_seconds": _Range(0, None, True, "a finite number of seconds above 0 (to skip the "
                              "what-if, set what_if = false)", "what_if_seconds = 60"),
    "budget": _Range(0, None, True, "a finite number of seconds above 0 (to skip stages, use "
                     "skip = [...])", "budget = 600"),
    "threshold": _Range(0, 1, False, "a probability between 0 and 1", "threshold = 0.5"),
    "sample_rows": _Range(1, None, False, "a whole number of at least 1", "sample_rows = 100000"),
}
#: The engines (``engine``, ``--engine``): a table in memory, parquet/CSV streamed in
#: batches, or Spark. Unset: a DataFrame or a file under ``STREAM_ABOVE_ROWS`` rows (CSV:
#: ``STREAM_ABOVE_BYTES``) is read into memory; a directory, a glob or a larger file streams.
ENGINES = ("pandas", "stream", "spark")
STREAM_ABOVE_ROWS = 2_000_000
STREAM_ABOVE_BYTES = 512 << 20


#: ``threshold`` on a ``scores`` column (decile scores 1-10 are not probabilities).
SCORES_THRESHOLD = _Range(-math.inf, None, True, "a finite number on the scale of the scores "
                          "column", "threshold = 5")


def _checked_type(name: str, value: Any, source: str) -> Any:
    """``value`` with numpy numbers made plain; ConfigError when it has the wrong type."""
    expected = _expected_type(name)
    if value is None or expected is None:
        return value
    is_bool = isinstance(value, (bool, _np_bool_types()))
    if expected is int and isinstance(value, numbers.Integral) and not is_bool:
        return int(value)
    if expected == (int, float) and isinstance(value, numbers.Real) and not is_bool:
        return value if isinstance(value, (int, float)) else float(value)
    if expected is bool and is_bool:
        return bool(value)
    if expected not in (int, bool, (int, float)) and isinstance(value, expected):
        return value
    raise ConfigError(f"{source}: '{name}' should be {expected_name(expected)}, "
                      f"found {value!r}")


def _np_bool_types() -> tuple[type, ...]:
    """numpy's bool type when numpy is loaded (a config never needs to import it)."""
    np = sys.modules.get("numpy")
    return (np.bool_,) if np is not None else ()


def _stages(names: tuple[str, ...], source: str) -> tuple[str, ...]:
    """Known stage names (``what_if`` and ``What-If`` read as ``what-if``), each once, in order."""
    out: list[str] = []
    for raw in names:
        name = str(raw).strip().lower().replace("_", "-")
        if name not in STAGES:
            raise ConfigError(f"{source}: unknown stage {str(raw)!r} in skip - the stages are "
                              f"{', '.join(STAGES)} (e.g. --skip proxies,what-if)")
        if name not in out:
            out.append(name)
    return tuple(out)


def _validate(cfg: AuditConfig, source: str) -> AuditConfig:
    """Check every option's type and range once; numpy numbers become plain ones."""
    cfg = replace(cfg, **{f.name: _checked_type(f.name, getattr(cfg, f.name), source)
                          for f in fields(AuditConfig)})
    for name, rule in RANGES.items():
        value = getattr(cfg, name)
        if name == "threshold" and cfg.scores is not None:  # a column's scores: any scale
            rule = SCORES_THRESHOLD
        if value is not None and not rule.holds(value):
            raise ConfigError(f"{source}: {name} must be {rule.expected}, found {value!r} "
                              f"- e.g. {rule.example}")
    bands = cfg.age_bands
    if list(bands) != sorted(set(bands)) or any(
            isinstance(b, bool) or not isinstance(b, int) or b <= 0 for b in bands):
        raise ConfigError(
            f"{source}: age_bands must be increasing positive whole years, found {list(bands)} "
            "- e.g. age_bands = [25, 35, 45, 55, 65]"
        )
    if cfg.engine is not None and cfg.engine not in ENGINES:
        raise ConfigError(f"{source}: engine must be one of {', '.join(ENGINES)}, found "
                          f"{cfg.engine!r} - e.g. engine = \"stream\" (or leave it unset)")
    cfg = replace(cfg, skip=_stages(cfg.skip, source),
                  positive_is=read_positive_is(cfg.positive_is, source))
    if cfg.scores is not None and cfg.predictions is None and cfg.threshold is None:
        raise ConfigError(
            f"{source}: scores column {cfg.scores!r} given without predictions - "
            "pass --predictions COLUMN, or --threshold to turn the scores into decisions"
        )
    return cfg


#: The values of ``positive_is`` (``--positive-is``); "favorable" is read as "favourable".
POSITIVE_IS = ("favourable", "harmful")


def read_positive_is(value: str | None, source: str) -> str | None:
    """``positive_is`` checked: favourable or harmful (any case, either spelling)."""
    if value is None:
        return None
    name = value.strip().lower().replace("favorable", "favourable")
    if name not in POSITIVE_IS:
        raise ConfigError(f"{source}: positive_is must be favourable or harmful, found "
                          f"{value!r} - e.g. positive_is = \"harmful\" when the positive label "
                          "is a risk flag (reoffended, defaulted)")
    return name


def read_toml(path: str | Path, what: str, flag: str) -> dict[str, Any]:
    """Parse a TOML file, turning a missing or malformed file into a one-line ConfigError."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{what} file '{p}' not found - check the path given to {flag}")
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} file '{p}' is not valid TOML ({exc}) - fix the syntax") from exc


def load_config(path: str | Path) -> AuditConfig:
    """Read ``audit.toml``; unknown keys are an error that suggests the closest key."""
    p = Path(path)
    raw = read_toml(p, "config", "-c/--config")
    # Allow everything at top level, or inside an [audit] table.
    if set(raw) == {"audit"} and isinstance(raw["audit"], dict):
        raw = raw["audit"]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _FIELDS:
            close = difflib.get_close_matches(key, list(_FIELDS), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(_FIELDS)}"
            raise ConfigError(f"config file '{p}': unknown key '{key}' - {hint}")
        if key in _DICT_FIELDS:
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ConfigError(
                    f"config file '{p}': '{key}' must be a table of names to strings, e.g. "
                    f'[{key}]\nrace = "ethn_cd" - found {value!r}'
                )
            values[key] = dict(value)
        elif key in _TUPLE_FIELDS:
            if not isinstance(value, list):
                raise ConfigError(
                    f"config file '{p}': '{key}' must be a list, found {type(value).__name__}"
                )
            values[key] = tuple(value)
        elif key == "positive_label":
            values[key] = str(value)
        else:
            values[key] = value
    return _validate(AuditConfig(**values), f"config file '{p}'")


def _expected_type(name: str) -> type | tuple[type, ...] | None:
    default = getattr(AuditConfig(), name)
    if name in _DICT_FIELDS:
        return dict
    if name in _TUPLE_FIELDS:
        return tuple
    if name in ("threshold", "max_ci_width", "what_if_seconds", "budget"):
        return (int, float)
    if name in ("explain_rows", "sample_rows"):
        return int
    if isinstance(default, bool):
        return bool
    if isinstance(default, int):
        return int
    if isinstance(default, str) or default is None:
        return str
    return None


def expected_name(tp: type | tuple[type, ...]) -> str:
    if isinstance(tp, tuple):
        return "a number"
    return {bool: "true or false", int: "a whole number", str: "a string"}.get(tp, tp.__name__)
