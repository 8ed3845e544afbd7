"""run_audit: from validated inputs to an AuditResult. Pure: no printing, no files written."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import platform
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ._complexity import REFIT_SECONDS, assess_complexity
from ._config import AuditConfig, stage_seconds
from ._engines.sources import RowSource
from ._errors import AuditError
from ._explain import SampleSize, driver_shares, explain, size_sample
from ._fairness.calibration import without_probability_metrics
from ._fairness.stats import BinaryStats
from ._fairness.tables import binary_attribute_table, fairness_tables
from ._fairness.verdict import evaluate
from ._inputs.prepared import Grouping, Prepared
from ._inputs.sanity import sanity_checks
from ._inputs.spec import resolve
from ._result.audit import SCHEMA_VERSION, AuditResult, FileInfo, Provenance
from ._result.checks import PROXY_FLAG, SECTION_FAILED, SHAP_ADDITIVITY
from ._result.complexity import Complexity
from ._result.explanation import Explanation
from ._result.findings import Finding, finding
from ._result.spec import Task
from ._result.tables import AttributeTable
from ._result.troublemakers import Troublemakers
from ._result.verdict import Policy, Verdict
from ._troublemakers import MAX_PROXY_FEATURES, ProxyMeasures, assess_troublemakers, measure_early
from ._version import __version__
from ._words import audit as words
from ._words import explain as explain_words

T = TypeVar("T")
Progress = Callable[[str], contextlib.AbstractContextManager[Any]]


@contextlib.contextmanager
def _quiet(_: str) -> Iterator[None]:
    yield






def _guarded(skipped: dict[str, str], failures: list[Finding], section: str,
             fn: Callable[[], T]) -> T | None:
    """Run an optional section; if it fails, the report says so instead of not existing.

    The fairness core is not guarded: a failure there is an internal error (exit 3).
    """
    try:
        return fn()
    except AuditError as exc:
        skipped[section] = str(exc)
    except Exception as exc:
        first = " ".join(str(exc).split())[:200]
        skipped[section] = words.section_crashed(type(exc).__name__, first)
        failures.append(finding(SECTION_FAILED, "review", words.section_failed(section, skipped[section]),
                                subject=section))
    return None


def _material_shares(explanation: Any, verdict: Any) -> dict[str, dict[str, dict[str, float]]] | None:
    """Driver shares only for groups whose gap fails or needs review.

    A share of a tiny gap is meaningless (features pushing both ways give 200%).
    """
    if explanation is None:
        return None
    gap_checks = [c for c in verdict.checks
                  if c.criterion in ("demographic_parity", "equal_opportunity", "equalized_odds",
                                     "mean_prediction") and c.outcome in ("fail", "review")]
    failing_attrs = {c.attribute for c in gap_checks if c.outcome == "fail"}
    # where an attribute has failing groups, only those count; else the review ones
    material = {(c.attribute, c.group) for c in gap_checks
                if c.outcome == "fail" or c.attribute not in failing_attrs}
    shares = driver_shares(explanation)
    return {a: {g: v for g, v in groups.items() if (a, g) in material}
            for a, groups in shares.items()}


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
    data: pd.DataFrame | RowSource,
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
    """Audit ``estimator`` on ``data`` and return the full :class:`AuditResult`.

    Warnings raised meanwhile (by the model, scikit-learn, numpy ...) are not printed:
    each distinct one is recorded once in ``provenance.warnings`` (see
    :func:`summarise_warnings`). A filter that turns warnings into errors (pytest's
    ``-W error``) does not apply inside: the audit records them instead of failing.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _audit(estimator, data, config or AuditConfig(), policy=policy, files=files,
                        command=command, trusted_types=trusted_types, data_source=data_source,
                        model_source=model_source, progress=progress)
    provenance = dataclasses.replace(result.provenance, warnings=summarise_warnings(caught))
    return dataclasses.replace(result, provenance=provenance)


#: Warnings about how libraries are called, not about the model or the data: left out of
#: the record (import-time ones appear only in a process's first audit).
_NOT_RECORDED: tuple[type[Warning], ...] = (DeprecationWarning, PendingDeprecationWarning)


