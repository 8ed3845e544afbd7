"""Inline SVG charts for the fairness section (written directly, no external references)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..._result.tables import AttributeTable, GroupRow
from ..._words.report import selection_alt
from . import accessible, label_text, svg

# The badge colours of style.css (--pass, --review, --fail): each at least 4.5:1 on white, so
# marks pass the 3:1 contrast for graphics; each outcome also has its own marker shape.
PASS_GREEN, REVIEW_AMBER, FAIL_RED, OK_GREY = "#0b6e4f", "#8a5a00", "#b3261e", "#555555"
UNDECIDED_PURPLE = "#4b2e83"  # style.css --undecided
OUTCOME_STYLE = {"fail": (FAIL_RED, "X"), "review": (REVIEW_AMBER, "D"),
                 "undecided": (UNDECIDED_PURPLE, "v"),
                 "pass": (PASS_GREEN, "o"), "reference": ("#000000", "s"),
                 "insufficient_evidence": (OK_GREY, "^")}


#: The figure matplotlib drew this chart in: 7.2 inches wide, 0.9 + 0.36 per group tall,
#: with the default subplot margins (left .125, right .9, bottom .11, top .88).
FIG_WIDTH, FIG_BASE, FIG_PER_ROW = 7.2 * 72, 0.9 * 72, 0.36 * 72
_MARGINS = (0.125, 0.9, 0.11, 0.88)
_NOTE_SIZE = 8.0


@dataclass(frozen=True)
class _Row:
    label: str
    value: float
    lo: float | None
    hi: float | None
    kind: str


@dataclass(frozen=True)
class _Axes:
    """The plot area in SVG points (y down): x from 0 to ``xmax``, one row per group."""

    left: float
    top: float
    width: float
    height: float
    xmax: float
    n: int

    def x(self, v: float) -> float:
        return self.left + v / self.xmax * self.width

    def y(self, i: int) -> float:
        return self.top + (i + 0.5) / self.n * self.height

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def right(self) -> float:
        return self.left + self.width


def selection_chart(table: AttributeTable, outcomes: Mapping[str, str], threshold: float,
                    verb: str) -> tuple[str, str]:
    """Dot-and-whisker chart of each group's selection rate, with the four-fifths line.

    Written straight to SVG (see :mod:`.svg`), as matplotlib drew it. Returns
    ``(svg, alt_text)``.
    """
    groups = [g for g in table.groups if "selection_rate" in g.metrics
              and g.metrics["selection_rate"].value is not None]
    ref = next(g for g in table.groups if g.group == table.reference)
    ref_rate = ref.metrics["selection_rate"].value or 0.0
    rows = [_row(g, table.reference, outcomes) for g in groups]
    xmax = min(1.0, max(0.05, max((r.hi or r.value) for r in rows) * 1.1))
    notes = [(ref_rate, " reference", "start", None),
             (threshold * ref_rate, f"{threshold:g}× reference ", "end", FAIL_RED)]
    xlabel = f"share {label_text(verb)} (dot) with 95% interval (line)"
    picture = _draw(rows, xmax, notes, xlabel, (table.attribute, ref_rate, threshold, xlabel))
    low = min(groups, key=lambda g: g.metrics["selection_rate"].value or 0.0)
    alt = selection_alt(verb, table.attribute, table.reference, ref_rate, threshold, low.group,
                        low.metrics["selection_rate"].value)
    return accessible(picture, alt), alt


def _row(g: GroupRow, reference: str, outcomes: Mapping[str, str]) -> _Row:
    """One group's dot, whisker and outcome (reference, its decision, or not judged)."""
    e = g.metrics["selection_rate"]
    kind = "reference" if g.group == reference else (
        outcomes.get(g.group, "insufficient_evidence") if g.status == "ok"
        else "insufficient_evidence")
    return _Row(_short(label_text(g.group)), e.value or 0.0, e.lo, e.hi, kind)


Note = tuple[float, str, str, "str | None"]


