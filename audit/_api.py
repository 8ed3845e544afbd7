"""The Python entry point: ``audit.run(model, data, ...)``."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from ._config import STREAM_ABOVE_BYTES, STREAM_ABOVE_ROWS, AuditConfig, load_config
from ._engines.sources import FileSource, FrameSource, RowSource
from ._errors import InputError
from ._io import LoadedModel, load_data, load_model, sha256_file
from ._io.files import files_sha256
from ._pipeline import Progress, run_audit, summarise_warnings
from ._result.audit import AuditResult, FileInfo
from ._result.verdict import Policy
from ._words import io as W
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
    spark: Any = None,
    **options: Any,
) -> AuditResult:
    """Audit a fitted model on a dataset and return the :class:`AuditResult`.

    Parameters
    ----------
    model : estimator, path, or None
        A fitted scikit-learn estimator or pipeline (or LightGBM/XGBoost sklearn
        wrapper), a path to a ``.pkl``/``.joblib``/``.skops`` file, or ``None`` for
        predictions-only mode (then pass ``predictions="COLUMN"``).
    data : DataFrame, path, or Spark DataFrame
        The rows to audit: a table in memory, a ``.parquet``/``.csv`` file, a directory of
        parquet files (hive partitions included) or a glob, or (``engine="spark"``) a
        Spark DataFrame or table name.
    spark : SparkSession, optional
        An existing session for ``engine="spark"`` (it is not stopped afterwards).
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
        df, data_source = _data(data, files, cfg, spark)
    try:
        result = run_audit(estimator, df, cfg, policy=policy, files=tuple(files),
                           command=command, trusted_types=trusted, data_source=data_source,
                           model_source=model_source, progress=progress)
    finally:
        close = getattr(df, "close", None)  # a Spark session the audit started
        if close is not None:
            close()
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


def engine_for(data: Any, cfg: AuditConfig) -> str:
    """The engine asked for, else by size: memory for small tables, streaming for large."""
    if cfg.engine is not None:
        return cfg.engine
    if not isinstance(data, (str, Path)):
        return "pandas" if isinstance(data, pd.DataFrame) else "spark"
    p = Path(data)
    if not p.is_file():
        return "stream" if p.is_dir() or any(ch in str(data) for ch in "*?[") else "pandas"
    if p.suffix.lower() == ".csv":
        return "stream" if p.stat().st_size > STREAM_ABOVE_BYTES else "pandas"
    try:
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(p).metadata.num_rows
    except Exception:  # unreadable: the pandas reader says so clearly
        return "pandas"
    return "stream" if rows > STREAM_ABOVE_ROWS else "pandas"


def _data(data: Any, files: list[FileInfo], cfg: AuditConfig, spark: Any
          ) -> tuple[pd.DataFrame | RowSource, str]:
    """(table or row source, name for messages), fingerprinted; a DataFrame is copied."""
    if hasattr(data, "partials"):  # a row source made by the caller
        files.append(FileInfo("data", data.name, "unavailable (a row source)", data.kind))
        return data, data.name
    engine = engine_for(data, cfg)
    if engine == "spark":
        from ._engines.spark import SparkSource

        src = SparkSource(data, session=spark, master=cfg.spark_master or "local[*]")
        paths = getattr(src, "files", None) or []
        files.append(FileInfo("data", src.name, files_sha256(paths) if paths else
                              "unavailable (a Spark table)", "read with Spark"))
        return src, src.name
    if engine == "stream":
        if isinstance(data, pd.DataFrame):
            stream: RowSource = FrameSource(data.rename(columns=str), "data", kind="stream")
            files.append(FileInfo("data", "<DataFrame in memory>", _frame_sha256(data),
                                  f"{len(data)} rows; streamed as one batch"))
            return stream, "data"
        source = FileSource(data)
        rows = source.total_rows()
        files.append(FileInfo("data", str(data), files_sha256(source.files),
                              W.files_detail(len(source.files), rows)))
        return source, str(data)
    if isinstance(data, (str, Path)):
        if Path(data).is_dir():
            raise InputError(f"data '{data}' is a directory - the pandas engine reads one file; "
                             "drop --engine pandas to stream the directory's parquet files, or "
                             "pass one file")
        df = load_data(data)
        files.append(FileInfo("data", str(data), sha256_file(data), f"{len(df)} rows"))
        return df, str(data)
    df = data.copy()
    df.columns = [str(c) for c in df.columns]
    files.append(FileInfo("data", "<DataFrame in memory>", _frame_sha256(df),
                          f"{len(df)} rows; sha256 of pandas' row hashes and column names"))
    return df, "data"
