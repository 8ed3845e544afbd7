"""Report sections: performance, explanations, complexity, troublemakers, methodology."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

import markupsafe
import numpy as np
import pandas as pd
import pytest
import textstat
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import audit
from audit._report import environment, render_html
from audit._report.context import build_context, section_contexts
from audit._report.sections import explanations as expl_section
from audit._report.sections.explanations import explanation_context, gap_text
from audit._report.sections.performance import performance_context
from audit._result.explanation import DriverItem, DriverSummary
from audit._result.metrics import METRICS
from audit._words.report import glossary
from audit._words.text import plain

SECTIONS = ("performance", "explanations", "complexity", "flags", "methodology")


def esc(text: str) -> str:
    return str(markupsafe.escape(text))


def make_proxy_data(n: int = 1500, seed: int = 1) -> pd.DataFrame:
    """Race is not a model input, but 'zone' gives it away and drives the approvals."""
    rng = np.random.default_rng(seed)
    race = rng.choice(["A", "B"], n, p=[0.65, 0.35])
    zone = np.where(race == "B", rng.choice(["z3", "z4", "z1"], n, p=[0.5, 0.4, 0.1]),
                    rng.choice(["z1", "z2", "z3"], n, p=[0.5, 0.4, 0.1]))
    df = pd.DataFrame({"income": rng.normal(50, 10, n).round(1), "zone": zone, "race": race,
                       "gender": rng.choice(["Female", "Male"], n)})
    logit = (df.income - 50) / 8 + 1.2 * df.zone.isin(["z1", "z2"]) - 0.6
    df["target"] = (logit + rng.logistic(size=n) > 0).astype(int)
    return df


@pytest.fixture(scope="module")
def result() -> audit.AuditResult:
    df = make_proxy_data()
    pre = ColumnTransformer([("oh", OneHotEncoder(handle_unknown="ignore"), ["zone"]),
                             ("num", StandardScaler(), ["income"])])
    model = make_pipeline(pre, LogisticRegression()).fit(df[["income", "zone"]], df.target)
    return audit.run(model, df, n_boot=50, what_if=True, what_if_seconds=30,
                     outcome_verb="approved", subject_noun="applicants")


def render_section(result: audit.AuditResult, name: str) -> str:
    """One section rendered on its own, with the full report's context."""
    ctx = build_context(result)
    return environment().get_template(f"sections/{name}.html.j2").render(**ctx)


class _Figures(HTMLParser):
    """Counts charts and checks each has an aria-label and a figcaption."""

    def __init__(self) -> None:
        super().__init__()
        self.figures = 0
        self.labelled = 0
        self.captions = 0
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        if d.get("id"):
            self.ids.add(d["id"])
        if tag == "figure":
            self.figures += 1
        if tag == "div" and d.get("role") == "img" and (d.get("aria-label") or "").strip():
            self.labelled += 1
        if tag == "figcaption":
            self.captions += 1


def parse(html: str) -> _Figures:
    p = _Figures()
    p.feed(html)
    return p


def generated_sentences(ctx: dict) -> list[str]:
    """Every sentence these sections write themselves (not texts taken from the result)."""
    p, e, c, f, m = ctx["perf"], ctx["expl"], ctx["cplx"], ctx["flags"], ctx["meth"]
    out = list(p["sentences"]) + list(p["baseline"]["sentences"] if p["baseline"] else [])
    out += e["lead"] + e["reading"] + [s for a in e["attributes"] for s in a["sentences"]]
    out += [c["headline"]] + f["intro"] + [x["plain"] for x in f["flags"]] + f["drop"]
    if f["top_term"]:
        out.append(f["top_term"]["plain"])
    out += [s for x in f["what_if"]["experiments"] for s in x["sentences"]]
    out += [d for _, d in m["glossary"]]
    return [s for s in out if s]


def test_fixture_has_what_the_sections_need(result):
    # guards the tests below: they are only meaningful if these parts ran and found something
    assert result.explanation is not None and result.complexity is not None
    assert result.troublemakers is not None
    assert any(f.feature == "zone" for f in result.troublemakers.flags)
    assert result.troublemakers.what_if.status in ("ran", "partial")
    assert any(c.attribute == "race" and c.criterion == "demographic_parity"
               and c.outcome in ("fail", "review") for c in result.verdict.checks)


