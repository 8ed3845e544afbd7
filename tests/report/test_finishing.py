"""The compliance reviewer's finishing pass (issue 10): titles in the audit's own words, the
reference row, the verdict rule read from the result, captions in every section, the
retrained copy named apart, clean minus signs and the recoverability the rule uses."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest
from conftest import section

from audit._report import render_html
from audit._report.sections.flags import flags_context
from audit._result.audit import AuditResult
from audit._result.findings import REGISTRY
from audit._words.explain import driver_sentence


def _text(page: str) -> str:
    page = re.sub(r"<(style|svg|script|title|pre)\b.*?</\1>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", text).replace("\u2068", "").replace("\u2069", "")


def _harmful(stored_demo: AuditResult) -> AuditResult:
    config = {k: v for k, v in stored_demo.provenance.config.items() if k != "outcome_verb"}
    return replace(stored_demo, spec=replace(stored_demo.spec, positive_is="harmful"),
                   provenance=replace(stored_demo.provenance, config=config))


# ------------------------------------------------------------------ 1. titles in the audit's words


def test_titles_use_the_outcome_verb_in_prose_and_the_registry_title_in_details(stored_demo,
                                                                                 stored_demo_html):
    assert "FAIR001" in stored_demo.verdict.reasons
    assert stored_demo.provenance.config["outcome_verb"] == "approved"
    summary = _text(section(stored_demo_html, "summary"))
    reasons = summary[summary.index("Reasons:"):summary.index("Check codes")]
    assert "Some groups are approved far less or more often (four-fifths rule)" in reasons
    assert "selected" not in reasons
    # the stable code and the registry's title stay, as technical details (and in the JSON)
    assert f"FAIR001 {REGISTRY['FAIR001'].title}" in summary
    signoff = _text(section(stored_demo_html, "signoff"))
    assert "approved far less or more often" in signoff and "selected" not in signoff


def test_titles_of_a_harmful_positive_say_flagged_and_never_qualified(stored_demo):
    harmful = _harmful(stored_demo)
    page = render_html(harmful)
    prose = " ".join(_text(section(page, s)) for s in ("summary", "decisive", "signoff"))
    prose = prose.replace(REGISTRY["FAIR001"].title, "")  # the technical-details line
    assert "flagged far less or more often" in prose
    assert "selected" not in prose and "Qualified" not in prose and "qualified" not in prose
    flags = flags_context(harmful)
    titles = [t["criterion"] for t in flags["terms"]] + [
        e["title"] for e in (flags["what_if"] or {}).get("experiments", [])]
    assert titles and not [t for t in titles if "ualified" in t or "selected" in t]


# ------------------------------------------------------------------ 2. the reference row


def test_reference_row_is_not_judged_against_itself(stored_demo_html):
    fairness = section(stored_demo_html, "fairness")
    refs = re.findall(r'<tr class="ref[^"]*">(.*?)</tr>', fairness, re.S)
    assert refs
    for row in refs:
        result = _text(re.search(r'<td class="result">(.*?)</td>', row, re.S).group(1))
        assert result.startswith("reference"), result
        # a check that does apply to the reference (calibration) is worded as its own
        assert "cannot be decided" not in result or "its own calibration" in result
    assert any("its own calibration: ○ cannot be decided" in _text(r) for r in refs)


# ------------------------------------------------------------------ 3. the verdict rule


def test_reading_guide_states_the_recorded_verdict_rule(stored_demo, stored_demo_html):
    guide = _text(section(stored_demo_html, "methodology"))
    from audit._words.verdict import DECISION_RULE

    rule = stored_demo.verdict.rules.get("decision", DECISION_RULE)  # an older JSON: the documented
    assert rule in guide
    for word in ("UNDECIDED", "REVIEW", "cannot be decided", "needs review", "may exceed"):
        assert word in guide, word
    # one source of truth: a different recorded rule is what the guide prints
    other = replace(stored_demo, verdict=replace(stored_demo.verdict, rules={
        **stored_demo.verdict.rules, "decision": "A rule recorded in this audit.json."}))
    assert "A rule recorded in this audit.json." in _text(section(render_html(other),
                                                                 "methodology"))


# ------------------------------------------------------------------ 4. captions and row headers


@pytest.mark.parametrize("name", ["complexity", "flags"])
def test_complexity_and_troublemaker_tables_have_captions_and_row_headers(stored_demo_html, name):
    tables = re.findall(r"<table[^>]*>(.*?)</table>", section(stored_demo_html, name), re.S)
    assert tables
    assert [t[:120] for t in tables if "<caption>" not in t] == []
    assert [t[:120] for t in tables if 'scope="row"' not in t and "<tbody" in t] == []


# ------------------------------------------------------------------ 5. the retrained copy


def test_retrained_copy_is_named_apart_from_the_audited_model(stored_demo):
    c = stored_demo.complexity
    assert c is not None
    retrained = replace(stored_demo, complexity=replace(
        c, compared_on="cross_validated", model_cv_metric=0.795, model_cv_folds=(0.79, 0.8),
        gain=0.795 - next(b.metric_value for b in c.baselines if b.key == c.compared_with)))
    text = _text(section(render_html(retrained), "performance"))
    assert "the audited model's was 0.795" not in text
    assert "a retrained copy of the audited model scored 0.795 on rows it did not see" in text
    assert f"the audited model itself: {c.model_metric:.3f} on the audit rows" in text


# ------------------------------------------------------------------ 6. minus signs


def test_driver_sentence_prints_true_minus_signs():
    from audit._result.explanation import DriverItem

    d = DriverItem("income", -0.7401, -0.799, -0.681, 0.8, -3.14, "lowers")
    s = driver_sentence(attribute="race", group="B", reference="A", units="log-odds",
                        gap=-0.5, gap_pp=-4.0, direction="lower", drivers=[d])
    assert "income −0.74 (95% interval −0.799 to −0.681), about −3.1 pp" in s
    assert not re.search(r"(?<![\w-])-\d", s)


def test_no_ascii_minus_or_negative_zero_in_the_visible_text(stored_demo_html):
    text = _text(stored_demo_html)
    assert not re.search(r"(?<![\w/.-])-\d", text), re.findall(r".{40}(?<![\w/.-])-\d.{20}", text)
    assert not re.search(r"[−-]0\.0+(?![\d])", text)


# ------------------------------------------------------------------ 7. recoverability by the rule


def test_recoverability_table_shows_the_value_the_proxy_rule_uses(stored_demo):
    tm = stored_demo.troublemakers
    age = next(rc for rc in tm.recoverability if rc.attribute == "age")
    assert age.auc.value is not None and age.auc.value < tm.thresholds.proxy_auc
    # one age group stands out (its one-vs-rest AUC above the rule's 0.70) while the
    # all-groups AUC stays below it: the flags use the larger, so the table must too
    overall = f"{age.auc.value:.2f}"
    picked = replace(age, strength=0.859)
    result = replace(stored_demo, troublemakers=replace(tm, recoverability=tuple(
        picked if rc is age else rc for rc in tm.recoverability)))
    row = next(r for r in flags_context(result)["recover"] if r["attribute"] == "age")
    assert row["strength"] == "0.86" and row["auc"]["value"] == overall
    reading = row["reading"].replace("\u2068", "").replace("\u2069", "")
    assert reading.startswith("The inputs together reveal age: they pick out one")
    assert "0.86" in row["reading"] and f"{overall} over all groups" in row["reading"]
    page = section(render_html(result), "flags")
    assert "AUC the rule uses" in page and "0.859" not in page


# ------------------------------------------------------------------ 8. read as a reviewer


def test_geography_groups_are_named_by_their_column(stored_demo_html):
    summary = _text(section(stored_demo_html, "summary"))
    assert "applicants from zip code " in summary
    assert not re.search(r"applicants from \d", summary)


def test_calibration_is_not_said_to_compare_with_a_reference(stored_demo_html):
    decisive = _text(section(stored_demo_html, "decisive"))
    block = decisive[decisive.index("Scores run too high"):][:200]
    assert "against its own outcome rate" in block and "compared with" not in block


def test_baseline_comparison_on_a_sample_says_so_beside_the_overall_value(stored_demo):
    c = stored_demo.complexity
    assert c.n_rows_used < stored_demo.spec.n_rows
    text = _text(section(render_html(stored_demo), "performance"))
    overall = stored_demo.overall.groups[0].metrics["auc"].value
    assert f"On a sample of {c.n_rows_used:,} of the {stored_demo.spec.n_rows:,} audited rows" in text
    assert f"On all {stored_demo.spec.n_rows:,} rows the audited model's ranking quality (AUC) is " \
           f"{overall:.3f}" in text


def test_a_failing_ratio_is_worded_by_its_direction_and_the_outcome_meaning(stored_demo):
    from audit._report.sections.fairness import notable_gaps

    def steps(result):
        return {round(c.estimate.value, 6): g.next_step for g in notable_gaps(result)
                for c in result.verdict.checks
                if g.decision == "fail" and g.criterion == "demographic_parity"
                and c.attribute == g.attribute and c.group == g.group
                and c.criterion == "demographic_parity"}

    below = {v: s for v, s in steps(stored_demo).items() if v < 0.8}
    assert below and all("below the four-fifths line" in s for s in below.values())
    flipped = replace(stored_demo, verdict=replace(stored_demo.verdict, checks=tuple(
        replace(c, estimate=replace(c.estimate, value=1 / c.estimate.value))
        if c.criterion == "demographic_parity" and c.outcome == "fail" and c.estimate.value
        else c for c in stored_demo.verdict.checks)))
    above = steps(flipped)
    assert above and not [s for s in above.values() if "below the four-fifths" in s]
    assert all("above the policy's 1.25 limit" in s for s in above.values())
    harmful = steps(_harmful(stored_demo))
    assert harmful and all("reference group is flagged" in s for s in harmful.values())


def test_equalized_odds_rows_behind_the_verdict_name_their_rate(stored_demo_html):
    decisive = _text(section(stored_demo_html, "decisive"))
    assert "(equalized odds)" in decisive
    block = decisive[decisive.index("(equalized odds)"):][:400]
    assert "points (true positive rate)" in block or "points (false positive rate)" in block
