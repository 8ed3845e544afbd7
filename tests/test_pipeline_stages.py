"""Stage control (``--skip``), the bounded proxy search, and third-party warnings kept off stderr."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import outs

import audit
from audit._config import STAGES, load_config
from audit._inputs.prepared import Grouping
from audit._troublemakers import assess_troublemakers
from audit._troublemakers.assess import MAX_PROXY_FEATURES
from audit.cli import main

# --------------------------------------------------------------------------- --skip


def test_skipped_stages_are_recorded(small_df, small_model) -> None:
    r = audit.run(small_model, small_df, n_boot=20, skip=("explain", "complexity", "proxies"))
    assert r.explanation is None and r.complexity is None and r.troublemakers is None
    assert r.skipped == {
        "explanations": "turned off (--skip explain)",
        "complexity": "turned off (--skip complexity)",
        "troublemakers": "turned off (--skip proxies): no proxy search, loss terms or what-if",
    }


def test_skip_what_if_keeps_the_proxy_search(small_df, small_model) -> None:
    r = audit.run(small_model, small_df, n_boot=20, explain=False, skip=("what_if",))
    assert r.provenance.config["skip"] == "['what-if']"  # read as the canonical name
    assert r.troublemakers is not None and r.troublemakers.what_if.status == "skipped"
    assert r.skipped["what-if"] == "turned off (--skip what-if)"


def test_cli_skip_and_no_proxies(tmp_path: Path, small_files, capsys) -> None:
    model, data = small_files
    code = main(["run", str(model), str(data), *outs(tmp_path), "--skip", "explain",
                 "--skip", "complexity", "--no-proxies", "-q", "--exit-zero"])
    assert code == 0, capsys.readouterr().err
    doc = json.loads((tmp_path / "r.json").read_text())
    assert set(doc["skipped"]) == {"explanations", "complexity", "troublemakers"}
    assert doc["provenance"]["config"]["skip"] == "['explain', 'complexity', 'proxies']"
    assert "turned off (--skip proxies)" in (tmp_path / "r.html").read_text()


def test_config_skip(tmp_path: Path) -> None:
    (tmp_path / "audit.toml").write_text('skip = ["What_If", "proxies", "what-if"]\n')
    assert load_config(tmp_path / "audit.toml").skip == ("what-if", "proxies")
    assert STAGES == ("explain", "complexity", "proxies", "what-if")


# --------------------------------------------------------------------------- the bounded proxy search


def _wide(n: int, k: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, k)), columns=[f"x{i}" for i in range(k)])
    race = rng.integers(0, 2, n)
    return X, race


def test_proxy_search_examines_at_most_max_features() -> None:
    X, race = _wide(300, 30)
    X["x29"] = race + np.random.default_rng(1).normal(0, 0.3, len(X))  # a strong proxy
    g = Grouping("race", "race", ("race",), race, ("A", "B"), 0)
    tm = assess_troublemakers(
        None, X, X.assign(race=race), [g], y=None, task="binary",
        criterion_outcomes={"race": {"demographic_parity": "fail"}},
        driver_shares={"race": {"B": {"x29": 0.7, "x3": 0.1}}}, what_if=False,
        importance={f"x{i}": 1.0 / (i + 1) for i in range(30)}, max_features=5)
    # driver shares first (x29, x3), then importance (x0, x1, x2); kept in column order
    assert [p.feature for p in tm.proxies] == ["x0", "x1", "x2", "x3", "x29"]
    assert tm.recoverability[0].features == ("x0", "x1", "x2", "x3", "x29")
    assert [f.feature for f in tm.flags] == ["x29"]
    assert tm.notes[-1] == (
        "Proxy strength was measured for 5 of the model's 30 features, those that drive the "
        "failing gaps most, then those the model leans on most (mean |SHAP|); recoverability "
        "uses the same 5. Not examined: x4, x5, x6, x7, x8, x9, x10, x11, x12, x13 and 15 more.")


def test_proxy_cap_default() -> None:
    assert MAX_PROXY_FEATURES == 100  # the README's options table states it


def test_wide_table_small_model(tmp_path: Path) -> None:
    """2,000 data columns, a model on 3 of them: only the model's features are examined."""
    from sklearn.linear_model import LogisticRegression

    X, _ = _wide(400, 2000)
    rng = np.random.default_rng(2)
    df = X.assign(gender=rng.choice(["F", "M"], len(X)))
    df["target"] = (df.x0 + df.x1 + rng.logistic(size=len(df)) > 0).astype(int)
    model = LogisticRegression().fit(df[["x0", "x1", "x2"]], df.target)
    r = audit.run(model, df, n_boot=20, explain=False, skip=("complexity", "what-if"))
    assert r.troublemakers is not None
    assert {p.feature for p in r.troublemakers.proxies} == {"x0", "x1", "x2"}
    assert not any("Proxy strength was measured for" in n for n in r.troublemakers.notes)


