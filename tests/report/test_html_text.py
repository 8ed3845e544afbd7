"""html_text's shortcut for printable text gives what the general path gives."""

from __future__ import annotations

import pytest
from markupsafe import Markup, escape

from audit._report.format import HTML_KEEPS, _linked, html_text
from audit._words.text import isolate, isolated_parts, visible

SAMPLES = ["", "plain", "a < b & \"c\" 'd'", "see “Troublemaker features” below", "é 😀 ×",
           "tab\there", "line\nbreak", "\u202eevil", "zero\u200bwidth", "\x1b[2K",
           "From " + isolate("x") + ".", isolate("<b>") + " and “Data checks”", "nbsp\u00a0",
           "\u2028sep", "soft\u00adhyphen", "{braces} $5 %s"]


def _general(value: str) -> Markup:
    return Markup("").join(
        Markup("<bdi>%s</bdi>") % visible(piece, HTML_KEEPS) if isolated
        else _linked(escape(visible(piece, HTML_KEEPS)))
        for isolated, piece in isolated_parts(value))


@pytest.mark.parametrize("value", SAMPLES, ids=range(len(SAMPLES)))
def test_html_text_equals_the_general_path(value: str) -> None:
    out = html_text(value)
    assert isinstance(out, Markup) and out == _general(value)