def test_full_report_has_sections_in_order(result):
    html = render_html(result)
    ids = [m.group(1) for m in re.finditer(r'<section id="([a-z]+)"', html)]
    order = ["summary", "scope", "decisive", "recommendation", "signoff",  # the signed part
             "data", "performance", "fairness", "explanations", "complexity", "flags",
             "methodology", "reproducibility"]  # the appendix
    assert [i for i in ids if i in order] == order


def test_performance_plain_sentences_and_numbers(result):
    html = render_section(result, "performance")
    assert 'id="performance"' in html
    tpr = result.overall.groups[0].metrics["tpr"]
    assert f"Of applicants who truly qualified, the model approved {100 * tpr.value:.0f}%" in html
    assert "95% CI" in html and "It missed the other" in html
    assert "Compared with a simple model" in html and "Linear baseline" in html
    # the formulas are defined once, under "How to read this report", and linked from here
    assert '<a href="#methodology">' in html
    methodology = render_section(result, "methodology")
    for key in ("accuracy", "auc", "fpr"):
        assert esc(METRICS[key].formula) in methodology and METRICS[key].label in html


def test_explanations_charts_and_gap_drivers(result):
    html = render_section(result, "explanations")
    p = parse(html)
    assert "explanations" in p.ids
    assert 3 <= p.figures <= expl_section.MAX_EXPLANATION_CHARTS
    assert p.labelled == p.figures == p.captions
    assert html.count("<svg") == p.figures
    top = [f.feature for f in result.explanation.global_importance[:2]]
    assert (f"The model leans most on <bdi>{top[0]}</bdi>" in html
            or f"The model uses <bdi>{top[0]}</bdi>" in html)
    assert "<h4><bdi>race</bdi>" in html and "chance of being approved" in html
    # the explainer's own sentence is kept for engineers, and the method is stated
    assert result.explanation.summaries[0].sentence.split("'")[0] in html
    assert "Additivity check" in html and esc(result.explanation.explainer_description) in html


def test_chart_budget_is_respected(result, monkeypatch):
    monkeypatch.setattr(expl_section, "MAX_EXPLANATION_CHARTS", 3)
    ctx = explanation_context(result)
    n = len(ctx["charts"]) + sum(len(a["charts"]) for a in ctx["attributes"])
    assert n == 3
    monkeypatch.setattr(expl_section, "MAX_EXPLANATION_CHARTS", 2)
    ctx = explanation_context(result)
    assert sum(len(a["charts"]) for a in ctx["attributes"]) == 0
    assert any("left out" in note for a in ctx["attributes"] for note in a["notes"])


def test_complexity_scores_side_by_side(result):
    html = render_section(result, "complexity")
    c = result.complexity
    assert 'id="complexity"' in html and esc(c.verdict) in html
    assert f"{c.model.score:.0f}" in html
    for b in c.baselines:
        assert b.interpretability.subject.capitalize() in html
    for comp in c.model.components:
        assert comp.title in html
    assert "sub-score" in html


def test_flags_tables_recommendation_and_what_if(result):
    html = render_section(result, "flags")
    tm = result.troublemakers
    assert 'id="flags"' in html
    assert "<code>zone</code>" in html and "gives away race" in html
    assert "How strongly each input reveals a protected attribute" in html
    assert "Would dropping a flagged input help?" in html
    term = tm.loss_terms[0]
    assert f"{term.constraint}({term.bound_name}={term.bound:g})" in html
    assert "<pre><code>" in html and "ExponentiatedGradient" in html
    assert "What-if" in html and re.search(r"(fell|rose) from", html)


