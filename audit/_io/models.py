"""Model files: joblib/pickle and skops, loaded into a fitted estimator with its fingerprint."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import InputError
from .files import first_line, require_file, sha256_file

MODEL_SUFFIXES = {".pkl", ".pickle", ".joblib", ".skops"}
# Type-name prefixes that a .skops file may contain without asking the user.
SAFE_SKOPS_PREFIXES = ("sklearn.", "numpy.", "scipy.", "lightgbm.", "xgboost.", "builtins.",
                       "collections.", "_codecs.", "joblib.")


@dataclass(frozen=True)
class LoadedModel:
    estimator: Any
    path: str
    sha256: str
    trusted_types: tuple[str, ...]  # types a .skops file needed that we trusted


def load_model(path: str | Path, trust_types: tuple[str, ...] = ()) -> LoadedModel:
    """Load a fitted model from a joblib/pickle or skops file.

    Pickle and joblib files run code when loaded: only load files you trust.
    ``.skops`` files are loaded with :mod:`skops.io`; types outside scikit-learn,
    NumPy, SciPy, LightGBM and XGBoost must be listed in ``trust_types``.
    """
    p = Path(path)
    require_file(p, "model", MODEL_SUFFIXES, "")
    trusted: tuple[str, ...] = ()
    if p.suffix.lower() == ".skops":
        est, trusted = _load_skops(p, trust_types)
    else:
        est = _load_pickle(p)
    if not hasattr(est, "predict"):
        raise InputError(
            f"model file '{p}' holds a {type(est).__name__}, which has no predict() method - "
            "save the fitted estimator or pipeline itself"
        )
    return LoadedModel(est, str(p), sha256_file(p), trusted)


def _load_skops(p: Path, trust_types: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
    """Load a .skops file, trusting only known-safe types and those in ``trust_types``."""
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=str(p))
    except Exception as exc:
        raise InputError(
            f"model file '{p}' is not a readable skops file ({type(exc).__name__}) - "
            "expected a model saved with skops.io.dump"
        ) from exc
    unknown = [t for t in untrusted if not t.startswith(SAFE_SKOPS_PREFIXES)
               and t not in trust_types]
    if unknown:
        raise InputError(
            f"model file '{p}' contains types that are not known to be safe: "
            f"{', '.join(unknown[:5])} - if you trust the file, add them to trust_types in "
            "audit.toml or pass --trust-type NAME for each"
        )
    try:
        est = sio.load(str(p), trusted=list(untrusted))
    except Exception as exc:
        raise InputError(
            f"model file '{p}' could not be loaded by skops ({type(exc).__name__}: "
            f"{first_line(exc)}) - re-save it with skops.io.dump"
        ) from exc
    return est, tuple(sorted(untrusted))


def _load_pickle(p: Path) -> Any:
    """Load a joblib or pickle file (runs code: only for files the user trusts)."""
    import joblib

    try:
        return joblib.load(p)
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, TypeError,
            AttributeError, ModuleNotFoundError, ImportError, OSError) as exc:
        hint = (
            f"the module '{exc.name}' it needs is not installed - install it"
            if isinstance(exc, ModuleNotFoundError)
            else "expected a fitted model saved with joblib.dump or pickle.dump"
        )
        raise InputError(
            f"model file '{p}' is not a readable model ({type(exc).__name__}: "
            f"{first_line(exc)}) - {hint}"
        ) from exc
