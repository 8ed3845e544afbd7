"""Audit configuration: one dataclass, filled from ``audit.toml`` and CLI flags."""

from __future__ import annotations

import difflib
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
    threshold: float | None = None
    predictions: str | None = None  # predictions-only mode: column with the model's predictions
    scores: str | None = None  # ... and optionally its scores
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
    explain_rows: int = 2000
    what_if: bool = True
    what_if_seconds: float = 60.0
    trust_types: tuple[str, ...] = ()  # extra types to trust when loading .skops files
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
_TUPLE_FIELDS = {"features", "age_bands", "trust_types"}
_DICT_FIELDS = {"protected", "reference"}


def _validate(cfg: AuditConfig, source: str) -> AuditConfig:
    bands = cfg.age_bands
    if list(bands) != sorted(set(bands)) or any(not isinstance(b, int) or b <= 0 for b in bands):
        raise ConfigError(
            f"{source}: age_bands must be increasing positive whole years, found {list(bands)} "
            "- e.g. age_bands = [25, 35, 45, 55, 65]"
        )
    if cfg.min_group_size < 1:
        raise ConfigError(f"{source}: min_group_size must be at least 1, found {cfg.min_group_size}")
    if cfg.n_boot < 0:
        raise ConfigError(f"{source}: n_boot must be 0 or more, found {cfg.n_boot}")
    if cfg.threshold is not None and not 0.0 <= cfg.threshold <= 1.0:
        raise ConfigError(
            f"{source}: threshold must be a probability between 0 and 1, found {cfg.threshold}"
        )
    if cfg.scores is not None and cfg.predictions is None and cfg.threshold is None:
        raise ConfigError(
            f"{source}: scores column {cfg.scores!r} given without predictions - "
            "pass --predictions COLUMN, or --threshold to turn the scores into decisions"
        )
    return cfg


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
    cfg = AuditConfig(**values)
    for f in fields(AuditConfig):
        value = getattr(cfg, f.name)
        expected = _expected_type(f.name)
        if value is not None and expected is not None and not isinstance(value, expected):
            raise ConfigError(
                f"config file '{p}': '{f.name}' should be {expected_name(expected)}, "
                f"found {value!r}"
            )
    return _validate(cfg, f"config file '{p}'")


def _expected_type(name: str) -> type | tuple[type, ...] | None:
    default = getattr(AuditConfig(), name)
    if name in _DICT_FIELDS:
        return dict
    if name in _TUPLE_FIELDS:
        return tuple
    if name == "threshold" or name == "max_ci_width" or name == "what_if_seconds":
        return (int, float)
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
