"""Inline SVG charts for the fairness section (matplotlib, no external references)."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from ..._result.tables import AttributeTable
from ..._words.report import selection_alt
from . import accessible, chart_text

# The badge colours of style.css (--pass, --review, --fail): each at least 4.5:1 on white, so
# marks pass the 3:1 contrast for graphics; each outcome also has its own marker shape.
PASS_GREEN, REVIEW_AMBER, FAIL_RED, OK_GREY = "#0b6e4f", "#8a5a00", "#b3261e", "#555555"
UNDECIDED_PURPLE = "#4b2e83"  # style.css --undecided
OUTCOME_STYLE = {"fail": (FAIL_RED, "X"), "review": (REVIEW_AMBER, "D"),
                 "undecided": (UNDECIDED_PURPLE, "v"),
                 "pass": (PASS_GREEN, "o"), "reference": ("#000000", "s"),
                 "insufficient_evidence": (OK_GREY, "^")}


def svg_of(fig: plt.Figure) -> str:
    """Serialise a figure to an inline <svg> string (no XML prolog, no DOCTYPE)."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "model-audit"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)


def selection_chart(table: AttributeTable, outcomes: Mapping[str, str], threshold: float,
                    verb: str) -> tuple[str, str]:
    """Dot-and-whisker chart of each group's selection rate, with the four-fifths line.

    Returns ``(svg, alt_text)``.
    """
    rows = [g for g in table.groups if "selection_rate" in g.metrics
            and g.metrics["selection_rate"].value is not None]
    ref = next(g for g in table.groups if g.group == table.reference)
    ref_rate = ref.metrics["selection_rate"].value or 0.0
    height = 0.9 + 0.36 * len(rows)
    fig, ax = plt.subplots(figsize=(7.2, height))
    for i, g in enumerate(rows):
        e = g.metrics["selection_rate"]
        kind = "reference" if g.group == table.reference else (
            outcomes.get(g.group, "insufficient_evidence") if g.status == "ok"
            else "insufficient_evidence")
        colour, marker = OUTCOME_STYLE.get(kind, OUTCOME_STYLE["pass"])
        if e.lo is not None and e.hi is not None:
            ax.plot([e.lo, e.hi], [i, i], color=colour, lw=2, solid_capstyle="butt")
        ax.plot([e.value or 0.0], [i], marker=marker, color=colour, ms=8, ls="none")
    ax.axvline(ref_rate, color="#000000", lw=1, ls="--")
    ax.axvline(threshold * ref_rate, color=FAIL_RED, lw=1, ls=":")
    ax.set_yticks(range(len(rows)), [_short(chart_text(g.group)) for g in rows])
    ax.set_xlabel(f"share {chart_text(verb)} (dot) with 95% interval (line)")
    ax.set_xlim(0, min(1.0, max(0.05, max(
        (g.metrics["selection_rate"].hi or g.metrics["selection_rate"].value or 0) for g in rows)
        * 1.1)))
    ax.set_ylim(len(rows) - 0.5, -0.5)
    trans = ax.get_xaxis_transform()
    ax.text(ref_rate, 1.01, " reference", fontsize=8, va="bottom", transform=trans)
    ax.text(threshold * ref_rate, 1.01, f"{threshold:g}× reference ", fontsize=8, va="bottom",
            ha="right", color=FAIL_RED, transform=trans)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    low = min(rows, key=lambda g: g.metrics["selection_rate"].value or 0.0)
    alt = selection_alt(verb, table.attribute, table.reference, ref_rate, threshold, low.group,
                        low.metrics["selection_rate"].value)
    return accessible(svg_of(fig), alt), alt


def _short(label: str, width: int = 28) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
