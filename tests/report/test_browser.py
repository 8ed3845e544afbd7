"""Open the report in real (Debian) Chromium: no console errors, no network, every section shows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import read_stored_demo

import audit
from audit._report import render_html

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium (apt-get install "
                       "chromium); .ci/run installs it"),
]
SECTIONS = ("summary", "scope", "decisive", "recommendation", "signoff", "data", "performance",
            "fairness", "explanations", "complexity", "flags", "methodology", "reproducibility")
BADGE_RGB = {"PASS": (11, 110, 79), "REVIEW": (138, 90, 0), "FAIL": (179, 38, 30)}


def test_report_in_chromium(tmp_path, small_df, small_model):
    sync_api = pytest.importorskip("playwright.sync_api")
    result = audit.run(small_model, small_df, n_boot=100)
    report = tmp_path / "report.html"
    report.write_text(render_html(result), encoding="utf-8")
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        for s in SECTIONS:
            assert page.locator(f"section#{s}").is_visible(), s
        assert page.locator("section#fairness svg").count() >= 1
        shot = tmp_path / "summary.png"
        page.screenshot(path=str(shot))
        # the verdict badge is drawn in its colour (checked on the rendered pixels)
        badge = page.locator(".verdict .badge")
        assert badge.inner_text().strip() == result.verdict.verdict
        colour = badge.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour == "rgb({}, {}, {})".format(*BADGE_RGB[result.verdict.verdict])
        pdf = tmp_path / "report.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        browser.close()
    assert errors == []
    assert requests == [report.as_uri()]
    assert shot.stat().st_size > 20_000
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000


def test_demo_pdf_signed_part_is_short_and_appendix_prints_complete(tmp_path):
    """--pdf on the demo: the signed part ends within 8 A4 pages; closed <details> print.

    A failing row that the screen shows only inside a closed <details> (a combination of
    two attributes) must be in the PDF text, after the signed part.
    """
    pypdf = pytest.importorskip("pypdf")
    from audit._report.pdf import html_to_pdf
    from audit._result.metrics import METRICS

    result = read_stored_demo()
    html = render_html(result)
    folded = next(c for c in result.verdict.checks if c.outcome == "fail" and " × " in c.attribute)
    closed = html[html.index('<details class="intersection">'):]
    assert folded.group in closed  # on screen it sits inside a closed <details>
    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    html_to_pdf(report, pdf)
    reader = pypdf.PdfReader(str(pdf))
    pages = [p.extract_text() for p in reader.pages]
    end = next(i for i, t in enumerate(pages, 1) if "End of the signed part" in t)
    # printed at true size: a table wider than the page would make Chromium shrink every page
    sizes: list[float] = []
    reader.pages[0].extract_text(visitor_text=lambda text, cm, tm, fd, fs: sizes.append(
        fs * tm[0] * cm[0]) if text.strip() else None)
    assert max(set(sizes), key=sizes.count) >= 9.5, "body text shrunk to fit a wide table"
    assert end <= 8, f"the signed part ends on page {end}"
    assert len(pages) <= 30, f"the whole report prints on {len(pages)} pages"
    signed = "".join(pages[:end])
    assert "Signature" in signed and "Approve with conditions" in signed
    # a narrow cell may wrap a label after its dash ('White × 45–' / '54'): rejoin those
    appendix = " ".join(pages[end:]).replace("–\n", "–").replace("\n", " ")
    assert folded.group in appendix
    assert "Combinations of two attributes" in appendix and folded.attribute in appendix
    # every failing or material review row prints with its numbers; what print summarises
    # is said, with where the full tables are
    for c in result.verdict.checks:
        if c.decision in ("fail", "review") and c.estimate.value is not None:
            assert c.group in appendix, (c.attribute, c.group)
    assert "In print, this section is shortened" in appendix and "Not printed in full" in appendix
    for key in ("calibration_gap", "auc", "accuracy"):  # the rightmost columns are not clipped
        label = METRICS[key].label
        assert label in appendix, label


def test_pdf_of_a_staged_file_prints_the_page_not_its_source(tmp_path):
    """The CLI stages the report under a temporary name without '.html': still a page."""
    pypdf = pytest.importorskip("pypdf")
    from audit._report.pdf import html_to_pdf

    staged = tmp_path / "report.html.part-1234"
    staged.write_text('<!DOCTYPE html><html><body><p class="x">Hello <b>reviewer</b></p>'
                      "</body></html>", encoding="utf-8")
    pdf = tmp_path / "out.pdf"
    html_to_pdf(staged, pdf)
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(str(pdf)).pages)
    assert "Hello reviewer" in text and "<p" not in text and "class=" not in text
