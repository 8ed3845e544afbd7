"""The demo report as a sign-off instrument (issue 10, items 3, 6, 7 and the signal):
every FAIL reason explained, counts by kind, no zero gap in the summary, the interval
that decided beside each mark, folded large tables, accessible tables."""

from __future__ import annotations

import html
import json
import re

import pytest
from conftest import ROOT, load_examples

from audit._result.checks import CRITERION_CHECKS
from audit._result.findings import REGISTRY
from audit.cli import main

lending = load_examples()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("signal")
    lending.write_demo(out / "demo", seed=0)
    code = main(["run", str(out / "demo" / "model.skops"), str(out / "demo" / "loans.parquet"),
                 "-c", str(ROOT / "examples" / "audit.toml"), "-o", str(out / "r.html"),
                 "--json", str(out / "r.json"), "-q", "--exit-zero", "--no-explain",
                 "--skip", "proxies"])
    assert code == 0
    return json.loads((out / "r.json").read_text()), (out / "r.html").read_text()


def _section(html: str, name: str) -> str:
    start = html.index(f'<section id="{name}"')
    return html[start:html.index("</section>", start)]


def _text(page: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", text).replace("\u2068", "").replace("\u2069", "")


def test_every_fail_reason_is_explained_with_group_and_size(demo):
    doc, html = demo
    summary = _text(_section(html, "summary"))
    criterion = {c.code: k for k, c in CRITERION_CHECKS.items()}
    assert doc["verdict"]["reasons"]
    for code in doc["verdict"]["reasons"]:
        fails = [c for c in doc["verdict"]["checks"]
                 if c["criterion"] == criterion[code] and c["outcome"] == "fail"]
        top = max(fails, key=lambda c: c["materiality"])
        assert REGISTRY[code].title in summary
        assert top["group"] in summary, (code, top["group"])
    # the calibration fail: one zip code whose scores run ~15 points above its outcomes
    assert re.search(r"average score was 1\d percentage points higher", summary)


def test_titles_state_the_problem():
    assert REGISTRY["FAIR006"].title.startswith("Scores run too high or too low")
    for code, check in REGISTRY.items():
        if code.startswith("FAIR"):
            assert "alike" not in check.title and "mean the same" not in check.title


def test_summary_counts_checks_by_kind_and_skips_zero_gaps(demo):
    doc, html = demo
    summary = _text(_section(html, "summary"))
    counts = {k: sum(c["decision"] == k for c in doc["verdict"]["checks"])
              for k in ("fail", "review", "undecided", "pass")}
    assert (f"{counts['fail']} checks fail, {counts['review']} need review for material gaps, "
            f"{counts['undecided']} cannot be decided with this data (mostly small "
            f"combinations); {counts['pass']} pass.") in summary
    assert sum(counts.values()) == len(doc["verdict"]["checks"])
    assert "1.00 times as often" not in summary  # the 'unknown gender' zero gap
    assert "unknown" not in summary.lower().split("what we found")[1].split("next:")[0]


def test_the_interval_that_decided_is_shown(demo):
    doc, html = demo
    fairness = _text(_section(html, "fairness"))
    assert "simultaneous (Holm-corrected) interval" in html  # in full, as the mark's title
    # a group whose plain 95% interval lies inside [0.8, 1.25] but is not a pass
    inside = [c for c in doc["verdict"]["checks"]
              if c["kind"] == "ratio" and c["outcome"] == "review"
              and 0.8 <= c["estimate"]["lo"] and c["estimate"]["hi"] <= 1.25]
    assert inside
    c = inside[0]
    e = c["decision_interval"]
    assert e["lo"] < 0.8 or e["hi"] > 1.25
    assert f"decided: ratio {e['lo']:.2f}–{e['hi']:.2f} (" in fairness
    assert "were decided with Holm's correction" in fairness


def test_failing_cells_are_marked_and_tables_are_accessible(demo):
    _, html = demo
    fairness = _section(html, "fairness")
    assert '<span class="mark fail"' in fairness and "✖" in fairness
    assert fairness.count("<table") == fairness.count("<caption>")
    assert '<th scope="row">' in fairness
    assert '<span class="muted">(reference)</span>' in fairness


def test_large_tables_fold_the_rows_that_pass_or_cannot_be_decided(demo):
    doc, html = demo
    zip_index = next(i for i, t in enumerate(doc["fairness"], 1)
                     if t["attribute"] == "geography: zip_code")
    start = html.index(f'id="attr-{zip_index}"')
    article = html[start:html.index("</article>", start)]
    first_table = article[article.index("<table"):article.index("</table>")]
    assert "<details" in article and "folded-rows" in article
    assert first_table.count('<th scope="row">') < 36
    assert "mark fail" in first_table


def test_the_interval_width_rule_is_stated_with_the_size_rule(demo):
    _, html = demo
    text = _text(_section(html, "fairness"))
    assert "fewer than 30 people" in text and "wider than 30 percentage points" in text


def _estimates(node, path=""):
    if isinstance(node, dict):
        if {"value", "lo", "hi"} <= set(node):
            yield path, node
        if {"contribution", "lo", "hi"} <= set(node):
            yield path, {"value": node["contribution"], "lo": node["lo"], "hi": node["hi"],
                         "reason": "driver"}
        for k, v in node.items():
            yield from _estimates(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _estimates(v, f"{path}/{i}")


def test_every_interval_contains_its_point_or_is_marked(demo):
    """Item 7: no reported interval excludes its own point; a withheld one says why."""
    doc, _ = demo
    n = 0
    for path, e in _estimates(doc):
        n += 1
        v, lo, hi = e["value"], e["lo"], e["hi"]
        if v is None:
            continue
        if lo is None or hi is None:
            assert e.get("reason") or "decision_interval" in path, path
            continue
        assert lo - 1e-9 <= v <= hi + 1e-9, (path, e)
    assert n > 5000


def test_the_rules_are_documented_in_the_json_and_the_report(demo):
    doc, page = demo
    rules = doc["verdict"]["rules"]
    assert {"decision", "materiality", "decision_interval"} <= set(rules)
    text = _text(_section(page, "fairness"))
    assert _text(rules["materiality"]) in text and _text(rules["decision"]) in text


def test_a_material_review_says_plainly_why_the_gap_is_real(demo):
    """No double negative: a review item says its interval lies on one side of no gap."""
    _, page = demo
    summary = _text(_section(page, "summary"))
    assert "◆ review" in summary
    assert "its whole interval lies on one side of “no gap”" in summary
    assert "excludes no gap" not in page


def test_a_deciding_interval_is_not_printed_onto_the_limit(demo):
    """An interval ending at 0.79974 beside a limit of 0.80 must not read '0.80' (as if it
    touched the limit while the check fails): its ends get the decimals that keep them
    clear of the limit, in the decisive table and in the group tables' cells."""
    doc, page = demo
    c = next(c for c in doc["verdict"]["checks"] if c["group"] == "Black × GA"
             and c["criterion"] == "demographic_parity")
    assert c["outcome"] == "fail" and 0.795 <= c["decision_interval"]["hi"] < 0.8
    decisive = _text(_section(page, "decisive"))
    assert "0.5190–0.7997 (99.8%)" in decisive and "0.52–0.80 (99.8%)" not in decisive
    assert "decided: ratio 0.5190–0.7997 (99.8%)" in _text(page)
