"""Numbers in tables and the jinja filters (the numbers inside sentences come from audit._words.report)."""

from __future__ import annotations

from .._result.tables import Estimate
from .._words.numbers import percent as pct
from .._words.report import ci_text, finite, fixed, num, sig

__all__ = ["cell", "ci_text", "count", "filters", "num", "pct", "signed_points"]


def count(n: int | float) -> str:
    """A count with thousands separators: 12345 -> '12,345'."""
    return f"{int(n):,}"


def signed_points(x: float | None) -> str:
    """A difference of proportions as signed points: 0.12 -> '+12.0', '–' if undefined."""
    return "–" if x is None else f"{100 * x:+.1f}"


def filters() -> dict[str, object]:
    """The jinja filters the templates use."""
    return {"num": num, "pct": pct, "count": count, "ci": ci_text, "points": signed_points}


def _pct_cell(x: float | None) -> str:
    return f"{100 * x:.1f}%" if finite(x) else "–"  # type: ignore[operator]


def _pp_cell(x: float | None) -> str:
    return f"{100 * x:.1f}" if finite(x) else "–"  # type: ignore[operator]


def _pts_cell(x: float | None) -> str:
    if not finite(x):
        return "–"
    text = f"{100 * x:+.1f}"  # type: ignore[operator]
    return "0.0" if text in ("+0.0", "-0.0") else text


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
