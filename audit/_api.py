"""The Python entry point: ``audit.run(model, data, ...)``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ._config import AuditConfig, load_config
from ._fairness.verdict import Policy
from ._io.loading import LoadedModel, load_data, load_model, sha256_file
from ._pipeline import Progress, run_audit
from ._result.audit import AuditResult, FileInfo


def _frame_sha256(df: pd.DataFrame) -> str:
    import hashlib

    h = hashlib.sha256("\x1f".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


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
    cfg = config if isinstance(config, AuditConfig) else (
        load_config(config) if config is not None else AuditConfig())
    if config is not None and not isinstance(config, AuditConfig):
        files.append(FileInfo("config", str(config), sha256_file(config)))
    cfg = cfg.updated(**options)
    if isinstance(policy, (str, Path)):
        from ._fairness.verdict import load_policy

        files.append(FileInfo("policy", str(policy), sha256_file(policy)))
        policy = load_policy(str(policy))
    trusted: tuple[str, ...] = ()
    model_source = "model"
    estimator = model
    if model is not None and not isinstance(model, (str, Path)):
        files.append(FileInfo("model", "<estimator in memory>", _object_sha256(model),
                              "sha256 of the pickled estimator"))
    if isinstance(model, (str, Path)):
        loaded: LoadedModel = load_model(model, cfg.trust_types)
        estimator, trusted, model_source = loaded.estimator, loaded.trusted_types, str(model)
        detail = f"trusted types: {', '.join(trusted)}" if trusted else ""
        files.append(FileInfo("model", loaded.path, loaded.sha256, detail))
    data_source = "data"
    if isinstance(data, (str, Path)):
        data_source = str(data)
        df = load_data(data)
        files.append(FileInfo("data", str(data), sha256_file(data), f"{len(df)} rows"))
    else:
        df = data.copy()
        df.columns = [str(c) for c in df.columns]
        files.append(FileInfo("data", "<DataFrame in memory>", _frame_sha256(df),
                              f"{len(df)} rows; sha256 of pandas' row hashes and column names"))
    return run_audit(estimator, df, cfg, policy=policy, files=tuple(files), command=command,
                     trusted_types=trusted, data_source=data_source, model_source=model_source,
                     progress=progress)
