"""Inline SVG charts (no external references), one module per report section.

The explanation charts are matplotlib figures; the selection charts are written
straight to SVG by :mod:`.svg` in the same look (a figure per chart cost more than
the rest of the report).

Each chart function takes result dataclasses and returns ``(svg, alt_text)``; the
alt text is worded in :mod:`audit._words.report`.
"""

from html import escape

from ..._words.text import plain, visible


def label_text(text: object) -> str:
    """A data value as a chart written straight to SVG shows it: control and bidi
    characters shown as escapes, isolate marks dropped (no formula syntax to escape).

    >>> label_text("$5 $")
    '$5 $'
    """
    return visible(plain(str(text)))


def chart_text(text: object) -> str:
    """A data value (group label, feature or attribute name) as a chart draws it.

    Control and bidi characters are shown as escapes (matplotlib would otherwise warn
    about missing glyphs, on stderr, with the raw character in the message), isolate
    marks are dropped, and dollar signs stay dollar signs: matplotlib reads text
    between two ``$`` as a formula and fails on a label such as ``$\\frac{$``.

    >>> chart_text("$5 $")
    '\\\\$5 \\\\$'
    """
    return label_text(text).replace("$", "\\$")


def accessible(svg: str, alt: str) -> str:
    """The chart as an image for assistive technology: ``role="img"``, an ``aria-label``
    and a ``<title>`` holding ``alt`` (data values as plain text, escaped).

    >>> accessible('<svg width="1"><g/></svg>', 'A & b')
    '<svg role="img" aria-label="A &amp; b" width="1"><title>A &amp; b</title><g/></svg>'
    """
    text = escape(visible(plain(alt)), quote=True)
    head, rest = svg[:4], svg[4:]
    assert head == "<svg", "a chart starts with <svg"
    close = rest.index(">") + 1
    return f'{head} role="img" aria-label="{text}"{rest[:close]}<title>{text}</title>{rest[close:]}'