def summarise_warnings(caught: Sequence[warnings.WarningMessage]) -> tuple[str, ...]:
    """Each distinct warning once, in order of first appearance, with how often it came."""
    counts: dict[tuple[str, str], int] = {}
    for w in caught:
        if issubclass(w.category, _NOT_RECORDED):
            continue
        lines = str(w.message).strip().splitlines()
        key = (w.category.__name__, lines[0].strip() if lines else "")
        counts[key] = counts.get(key, 0) + 1
    return tuple(words.warning_entry(category, first, n) for (category, first), n in counts.items())


def _audit(
    estimator: Any | None,
    data: pd.DataFrame | RowSource,
    cfg: AuditConfig,
    *,
    policy: Policy | None,
    files: tuple[FileInfo, ...],
    command: str,
    trusted_types: tuple[str, ...],
    data_source: str,
    model_source: str,
    progress: Progress | None,
) -> AuditResult:
    """The audit itself (see :func:`run_audit`)."""
    step = progress or _quiet
    stats: Mapping[str, BinaryStats] | None = None
    if isinstance(data, pd.DataFrame):
        with step("Checking inputs and predicting"):
            prepared, spec, spec_findings = resolve(data, estimator, cfg, source=data_source,
                                                    model_source=model_source)
        with step("Checking data sanity"):
            protected_cols = sorted({c for p in spec.protected for c in p.columns})
            sanity = sanity_checks(prepared.data, target=spec.target, protected=protected_cols,
                                   source=data_source, model_features=spec.features or None)
    else:
        from ._engines.scan import SAMPLE_ROWS, scan  # the streaming and Spark engines

        scanned = scan(data, estimator, cfg, model_source=model_source, step=step,
                       tick=getattr(progress, "tick", lambda label, total: None),
                       sample_rows=cfg.sample_rows or SAMPLE_ROWS)
        prepared, spec, spec_findings = scanned.prepared, scanned.spec, scanned.findings
        sanity, stats = scanned.sanity, scanned.stats
    sections = _Sections(what_if_worker=_prestart_what_if(prepared, cfg))
    try:
        _explain(sections, prepared, cfg, step)
        # The group metrics (numpy, no warnings, their own seeded generator; numpy's random
        # draws release the GIL) run in a thread alongside the interpretability score and
        # the proxy measures, single-threaded stages that leave a core free, which do not
        # need them: the numbers are the same, the wait shorter.  Not alongside SHAP, whose
        # compiled TreeSHAP keeps every core busy.
        fairness = _Background(lambda: _fairness_core(prepared, cfg, stats))
        _score_complexity(sections, prepared, cfg, step)
        early = _measure_proxies_early(prepared, cfg, step)
        with step(f"Computing group metrics with {cfg.n_boot} bootstrap resamples"):
            overall, tables, replicates = fairness.result()
        verdict, fair_findings = _judge(tables, sanity, policy or Policy(), prepared.task,
                                        replicates)
        _troublemakers(sections, prepared, cfg, verdict, step, early)
    finally:
        if sections.what_if_worker is not None:
            sections.what_if_worker.close()
    return AuditResult(
        schema_version=SCHEMA_VERSION,
        provenance=_provenance(prepared, cfg, files, command, trusted_types),
        spec=spec,
        overall=overall,
        fairness=tuple(tables),
        findings=tuple(spec_findings) + tuple(sanity) + tuple(fair_findings)
        + sections.findings(),
        verdict=verdict,
        explanation=sections.explanation,
        complexity=sections.complexity,
        troublemakers=sections.troublemakers,
        skipped=sections.skipped,
    )


def _what_if_runs(prepared: Prepared, cfg: AuditConfig) -> bool:
    """Whether the what-if retrains the model: switched on, not skipped (nor the proxy
    search it follows), and a model with its inputs and true labels."""
    return bool(cfg.what_if and not {"what-if", "proxies"} & set(cfg.skip)
                and prepared.model is not None and prepared.X is not None
                and prepared.y is not None)


def _prestart_what_if(prepared: Prepared, cfg: AuditConfig) -> Any:
    """The what-if's worker, started now when the what-if will run, else ``None``.

    Its start and imports (1.5-2.3 s measured on 2 busy cores) then overlap the stages
    before the what-if (SHAP, the interpretability score, the group metrics, the proxy
    search) instead of adding to the audit's time.  Its fits are started only by the
    what-if.
    """
    if not _what_if_runs(prepared, cfg):
        return None
    from ._deadline import FitWorker, warm_up

    worker = FitWorker(deadline=math.inf)
    worker.prestart(warm_up)
    return worker


