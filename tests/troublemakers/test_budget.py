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
