"""Inline SVG charts of SHAP results for the explanations section, from the result alone.

Every function is pure: it takes result dataclasses and returns ``(svg, alt_text)``,
where ``svg`` starts at ``<svg`` (no XML header, no external references) so it can
be inlined in the HTML report, and ``alt_text`` is one plain-language sentence
with the key numbers.  Colours come from the Okabe-Ito colour-blind-safe palette.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from ..._result.explanation import Contribution, Explanation, GapDecomposition, GroupAttribution
from ..._words.report import (
    beeswarm_alt,
    gap_drivers_alt,
    gap_drivers_title,
    group_comparison_alt,
    importance_alt,
)
from . import accessible, chart_text

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
#: Fill patterns that tell the groups of a bar chart apart without colour.
HATCHES: tuple[str, ...] = ("", "///", "...", "xxx", "\\\\\\", "ooo", "+++", "---")
_GREY = "#999999"
_LOW_HIGH = LinearSegmentedColormap.from_list("low_high", ["#0072B2", "#D55E00"])
_RC: Any = {  # matplotlib's stubs want literal rc keys
    "svg.fonttype": "none",
    "svg.hashsalt": "model-audit",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _to_svg(fig: Figure) -> str:
    """The figure as inline SVG, cut to the box around what is drawn (padded 0.1 inch).

    The box is measured before the one draw that writes the SVG, at the 72 dpi of an SVG
    (what ``bbox_inches="tight"`` measures, without its extra draw of the whole figure).
    """
    FigureCanvasSVG(fig)
    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.dpi = 72
        width, height = fig.get_size_inches()
        box = fig.get_tightbbox(RendererSVG(width * 72, height * 72, io.StringIO()))
        fig.savefig(buf, format="svg", bbox_inches=box.padded(0.1), metadata={"Date": None},
                    dpi=110)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    # drop matplotlib's RDF metadata block (namespace URLs, creator credit): not needed inline
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL).strip()


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height))


def plot_global_importance(expl: Explanation, top: int = 10) -> tuple[str, str]:
    """Horizontal bar chart of the population-weighted mean |SHAP| per feature.

    Parameters
    ----------
    expl : Explanation
        The result's explanation.
    top : int
        Number of features shown.

    Returns
    -------
    (svg, alt_text)
    """
    items = list(expl.global_importance[:top])
    with matplotlib.rc_context(_RC):
        fig = _figure(6.0, 0.9 + 0.3 * max(len(items), 1))
        ax = fig.add_subplot()
        names = [chart_text(it.feature) for it in items][::-1]
        values = [it.mean_abs_shap for it in items][::-1]
        ax.barh(names, values, color=OKABE_ITO[0])
        ax.set_xlabel(f"mean |SHAP value| ({chart_text(expl.units)})")
        ax.set_title("Which inputs move the model's output most")
        svg = _to_svg(fig)
    alt = importance_alt(expl.units, [(it.feature, it.mean_abs_shap) for it in items[:3]],
                         len(items))
    return accessible(svg, alt), alt


def _swarm_offsets(values: np.ndarray, width: float = 0.38, bins: int = 60) -> np.ndarray:
    """Deterministic vertical offsets that spread points sharing a value bin.

    The k-th point of a bin (in row order) moves by ceil(k / 2) steps, down for even k
    and up for odd k (0, +1, -1, +2, -2, ...), a step being ``width`` over half the
    fullest bin.
    """
    if len(values) == 0:
        return np.zeros(0)
    lo, hi = float(np.min(values)), float(np.max(values))
    span = hi - lo if hi > lo else 1.0
    idx = np.minimum(((values - lo) / span * bins).astype(int), bins - 1)
    counts = np.bincount(idx, minlength=bins)
    peak = max(int(counts.max()), 1)
    order = np.argsort(idx, kind="stable")
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))  # where each bin starts in order
    k = np.empty(len(idx), dtype=np.int64)
    k[order] = np.arange(len(idx)) - first[idx[order]]  # rank of each point within its bin
    step = (k + 1) // 2 * np.where(k % 2 == 1, 1, -1)
    offsets = step * width / max(peak / 2, 1)
    return np.clip(offsets, -width, width)


def plot_beeswarm(expl: Explanation) -> tuple[str, str]:
    """Beeswarm of the top features: one dot per sampled row, coloured by feature value.

    Parameters
    ----------
    expl : Explanation
        The result's explanation.

    Returns
    -------
    (svg, alt_text)
    """
    feats = list(expl.beeswarm.features)
    with matplotlib.rc_context(_RC):
        fig = _figure(6.5, 1.0 + 0.42 * max(len(feats), 1))
        ax = fig.add_subplot()
        for pos, f in enumerate(reversed(feats)):
            shap = np.asarray(f.shap, dtype=float)
            y = pos + _swarm_offsets(shap)
            colour = np.asarray([np.nan if c is None else c for c in f.colour], dtype=float)
            missing = np.isnan(colour)
            if missing.any():
                ax.scatter(shap[missing], y[missing], s=5, c=_GREY, linewidths=0, rasterized=True)
            if (~missing).any():
                ax.scatter(
                    shap[~missing],
                    y[~missing],
                    s=5,
                    c=colour[~missing],
                    cmap=_LOW_HIGH,
                    vmin=0,
                    vmax=1,
                    linewidths=0,
                    rasterized=True,  # thousands of dots: a bitmap keeps the SVG small
                )
        ax.axvline(0, color=_GREY, linewidth=0.8)
        ax.set_yticks(range(len(feats)))
        ax.set_yticklabels([chart_text(f.feature) for f in reversed(feats)])
        ax.set_xlabel(f"SHAP value ({chart_text(expl.units)})")
        ax.set_title("Effect of each input on each sampled row (blue = low value, orange = high)")
        svg = _to_svg(fig)
    if feats:
        vals = np.asarray(feats[0].shap, dtype=float)
        alt = beeswarm_alt(expl.units, expl.beeswarm.n_points, len(feats), feats[0].feature,
                           float(vals.min()), float(vals.max()))
    else:
        alt = beeswarm_alt(expl.units, expl.beeswarm.n_points, 0, None, 0.0, 0.0)
    return accessible(svg, alt), alt


def plot_group_comparison(expl: Explanation, attribute: str, top: int = 5) -> tuple[str, str]:
    """Grouped bars of each group's mean SHAP value for the top features of one attribute.

    Parameters
    ----------
    expl : Explanation
        The result's explanation.
    attribute : str
        Name of the grouping (protected attribute or intersection).
    top : int
        Number of features (by global importance) shown.

    Returns
    -------
    (svg, alt_text)

    Raises
    ------
    KeyError
        When ``attribute`` is not one of the explained groupings.
    """
    grouping = next((g for g in expl.groupings if g.attribute == attribute), None)
    if grouping is None:
        raise KeyError(f"no explained grouping named {attribute!r}")
    feats = [f.feature for f in expl.global_importance[:top]]
    groups = [g for g in grouping.groups if g.n > 0]
    svg = _group_bars(expl, attribute, grouping.reference, feats, groups)
    alt = group_comparison_alt(expl.units, attribute, len(feats), len(groups),
                               _spread(feats, groups))
    return accessible(svg, alt), alt


def _group_bars(expl: Explanation, attribute: str, reference: str, feats: Sequence[str],
                groups: Sequence[GroupAttribution]) -> str:
    """Draw one bar per group for each feature (the reference group labelled)."""
    n_groups = max(len(groups), 1)
    with matplotlib.rc_context(_RC):
        fig = _figure(max(6.0, 1.2 * len(feats) + 2), 3.4)
        ax = fig.add_subplot()
        x = np.arange(len(feats))
        width = 0.8 / n_groups
        for k, g in enumerate(groups):
            vals = [g.mean_shap.get(f, 0.0) for f in feats]
            ax.bar(
                x - 0.4 + width * (k + 0.5),
                vals,
                width,
                label=chart_text(g.group) + (" (reference)" if g.group == reference else ""),
                color=OKABE_ITO[k % len(OKABE_ITO)],
                hatch=HATCHES[k % len(HATCHES)], edgecolor="#1b1f24", linewidth=0.6,
            )
        ax.axhline(0, color=_GREY, linewidth=0.8)
        ax.set_xticks(x)
        ax.set_xticklabels([chart_text(f) for f in feats], rotation=20, ha="right")
        ax.set_ylabel(f"mean SHAP value\n({chart_text(expl.units)})")
        ax.set_title(f"Average effect of the top inputs, by {chart_text(attribute)}")
        if groups:
            ax.legend(frameon=False, fontsize=8, ncol=min(len(groups), 4))
        return _to_svg(fig)


def _spread(feats: Sequence[str], groups: Sequence[GroupAttribution]
            ) -> tuple[str, str, float, str, float] | None:
    """(top feature, highest group, value, lowest group, value), or None with < 2 groups."""
    if not feats or len(groups) < 2:
        return None
    f0 = feats[0]
    by_group = {g.group: g.mean_shap.get(f0, 0.0) for g in groups}
    hi = max(by_group, key=lambda k: by_group[k])
    lo = min(by_group, key=lambda k: by_group[k])
    return f0, hi, by_group[hi], lo, by_group[lo]


def _find_gap(expl: Explanation, attribute: str, group: str) -> GapDecomposition:
    for d in expl.gaps:
        if d.attribute == attribute and d.group == group:
            return d
    raise KeyError(f"no gap decomposition for {attribute!r} group {group!r}")


def plot_gap_drivers(
    expl: Explanation, attribute: str, group: str, top: int = 8
) -> tuple[str, str]:
    """Horizontal bars of each feature's contribution to one group's gap, with 95% whiskers.

    Parameters
    ----------
    expl : Explanation
        The result's explanation.
    attribute, group : str
        Which gap (group vs the attribute's reference group).
    top : int
        Number of largest contributions shown.

    Returns
    -------
    (svg, alt_text)

    Raises
    ------
    KeyError
        When there is no such gap.
    """
    dec = _find_gap(expl, attribute, group)
    items = list(dec.contributions[:top])
    with matplotlib.rc_context(_RC):
        fig = _figure(6.0, 1.1 + 0.32 * max(len(items), 1))
        ax = fig.add_subplot()
        if items:
            _contribution_bars(ax, items)
        ax.axvline(0, color=_GREY, linewidth=0.8)
        ax.set_xlabel(f"contribution to the gap ({chart_text(expl.units)})")
        ax.set_title(chart_text(gap_drivers_title(group, dec.reference, attribute, dec.gap.value)))
        svg = _to_svg(fig)
    alt = gap_drivers_alt(
        expl.units, attribute, group, dec.reference, dec.gap.value,
        dec.gap_pp.value if dec.gap_pp is not None else None, dec.reason,
        [(c.feature, c.value.value) for c in items[:3]])
    return accessible(svg, alt), alt


def _contribution_bars(ax: Any, items: Sequence[Contribution]) -> None:
    """Bars of the contributions (largest at the top) with their 95% whiskers."""
    names = [chart_text(c.feature) for c in items][::-1]
    vals = np.asarray([c.value.value or 0.0 for c in items][::-1], dtype=float)
    lo = np.asarray(
        [c.value.lo if c.value.lo is not None else np.nan for c in items][::-1], dtype=float
    )
    hi = np.asarray(
        [c.value.hi if c.value.hi is not None else np.nan for c in items][::-1], dtype=float
    )
    colours = [OKABE_ITO[5] if v > 0 else OKABE_ITO[0] for v in vals]
    ax.barh(names, vals, color=colours)
    has = ~(np.isnan(lo) | np.isnan(hi))
    if has.any():
        y = np.arange(len(items))[has]
        err = np.vstack([vals[has] - lo[has], hi[has] - vals[has]])
        ax.errorbar(
            vals[has],
            y,
            xerr=np.clip(err, 0, None),
            fmt="none",
            ecolor="#000000",
            elinewidth=0.8,
            capsize=2,
        )


def plot_all(
    expl: Explanation, attributes: Sequence[str] | None = None
) -> dict[str, tuple[str, str]]:
    """Every explanation plot keyed by a stable name, for the report context.

    Keys: ``"importance"``, ``"beeswarm"``, ``"groups:<attribute>"`` and
    ``"gap:<attribute>:<group>"`` (only for gaps that could be decomposed).
    """
    out: dict[str, tuple[str, str]] = {
        "importance": plot_global_importance(expl),
        "beeswarm": plot_beeswarm(expl),
    }
    wanted = set(attributes) if attributes is not None else {g.attribute for g in expl.groupings}
    for g in expl.groupings:
        if g.attribute in wanted:
            out[f"groups:{g.attribute}"] = plot_group_comparison(expl, g.attribute)
    for d in expl.gaps:
        if d.attribute in wanted and d.reason is None:
            out[f"gap:{d.attribute}:{d.group}"] = plot_gap_drivers(expl, d.attribute, d.group)
    return out