def _fairness_core(prepared: Prepared, cfg: AuditConfig, stats: Mapping[str, BinaryStats] | None
                   ) -> tuple[AttributeTable, list[AttributeTable], dict[tuple[str, str], np.ndarray]]:
    """The whole population as one group, and every grouping's table with its resamples.

    ``stats``: whole-table statistics per grouping name, when ``prepared`` holds a sample
    (the streaming and Spark engines); else they are counted from ``prepared``'s rows.
    """
    everyone = Grouping(name="everyone", family="overall", columns=(),
                        codes=np.zeros(len(prepared.y_pred), dtype=np.int64),
                        labels=("everyone",), reference=0, how_found=words.EVERYONE_HOW)
    replicates: dict[tuple[str, str], np.ndarray] = {}
    if stats is None:
        overall = fairness_tables([everyone], prepared.y, prepared.y_pred, prepared.scores,
                                  prepared.task, n_boot=cfg.n_boot, seed=cfg.seed,
                                  min_group_size=1, max_ci_width=1.0)[0]
        tables = fairness_tables(prepared.groupings, prepared.y, prepared.y_pred,
                                 prepared.scores, prepared.task, n_boot=cfg.n_boot,
                                 seed=cfg.seed, min_group_size=cfg.min_group_size,
                                 max_ci_width=cfg.max_ci_width, replicates=replicates)
    else:
        overall = binary_attribute_table(everyone, stats["everyone"], n_boot=cfg.n_boot,
                                         seed=cfg.seed, min_group_size=1, max_ci_width=1.0)
        tables = tuple(binary_attribute_table(
            g, stats[g.name], n_boot=cfg.n_boot, seed=cfg.seed,
            min_group_size=cfg.min_group_size, max_ci_width=cfg.max_ci_width,
            replicates=replicates) for g in prepared.groupings)
    why = prepared.scores_not_probabilities
    if why is not None:  # a ranking, not probabilities: no average score, no calibration
        overall = without_probability_metrics(overall, why, keep_rows=True)
        tables = tuple(without_probability_metrics(t, why) for t in tables)
    return overall, list(tables), replicates


def _judge(tables: Sequence[AttributeTable], sanity: Sequence[Finding], policy: Policy, task: Task,
           replicates: dict[tuple[str, str], np.ndarray]) -> tuple[Verdict, tuple[Finding, ...]]:
    """The policy verdict; a failed data check turns a PASS into REVIEW."""
    verdict, fair_findings = evaluate(tables, policy, task, replicates)
    data_fail = sorted({f.code for f in sanity if f.outcome == "fail"})
    if data_fail and verdict.verdict == "PASS":
        # e.g. a protected column that is mostly missing: the fairness numbers cannot be trusted
        verdict = dataclasses.replace(verdict, verdict="REVIEW", reasons=tuple(data_fail))
    return verdict, tuple(fair_findings)


@dataclasses.dataclass
class _Sections:
    """The optional parts of the audit, and why any of them is missing."""

    explanation: Explanation | None = None
    complexity: Complexity | None = None
    troublemakers: Troublemakers | None = None
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    failures: list[Finding] = dataclasses.field(default_factory=list)
    what_if_worker: Any = None  # a FitWorker started early for the what-if, if it will run

    def guarded(self, section: str, fn: Callable[[], T]) -> T | None:
        """Run an optional section; if it fails, the report says so instead of not existing."""
        return _guarded(self.skipped, self.failures, section, fn)

    def findings(self) -> tuple[Finding, ...]:
        """Failures, then what the explanations and troublemakers report as findings."""
        out = list(self.failures)
        e = self.explanation
        if e is not None and (e.note or not e.additivity_ok):
            out.append(finding(SHAP_ADDITIVITY, "pass" if e.additivity_ok else "review",
                               e.note or words.SHAP_DID_NOT_ADD_UP))
        if self.troublemakers is not None:
            out.extend(finding(PROXY_FLAG, "review", flag.explanation, subject=flag.feature)
                       for flag in self.troublemakers.flags
                       if flag.kind != "direct_use")  # direct use is reported as SPEC001
        return tuple(out)


