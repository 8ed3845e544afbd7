"""The report as a document to sign (issue 10): a short signed part, then a lettered appendix.

The stored_demo is rendered from its stored audit.json (tests/data/demo_full.json.gz), so these
tests take seconds; the browser test prints it to PDF and counts pages.
"""

from __future__ import annotations

import hashlib
import html
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import audit
from audit._fairness.policy import policy_toml
from audit._report import render_html
from audit._report.sections.signed import APPENDIX, SIGNED
from audit._result.audit import AuditResult
from audit._words.report import next_step, num, range_text, recommendation
from audit._words.verdict import limit_ends


class _Prose(HTMLParser):
    """The visible prose of the signed part: text outside the appendix, code, data values
    (<bdi>), charts and technical details."""

    SKIP = {"code", "bdi", "svg", "style", "pre", "title", "script"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []  # per open element: does it hide its text?
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        hide = (tag in self.SKIP or "mono" in cls or "tech" in cls or "appendix" in cls
                or tag == "head")
        if tag not in ("br", "meta", "input", "img", "hr", "link"):
            self.stack.append(hide)

    def handle_endtag(self, tag):
        if self.stack and tag not in ("br", "meta", "input", "img", "hr", "link"):
            self.stack.pop()

    def handle_data(self, data):
        if not any(self.stack):
            self.text.append(data)


def visible_prose(html: str) -> str:
    p = _Prose()
    p.feed(html)
    return " ".join(p.text)


#: Code identifiers that must not reach a reviewer's prose.
IDENTIFIER = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\b\w+\(\)|\b[A-Z]{3,5}\d{3}\b")


def test_signed_part_first_then_lettered_appendix(stored_demo_html):
    ids = re.findall(r'<section id="([a-z]+)"', stored_demo_html)
    assert ids == [i for i, _ in SIGNED] + [i for i, _ in APPENDIX]
    signed, appendix = stored_demo_html.split('id="end-of-signed-part"')
    assert '<section id="signoff">' in signed and '<section id="data">' in appendix


def test_contents_link_to_every_section_with_its_heading(stored_demo_html):
    for sid, title in SIGNED + APPENDIX:
        assert f'<li><a href="#{sid}">{title.replace(chr(39), "&#39;")}</a></li>' in stored_demo_html
        heading = re.search(rf'<section id="{sid}">\s*<h2>(.*?)</h2>', stored_demo_html, re.S)
        assert heading and heading.group(1).replace("&#39;", "'") == title, sid


def test_every_in_page_link_has_a_target(stored_demo_html):
    ids = set(re.findall(r'\bid="([^"]+)"', stored_demo_html))
    targets = set(re.findall(r'href="#([^"]+)"', stored_demo_html))
    assert targets and targets <= ids, targets - ids


def test_cross_references_are_links(stored_demo_html):
    assert '<a href="#gap-drivers">“What drives each gap”</a>' in stored_demo_html
    assert '<a href="#flags">“Troublemaker features”</a>' in stored_demo_html
    assert "“What drives each gap”" not in re.sub(r"<a [^>]*>“[^”]*”</a>", "", stored_demo_html)


def test_decisive_checks_list_every_fail_with_numbers(stored_demo, stored_demo_html):
    signed = stored_demo_html.split('id="end-of-signed-part"')[0]
    part = signed[signed.index('<section id="decisive">'):]
    fails = [c for c in stored_demo.verdict.checks if c.outcome == "fail"]
    assert fails
    assert part.count("✖ fail") == len({(c.attribute, c.criterion) for c in fails})
    for c in fails:
        if c.kind == "ratio":  # the value, and the interval the verdict used
            i = c.decision_interval or c.estimate
            assert f"{num(c.estimate.value)} times" in part
            lo, hi = limit_ends(i.lo, i.hi, True, c.threshold)  # clear of the limit
            assert f"{lo}–{hi}" in part


def test_signoff_offers_decisions_long_lines_and_the_policy(stored_demo_html):
    part = stored_demo_html[stored_demo_html.index('<section id="signoff">'):]
    part = part[:part.index("</section>")]
    for decision in ("Approve", "Approve with conditions", "Reject"):
        assert f"</span> {decision}</li>" in part
    assert part.count('class="line') >= 7
    assert "built-in default policy" in part


def test_policy_hash_is_recorded_and_shown(tmp_path, small_df, small_model):
    policy = tmp_path / "policy.toml"
    policy.write_text("accuracy_diff_max = 0.07\n", encoding="utf-8")
    result = audit.run(small_model, small_df, policy=policy, n_boot=20, explain=False,
                       what_if=False)
    from audit._fairness.policy import load_policy
    expected = hashlib.sha256(policy_toml(load_policy(str(policy))).encode()).hexdigest()
    assert result.provenance.policy_sha256 == expected
    html = render_html(result)
    assert expected in html and "policy.toml" in html
    default = audit.run(small_model, small_df, n_boot=20, explain=False, what_if=False)
    assert default.provenance.policy_sha256 == hashlib.sha256(policy_toml().encode()).hexdigest()


def test_title_is_the_model_name(stored_demo, stored_demo_html):
    title = re.search(r"<title>(.*?)</title>", stored_demo_html).group(1)
    assert title.startswith("model.skops") and "Pipeline(" not in title
    named = dataclass_replace_config(stored_demo, model_name="Credit model 7")
    assert "<title>Credit model 7 – model audit" in render_html(named)


def dataclass_replace_config(result: AuditResult, **config: str) -> AuditResult:
    from dataclasses import replace

    prov = replace(result.provenance, config={**result.provenance.config, **config})
    return replace(result, provenance=prov)


def test_signed_prose_has_no_code_identifiers(stored_demo, stored_demo_html):
    # from the summary (its reasons by their titles; codes only in technical details) to the
    # sign-off
    start, end = stored_demo_html.index('<section id="summary">'), stored_demo_html.index('id="end-of-signed')
    prose = visible_prose(stored_demo_html[start:end])
    assert "Checks behind the verdict" in prose and "Sign-off" in prose and "Reasons:" in prose
    assert IDENTIFIER.findall(prose) == []
    summary = stored_demo_html[start:stored_demo_html.index('<section id="scope">')]
    for code in stored_demo.verdict.reasons:  # the codes are still there, as technical details
        assert re.search(rf'<p class="tech">[^<]*{code}', summary), code


def test_ranges_print_cleanly(stored_demo_html):
    assert range_text(-0.114, -0.0149) == "−0.11 to −0.01"
    from audit._words.report import gap_drivers_title
    assert gap_drivers_title("B", "A", "race", -1.0768).endswith("gap −1.08")
    assert num(-0.0001, 3) == "0.000" and num(-0.25) == "−0.25"
    assert not re.search(r"-0\.0+\b(?!\d)", stored_demo_html)
    assert not re.search(r"\d–-\d", stored_demo_html)
    assert "–−" not in stored_demo_html  # group-table intervals: '−0.17 to −0.01', not '−0.17–−0.01'


def test_charts_are_images_with_titles_and_badge_colours(stored_demo_html):
    svgs = re.findall(r"<svg[^>]*>", stored_demo_html)
    assert svgs and all('role="img"' in s and "aria-label=" in s for s in svgs)
    assert stored_demo_html.count("<title>") == 1 + len(svgs)
    fairness = stored_demo_html[stored_demo_html.index('<section id="fairness">'):]
    fairness = fairness[:fairness.index("</section>")]
    assert "#e69f00" not in fairness.lower()  # 2.25:1 on white, below 3:1 for graphics
    assert "#8a5a00" in fairness.lower()  # the REVIEW badge's amber


def _predictions_only() -> AuditResult:
    rng = np.random.default_rng(3)
    n = 1500
    df = pd.DataFrame({"race": rng.choice(["A", "B"], n, p=[0.6, 0.4]),
                       "target": rng.integers(0, 2, n)})
    df["pred"] = np.where(df.race == "A", rng.random(n) < 0.7, rng.random(n) < 0.3).astype(int)
    return audit.run(None, df, predictions="pred", target="target", n_boot=50)


def test_predictions_only_advice_fits_the_mode():
    assert "What drives each gap" in next_step("demographic_parity", "fail")
    step = next_step("demographic_parity", "fail", mode="predictions")
    assert "What drives each gap" not in step and "retrain" not in step
    result = _predictions_only()
    assert result.spec.mode == "predictions" and result.verdict.verdict == "FAIL"
    html = render_html(result)
    nexts = re.findall(r"Next:[^<]*(?:<a[^>]*>[^<]*</a>[^<]*)*", html)
    assert nexts and not [n for n in nexts if "What drives each gap" in n or "retrain" in n]
    rec = html[html.index('<section id="recommendation">'):]
    assert "owner" in rec[:rec.index("</section>")]


def test_gap_in_scores_is_named_an_average_score_with_its_sample(stored_demo, stored_demo_html):
    from dataclasses import replace

    assert stored_demo.explanation.n_sample == stored_demo.spec.n_rows  # the stored_demo explains every row
    assert "chance of being approved than" not in stored_demo_html  # read as a gap in decisions
    assert ("average score for <bdi>Black</bdi> applicants (its predicted chance of being "
            "approved) was" in stored_demo_html)
    assert "over a sample of" not in stored_demo_html
    # an audit that explained a sample says so beside the gap
    sampled = replace(stored_demo, explanation=replace(stored_demo.explanation, n_sample=2000))
    assert ("average score for <bdi>Black</bdi> applicants (its predicted chance of being "
            f"approved, over a sample of 2,000 of {stored_demo.spec.n_rows:,} rows) was"
            in render_html(sampled))


def test_harmful_positive_is_flagged_not_selected(stored_demo):
    from dataclasses import replace

    from audit._report.sections._common import words
    from audit._words.report import binary_performance, check_sentence

    harmful = replace(stored_demo, spec=replace(stored_demo.spec, positive_is="harmful"),
                      provenance=replace(stored_demo.provenance, config={
                          k: v for k, v in stored_demo.provenance.config.items() if k != "outcome_verb"}))
    assert words(harmful)[0] == "flagged"
    assert words(stored_demo)[0] == "approved"  # a verb the user chose stays
    text = " ".join(binary_performance(stored_demo.overall.groups[0].metrics, "selected", "people",
                                       "harmful"))
    assert "flagged" in text and "qualif" not in text and "selected" not in text
    tpr = next(c for c in stored_demo.verdict.checks if c.metric == "tpr" and c.estimate.value)
    sentence = check_sentence(tpr, "group B", "group A", "selected", "people", "harmful")
    assert sentence.startswith("Among people who truly had the outcome, group B were flagged")
    favourable = check_sentence(tpr, "group B", "group A", "selected", "people")
    assert favourable.startswith("Among people who truly qualified, group B were selected")


def test_every_table_has_a_caption_and_row_headers(stored_demo_html):
    # the complexity and troublemaker sections are checked with their own templates
    parts = re.split(r'(?=<section id="(?:complexity|flags|methodology)">)', stored_demo_html)
    html = "".join(p for p in parts if not p.startswith(('<section id="complexity"',
                                                          '<section id="flags"')))
    tables = re.findall(r"<table[^>]*>(.*?)</table>", html, re.S)
    assert tables
    missing = [t[:120] for t in tables if "<caption>" not in t]
    assert missing == []
    headless = [t[:120] for t in tables if 'scope="row"' not in t and "<tbody" in t
                and "<thead" in t]
    assert headless == []


def test_predictions_only_scope_names_the_decisions_once():
    html = render_html(_predictions_only())
    scope = html[html.index('<section id="scope">'):]
    model = re.search(r"<dt>Model</dt><dd>(.*?)</dd>", scope, re.S).group(1)
    assert model.count("predictions in") == 1, model


def test_print_lists_folded_rows_by_group_and_size(stored_demo, stored_demo_html):
    """Print shortens large tables: folded rows are listed by name and size, not dropped."""
    from audit._report.sections.fairness import fairness_context

    fairness = stored_demo_html[stored_demo_html.index('<section id="fairness">'):]
    fairness = fairness[:fairness.index("</section>")]
    assert '<details class="folded-rows screen-only">' in fairness
    assert 'class="print-only print-note">In print, this section is shortened' in fairness
    printed = re.findall(r'<p class="print-only folded-print">(.*?)</p>', fairness, re.S)
    attributes = [a for a in fairness_context(stored_demo)["attributes"] if a["folded"]]
    assert attributes and len(printed) == len(attributes)
    for a, text in zip(attributes, printed, strict=True):
        for row in a["folded"]:
            g = row["g"]
            assert f"{html.escape(g.group)}</bdi> ({g.n:,})" in text, g.group
        assert "audit.json (fairness)" in text and a["folded_summary"] in text
    # shortened tables print only the columns a check uses; small tables print complete
    zip_code = next(a for a in attributes if a["table"].attribute == "geography: zip_code")
    assert zip_code["print_drop"] >= {"base_rate", "auc"}
    race = next(a for a in fairness_context(stored_demo)["attributes"] if a["table"].attribute == "race")
    assert race["print_drop"] == set() and not race["folded"]


def test_no_negative_zero_in_decided_intervals(stored_demo_html):
    from audit._words.verdict import decided_by, decided_short

    assert not re.search(r"−0\.0+(?![\d])", stored_demo_html)
    assert decided_short(-0.233, -0.00002, 0.99, False) == "decided: gap −23.3 to 0.0 pts (99.0%)"
    assert decided_by(-0.233, -0.00002, 0.99, False, True).endswith("−23.3 to 0.0 points")


def test_gap_sentences_and_chart_follow_the_outcome_meaning_and_decision(stored_demo):
    """A harmful positive reads 'flagged' / 'truly had the outcome' in the fairness
    sentences; a check that cannot be decided draws as undecided in the selection chart."""
    from dataclasses import replace

    from audit._report.charts.fairness import UNDECIDED_PURPLE
    from audit._report.sections.fairness import decision, fairness_context, notable_gaps

    harmful = replace(stored_demo, spec=replace(stored_demo.spec, positive_is="harmful"),
                      provenance=replace(stored_demo.provenance, config={
                          k: v for k, v in stored_demo.provenance.config.items() if k != "outcome_verb"}))
    texts = [g.text for g in notable_gaps(harmful)]
    assert not [t for t in texts if "qualified" in t or "selected" in t]
    assert any("truly had the outcome" in t for t in texts)
    undecided = {c.attribute for c in stored_demo.verdict.checks if decision(c) == "undecided"
                 and c.criterion == "demographic_parity" and " × " not in c.attribute}
    charts = {a["table"].attribute: a["chart"]["svg"] for a in fairness_context(stored_demo)["attributes"]
              if a["chart"]}
    assert undecided and all(UNDECIDED_PURPLE.lower() in charts[a].lower() for a in undecided)


def _decile_audit(target: str) -> AuditResult:
    """A predictions-only audit whose scores are 1-10 deciles (not probabilities)."""
    rng = np.random.default_rng(5)
    n = 3000
    race = rng.choice(["A", "B", "C"], n, p=[0.5, 0.35, 0.15])
    risk = rng.normal(0, 1, n) + (race == "A") * 0.5
    decile = np.clip(np.ceil(pd.Series(risk).rank(pct=True) * 10), 1, 10).astype(int)
    df = pd.DataFrame({"race": race, "decile_score": decile,
                       target: (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int),
                       "high_risk": (decile >= 5).astype(int)})
    return audit.run(None, df, predictions="high_risk", scores="decile_score", target=target,
                     n_boot=50)


def test_decile_scores_and_a_harmful_target_in_summary_scope_and_tables():
    """Issue 10 items 1-2 in the report: 'flagged', what was read first, calibration not
    applicable with its reason in the overall table, no average score in percentage points."""
    from audit._report.console import summary_lines

    result = _decile_audit("two_year_recid")
    assert result.spec.positive_is == "harmful"
    html = render_html(result)
    summary = html[html.index('<section id="summary">'):html.index('<section id="scope">')]
    assert "Read first:" in summary and "harmful outcome" in summary and "flagged" in summary
    scope = html[html.index('<section id="scope">'):]
    scope = scope[:scope.index("</section>")]
    assert "1 is a harmful outcome" in scope and "Used as a ranking only" in scope
    assert "scores are not probabilities: range 1–10" in scope
    perf = html[html.index('<section id="performance">'):]
    perf = perf[:perf.index("</section>")]
    assert perf.count("not applicable (scores are not probabilities: range 1–10)") == 2
    assert ">undefined<" not in perf
    assert "qualif" not in visible_prose(html)
    assert not re.search(r"\d{3} (?:percentage )?points", html)  # no '402 points'
    console = "\n".join(summary_lines(result))
    assert "favourable outcome = 1" not in console and "1 is a harmful outcome" in console
    assert "Read first:" in console


def test_an_assumed_favourable_positive_is_said_in_the_summary_first_lines():
    result = _decile_audit("outcome")
    assert result.spec.positive_note
    html = render_html(result)
    summary = html[html.index('<section id="summary">'):html.index("What we found")]
    assert "Read first:" in summary and "as the favourable outcome" in summary
    assert "--positive-is harmful" in summary
    assert IDENTIFIER.findall(visible_prose(summary)) == []


@pytest.mark.parametrize("criterion", ["calibration", "predictive_parity"])
def test_a_failing_check_with_no_breakdown_and_no_loss_rule_is_not_sent_to_them(criterion):
    """Calibration and predictive parity compare scores or decisions with the outcomes that
    followed: "What drives each gap" does not break them down and no fairness rule in the
    training loss targets them, so their next step does not point there (the demo's
    calibration FAIL for zip code 44104 did)."""
    step = next_step(criterion, "fail")
    assert "What drives each gap" not in step and "Troublemaker features" not in step
    assert "recalibrat" in step and step.startswith(
        "The gap is larger than the policy allows, even allowing for chance.")
    assert "What drives each gap" in next_step("equal_opportunity", "fail")


def test_the_recommendation_fits_the_failing_checks():
    """A FAIL on calibration alone is fixed by recalibrating, not by the gap breakdown and
    a fairness rule for retraining; a FAIL on both kinds names both remedies."""
    gaps = recommendation("FAIL", "model", 2, 0, {"demographic_parity", "equal_opportunity"})
    assert "What drives each gap" in gaps[1] and "recalibrat" not in gaps[1].lower()
    alone = recommendation("FAIL", "model", 1, 0, {"calibration"})
    assert "What drives each gap" not in alone[1] and "Troublemaker" not in alone[1]
    assert alone[1].startswith("Recalibrate the model's scores on held-out data")
    both = recommendation("FAIL", "model", 3, 0, {"demographic_parity", "predictive_parity"})
    assert "What drives each gap" in both[1] and "recalibrated on held-out data" in both[1]
    only_decisions = recommendation("FAIL", "predictions", 1, 0, {"calibration"})
    assert "saw only the model's decisions" in only_decisions[1]
    assert recommendation("PASS", "model", 0, 0) == [recommendation("PASS", "model", 0, 0)[0]]


def test_the_demo_recommendation_names_both_remedies(stored_demo, stored_demo_html):
    failing = {c.criterion for c in stored_demo.verdict.checks if c.outcome == "fail"}
    assert "calibration" in failing and "demographic_parity" in failing
    assert "need the scores recalibrated on held-out data too" in html.unescape(
        stored_demo_html)