def _draw(rows: list[_Row], xmax: float, notes: list[Note], xlabel: str,
          key: tuple[object, ...]) -> str:
    """The chart's SVG: axis below, whiskers and dots, the two vertical lines, notes."""
    ax, width, height = _layout(rows, xmax, notes, xlabel)
    clip = svg.element_id("p", [*key, *rows])
    body = [svg.rect(0, 0, width, height), svg.rect(ax.left, ax.top, ax.width, ax.height)]
    body += _x_axis(ax, xlabel, clip) + _y_axis(ax, [r.label for r in rows])
    marks, defs = _marks(ax, rows, clip)
    body += marks
    (ref_x, *_), (thr_x, *_) = notes
    body.append(svg.line([(ax.x(ref_x), ax.bottom), (ax.x(ref_x), ax.top)],
                         f"fill: none; stroke-dasharray: {svg.DASHED}; stroke-dashoffset: 0; "
                         "stroke: #000000", clip))
    body.append(svg.line([(ax.x(thr_x), ax.bottom), (ax.x(thr_x), ax.top)],
                         f"fill: none; stroke-dasharray: {svg.DOTTED}; stroke-dashoffset: 0; "
                         f"stroke: {FAIL_RED}", clip))
    spine = (f"fill: none; stroke: #000000; stroke-width: {svg.num(svg.SPINE_WIDTH)}; "
             "stroke-linejoin: miter; stroke-linecap: square")
    body.append(svg.line([(ax.left, ax.bottom), (ax.left, ax.top)], spine))
    body.append(svg.line([(ax.left, ax.bottom), (ax.right, ax.bottom)], spine))
    note_y = ax.top - 0.01 * ax.height  # 1% of the plot's height above it, text on top
    body += [svg.text(ax.x(x), note_y - svg.text_extent(s, _NOTE_SIZE)[2], s, _NOTE_SIZE,
                      anchor, colour) for x, s, anchor, colour in notes]
    defs.insert(0, f'<clipPath id="{clip}"><rect x="{svg.num(ax.left)}" y="{svg.num(ax.top)}" '
                   f'width="{svg.num(ax.width)}" height="{svg.num(ax.height)}"/></clipPath>')
    return svg.document(width, height, body, defs)


def _layout(rows: list[_Row], xmax: float, notes: list[Note], xlabel: str
            ) -> tuple[_Axes, float, float]:
    """Where the plot area sits, and the size of the picture: matplotlib's figure cut to
    the box around everything drawn (its ``bbox_inches="tight"``), padded by 0.1 inch."""
    fig_h = FIG_BASE + FIG_PER_ROW * len(rows)
    left, right, bottom, top = _MARGINS
    ax = _Axes(left * FIG_WIDTH, (1 - top) * fig_h, (right - left) * FIG_WIDTH,
               (top - bottom) * fig_h, xmax, len(rows))
    boxes = [(ax.left, ax.top, ax.right, ax.bottom)]
    label_x = ax.left - svg.TICK_SIZE - svg.TICK_PAD
    for i, r in enumerate(rows):
        w, a, d = svg.text_extent(r.label, svg.FONT_SIZE)
        base = ax.y(i) + a / 2
        boxes.append((label_x - w, base - a, label_x, base + d))
    tick_top = ax.bottom + svg.TICK_SIZE + svg.TICK_PAD
    for v, s in svg.ticks(xmax):
        w, a, d = svg.text_extent(s, svg.FONT_SIZE)
        boxes.append((ax.x(v) - w / 2, tick_top, ax.x(v) + w / 2, tick_top + a + d))
    w, a, d = svg.text_extent(xlabel, svg.FONT_SIZE)
    label_top = max(b[3] for b in boxes[1 + len(rows):]) + svg.LABEL_PAD
    boxes.append(((ax.left + ax.right - w) / 2, label_top, (ax.left + ax.right + w) / 2,
                  label_top + a + d))
    for x, s, anchor, _ in notes:
        w, a, d = svg.text_extent(s, _NOTE_SIZE)
        x0 = ax.x(x) - (w if anchor == "end" else 0.0)
        boxes.append((x0, ax.top - 0.01 * ax.height - a - d, x0 + w, ax.top - 0.01 * ax.height))
    x0, y0 = min(b[0] for b in boxes) - svg.PAD, min(b[1] for b in boxes) - svg.PAD
    x1, y1 = max(b[2] for b in boxes) + svg.PAD, max(b[3] for b in boxes) + svg.PAD
    moved = _Axes(ax.left - x0, ax.top - y0, ax.width, ax.height, xmax, len(rows))
    return moved, x1 - x0, y1 - y0