def test_snippet_and_data_values_are_escaped(result):
    tm = result.troublemakers
    evil = "<script>alert('x')</script> & done"
    term = dataclasses.replace(tm.loss_terms[0], snippet=evil)
    flag = dataclasses.replace(tm.flags[0], explanation="<b>bold</b> claim")
    hostile = dataclasses.replace(result, troublemakers=dataclasses.replace(
        tm, loss_terms=(term,) + tm.loss_terms[1:], flags=(flag,) + tm.flags[1:]))
    html = render_section(hostile, "flags")
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; done" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_sections_say_why_when_not_run(result):
    skipped = {"explanations": "turned off (--no-explain)",
               "complexity": "predictions-only mode: this needs the model itself",
               "troublemakers": "the data has no protected attribute besides the target"}
    bare = dataclasses.replace(result, explanation=None, complexity=None, troublemakers=None,
                               skipped=skipped)
    html = render_html(bare)
    p = parse(html)
    for s in SECTIONS:
        assert s in p.ids
    for section, why in (("explanations", skipped["explanations"]),
                         ("complexity", skipped["complexity"]),
                         ("flags", skipped["troublemakers"])):
        part = render_section(bare, section)
        assert f"This part of the audit did not run: {why}." in part
        assert "<svg" not in part
    perf = render_section(bare, "performance")
    assert "The comparison with a simple model did not run" in perf
    # the method section still defines everything without those results
    meth = render_section(bare, "methodology")
    assert "SHAP value" in meth and "interpretability = 100" in meth


def test_not_run_without_a_reason_still_says_so(result):
    bare = dataclasses.replace(result, explanation=None, skipped={})
    assert explanation_context(bare)["why"] == "This part of the audit did not run."


def test_methodology_defines_metrics_formulas_and_glossary(result):
    html = render_section(result, "methodology")
    assert 'id="methodology"' in html and esc(result.verdict.method) in html
    for m in METRICS.values():
        if m.task == "binary":
            assert esc(m.definition) in html
    for term in ("SHAP value", "Proxy", "Confidence interval", "Reference group",
                 "Four-fifths rule", "Bootstrap", "Calibration", "Equalized odds"):
        assert f"<dt>{term}" in html
    assert "f(x) = φ₀ + Σⱼ φⱼ(x)" in html
    assert "Proxy and flag rules" in html and "0.70" in html
    assert "selection_rate_ratio_min" in html  # policy limits kept


def test_generated_sentences_are_readable(result):
    ctx = section_contexts(result)
    sentences = generated_sentences(ctx)
    assert len(sentences) > 25
    grade = textstat.flesch_kincaid_grade(" ".join(sentences))
    assert grade <= 10, grade
    for _, definition in glossary("approved", "applicants"):
        assert textstat.flesch_kincaid_grade(definition) <= 12, definition


def test_gap_sentence_in_points_with_counter_drivers(result):
    s = DriverSummary(
        attribute="race", group="B", reference="A", units="log-odds", gap=-1.15, gap_pp=-17.7,
        direction="lower",
        drivers=(DriverItem("zone", -0.74, -0.8, -0.68, 0.64, -11.3, "lowers"),
                 DriverItem("income", -0.35, -0.5, -0.2, 0.31, -5.4, "lowers"),
                 DriverItem("debt", 0.2, 0.1, 0.3, -0.17, 3.0, "raises"),
                 DriverItem("tiny", -0.01, -0.02, 0.0, 0.01, -0.2, "lowers")),
        sentence="")
    text = plain(gap_text(result, s, "log-odds"))  # without the marks around data values
    # an average score, named so beside the gap in decisions, with its sample when sampled
    expl = result.explanation
    n_rows = getattr(expl, "n_rows", 0) or result.spec.n_rows
    sample = (f", over a sample of {expl.n_sample:,} of {n_rows:,} rows"
              if expl.n_sample < n_rows else "")
    assert text.startswith("The model's average score for B applicants (its predicted chance of "
                           f"being approved{sample}) was 17.7 points lower than for A applicants.")
    assert "zone (about 11 points) and income (about 5 points)" in text
    assert "Pulling the other way: debt (about 3 points)." in text
    assert "tiny" not in text  # below MIN_DRIVER_SHARE


def test_rendering_from_json_round_trip(result):
    again = audit.AuditResult.from_dict(result.to_dict())
    assert section_contexts(again)["perf"]["sentences"] == \
        section_contexts(result)["perf"]["sentences"]
    assert 'id="flags"' in render_html(again)