# --------------------------------------------------------------------------- third-party warnings


def _noisy_model(df: pd.DataFrame):
    """A classifier whose predict_proba warns, like a model library that does."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    class Noisy(LogisticRegression):
        def predict_proba(self, X):
            warnings.warn("lbfgs failed to converge (status=1):\nSTOP: ITERATIONS", ConvergenceWarning,
                          stacklevel=2)
            warnings.warn("old API", DeprecationWarning, stacklevel=2)
            return super().predict_proba(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Noisy(max_iter=1).fit(df[["income"]], df.target)


def test_third_party_warnings_are_recorded_not_printed(small_df, capfd) -> None:
    """pytest turns warnings into errors here: the capture must hold them all the same."""
    r = audit.run(_noisy_model(small_df), small_df, n_boot=20, explain=False,
                  skip=("complexity", "proxies"))
    err = capfd.readouterr().err
    assert "Warning" not in err, err
    (entry,) = r.provenance.warnings  # deprecations are the library's business, not the audit's
    assert entry.startswith("ConvergenceWarning: lbfgs failed to converge (status=1):")
    assert "STOP" not in entry  # the first line only
    doc = r.to_dict()
    assert doc["provenance"]["warnings"] == [entry]
    assert audit.AuditResult.from_dict(doc).provenance.warnings == (entry,)


def test_warnings_counted_once_each(small_df) -> None:
    from audit._pipeline import summarise_warnings

    def caught(message: str, category: type[Warning]):
        import warnings

        return warnings.WarningMessage(message, category, "f.py", 1)

    got = summarise_warnings([caught("a", UserWarning), caught("b\nmore", RuntimeWarning),
                              caught("a", UserWarning), caught("x", DeprecationWarning)])
    assert got == ("UserWarning: a (2 times)", "RuntimeWarning: b")


def test_no_warnings_key_stays_readable(small_df, small_model) -> None:
    """An audit.json written before the warnings were recorded still loads."""
    r = audit.run(small_model, small_df, n_boot=20, explain=False,
                  skip=("complexity", "proxies"))
    doc = r.to_dict()
    assert doc["provenance"]["warnings"] == []
    del doc["provenance"]["warnings"]
    assert audit.AuditResult.from_dict(doc).provenance.warnings == ()


def test_warnings_listed_in_the_reproducibility_appendix(small_df) -> None:
    from audit._report import render_html

    r = audit.run(_noisy_model(small_df), small_df, n_boot=20, explain=False,
                  skip=("complexity", "proxies"))
    html = render_html(r)
    appendix = html[html.index('<section id="reproducibility">'):]
    assert "Library warnings" in appendix
    assert "ConvergenceWarning: lbfgs failed to converge (status=1):" in appendix


# --------------------------------------------------------------------------- budgeted workers


def test_warnings_raised_in_a_budgeted_stage_worker_are_recorded(small_df) -> None:
    """Under --budget SHAP runs in a worker process; its warnings reach provenance.warnings."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
    from worker_warnings import warn_in_worker

    pre = ColumnTransformer([("oh", OneHotEncoder(handle_unknown="ignore"), ["region"]),
                             ("num", StandardScaler(), ["income"])])
    model = make_pipeline(FunctionTransformer(warn_in_worker, feature_names_out="one-to-one"),
                          pre, LogisticRegression())
    model.fit(small_df[["income", "region"]], small_df.target)
    r = audit.run(model, small_df, n_boot=20, budget=120, skip=("complexity", "proxies"))
    assert r.explanation is not None, r.skipped
    assert any(w.startswith("RuntimeWarning: computed in the stage's worker")
               for w in r.provenance.warnings), r.provenance.warnings