class _Background:
    """``fn()`` run in a daemon thread (an interrupted audit does not wait for it)."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._out: list[Any] = []
        self._error: list[BaseException] = []

        def run() -> None:
            try:
                self._out.append(fn())
            except BaseException as exc:  # re-raised in the caller by result()
                self._error.append(exc)

        self._thread = threading.Thread(target=run, name="audit-group-metrics", daemon=True)
        self._thread.start()

    def result(self) -> Any:
        """``fn()``'s value, once it is done; its exception if it raised one."""
        self._thread.join()
        if self._error:
            raise self._error[0]
        return self._out[0]


def _explain(sections: _Sections, prepared: Prepared, cfg: AuditConfig, step: Progress) -> None:
    """SHAP explanations on the model's input columns."""
    model, X = prepared.model, prepared.X
    if model is None or X is None:
        sections.skipped.update(explanations=words.PREDICTIONS_ONLY,
                                complexity=words.PREDICTIONS_ONLY)
        return
    singles = [g for g in prepared.groupings if g.family != "intersection"]
    if "explain" in cfg.skip:
        sections.skipped["explanations"] = words.stage_off("explain")
    elif not cfg.explain:
        sections.skipped["explanations"] = words.EXPLAIN_OFF
    else:
        secs = stage_seconds(cfg, "explain")
        size = _sample_size(model, X, cfg.explain_rows, secs)
        label = (f"Explaining the model with SHAP on {len(X):,} rows or a sample" if size is None
                 else explain_words.shap_step(size.n_sample, size.n_rows, size.basis,
                                              size.sample_estimate))
        with step(label + words.budget_label(secs)):
            sections.explanation = _within(sections, "explanations", "explain", secs, explain,
                                           model, X, singles, seed=cfg.seed,
                                           n_sample=cfg.explain_rows, budget_seconds=secs,
                                           row_weights=prepared.row_weights,
                                           margins=prepared.margins, size=size)


def _sample_size(model: Any, X: pd.DataFrame, n_sample: int | None, seconds: float | None
                 ) -> SampleSize | None:
    """How many rows SHAP explains, decided before the stage so that its progress label says
    it (with the cost model's estimate when a large model needs more than the budget).
    ``None`` when deciding fails: the stage decides again and reports the failure in its
    section, where a failing explanation belongs."""
    try:
        return size_sample(model, X, n_sample, seconds)
    except Exception:
        return None


def _score_complexity(sections: _Sections, prepared: Prepared, cfg: AuditConfig,
                      step: Progress) -> None:
    """The interpretability score against a transparent baseline (reuses the SHAP values)."""
    model, X, explanation = prepared.model, prepared.X, sections.explanation
    if model is None or X is None:
        return
    if "complexity" in cfg.skip:
        sections.skipped["complexity"] = words.stage_off("complexity")
        return
    secs = stage_seconds(cfg, "complexity")
    with step(f"Scoring interpretability against a transparent baseline"
              f"{words.budget_label(secs)}"):
        mean_abs = ({f.feature: f.mean_abs_shap for f in explanation.global_importance}
                    if explanation is not None else None)
        sections.complexity = _within(sections, "complexity", "complexity", secs,
                                      assess_complexity, model, X, prepared.y,
                                      mean_abs_shap=mean_abs, seed=cfg.seed,
                                      refit_seconds=REFIT_SECONDS if secs is None else secs / 2)


