"""The selection chart is written straight to SVG, and looks as matplotlib drew it.

The reference is the matplotlib figure the chart used to be (kept here as the oracle,
as fairlearn is for the metrics): same picture size, same text at the same places,
same marks and colours, to a thousandth of a point.
"""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
from matplotlib.figure import Figure

from audit._report.charts import chart_text
from audit._report.charts.fairness import FAIL_RED, OUTCOME_STYLE, selection_chart
from audit._result.tables import AttributeTable, Estimate, GroupRow

LABELS = ["white", "black", "hispanic", "asian", "$5 & <b>", "a very long group label that is cut"]


def _table(n: int, rates: list[float], with_ci: bool = True) -> AttributeTable:
    groups = tuple(
        GroupRow(group=LABELS[i % len(LABELS)] + ("" if i < len(LABELS) else f" {i}"),
                 n=1000, share=1 / n, status="ok" if i % 4 else "insufficient_evidence",
                 metrics={"selection_rate": Estimate(
                     rates[i], rates[i] - 0.03 if with_ci else None,
                     rates[i] + 0.04 if with_ci else None)})
        for i in range(n))
    return AttributeTable(attribute="race", family="protected", columns=("race",),
                          how_found="named", reference=groups[0].group, groups=groups,
                          gaps=(), criteria=())


def _outcomes(table: AttributeTable) -> dict[str, str]:
    kinds = ["fail", "review", "pass", "undecided"]
    return {g.group: kinds[i % 4] for i, g in enumerate(table.groups)}


def _matplotlib_chart(table: AttributeTable, outcomes: dict[str, str], threshold: float,
                      verb: str) -> str:
    """The chart as matplotlib drew it before (figure, tight bounding box)."""
    rows = [g for g in table.groups if g.metrics["selection_rate"].value is not None]
    ref_rate = next(g for g in table.groups if g.group == table.reference
                    ).metrics["selection_rate"].value or 0.0
    fig = Figure(figsize=(7.2, 0.9 + 0.36 * len(rows)))
    ax = fig.add_subplot()
    for i, g in enumerate(rows):
        e = g.metrics["selection_rate"]
        kind = "reference" if g.group == table.reference else (
            outcomes.get(g.group, "insufficient_evidence") if g.status == "ok"
            else "insufficient_evidence")
        colour, marker = OUTCOME_STYLE[kind]
        if e.lo is not None and e.hi is not None:
            ax.plot([e.lo, e.hi], [i, i], color=colour, lw=2, solid_capstyle="butt")
        ax.plot([e.value or 0.0], [i], marker=marker, color=colour, ms=8, ls="none")
    ax.axvline(ref_rate, color="#000000", lw=1, ls="--")
    ax.axvline(threshold * ref_rate, color=FAIL_RED, lw=1, ls=":")
    short = [chart_text(g.group) for g in rows]
    ax.set_yticks(range(len(rows)), [s if len(s) <= 28 else s[:27] + "…" for s in short])
    ax.set_xlabel(f"share {chart_text(verb)} (dot) with 95% interval (line)")
    ax.set_xlim(0, min(1.0, max(0.05, max(
        (g.metrics["selection_rate"].hi or g.metrics["selection_rate"].value or 0)
        for g in rows) * 1.1)))
    ax.set_ylim(len(rows) - 0.5, -0.5)
    trans = ax.get_xaxis_transform()
    ax.text(ref_rate, 1.01, " reference", fontsize=8, va="bottom", transform=trans)
    ax.text(threshold * ref_rate, 1.01, f"{threshold:g}× reference ", fontsize=8,
            va="bottom", ha="right", color=FAIL_RED, transform=trans)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buf.getvalue()


def _size(svg: str) -> tuple[float, float]:
    w, h = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()  # type: ignore[union-attr]
    return float(w), float(h)


