"""``--budget``: split across the optional stages as deadlines that hold."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from audit._config import STAGE_SHARES, AuditConfig, stage_seconds
from audit._errors import ConfigError
from audit._pipeline import _Sections, _within
from audit.cli import cli


def test_shares_split_the_whole_budget() -> None:
    assert sum(STAGE_SHARES.values()) == pytest.approx(1.0)
    assert set(STAGE_SHARES) == {"explain", "complexity", "proxies", "what-if"}
    cfg = AuditConfig().updated(budget=200)
    assert stage_seconds(cfg, "explain") == pytest.approx(70)
    assert stage_seconds(cfg, "what-if") == pytest.approx(70)
    assert stage_seconds(AuditConfig(), "what-if") is None  # no budget: today's behaviour


@pytest.mark.parametrize("bad", [0, -5, float("inf"), float("nan")])
def test_budget_must_be_positive_and_finite(bad: float) -> None:
    with pytest.raises(ConfigError, match="budget"):
        AuditConfig().updated(budget=bad)


def test_help_documents_the_budget_and_its_shares() -> None:
    out = CliRunner().invoke(cli, ["run", "--help"], terminal_width=200).output
    assert "--budget SECONDS" in out
    assert "explain 35%, complexity 15%, proxies 15%, what-if 35%" in out


def test_a_stage_that_overruns_its_deadline_is_stopped() -> None:
    sections = _Sections()
    t = time.perf_counter()
    out = _within(sections, "explanations", "explain", 3.0, time.sleep, 300)
    assert time.perf_counter() - t < 3.0 + 2.0
    assert out is None
    assert "stopped at its share of the time budget (3 s for explain" in sections.skipped["explanations"]
    assert not sections.failures  # stopped, not failed


def test_a_stage_within_its_deadline_returns_its_result() -> None:
    sections = _Sections()
    assert _within(sections, "complexity", "complexity", 60.0, divmod, 7, 2) == (3, 1)
    assert _within(sections, "complexity", "complexity", None, divmod, 7, 2) == (3, 1)
    assert not sections.skipped


def test_the_what_if_default_cap_scales_with_the_core() -> None:
    """No what_if_seconds: 3/4 of the seconds group metrics + SHAP took, within 10-60 s."""
    from audit._config import what_if_allowance

    default = AuditConfig()
    assert default.what_if_seconds is None
    assert what_if_allowance(default, 40.0) == pytest.approx(30.0)
    assert what_if_allowance(default, 1.0) == pytest.approx(10.0)  # floor: a first fit
    assert what_if_allowance(default, 1000.0) == pytest.approx(60.0)  # ceiling: the old cap
    explicit = default.updated(what_if_seconds=900)
    assert what_if_allowance(explicit, 1.0) == 900.0  # an explicit value always wins


def _what_if_seconds_used(monkeypatch: pytest.MonkeyPatch, **options: object) -> float:
    """Run a small audit and return the what_if_seconds the troublemakers stage received."""
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    import audit
    import audit._pipeline as pipeline

    seen: list[float] = []

    def fake(*args: object, **kwargs: object) -> None:
        seen.append(float(kwargs["what_if_seconds"]))  # type: ignore[arg-type]
        return None

    monkeypatch.setattr(pipeline, "assess_troublemakers", fake)
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=400), "sex": rng.choice(["f", "m"], 400)})
    df["y"] = (df["x"] + rng.normal(size=400) > 0).astype(int)
    model = LogisticRegression().fit(df[["x"]], df["y"])
    audit.run(model, df, target="y", n_boot=20, features=("x",), skip=("complexity",), **options)
    assert len(seen) == 1
    return seen[0]


def test_the_pipeline_gives_the_what_if_the_scaled_default(monkeypatch) -> None:
    assert _what_if_seconds_used(monkeypatch) == pytest.approx(10.0)  # a quick core: the floor
    assert _what_if_seconds_used(monkeypatch, what_if_seconds=900) == 900.0
    assert _what_if_seconds_used(monkeypatch, budget=100) == pytest.approx(35.0)
