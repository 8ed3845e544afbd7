"""Number formatting shared by sentences, the summary and the jinja filters."""

from __future__ import annotations

import math


def num(x: float | None, digits: int = 2) -> str:
    """A number for people: fixed decimals, '–' for undefined."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.{digits}f}"


def pct(x: float | None, digits: int = 1) -> str:
    """A proportion as a percentage: 0.123 -> '12.3%'."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{100 * x:.{digits}f}%"


def pct_points(x: float) -> str:
    """A difference of proportions in percentage points: 0.12 -> '12 percentage points'."""
    v = 100 * x
    return f"{v:.0f} percentage points" if abs(v) >= 10 else f"{v:.1f} percentage points"


def ci_text(lo: float | None, hi: float | None, points: bool = False) -> str:
    """' (95% CI 0.64–0.78)', ' (95% CI 9.1 to 14.0 points)', or '' without an interval."""
    if lo is None or hi is None:
        return ""
    if points:
        if hi < 0:  # the sentence already says "less": show magnitudes
            lo, hi = -hi, -lo
        elif lo < 0:  # straddles zero: say both directions instead of mixing signs
            return f" (95% CI from {-100 * lo:.1f} points less to {100 * hi:.1f} points more)"
        return f" (95% CI {100 * lo:.1f} to {100 * hi:.1f} points)"
    return f" (95% CI {lo:.2f}–{hi:.2f})"


def count(n: int | float) -> str:
    return f"{int(n):,}"