def _x_axis(ax: _Axes, xlabel: str, clip: str) -> list[str]:
    """Grid lines, tick marks and labels of the x axis, and its label."""
    out: list[str] = []
    tick = f"stroke: #000000; stroke-width: {svg.num(svg.TICK_WIDTH)}"
    tick_top = ax.bottom + svg.TICK_SIZE + svg.TICK_PAD
    lowest = ax.bottom
    for v, s in svg.ticks(ax.xmax):
        x = ax.x(v)
        out.append(svg.line([(x, ax.bottom), (x, ax.top)],
                            "fill: none; stroke: #dddddd; stroke-width: 0.6; "
                            "stroke-linecap: square", clip))
        out.append(svg.line([(x, ax.bottom), (x, ax.bottom + svg.TICK_SIZE)], tick))
        _, a, d = svg.text_extent(s, svg.FONT_SIZE)
        out.append(svg.text(x, tick_top + a, s, anchor="middle"))
        lowest = max(lowest, tick_top + a + d)
    _, a, _ = svg.text_extent(xlabel, svg.FONT_SIZE)
    out.append(svg.text((ax.left + ax.right) / 2, lowest + svg.LABEL_PAD + a, xlabel,
                        anchor="middle"))
    return out


def _y_axis(ax: _Axes, labels: list[str]) -> list[str]:
    """Tick marks and group labels of the y axis."""
    out: list[str] = []
    tick = f"stroke: #000000; stroke-width: {svg.num(svg.TICK_WIDTH)}"
    x = ax.left - svg.TICK_SIZE - svg.TICK_PAD
    for i, label in enumerate(labels):
        y = ax.y(i)
        out.append(svg.line([(ax.left, y), (ax.left - svg.TICK_SIZE, y)], tick))
        _, a, _ = svg.text_extent(label, svg.FONT_SIZE)
        out.append(svg.text(x, y + a / 2, label, anchor="end"))
    return out


def _marks(ax: _Axes, rows: list[_Row], clip: str) -> tuple[list[str], list[str]]:
    """Each group's whisker and dot (shape and colour by outcome), and the dot shapes."""
    out: list[str] = []
    defs: dict[str, str] = {}
    for i, r in enumerate(rows):
        colour, symbol = OUTCOME_STYLE.get(r.kind, OUTCOME_STYLE["pass"])
        y = ax.y(i)
        if r.lo is not None and r.hi is not None:
            out.append(svg.line([(ax.x(r.lo), y), (ax.x(r.hi), y)],
                                f"fill: none; stroke: {colour}; stroke-width: 2", clip))
        path, join = svg.marker(symbol, 8.0)
        mid = svg.element_id("m", [clip, symbol, colour])
        # the stroke is set on the shape itself too, as matplotlib does: the page's
        # `* {stroke-linejoin: round}` would otherwise round a square's corners
        stroke = f"stroke: {colour}" + (f"; stroke-linejoin: {join}" if join != "round" else "")
        defs.setdefault(mid, f'<path id="{mid}" d="{path}" style="{stroke}"/>')
        out.append(f'<g clip-path="url(#{clip})"><use xlink:href="#{mid}" '
                   f'x="{svg.num(ax.x(r.value))}" y="{svg.num(y)}" '
                   f'style="fill: {colour}; {stroke}"/></g>')
    return out, list(defs.values())


def _short(label: str, width: int = 28) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
