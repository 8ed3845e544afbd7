"""Loading models and data, and fingerprinting files. Validation happens here, once."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .._errors import InputError

MODEL_SUFFIXES = {".pkl", ".pickle", ".joblib", ".skops"}
DATA_SUFFIXES = {".parquet", ".pq", ".csv"}
# Type-name prefixes that a .skops file may contain without asking the user.
SAFE_SKOPS_PREFIXES = ("sklearn.", "numpy.", "scipy.", "lightgbm.", "xgboost.", "builtins.",
                       "collections.", "_codecs.", "joblib.")


@dataclass(frozen=True)
class LoadedModel:
    estimator: Any
    path: str
    sha256: str
    trusted_types: tuple[str, ...]  # types a .skops file needed that we trusted


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _require_file(path: Path, what: str, suffixes: set[str], flag_hint: str) -> None:
    if not path.exists():
        raise InputError(f"{what} file '{path}' not found - check the path{flag_hint}")
    if path.is_dir():
        raise InputError(f"{what} file '{path}' is a directory - pass a file")
    if path.suffix.lower() not in suffixes:
        raise InputError(
            f"{what} file '{path}' has extension '{path.suffix or '(none)'}' - expected one of "
            f"{', '.join(sorted(suffixes))}; rename it or convert it"
        )


def load_model(path: str | Path, trust_types: tuple[str, ...] = ()) -> LoadedModel:
    """Load a fitted model from a joblib/pickle or skops file.

    Pickle and joblib files run code when loaded: only load files you trust.
    ``.skops`` files are loaded with :mod:`skops.io`; types outside scikit-learn,
    NumPy, SciPy, LightGBM and XGBoost must be listed in ``trust_types``.
    """
    p = Path(path)
    _require_file(p, "model", MODEL_SUFFIXES, "")
    trusted: tuple[str, ...] = ()
    if p.suffix.lower() == ".skops":
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
        trusted = tuple(sorted(untrusted))
        try:
            est = sio.load(str(p), trusted=list(untrusted))
        except Exception as exc:
            raise InputError(
                f"model file '{p}' could not be loaded by skops ({type(exc).__name__}: "
                f"{_first_line(exc)}) - re-save it with skops.io.dump"
            ) from exc
    else:
        import joblib

        try:
            est = joblib.load(p)
        except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, TypeError,
                AttributeError, ModuleNotFoundError, ImportError, OSError) as exc:
            hint = (
                f"the module '{exc.name}' it needs is not installed - install it"
                if isinstance(exc, ModuleNotFoundError)
                else "expected a fitted model saved with joblib.dump or pickle.dump"
            )
            raise InputError(
                f"model file '{p}' is not a readable model ({type(exc).__name__}: "
                f"{_first_line(exc)}) - {hint}"
            ) from exc
    if not hasattr(est, "predict"):
        raise InputError(
            f"model file '{p}' holds a {type(est).__name__}, which has no predict() method - "
            "save the fitted estimator or pipeline itself"
        )
    return LoadedModel(est, str(p), sha256_file(p), trusted)


def load_data(path: str | Path) -> pd.DataFrame:
    """Read a parquet or CSV file into a DataFrame; refuse empty or unreadable files."""
    p = Path(path)
    _require_file(p, "data", DATA_SUFFIXES, "")
    try:
        if p.suffix.lower() == ".csv":
            df = pd.read_csv(p)
        else:
            df = pd.read_parquet(p)
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"data file '{p}' is empty - expected a header row and data rows") from exc
    except Exception as exc:
        kind = "CSV" if p.suffix.lower() == ".csv" else "parquet"
        raise InputError(
            f"data file '{p}' is not a readable {kind} file ({type(exc).__name__}: "
            f"{_first_line(exc)}) - it may be truncated or corrupt; re-export it"
        ) from exc
    if len(df) == 0:
        raise InputError(
            f"data file '{p}' has {len(df.columns)} columns but no rows - expected at least one "
            "row to audit"
        )
    df.columns = [str(c) for c in df.columns]
    return df


def atomic_write(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; reports are meant to be shared
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else "no details"
