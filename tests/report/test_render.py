"""Rendering plumbing: finding the templates, and the summary's reasons (one check registry)."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

import audit
from audit._report import render, render_html, render_summary_html, template_dir
from audit._report.console import summary_lines

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "data" / "demo_no_what_if.json.gz"


@pytest.fixture(scope="module")
def demo() -> audit.AuditResult:
    """The pinned demo audit, read from its JSON (no model needed)."""
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        return audit.AuditResult.from_dict(json.load(fh))


def test_templates_found_in_a_checkout():
    found = template_dir()
    assert found == REPO / "reports" / "templates"
    assert (found / "report.html.j2").is_file()


def _package_at(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Pretend the installed package ``audit`` lives at ``root``."""
    monkeypatch.setattr(render, "resources",
                        SimpleNamespace(files=lambda package: root))


def test_templates_found_in_an_installed_package(tmp_path, monkeypatch):
    (tmp_path / "_templates").mkdir()
    _package_at(monkeypatch, tmp_path)
    assert template_dir() == tmp_path / "_templates"


def test_package_without_templates_falls_back_to_the_checkout(tmp_path, monkeypatch):
    _package_at(monkeypatch, tmp_path)
    assert template_dir() == REPO / "reports" / "templates"


def test_data_reason_is_named_by_its_title(demo):
    """DATA007 turning PASS into REVIEW once printed 'Reasons: DATA007 DATA007'."""
    verdict = dataclasses.replace(demo.verdict, verdict="REVIEW", reasons=("DATA007",))
    result = dataclasses.replace(demo, verdict=verdict)
    for html in (render_summary_html(result), render_html(result)):
        assert "DATA007 Protected attribute mostly missing" in html
        assert "DATA007 DATA007" not in html
    assert not any("DATA007 DATA007" in line for line in summary_lines(result))


def test_fairness_reasons_keep_their_titles(demo):
    html = render_summary_html(demo)
    assert "FAIR001 Some groups are selected far less or more often (four-fifths rule)" in html