def _texts(svg: str) -> list[tuple[str, float, float, str]]:
    """(text, x, y, anchor and colour) of every text, in document order."""
    out = []
    for style, x, y, body in re.findall(
            r'<text style="([^"]*)" x="([^"]*)" y="([^"]*)"[^>]*>([^<]*)</text>', svg):
        keep = re.sub(r"font-family: [^;]*;", "", style)
        out.append((body, float(x), float(y), keep))
    return out


def _marks(svg: str) -> list[tuple[float, float, str]]:
    """Every dot: (x, y, fill colour; matplotlib leaves black, SVG's default, unsaid)."""
    uses = re.findall(r'<use xlink:href="#m\w+" x="([^"]*)" y="([^"]*)" style="([^"]*)"', svg)
    return sorted((float(x), float(y), (re.findall(r"fill: (#\w+)", s) or ["#000000"])[0])
                  for x, y, s in uses if "stroke-width" not in s)  # not matplotlib's ticks


def _strokes(svg: str) -> list[tuple[str, tuple[float, ...]]]:
    """Every stroked line of two points (whiskers, grid, reference lines, spines, ticks)."""
    out = []
    for d, style in re.findall(r'<path d="([^"]*)"(?: clip-path="[^"]*")? style="([^"]*)"', svg):
        nums = tuple(float(v) for v in re.findall(r"-?[\d.]+", d))
        if "fill: none" in style and len(nums) == 4:
            colour = re.search(r"stroke: (#\w+)", style).group(1)  # type: ignore[union-attr]
            out.append((colour, nums))
    return sorted(out)


@pytest.mark.parametrize("n,with_ci,top", [(2, True, 0.55), (5, True, 0.55), (12, False, 0.55),
                                           (50, True, 0.55), (4, False, 0.004), (3, True, 0.97),
                                           (7, False, 0.0123)])
def test_selection_chart_matches_the_matplotlib_figure(n: int, with_ci: bool, top: float) -> None:
    rates = [top * (1 - 0.67 * ((i * 7) % n) / n) for i in range(n)]
    table = _table(n, rates, with_ci)
    outcomes = _outcomes(table)
    new, _ = selection_chart(table, outcomes, 0.8, "approved")
    old = _matplotlib_chart(table, outcomes, 0.8, "approved")
    assert _size(new) == pytest.approx(_size(old), abs=1e-3)
    t_new, t_old = _texts(new), _texts(old)
    assert [t[0] for t in t_new] == [t[0] for t in t_old]
    for a, b in zip(t_new, t_old):
        assert a[1:3] == pytest.approx(b[1:3], abs=1e-3), a
        assert a[3].replace(" ", "") == b[3].replace(" ", ""), a
    m_new, m_old = _marks(new), _marks(old)
    assert [m[2] for m in m_new] == [m[2] for m in m_old]
    for a, b in zip(m_new, m_old):
        assert a[:2] == pytest.approx(b[:2], abs=1e-3)
    # whiskers, grid lines, the two reference lines and the spines (ticks are drawn as
    # paths rather than matplotlib's markers: compared through the text and size above)
    s_old, s_new = _strokes(old), _strokes(new)
    assert [s[0] for s in s_new] == [s[0] for s in s_old]
    for a, b in zip(s_new, s_old):
        assert a[1] == pytest.approx(b[1], abs=1e-3)


