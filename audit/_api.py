"""The Python entry point: ``audit.run(model, data, ...)``."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from ._config import AuditConfig, load_config
from ._io import LoadedModel, load_data, load_model, sha256_file
from ._pipeline import Progress, run_audit, summarise_warnings
from ._result.audit import AuditResult, FileInfo
from ._result.verdict import Policy
from ._words.io import MODEL_TRUSTED, model_trust_note


def _frame_sha256(df: pd.DataFrame) -> str:
    import hashlib

    h = hashlib.sha256("\x1f".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _policy_sha256(policy: Policy | None) -> str:
    """sha256 of the policy as `audit policy show` prints it (the default when None)."""
    import hashlib

    from ._fairness.policy import policy_toml

    return hashlib.sha256(policy_toml(policy).encode("utf-8")).hexdigest()


def _object_sha256(obj: Any) -> str:
    import hashlib
    import pickle

    try:
        return hashlib.sha256(pickle.dumps(obj, protocol=4)).hexdigest()
    except Exception:
        return "unavailable (the estimator cannot be pickled)"


def run(
    model: Any,
    data: pd.DataFrame | str | Path,
    config: AuditConfig | str | Path | None = None,
    *,
    policy: Policy | str | Path | None = None,
    command: str = "",
    progress: Progress | None = None,
    **options: Any,
) -> AuditResult:
    """Audit a fitted model on a dataset and return the :class:`AuditResult`.

    Parameters
    ----------
    model : estimator, path, or None
        A fitted scikit-learn estimator or pipeline (or LightGBM/XGBoost sklearn
        wrapper), a path to a ``.pkl``/``.joblib``/``.skops`` file, or ``None`` for
        predictions-only mode (then pass ``predictions="COLUMN"``).
    data : DataFrame or path
        The rows to audit, or a ``.parquet``/``.csv`` path.
    config : AuditConfig, path to ``audit.toml``, or None
    policy : Policy, optional
        Sign-off thresholds; the documented defaults when omitted.
    **options
        Any :class:`AuditConfig` field, overriding ``config`` (e.g. ``target="approved"``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> import audit
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=400), "sex": rng.choice(["F", "M"], 400)})
    >>> df["target"] = (df.x + rng.normal(size=400) > 0).astype(int)
    >>> model = LogisticRegression().fit(df[["x"]], df.target)
    >>> result = audit.run(model, df, n_boot=50)
    >>> result.verdict.verdict in {"PASS", "REVIEW", "FAIL"}
    True
    """
    files: list[FileInfo] = []
    cfg = _config(config, files).updated(**options)
    if isinstance(policy, (str, Path)):
        from ._fairness.policy import load_policy

        path, policy = policy, load_policy(str(policy))
        files.append(FileInfo("policy", str(path), sha256_file(path)))
    with warnings.catch_warnings(record=True) as caught:  # e.g. a model pickled by another
        warnings.simplefilter("always")                   # scikit-learn version: recorded
        estimator, trusted, model_source, code_risk = _model(model, cfg, files)
        df, data_source = _data(data, files)
    result = run_audit(estimator, df, cfg, policy=policy, files=tuple(files), command=command,
                       trusted_types=trusted, data_source=data_source, model_source=model_source,
                       progress=progress)
    recorded = tuple(dict.fromkeys(summarise_warnings(caught) + result.provenance.warnings))
    # --trust-model let a file that names code outside the allow-list load: recorded prominently.
    trust = model_trust_note(code_risk) if code_risk else ""
    return replace(result, provenance=replace(result.provenance, model_trust=trust,
                                              warnings=recorded,
                                              policy_sha256=_policy_sha256(policy)))


def _config(config: AuditConfig | str | Path | None, files: list[FileInfo]) -> AuditConfig:
    """The configuration, fingerprinted when it comes from a file."""
    if isinstance(config, AuditConfig):
        return config
    if config is None:
        return AuditConfig()
    cfg = load_config(config)  # first: it turns a missing or malformed file into a clear error
    files.append(FileInfo("config", str(config), sha256_file(config)))
    return cfg


def _model(model: Any, cfg: AuditConfig,
           files: list[FileInfo]) -> tuple[Any, tuple[str, ...], str, tuple[str, ...]]:
    """(estimator, trusted skops types, name for messages, names loaded under --trust-model)."""
    if model is None:
        return None, (), "model", ()
    if not isinstance(model, (str, Path)):
        files.append(FileInfo("model", "<estimator in memory>", _object_sha256(model),
                              "sha256 of the pickled estimator"))
        return model, (), "model", ()
    loaded: LoadedModel = load_model(model, cfg.trust_types, cfg.trust_model)
    detail = f"trusted types: {', '.join(loaded.trusted_types)}" if loaded.trusted_types else ""
    if loaded.code_risk:
        detail = "; ".join(d for d in (detail, MODEL_TRUSTED) if d)
    files.append(FileInfo("model", loaded.path, loaded.sha256, detail))
    return loaded.estimator, loaded.trusted_types, str(model), loaded.code_risk


def _data(data: pd.DataFrame | str | Path, files: list[FileInfo]) -> tuple[pd.DataFrame, str]:
    """(table, name for messages), reading and fingerprinting a file or copying a DataFrame."""
    if isinstance(data, (str, Path)):
        df = load_data(data)
        files.append(FileInfo("data", str(data), sha256_file(data), f"{len(df)} rows"))
        return df, str(data)
    df = data.copy()
    df.columns = [str(c) for c in df.columns]
    files.append(FileInfo("data", "<DataFrame in memory>", _frame_sha256(df),
                          f"{len(df)} rows; sha256 of pandas' row hashes and column names"))
    return df, "data"