def test_replayed_worker_warnings_keep_their_category() -> None:
    import time
    import warnings

    from audit._deadline import FitWorker

    w = FitWorker(time.perf_counter() + 60)
    try:
        w.call(warnings.warn, "from the worker", ResourceWarning)
    finally:
        w.close()
    assert [c[:3] for c in w.caught] == [("builtins", "ResourceWarning", "from the worker")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w.replay_warnings()
        w.replay_warnings()  # once only
    assert [(c.category, str(c.message)) for c in caught] == [(ResourceWarning, "from the worker")]


# --------------------------------------------------------------------------- the what-if's worker


def test_what_if_worker_is_prestarted_used_and_closed(small_df, small_model, monkeypatch) -> None:
    """The worker starts before the group metrics; the what-if's fits run in that one
    worker; no process is left behind, whether the what-if ran or was switched off."""
    import multiprocessing

    from audit import _deadline

    started: list[_deadline.FitWorker] = []
    real = _deadline.FitWorker.prestart

    def spy(self: _deadline.FitWorker, fn) -> None:  # type: ignore[no-untyped-def]
        started.append(self)
        real(self, fn)

    monkeypatch.setattr(_deadline.FitWorker, "prestart", spy)
    r = audit.run(small_model, small_df, n_boot=20, explain=False)
    assert r.troublemakers is not None and r.troublemakers.what_if.status in ("ran", "partial")
    # the pipeline's worker came first and the what-if's fits ran in it (then a second
    # lane's, for the runs after the baseline)
    assert started and started[0].shipped > 0
    assert multiprocessing.active_children() == []
    n = len(started)
    audit.run(small_model, small_df, n_boot=20, explain=False, what_if=False)
    audit.run(small_model, small_df, n_boot=20, explain=False, skip=("proxies",))
    assert len(started) == n  # not started when the what-if cannot run
    assert multiprocessing.active_children() == []


# --------------------------------------------------------------------------- group metrics alongside


def test_group_metrics_run_after_shap_alongside_complexity_and_proxies(
        small_df, small_model, monkeypatch) -> None:
    """The group metrics run in a thread once SHAP is done (its compiled TreeSHAP keeps every
    core busy), while the interpretability score and the proxy measures run: here the
    metrics wait for a signal that only the proxy measures send, which deadlocks (and times
    out) if they ran one after the other. Same numbers either way."""
    import threading

    from audit import _pipeline

    reference = audit.run(small_model, small_df, n_boot=20, what_if=False)
    shap_done, proxies_started = threading.Event(), threading.Event()
    threads: list[str] = []
    real_core, real_explain, real_early = (_pipeline._fairness_core, _pipeline.explain,
                                           _pipeline.measure_early)

    def explain(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real_explain(*args, **kwargs)
        shap_done.set()
        return out

    def core(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        assert shap_done.is_set(), "the metrics ran alongside SHAP"
        assert proxies_started.wait(timeout=60), "the metrics did not overlap the proxies"
        return real_core(*args, **kwargs)

    def early(*args, **kwargs):  # type: ignore[no-untyped-def]
        proxies_started.set()
        return real_early(*args, **kwargs)

    monkeypatch.setattr(_pipeline, "_fairness_core", core)
    monkeypatch.setattr(_pipeline, "explain", explain)
    monkeypatch.setattr(_pipeline, "measure_early", early)
    overlapped = audit.run(small_model, small_df, n_boot=20, what_if=False)
    assert threads == ["audit-group-metrics"]
    assert overlapped.fairness == reference.fairness and overlapped.verdict == reference.verdict
    assert overlapped.explanation == reference.explanation
    assert overlapped.troublemakers == reference.troublemakers


def test_proxy_measures_taken_early_are_the_ones_the_search_takes(small_df, small_model) -> None:
    """The troublemaker search with the measures taken before the verdict equals the search
    that takes them itself."""
    from audit._inputs.spec import resolve
    from audit._troublemakers import measure_early

    prepared, _, _ = resolve(small_df, small_model, audit.AuditConfig())
    singles = [g for g in prepared.groupings if g.family != "intersection"]
    outcomes = {g.name: {"demographic_parity": "fail"} for g in singles}
    kwargs = dict(y=prepared.y, task=prepared.task, criterion_outcomes=outcomes,
                  driver_shares=None, seed=3, what_if=False)
    itself = assess_troublemakers(None, prepared.X, prepared.data, singles, **kwargs)
    early = measure_early(prepared.X, prepared.data, singles, seed=3)
    assert early is not None and early.proxies
    given = assess_troublemakers(None, prepared.X, prepared.data, singles, measured=early,
                                 **kwargs)
    assert given == itself
    assert measure_early(prepared.X, prepared.data, singles, seed=3, max_features=1) is None


def test_a_proxy_measures_failure_is_reported_in_its_section(small_df, small_model,
                                                             monkeypatch) -> None:
    """An error while taking the proxy measures early fails the troublemaker section (the
    report says so), not the audit, as an error in the search itself does."""
    from audit import _pipeline

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(_pipeline, "measure_early", broken)
    result = audit.run(small_model, small_df, n_boot=20, what_if=False)
    assert result.troublemakers is None and result.fairness
    failed = [f for f in result.findings if "planted" in f.message]
    assert len(failed) == 1 and "troublemaker" in failed[0].message.lower()


def test_under_a_budget_the_proxies_are_measured_in_their_own_stage(small_df, small_model,
                                                                    monkeypatch) -> None:
    """With --budget the proxy search has its own deadline, so its measures are taken there."""
    from audit import _pipeline

    calls: list[int] = []
    monkeypatch.setattr(_pipeline, "measure_early", lambda *a, **k: calls.append(1))
    result = audit.run(small_model, small_df, n_boot=20, what_if=False, budget=120)
    assert calls == [] and result.troublemakers is not None


def test_a_group_metrics_error_reaches_the_caller(small_df, small_model, monkeypatch) -> None:
    """An error in the metrics' thread is raised in the audit, as before (an internal error)."""
    from audit import _pipeline

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(_pipeline, "_fairness_core", broken)
    with pytest.raises(ZeroDivisionError, match="planted"):
        audit.run(small_model, small_df, n_boot=20, what_if=False, explain=False)


# --------------------------------------------------------------------------- the SHAP step's label


def _labels(small_model, small_df, **options):  # type: ignore[no-untyped-def]
    import contextlib

    labels: list[str] = []

    @contextlib.contextmanager
    def step(label: str):  # type: ignore[no-untyped-def]
        labels.append(label)
        yield

    result = audit.run(small_model, small_df, n_boot=20, what_if=False, progress=step,
                       **options)
    return [lab for lab in labels if lab.startswith("Explaining")], result


def test_the_shap_step_says_how_many_rows_it_explains(small_df, small_model) -> None:
    shap_steps, r = _labels(small_model, small_df)
    assert shap_steps == [f"Explaining the model with SHAP on all {len(small_df):,} rows"]
    assert r.explanation is not None and r.explanation.sample_basis == "all"
    shap_steps, r = _labels(small_model, small_df, explain_rows=300)
    assert shap_steps == [f"Explaining the model with SHAP on 300 of {len(small_df):,} rows"]


def test_a_model_too_large_for_the_budget_says_its_estimate_before_it_starts(
        small_df, small_model, monkeypatch) -> None:
    """The sample is sized once, before the step, so the label can warn of a long wait: when
    even the minimum is estimated beyond the budget, the label and the reason say by how
    much (the cost model's estimate, the same on every machine)."""
    from audit._explain import budget

    calls: list[int] = []
    real_cost = budget.model_cost

    def cost(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real_cost(*args, **kwargs)

    monkeypatch.setattr(budget, "model_cost", cost)
    monkeypatch.setattr(budget, "DEFAULT_SECONDS", 1e-6)  # nothing fits: the minimum
    shap_steps, r = _labels(small_model, small_df)
    assert calls == [1]  # decided once, before the step; explain used that decision
    e = r.explanation
    assert e is not None and e.sample_basis == "minimum" and e.n_sample == budget.MIN_ROWS
    assert len(shap_steps) == 1 and shap_steps[0].startswith(
        f"Explaining the model with SHAP on {budget.MIN_ROWS} of {len(small_df):,} rows, the "
        "minimum (estimated at ")
    assert "beyond the time budget" in shap_steps[0] and "--explain-rows" in shap_steps[0]
    assert f"the {budget.MIN_ROWS} rows are estimated at" in e.sample_reason


def test_if_sizing_the_sample_first_fails_the_stage_sizes_it_itself(
        small_df, small_model, monkeypatch) -> None:
    from audit import _pipeline

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("cost model broke")

    monkeypatch.setattr(_pipeline, "size_sample", broken)
    shap_steps, r = _labels(small_model, small_df)
    assert shap_steps == [f"Explaining the model with SHAP on {len(small_df):,} rows or a sample"]
    assert r.explanation is not None  # the stage sized it itself
