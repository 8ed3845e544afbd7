"""Writing simple charts straight to SVG, in matplotlib's look, without drawing a figure.

A matplotlib figure costs tens of milliseconds to build and, saved with a tight
bounding box, is drawn twice; a report has one selection chart per grouping. The
charts drawn here use matplotlib only for what it measures (text extents from the
same font files, marker shapes, tick positions and labels) and write the SVG
themselves, in points, with the default style's sizes: the result looks as the
figure saved by matplotlib did, with its text kept as text.
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import matplotlib
from matplotlib import font_manager, ticker
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.font_manager import FontProperties
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path
from matplotlib.transforms import Affine2D, Transform

#: The default style's sizes, in points (matplotlib's rcParams defaults).
FONT_SIZE = 10.0
TICK_SIZE, TICK_PAD, TICK_WIDTH = 3.5, 3.5, 0.8
LABEL_PAD = 4.0
SPINE_WIDTH = 0.8
PAD = 7.2  # savefig.pad_inches (0.1 inch) around the tight box
#: Dash patterns of matplotlib's "--" and ":" lines (width 1).
DASHED, DOTTED = "3.7,1.6", "1,1.65"
#: The CSS that matplotlib's SVG starts with.
HEAD_STYLE = "*{stroke-linejoin: round; stroke-linecap: butt}"
_SALT = "model-audit"


def num(x: float) -> str:
    """A coordinate as matplotlib writes it: six decimals, trailing zeros dropped.

    >>> num(1.5), num(2.0), num(0.1234567)
    ('1.5', '2', '0.123457')
    """
    return f"{x:f}".rstrip("0").rstrip(".")


@functools.lru_cache(maxsize=1)
def _renderer() -> RendererSVG:
    """An SVG renderer used only to measure text (matplotlib's own measure, at 72 dpi)."""
    return RendererSVG(100, 100, io.StringIO())


@functools.lru_cache(maxsize=16)
def _line_minimums(size: float) -> tuple[float, float]:
    """(ascent, descent) every line of text gets at least: the font's typographic metrics
    (OS/2 table, else hhea), as matplotlib's text layout takes them; else those of "lp"."""
    font: Any = font_manager.get_font(font_manager.findfont(FontProperties(size=size)))
    for table_name, ascent_key, descent_key in (("OS/2", "sTypoAscender", "sTypoDescender"),
                                                ("hhea", "ascent", "descent")):
        table = font.get_sfnt_table(table_name)
        if table is not None:
            head: Any = font.get_sfnt_table("head")
            scale = size / head["unitsPerEm"]
            return table[ascent_key] * scale, -table[descent_key] * scale
    _, h, d = _renderer().get_text_width_height_descent("lp", FontProperties(size=size), False)
    return h - d, d


@functools.lru_cache(maxsize=4096)
def text_extent(text: str, size: float) -> tuple[float, float, float]:
    """(width, ascent, descent) in points of one line of text, as matplotlib lays it out
    (at 72 dpi, as in an SVG): the ascent and descent are at least the font's."""
    w, h, d = _renderer().get_text_width_height_descent(text, FontProperties(size=size), False)
    min_ascent, min_descent = _line_minimums(size)
    return w, max(h - d, min_ascent), max(d, min_descent)


@functools.lru_cache(maxsize=8)
def font_family() -> str:
    """The CSS font-family list matplotlib writes for its default sans-serif font."""
    aliases = font_manager.font_family_aliases
    rc: Any = matplotlib.rcParams  # matplotlib's stubs want literal keys
    names = [n for fam in rc["font.family"] for n in [*rc[f"font.{fam}"], fam]]
    return ", ".join(dict.fromkeys(n if n in aliases else repr(n) for n in names))


def text(x: float, y: float, s: str, size: float = FONT_SIZE, anchor: str = "start",
         colour: str | None = None) -> str:
    """A ``<text>`` element at baseline point (x, y) (SVG coordinates, y down)."""
    fill = f"; fill: {colour}" if colour else ""
    return (f'<text style="font-size: {num(size)}px; font-family: {font_family()}; '
            f'text-anchor: {anchor}{fill}" x="{num(x)}" y="{num(y)}">'
            f"{escape(s, quote=False)}</text>")


def line(points: Sequence[tuple[float, float]], style: str, clip: str | None = None) -> str:
    """A ``<path>`` through ``points`` (a polyline), optionally clipped."""
    d = " ".join(f"{'M' if i == 0 else 'L'} {num(x)} {num(y)}" for i, (x, y) in enumerate(points))
    clipped = f' clip-path="url(#{clip})"' if clip else ""
    return f'<path d="{d}"{clipped} style="{style}"/>'


def rect(x: float, y: float, w: float, h: float, fill: str = "#ffffff") -> str:
    """A filled rectangle without stroke, drawn as matplotlib draws a patch."""
    d = (f"M {num(x)} {num(y + h)} L {num(x + w)} {num(y + h)} L {num(x + w)} {num(y)} "
         f"L {num(x)} {num(y)} z")
    return f'<path d="{d}" style="fill: {fill}"/>'


def _path_data(path: Path, trans: Transform) -> str:
    """SVG path data of a matplotlib path under ``trans``."""
    parts: list[str] = []
    letters = {Path.MOVETO: "M", Path.LINETO: "L", Path.CURVE3: "Q", Path.CURVE4: "C"}
    for verts, code in path.iter_segments(trans, simplify=False):
        if code == Path.CLOSEPOLY:
            parts.append("z")
        else:
            parts.append(letters[code] + " " + " ".join(num(v) for v in verts))
    return " ".join(parts)


@functools.lru_cache(maxsize=64)
def marker(symbol: str, size: float) -> tuple[str, str]:
    """(path data, joinstyle) of a filled matplotlib marker of ``size`` points, y down."""
    style = MarkerStyle(symbol)
    trans = style.get_transform() + Affine2D().scale(size).scale(1, -1)
    return _path_data(style.get_path(), trans), str(style.get_joinstyle())


def ticks(hi: float, lo: float = 0.0) -> list[tuple[float, str]]:
    """Positions and labels of an axis from ``lo`` to ``hi``: matplotlib's automatic ticks
    (at most 9 intervals, steps 1, 2, 2.5, 5, 10) with its default number format."""
    locs = ticker.MaxNLocator(nbins=9, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    tol = 1e-10 * (hi - lo)
    locs = [float(v) for v in locs if lo - tol <= v <= hi + tol]
    fmt = ticker.ScalarFormatter()
    fmt.create_dummy_axis()
    axis: Any = fmt.axis
    axis.set_view_interval(lo, hi)
    return list(zip(locs, fmt.format_ticks(locs)))


def element_id(prefix: str, parts: Iterable[object]) -> str:
    """A stable id for a clip path or marker, unique to the chart's content."""
    digest = hashlib.sha256((_SALT + "\x00".join(map(str, parts))).encode()).hexdigest()
    return prefix + digest[:10]


def document(width: float, height: float, body: Iterable[str], defs: Iterable[str]) -> str:
    """The ``<svg>`` element: size in points, one figure group, then the definitions."""
    return (f'<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="{num(width)}pt" '
            f'height="{num(height)}pt" viewBox="0 0 {num(width)} {num(height)}" '
            'xmlns="http://www.w3.org/2000/svg" version="1.1">\n'
            f'<defs><style type="text/css">{HEAD_STYLE}</style></defs>\n'
            '<g id="figure_1">\n' + "\n".join(body) + "\n</g>\n<defs>\n"
            + "\n".join(defs) + "\n</defs>\n</svg>\n")