def _within(sections: _Sections, section: str, stage: str, seconds: float | None,
            fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run an optional stage; under ``--budget`` in a worker process stopped at its deadline.

    A stage stopped at its deadline is missing with the reason; one whose inputs do not
    pickle runs here, untimed.
    """
    if seconds is None:
        return sections.guarded(section, lambda: fn(*args, **kwargs))
    from ._deadline import CannotShip, FitWorker, TimeUp

    worker = FitWorker(time.perf_counter() + seconds, threads=None)

    def run() -> T | None:
        try:
            return worker.call(fn, *args, **kwargs)[0]  # type: ignore[no-any-return]
        except CannotShip:
            return fn(*args, **kwargs)
        except TimeUp:
            sections.skipped[section] = words.stage_over_budget(stage, seconds)
            return None
        finally:
            worker.close()
            worker.replay_warnings()  # recorded in provenance.warnings like in-process ones

    return sections.guarded(section, run)


def _measure_proxies_early(prepared: Prepared, cfg: AuditConfig, step: Progress
                           ) -> Callable[[], ProxyMeasures | None] | None:
    """The proxy measures, taken while the group metrics are computed, when they do not depend
    on the verdict (:func:`measure_early`): a function that gives them; ``None`` when they are
    taken with the rest of the troublemaker search (proxies skipped, ``--budget``, or more
    model features than the search examines).

    A failure is raised again where the troublemaker search is guarded (by the function),
    so it is reported once, in its section, as before.
    """
    X = prepared.X
    if (X is None or "proxies" in cfg.skip or stage_seconds(cfg, "proxies") is not None
            or X.shape[1] > MAX_PROXY_FEATURES):
        return None
    singles = [g for g in prepared.groupings if g.family != "intersection"]
    with step("Looking for proxy features"):
        try:
            measured = measure_early(X, prepared.data, singles, seed=cfg.seed)
        except Exception as exc:
            failure = exc

            def again() -> ProxyMeasures | None:
                raise failure

            return again
    return lambda: measured


def _troublemakers(sections: _Sections, prepared: Prepared, cfg: AuditConfig, verdict: Verdict,
                   step: Progress, early: Callable[[], ProxyMeasures | None] | None = None
                   ) -> None:
    """Proxy features, the loss terms they call for, and the what-if retraining.

    ``early``: the proxy measures already taken (:func:`_measure_proxies_early`).
    """
    model, X = prepared.model, prepared.X
    if X is None and model is not None:
        return
    if "proxies" in cfg.skip:
        sections.skipped["troublemakers"] = words.stage_off("proxies")
        return
    singles = [g for g in prepared.groupings if g.family != "intersection"]
    what_if = cfg.what_if and "what-if" not in cfg.skip
    if cfg.what_if and not what_if:
        sections.skipped["what-if"] = words.stage_off("what-if")
    running = _what_if_runs(prepared, cfg)
    proxy_secs, wi_secs = stage_seconds(cfg, "proxies"), stage_seconds(cfg, "what-if")
    what_if_label = (f" and running the what-if{words.budget_label(wi_secs or cfg.what_if_seconds)}"
                     if running else "")
    label = (f"Looking for proxy features{words.budget_label(proxy_secs)}" if early is None
             else "Deciding the troublemaker features") + what_if_label
    with step(label):
        sections.troublemakers = sections.guarded("troublemakers", lambda: assess_troublemakers(
            model, X if X is not None else prepared.data.iloc[:, :0], prepared.data,
            singles, y=prepared.y, task=prepared.task,
            criterion_outcomes={a: dict(v) for a, v in verdict.criterion_outcomes.items()},
            driver_shares=_material_shares(sections.explanation, verdict),
            seed=cfg.seed, what_if=what_if, what_if_seconds=wi_secs or cfg.what_if_seconds,
            importance=_importance(sections.explanation), proxy_seconds=proxy_secs,
            worker=sections.what_if_worker, measured=None if early is None else early()))


def _importance(explanation: Explanation | None) -> dict[str, float] | None:
    """Mean |SHAP| per model feature: which features the proxy search examines first."""
    if explanation is None:
        return None
    return {f.feature: f.mean_abs_shap for f in explanation.global_importance}


def _provenance(prepared: Prepared, cfg: AuditConfig, files: tuple[FileInfo, ...], command: str,
                trusted_types: tuple[str, ...]) -> Provenance:
    """What the audit is: inputs, versions, seed and the command that reproduces it."""
    return Provenance(
        tool_version=__version__,
        command=command,
        seed=cfg.seed,
        n_boot=cfg.n_boot,
        files=files,
        versions=library_versions(),
        model_name=prepared.model.name if prepared.model else words.predictions_model_name(cfg.predictions),
        trusted_types=trusted_types,
        config={k: str(v) for k, v in cfg.to_dict().items() if v is not None},
    )
