"""run_audit: from validated inputs to an AuditResult. Pure: no printing, no files written."""

from __future__ import annotations

import contextlib
import dataclasses
import platform
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from ._config import AuditConfig
from ._data import Grouping
from ._fairness import fairness_tables
from ._result import SCHEMA_VERSION, AuditResult, FileInfo, Provenance
from ._sanity import sanity_checks
from ._spec import resolve
from ._verdict import Policy, evaluate

Progress = Callable[[str], contextlib.AbstractContextManager[Any]]


@contextlib.contextmanager
def _quiet(_: str) -> Iterator[None]:
    yield


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries whose numbers appear in the audit."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("model-audit", "numpy", "pandas", "scikit-learn", "fairlearn", "shap", "scipy",
                 "pyarrow", "skops", "lightgbm", "xgboost", "matplotlib", "jinja2"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def run_audit(
    estimator: Any | None,
    data: pd.DataFrame,
    config: AuditConfig | None = None,
    *,
    policy: Policy | None = None,
    files: tuple[FileInfo, ...] = (),
    command: str = "",
    trusted_types: tuple[str, ...] = (),
    data_source: str = "data",
    model_source: str = "model",
    progress: Progress | None = None,
) -> AuditResult:
    """Audit ``estimator`` on ``data`` and return the full :class:`AuditResult`."""
    cfg = config or AuditConfig()
    pol = policy or Policy()
    step = progress or _quiet
    with step("Checking inputs and predicting"):
        prepared, spec, spec_findings = resolve(data, estimator, cfg, source=data_source,
                                                model_source=model_source)
    with step("Checking data sanity"):
        protected_cols = sorted({c for p in spec.protected for c in p.columns})
        sanity = sanity_checks(prepared.data, target=spec.target, protected=protected_cols,
                               source=data_source)
    with step(f"Computing group metrics with {cfg.n_boot} bootstrap resamples"):
        everyone = Grouping(name="everyone", family="overall", columns=(),
                            codes=np.zeros(len(prepared.y_pred), dtype=np.int64),
                            labels=("everyone",), reference=0, how_found="all audited rows")
        overall = fairness_tables([everyone], prepared.y, prepared.y_pred, prepared.scores,
                                  prepared.task, n_boot=cfg.n_boot, seed=cfg.seed,
                                  min_group_size=1, max_ci_width=1.0)[0]
        replicates: dict[tuple[str, str], np.ndarray] = {}
        tables = fairness_tables(prepared.groupings, prepared.y, prepared.y_pred,
                                 prepared.scores, prepared.task, n_boot=cfg.n_boot,
                                 seed=cfg.seed, min_group_size=cfg.min_group_size,
                                 max_ci_width=cfg.max_ci_width, replicates=replicates)
    verdict, fair_findings = evaluate(tables, pol, prepared.task, replicates)
    data_fail = sorted({f.code for f in sanity if f.outcome == "fail"})
    if data_fail and verdict.verdict == "PASS":
        # e.g. a protected column that is mostly missing: the fairness numbers cannot be trusted
        verdict = dataclasses.replace(verdict, verdict="REVIEW", reasons=tuple(data_fail))
    skipped: dict[str, str] = {}
    if prepared.model is None:
        skipped["explanations"] = ("predictions-only mode: explanations need the model itself; "
                                   "pass the model file to explain it")
    provenance = Provenance(
        tool_version=__version__,
        command=command,
        seed=cfg.seed,
        n_boot=cfg.n_boot,
        files=files,
        versions=library_versions(),
        model_name=prepared.model.name if prepared.model else f"predictions in '{cfg.predictions}'",
        trusted_types=trusted_types,
        config={k: str(v) for k, v in cfg.to_dict().items() if v is not None},
    )
    return AuditResult(
        schema_version=SCHEMA_VERSION,
        provenance=provenance,
        spec=spec,
        overall=overall,
        fairness=tuple(tables),
        findings=tuple(spec_findings) + tuple(sanity) + tuple(fair_findings),
        verdict=verdict,
        skipped=skipped,
    )