def test_regression_performance_sentences():
    rng = np.random.default_rng(3)
    n = 600
    df = pd.DataFrame({"x": rng.normal(size=n), "gender": rng.choice(["Female", "Male"], n)})
    df["target"] = 3 * df.x + rng.normal(size=n)
    model = Ridge().fit(df[["x"]], df.target)
    r = audit.run(model, df, n_boot=30, what_if=False)
    ctx = performance_context(r)
    assert ctx["task"] == "regression"
    assert any(s.startswith("On average, the model's prediction was off by") for s in
               ctx["sentences"])
    assert {row["key"] for row in ctx["rows"]} >= {"mae", "rmse"}
    html = render_html(r)  # every section also lays out a regression result
    for s in SECTIONS:
        assert f'<section id="{s}">' in html


def test_gap_sentence_when_inputs_cancel_out():
    import dataclasses as dc

    class _R:  # the sentence needs only the words and the task
        pass

    drivers = (DriverItem("age", -0.2, None, None, 6.9, None, "lowers"),
               DriverItem("employed", 0.09, None, None, -2.7, None, "raises"))
    s = DriverSummary("age", "45–54", "<25", "log-odds", -0.03, -1.3, "lower", drivers, "")
    result = _R()
    result.spec = dc.make_dataclass("S", [("task", str)])("binary")
    result.provenance = dc.make_dataclass("P", [("config", dict)])(
        {"outcome_verb": "released", "subject_noun": "people"})
    result.fairness = ()
    text = plain(gap_text(result, s, "log-odds"))
    assert "largely cancel out: age widens the gap, employed narrows it." in text
    assert "%" not in text


def test_what_if_value_without_interval_says_why(stored_demo, stored_demo_html) -> None:
    """A what-if value whose resamples are biased away from it shows 'no interval' with
    the reason, as the fairness tables do (the demo's zip-code experiment has one)."""
    from audit._words.fairness import POINT_OUTSIDE_INTERVAL

    runs = [r for e in stored_demo.troublemakers.what_if.experiments for r in e.runs]
    assert any(r.gap.reason == POINT_OUTSIDE_INTERVAL for r in runs)
    for r in runs:
        for e in (r.gap, r.performance, r.gap_change, r.performance_change):
            assert e.lo is None or e.lo <= e.value <= e.hi
    section = stored_demo_html.split('id="flags"', 1)[1]
    assert 'no interval</span>' in section
    assert "<li>No interval: the bootstrap resamples are biased away" in section  # in print


def test_explainer_notes_are_not_called_a_fallback(result) -> None:
    """A note about the explainer (XGBoost's float32 rounding, say) is not always a
    fallback: the report labels it as a note."""
    from audit._words.explain import float32_rounding_note

    note = float32_rounding_note(3.4e-6, 2.3e-4, "log-odds")
    noted = dataclasses.replace(result, explanation=dataclasses.replace(result.explanation,
                                                                        note=note))
    html = render_section(noted, "explanations")
    assert "Fallback" not in html
    assert re.search(r"<dt>Explainer notes</dt><dd>XGBoost computes the model", html)


def test_gaps_failing_only_in_combined_groups_are_named_not_denied() -> None:
    """Race and gender alone are selected alike, but their combinations are not: the
    breakdown (single attributes) must not say that no gap fails; it names the combined
    groups whose gaps fail and where their figures are."""
    rng = np.random.default_rng(4)
    n = 4000
    race, gender = rng.choice(["A", "B"], n), rng.choice(["Female", "Male"], n)
    high = (race == "B") != (gender == "Female")  # A-Female and B-Male earn more
    df = pd.DataFrame({"income": rng.normal(np.where(high, 60, 40), 5), "race": race,
                       "gender": gender})
    df["target"] = (df.income + rng.normal(0, 5, n) > 50).astype(int)
    model = LogisticRegression().fit(df[["income"]], df.target)
    r = audit.run(model, df, n_boot=50, what_if=False, skip=("complexity", "proxies"))
    assert any(c.outcome == "fail" and "×" in c.attribute for c in r.verdict.checks)
    ctx = explanation_context(r)
    assert ctx["attributes"] == [] and ctx["combined"] == ["race × gender"]
    html = render_section(r, "explanations")
    assert "No protected attribute has a gap" not in html
    assert "No single protected attribute" in html and "<bdi>race × gender</bdi>" in html
