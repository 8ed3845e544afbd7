"""The HTML report: structure, self-containment, escaping and readability."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import audit
from audit._report import render_html
from audit._report.sections.fairness import notable_gaps
from audit._words.report import VERDICT_TEXT

SECTIONS = ("summary", "scope", "data", "performance", "fairness", "explanations", "complexity",
            "flags", "methodology", "signoff", "reproducibility")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        self.tags.append((tag, d))
        if d.get("id"):
            self.ids.add(d["id"])


@pytest.fixture(scope="module")
def result(small_df, small_model):
    return audit.run(small_model, small_df, n_boot=100, outcome_verb="approved",
                     subject_noun="applicants")


def parse(html: str) -> _Collector:
    c = _Collector()
    c.feed(html)
    return c


def test_sections_present(result):
    c = parse(render_html(result))
    for s in SECTIONS:
        assert s in c.ids
    assert any(t == "span" and "badge" in (a.get("class") or "") for t, a in c.tags)


def test_no_external_references(result):
    html = render_html(result)
    c = parse(html)
    for tag, attrs in c.tags:
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not re.match(r"\s*(https?:)?//", value), (tag, key, value)
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", html)
    assert not any(t in ("script", "link", "iframe", "img") and a.get("src", "").startswith("http")
                   for t, a in c.tags)


def test_hostile_names_and_values_render_as_text():
    rng = np.random.default_rng(1)
    n = 400
    evil_col = 'race <script>alert("col")</script> & "q"'
    df = pd.DataFrame({
        "x": rng.normal(size=n),
        evil_col: rng.choice(["<script>alert('v')</script>", 'A & B "quoted"', "<b>bold</b>"], n),
    })
    df["target"] = (df.x + rng.normal(size=n) > 0).astype(int)
    model = LogisticRegression().fit(df[["x"]], df.target)
    res = audit.run(model, df, n_boot=30)
    html = render_html(res)
    assert "<script" not in html.lower()
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(" in html
    assert "A &amp; B &#34;quoted&#34;" in html or "A &amp; B &quot;quoted&quot;" in html
    # charts carry the hostile labels too: matplotlib must escape them in the SVG
    for m in re.finditer(r"<svg.*?</svg>", html, flags=re.S):
        assert "<script" not in m.group(0)


def test_plain_sentences_are_readable(result):
    textstat = pytest.importorskip("textstat")
    from audit._report.sections.summary import other_headlines

    gaps = notable_gaps(result)
    sentences = ([g.text for g in gaps] + [g.next_step for g in gaps]
                 + [t for _, text, step in other_headlines(result) for t in (text, step)]
                 + list(VERDICT_TEXT.values()))
    text = " ".join(sentences)
    grade = textstat.flesch_kincaid_grade(text)
    assert grade <= 10, (grade, text[:500])


def test_report_uses_outcome_words(result):
    html = render_html(result)
    gaps = notable_gaps(result)
    if any(g.criterion == "demographic_parity" for g in gaps):
        assert "were approved" in html
    assert "applicants" in html or not gaps


def test_notebook_repr_shows_verdict(result):
    html = result._repr_html_()
    assert f'class="badge {result.verdict.verdict}"' in html
    assert "<h2>Summary</h2>" in html and "<h2>Fairness by group</h2>" not in html


def test_point_intervals_read_the_same_way_as_the_sentence():
    from audit._words.report import ci_text

    assert ci_text(-0.15, -0.09, points=True) == " (95% CI 9.0 to 15.0 points)"
    assert ci_text(-0.15, 0.051, points=True) == (
        " (95% CI from 15.0 points less to 5.1 points more)")
    assert ci_text(0.02, 0.05, points=True) == " (95% CI 2.0 to 5.0 points)"
