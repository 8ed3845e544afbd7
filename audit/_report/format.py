"""Numbers in tables and the jinja filters (the numbers inside sentences come from audit._words.report)."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from .._result.tables import Estimate
from .._words.numbers import MINUS, signed
from .._words.numbers import percent as pct
from .._words.report import ci_text, finite, fixed, num, range_text, sig
from .._words.text import ISOLATE_CLOSE, ISOLATE_OPEN, isolate, isolated_parts, visible

__all__ = ["attr_text", "cell", "ci_text", "count", "filters", "html_text", "num", "pct",
           "signed_points"]

#: Controls that stay as they are in HTML text (plain whitespace there, meaningful in <pre>).
HTML_KEEPS = "\n\r\t"
#: Sections that sentences refer to by their quoted heading -> the element id they link to.
CROSS_REFERENCES = {
    "What drives each gap": "gap-drivers",
    "Troublemaker features": "flags",
    "Fairness by group": "fairness",
    "How to read this report": "methodology",
    "Is the complexity worth it?": "complexity",
    "Is the model's complexity worth it?": "complexity",
    "What drives the model's decisions": "explanations",
    "Checks behind the verdict": "decisive",
    "Reproducibility": "reproducibility",
    "Data checks": "data",
}
_QUOTED = re.compile("“(" + "|".join(re.escape(str(escape(k))) for k in CROSS_REFERENCES) + ")”")
_TARGET = {str(escape(k)): v for k, v in CROSS_REFERENCES.items()}


def _linked(text: Markup) -> Markup:
    """Escaped text with each quoted section heading (“Troublemaker features”) as a link."""
    return Markup(_QUOTED.sub(lambda m: f'<a href="#{_TARGET[m.group(1)]}">{m.group(0)}</a>',
                              str(text)))


def html_text(value: object) -> object:
    """Every ``{{ ... }}`` of the report goes through here (the Environment's ``finalize``).

    Text is escaped; data values marked by :func:`~audit._words.text.isolate` become
    ``<bdi>`` elements, so a right-to-left label cannot reorder the sentence around it;
    control and bidi characters anywhere else are shown as escapes (``\\u202e``); a
    section named in curly quotes (:data:`CROSS_REFERENCES`) becomes a link to it.
    Markup (the inline SVG charts) and non-text values pass unchanged.
    """
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    if value.isprintable():  # no isolate marks, controls or bidi controls: nothing to show
        return _linked(escape(value))
    return Markup("").join(
        Markup("<bdi>%s</bdi>") % visible(piece, HTML_KEEPS) if isolated
        else _linked(escape(visible(piece, HTML_KEEPS)))
        for isolated, piece in isolated_parts(value))


def attr_text(value: object) -> Markup:
    """Text for an HTML attribute (``aria-label``, ``title``): escaped, no elements inside.

    Isolated data values keep their Unicode isolate pair (FSI … PDI), which does in an
    attribute what ``<bdi>`` does in text.
    """
    return escape("".join(
        f"{ISOLATE_OPEN}{piece}{ISOLATE_CLOSE}" if isolated else visible(piece, HTML_KEEPS)
        for isolated, piece in isolated_parts(str(value))))


def count(n: int | float) -> str:
    """A count with thousands separators: 12345 -> '12,345'."""
    return f"{int(n):,}"


def signed_points(x: float | None) -> str:
    """A difference of proportions as signed points: 0.12 -> '+12.0', -0.12 -> '−12.0'
    (true minus, never '−0.0'), '–' if undefined."""
    return "–" if x is None else _pts_cell(x)


def filters() -> dict[str, object]:
    """The jinja filters the templates use."""
    return {"num": num, "pct": pct, "count": count, "ci": ci_text, "points": signed_points,
            "iso": isolate, "attr": attr_text, "upto": range_text}


def _pct_cell(x: float | None) -> str:
    return f"{100 * x:.1f}%" if finite(x) else "–"  # type: ignore[operator]


def _pp_cell(x: float | None) -> str:
    return signed(100 * x, 1) if finite(x) else "–"  # type: ignore[operator]


def _pts_cell(x: float | None) -> str:
    if not finite(x):
        return "–"
    text = f"{100 * x:+.1f}"  # type: ignore[operator]
    return "0.0" if text in ("+0.0", "-0.0") else text.replace("-", MINUS)


def cell(e: Estimate | None, fmt: str = "fixed", digits: int = 3) -> dict[str, str]:
    """A table cell: value and interval as separate strings (the template styles them).

    ``fmt``: "pct" (12.3%), "pp" (12.3), "pts" (+12.3), "sig" (significant digits)
    or "fixed" (decimals).
    """
    if e is None:
        return {"value": "n/a", "ci": "", "reason": "not measured"}
    if e.value is None:
        return {"value": "undefined", "ci": "", "reason": e.reason or "undefined"}
    f = {"pct": _pct_cell, "pp": _pp_cell, "pts": _pts_cell,
         "sig": lambda x: sig(x, digits)}.get(fmt, lambda x: fixed(x, digits))
    ci = f"{f(e.lo)} to {f(e.hi)}" if finite(e.lo) and finite(e.hi) else ""
    return {"value": f(e.value), "ci": ci, "reason": ""}
