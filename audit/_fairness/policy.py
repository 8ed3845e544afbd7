"""The sign-off policy as a file: print it as commented TOML, read it back with checks.

The :class:`~audit._result.verdict.Policy` itself (fields, defaults, their meaning)
lives in the result contract; this module is the ``--policy`` file format.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from .._config import read_toml
from .._errors import ConfigError
from .._result.verdict import POLICY_DOC, POLICY_FIELDS, Policy
from .._words.fairness import POLICY_TOML_HEADER

__all__ = ["load_policy", "policy_toml"]


def policy_toml(policy: Policy | None = None) -> str:
    """The policy as a commented TOML file (what ``audit policy show`` prints)."""
    pol = policy or Policy()
    lines = [*POLICY_TOML_HEADER, ""]
    for name in POLICY_FIELDS:
        lines.append(f"# {POLICY_DOC[name]}")
        lines.append(f"{name} = {getattr(pol, name)!r}")
    return "\n".join(lines) + "\n"


def _policy_value(p: Path, key: str, value: object) -> float | str:
    """One checked value of the policy file ``p``."""
    if key not in POLICY_FIELDS:
        close = difflib.get_close_matches(key, POLICY_FIELDS, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see `audit policy show`"
        raise ConfigError(f"policy file '{p}': unknown key '{key}' - {hint}")
    if key == "multiple_testing":
        if value not in ("holm", "none"):
            raise ConfigError(f"policy file '{p}': multiple_testing must be 'holm' or "
                              f"'none', found {value!r}")
        return value  # type: ignore[return-value]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"policy file '{p}': '{key}' must be a positive number, "
                          f"found {value!r}")
    return float(value)


def load_policy(path: str) -> Policy:
    """Read a policy TOML file; unknown keys and non-numbers are errors."""
    p = Path(path)
    raw = read_toml(p, "policy", "--policy")
    values = {key: _policy_value(p, key, value) for key, value in raw.items()}
    pol = Policy(**values)  # type: ignore[arg-type]
    if pol.alpha >= 1:
        raise ConfigError(f"policy file '{p}': alpha must be below 1, found {pol.alpha}")
    if pol.selection_rate_ratio_min > 1 or pol.mean_prediction_ratio_min > 1:
        raise ConfigError(f"policy file '{p}': ratio minimums must be at most 1")
    return pol
