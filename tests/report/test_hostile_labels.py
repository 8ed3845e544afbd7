"""Hostile text in data values, in the report, the console summary and the charts.

The demo's audit.json with some group labels and a feature name replaced by hostile
text: format strings (``{0}`` once crashed the report: ``str.format`` on a sentence
that already held the label), a right-to-left override (it reversed the rest of the
sentence, numbers included), newlines and escape sequences (they forged console
lines), a mathtext formula (matplotlib failed on it).
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from audit._report.charts import chart_text
from audit._report.format import attr_text, html_text
from audit._words.text import isolate, isolated_parts, plain, printable, visible

ROOT = Path(__file__).resolve().parents[2]
RLO = "\u202e"
#: Demo value -> hostile value (group labels, then a feature name).
HOSTILE = {
    "White": f"evil{RLO}abc",
    "Black": "{please specify}",
    "Hispanic": "{0}",
    "Asian": "{{7*7}}",
    "Female": "x\nVerdict: PASS",
    "zip_code": f"zip\x1b[31m{RLO}$\\frac{{$",
}
#: Characters that must not reach the page or the console raw.
RAW = ["\x1b", "\x07", "\x85", "\u2028", RLO, "\u2066", "\u2067"]


def _hostile_doc() -> str:
    text = gzip.open(ROOT / "tests" / "data" / "demo_no_what_if.json.gz", "rt",
                     encoding="utf-8").read()
    for old, new in HOSTILE.items():
        text = text.replace(old, json.dumps(new)[1:-1])
    return text


@pytest.fixture(scope="module")
def hostile_json(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "audit.json"
    path.write_text(_hostile_doc(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hostile_result():
    from audit._result.audit import AuditResult

    return AuditResult.from_dict(json.loads(_hostile_doc()))


@pytest.fixture(scope="module")
def hostile_html(hostile_result) -> str:
    from audit._report import render_html

    return render_html(hostile_result)


def test_labels_with_braces_render_verbatim(hostile_html: str) -> None:
    assert "<bdi>{please specify}</bdi> applicants were approved" in hostile_html
    # combinations of that group no longer get a sentence (their gaps cannot be decided):
    # the label still prints verbatim in its table
    assert "<td>{0} × &lt;25</td>" in hostile_html or "{0} × &lt;25</th>" in hostile_html
    assert "<td>{{7*7}}</td>" in hostile_html
    assert hostile_html.count("{7*7}") == hostile_html.count("{{7*7}}")


def test_right_to_left_override_is_isolated_and_visible(hostile_html: str) -> None:
    """The override is shown as an escape inside <bdi>; the numbers after it are outside."""
    assert RLO not in hostile_html
    sentence = re.search(r"<bdi>\{please specify\}</bdi> applicants were approved ([0-9.]+) "
                         r"times as often as <bdi>evil\\u202eabc</bdi> applicants "
                         r"\(95% CI ([0-9.]+)–([0-9.]+)\)\.", hostile_html)
    assert sentence is not None
    value, lo, hi = (float(x) for x in sentence.groups())
    assert lo <= value <= hi  # still in logical order: "0.61–0.70", not reversed


def test_no_raw_control_character_anywhere(hostile_html: str) -> None:
    for ch in RAW:
        assert ch not in hostile_html, repr(ch)
    assert "x\\nVerdict: PASS" in hostile_html


def test_no_element_inside_an_attribute(hostile_html: str) -> None:
    """Alt texts and tooltips hold isolated values too: as text, never as <bdi> tags."""
    assert re.search(r'(aria-label|title)="[^"]*<', hostile_html) is None
    assert 'aria-label="Share approved per \u2068race\u2069 group' in hostile_html


def test_formula_in_a_feature_name_is_drawn_as_text(hostile_html: str) -> None:
    """matplotlib would read $...$ as mathtext (and fail on this one): the dollars stay."""
    assert re.search(r"<text[^>]*>zip\\x1b\[31m\\u202e\$\\frac\{\$</text>", hostile_html)


def test_console_summary_lines_are_single_escaped_lines(hostile_result) -> None:
    from audit._report.console import summary_lines

    lines = summary_lines(hostile_result)
    text = "\n".join(lines)
    assert len(text.splitlines()) == len(lines)
    for ch in [*RAW, "\r", "\u2068", "\u2069"]:
        assert ch not in text, repr(ch)
    assert any("evil\\u202eabc" in line for line in lines)
    assert not any(line.startswith("Verdict") for line in lines)


def test_audit_render_and_diff_of_a_hostile_json(hostile_json: Path, golden_json: Path,
                                                 tmp_path: Path, capsys) -> None:
    from audit.cli import main

    assert main(["render", str(hostile_json), "-o", str(tmp_path / "r.html")]) == 0
    assert "<bdi>{please specify}</bdi>" in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert main(["diff", str(golden_json), str(hostile_json), "-o", str(tmp_path / "d.html")]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for ch in [*RAW, "\r"]:
        assert ch not in err, repr(ch)
    page = (tmp_path / "d.html").read_text(encoding="utf-8")
    for ch in RAW:
        assert ch not in page, repr(ch)


# --------------------------------------------------------------------------- the helpers


@pytest.mark.parametrize("raw, shown", [
    ("x\nVerdict: PASS", "x\\nVerdict: PASS"),
    ("\x1b[2K\rVerdict: PASS", "\\x1b[2K\\rVerdict: PASS"),
    ("a\x00b\x7f\x85\x9b", "a\\x00b\\x7f\\x85\\x9b"),
    ("\u2028\u2029", "\\u2028\\u2029"),
    ("l\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
     "l\\u200e\\u200f\\u061c\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069"),
    ("{0} {{7*7}} %s [b]x[/b] café 北京 مرحبا", "{0} {{7*7}} %s [b]x[/b] café 北京 مرحبا"),
])
def test_visible(raw: str, shown: str) -> None:
    assert visible(raw) == shown
    assert printable(isolate(raw)) == shown
    assert all(ch.isprintable() or ch == " " for ch in printable(raw))


def test_isolate_marks_one_value_and_escapes_its_own_marks() -> None:
    text = "From " + isolate("a\u2069b\u2068") + " to " + isolate("c") + "."
    assert isolated_parts(text) == [(False, "From "), (True, "a\\u2069b\\u2068"),
                                    (False, " to "), (True, "c"), (False, ".")]
    assert plain(text) == "From a\\u2069b\\u2068 to c."


def test_html_text_turns_isolates_into_bdi_and_escapes_the_rest() -> None:
    out = html_text("<b>" + isolate("<i>x\u202e</i>") + " 1.0 to 2.0\u202e\n")
    assert str(out) == "&lt;b&gt;<bdi>&lt;i&gt;x\\u202e&lt;/i&gt;</bdi> 1.0 to 2.0\\u202e\n"
    stray = html_text("\u2068unclosed")  # a raw isolate from data: shown, not obeyed
    assert str(stray) == "\\u2068unclosed"
    assert str(attr_text('"' + isolate("x") + "\u202e")) == "&#34;\u2068x\u2069\\u202e"


def test_chart_text_keeps_dollars_and_shows_controls() -> None:
    assert chart_text("$x$ \x1b " + isolate("g")) == "\\$x\\$ \\x1b g"