def test_selection_chart_draws_no_matplotlib_figure(monkeypatch: Any) -> None:
    """Building a figure costs tens of milliseconds per chart (and a tight bounding box
    draws it twice): the chart is written directly."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a matplotlib figure was built")

    monkeypatch.setattr(Figure, "__init__", refuse)
    table = _table(6, [0.5, 0.4, 0.3, 0.45, 0.2, 0.1])
    svg, alt = selection_chart(table, _outcomes(table), 0.8, "approved")
    assert svg.startswith('<svg role="img" aria-label=') and "<title>" in svg
    assert "$5 &amp; &lt;b&gt;" in svg and "<b>" not in svg  # text stays text, escaped
    assert "a very long group label tha…" in svg


def test_selection_charts_of_one_page_have_distinct_ids() -> None:
    a, _ = selection_chart(_table(3, [0.5, 0.4, 0.3]), {}, 0.8, "approved")
    b, _ = selection_chart(_table(3, [0.5, 0.4, 0.2]), {}, 0.8, "approved")
    ids_a = set(re.findall(r'id="(\w+)"', a)) - {"figure_1"}
    ids_b = set(re.findall(r'id="(\w+)"', b)) - {"figure_1"}
    assert ids_a and ids_b and not ids_a & ids_b


# --------------------------------------------------------------------------- explanation charts


def _swarm_offsets_loop(values: np.ndarray, width: float = 0.38, bins: int = 60) -> np.ndarray:
    """The beeswarm offsets as first written, one point at a time (the reference)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    span = hi - lo if hi > lo else 1.0
    idx = np.minimum(((values - lo) / span * bins).astype(int), bins - 1)
    offsets = np.zeros(len(values))
    peak = max(int(np.bincount(idx, minlength=bins).max()), 1)
    seen = np.zeros(bins, dtype=int)
    for i, b in enumerate(idx):
        k = seen[b]
        seen[b] += 1
        step = (k + 1) // 2 * (1 if k % 2 else -1)
        offsets[i] = step * width / max(peak / 2, 1)
    return np.clip(offsets, -width, width)


@pytest.mark.parametrize("seed", range(4))
def test_swarm_offsets_equal_the_point_by_point_loop(seed: int) -> None:
    from audit._report.charts.explanations import _swarm_offsets

    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(size=[1, 7, 300, 2000][seed]), seed)  # ties in some bins
    assert np.array_equal(_swarm_offsets(values), _swarm_offsets_loop(values))


def test_explanation_charts_draw_each_figure_once(stored_demo: Any, monkeypatch: Any) -> None:
    """``bbox_inches="tight"`` drew every figure twice (once to measure it); the box is
    measured without drawing, so each chart is drawn once, and the SVG is the same."""
    from audit._report.charts import explanations

    draws: list[int] = []
    real_draw = Figure.draw

    def counted(self: Figure, renderer: Any) -> None:
        draws.append(id(self))
        real_draw(self, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    svg, _ = explanations.plot_global_importance(stored_demo.explanation)
    assert len(draws) == 1
    assert svg.startswith('<svg role="img"') and 'width="' in svg


def test_measured_box_equals_matplotlibs_tight_box() -> None:
    """The SVG cut to the box measured before drawing equals matplotlib's tight one."""
    from audit._report.charts.explanations import _RC, _figure, _to_svg

    def figure() -> Figure:
        with matplotlib.rc_context(_RC):
            fig = _figure(6.0, 2.4)
            ax = fig.add_subplot()
            ax.barh(["income", "a long feature name", "$x$"], [0.3, -0.1, 0.2])
            ax.set_xlabel("mean |SHAP value| (log-odds)")
            ax.set_title("Which inputs move the model's output most")
        return fig

    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        figure().savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None},
                         dpi=110)
    tight = buf.getvalue()
    measured = _to_svg(figure())
    assert _size(measured) == _size(tight)
    strip = re.compile(r'(clip-path="url\(#\w+\)"|id="\w+"|xlink:href="#\w+")')
    number = re.compile(r"-?\d+(?:\.\d+)?")
    tight = re.sub(r"\s*<metadata>.*?</metadata>", "", tight[tight.index("<svg"):], flags=re.S)
    a, b = strip.sub("", measured), strip.sub("", tight.strip())
    assert number.sub("N", a) == number.sub("N", b)  # the same elements, styles and text
    assert [float(v) for v in number.findall(a)] == pytest.approx(
        [float(v) for v in number.findall(b)], abs=1e-5)  # at the same places (-0 is 0)
