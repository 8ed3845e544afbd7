"""Data values inside sentences: shown as they are, but never able to act on the text around them.

Group labels, column and feature names, file names and reasons come from files the
user did not write. Three things can go wrong when such a value enters a sentence:

- **Control characters** (newline, carriage return, escape sequences, other C0/C1
  controls, the Unicode line and paragraph separators) move the cursor, forge lines
  on a console or clear them. :func:`visible` replaces each with a visible escape
  (``\\n``, ``\\x1b``, ``\\u2028``), as ``repr`` would.
- **Bidirectional controls** (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C) can
  reverse the rest of a sentence, numbers included ("21.2 to 45.9" shown as
  "9.54 ot 2.12"). :func:`visible` escapes them too.
- **Right-to-left text** that is legitimate (an Arabic or Hebrew group label) still
  pulls neighbouring numbers into its direction. :func:`isolate` marks a value as a
  unit of its own with Unicode's isolate pair FSI … PDI (the plain-text twin of HTML's
  ``<bdi>``): the report turns each pair into ``<bdi>…</bdi>``, the console drops the
  pair (:func:`plain`).

Values are inserted into finished wording (f-strings), never into a template that is
formatted afterwards: a label such as ``{0}`` stays text.

May import: the standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

#: First strong isolate and pop directional isolate: the isolate pair :func:`isolate` adds.
ISOLATE_OPEN, ISOLATE_CLOSE = "\u2068", "\u2069"
#: Characters that change the direction of the text around them.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: An isolate pair made by :func:`isolate`: nothing directional inside (it was escaped).
_PAIR = re.compile(f"{ISOLATE_OPEN}([^{''.join(sorted(BIDI_CONTROLS))}]*){ISOLATE_CLOSE}")


def is_hidden(ch: str, keep: str = "") -> bool:
    """Whether ``ch`` acts on the text instead of showing (control, separator, bidi control)."""
    if ch in keep:
        return False
    return ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, keep: str = "") -> str:
    """``text`` with every control, separator and bidi control shown as an escape.

    Characters in ``keep`` stay as they are (the HTML report keeps newlines and tabs).

    >>> visible("x\\nVerdict: PASS"), visible("\\x1b[2K"), visible("abc\\u202edef")
    ('x\\\\nVerdict: PASS', '\\\\x1b[2K', 'abc\\\\u202edef')
    """
    if not any(is_hidden(ch, keep) for ch in text):
        return text
    return "".join(_escape(ch) if is_hidden(ch, keep) else ch for ch in text)


def isolate(value: object) -> str:
    """A data value for a sentence: made visible and marked as a unit of its own.

    >>> isolate("Black") == "\\u2068Black\\u2069"
    True
    """
    return f"{ISOLATE_OPEN}{visible(str(value))}{ISOLATE_CLOSE}"


def isolate_names(text: str, names: Iterable[str]) -> str:
    """``text`` with each whole-word occurrence of ``names`` isolated (unless it already is).

    For sentences worded elsewhere that name data values bare.

    >>> isolate_names("without zip_code the rest", ["zip_code"]) == (
    ...     "without " + isolate("zip_code") + " the rest")
    True
    """
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        pattern = (f"(?<![\\w{ISOLATE_OPEN}]){re.escape(name)}(?![\\w{ISOLATE_CLOSE}])")
        text = re.sub(pattern, isolate(name).replace("\\", "\\\\"), text)
    return text


def isolated_parts(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into (is an isolated value, piece), in order.

    >>> isolated_parts("From " + isolate("x") + ".")
    [(False, 'From '), (True, 'x'), (False, '.')]
    """
    out: list[tuple[bool, str]] = []
    at = 0
    for m in _PAIR.finditer(text):
        if m.start() > at:
            out.append((False, text[at:m.start()]))
        out.append((True, m.group(1)))
        at = m.end()
    if at < len(text):
        out.append((False, text[at:]))
    return out


def plain(text: str) -> str:
    """``text`` without the isolate pairs of :func:`isolate` (for plain-text outputs)."""
    return _PAIR.sub(r"\1", text)


def printable(text: object) -> str:
    """``text`` as one console line: control and bidi characters shown as escapes.

    Newlines, carriage returns, escape sequences (``ESC [ ...``), other C0/C1 controls,
    line separators and bidi controls become ``\\n``, ``\\r``, ``\\x1b``, ``\\u202e``;
    isolate marks are dropped. Everything the CLI prints from data goes through here
    (print the result with rich markup off).

    >>> printable("x\\nVerdict: PASS")
    'x\\\\nVerdict: PASS'
    """
    return visible(plain(str(text)))


def rows_progress(done: int, total: int | None, seconds: float) -> str:
    """'1,200,000 of 10,000,000 rows (12%), 850,000 rows/s, about 10 s left'."""
    rate = done / seconds if seconds > 0 else 0.0
    text = f"{done:,} rows" if total is None else f"{done:,} of {total:,} rows ({done / max(total, 1):.0%})"
    if rate > 0:
        text += f", {rate:,.0f} rows/s"
        if total is not None and total > done:
            text += f", about {(total - done) / rate:,.0f} s left"
    return text
