"""Numbers in sentences: the percentage formats shared by every words module."""

from __future__ import annotations

import math


def percent(x: float | None, digits: int = 1) -> str:
    """A proportion as a percentage: 0.123 -> '12.3%' ('–' when undefined).

    >>> percent(0.123), percent(None)
    ('12.3%', '–')
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{100 * x:.{digits}f}%"


def whole_percent(x: float) -> str:
    """A share as a whole percentage: ``0.42 -> '42%'``."""
    return f"{100 * x:.0f}%"


def row_percent(x: float) -> str:
    """A share of rows with one decimal, never rounding a non-zero share to 0.0 % or 100 %.

    >>> row_percent(0.1234), row_percent(0.0001), row_percent(0.99999), row_percent(0.0)
    ('12.3%', '<0.1%', '>99.9%', '0.0%')
    """
    if 0 < x < 0.0005:
        return "<0.1%"
    if 0.9995 < x < 1:
        return ">99.9%"
    return f"{100 * x:.1f}%"


#: The minus sign numbers print with (U+2212, not the hyphen "-").
MINUS = "\u2212"


def signed(x: float, digits: int = 2) -> str:
    """A number with ``digits`` decimals, a true minus sign and never a negative zero.

    >>> signed(-0.1149), signed(-0.00004, 3), signed(0.5, 1)
    ('−0.11', '0.000', '0.5')
    """
    text = f"{x:.{digits}f}"
    if text.startswith("-"):
        body = text[1:]
        return body if float(body) == 0 else MINUS + body
    return text


def clear_digits(values: tuple[float, ...], limits: tuple[float, ...], digits: int,
                 most: int = 4) -> int:
    """The fewest decimals, from ``digits`` up to ``most``, at which no value rounds onto a
    limit it does not equal: an interval ending at 0.7997 next to a limit of 0.80 reads
    '0.7997', not '0.80' (which would look as if it touched the limit).

    >>> clear_digits((0.519, 0.79974), (0.8, 1.25), 2), clear_digits((0.6, 0.71), (0.8,), 2)
    (4, 2)
    """
    for d in range(digits, most):
        if all(v == lim or f"{v:.{d}f}" != f"{lim:.{d}f}" for v in values for lim in limits):
            return d
    return most


def span(lo: float, hi: float, digits: int = 2) -> str:
    """An interval as 'lo to hi', clean signs on both ends.

    >>> span(-0.114, -0.0149), span(-0.0004, 0.02)
    ('−0.11 to −0.01', '0.00 to 0.02')
    """
    return f"{signed(lo, digits)} to {signed(hi, digits)}"


def sig(x: float, digits: int = 3, plus: bool = False) -> str:
    """A number to ``digits`` significant digits, a true minus sign, never a negative zero;
    ``plus`` marks positive numbers with '+'.

    >>> sig(-0.799), sig(0.0004321), sig(-0.0), sig(0.4, plus=True), sig(-3.14, 2, True)
    ('−0.799', '0.000432', '0', '+0.4', '−3.1')
    """
    text = f"{x:.{digits}g}"
    if text.startswith("-"):
        body = text[1:]
        return body if float(body) == 0 else MINUS + body
    return f"+{text}" if plus and float(text) != 0 else text


def sig_span(lo: float, hi: float, digits: int = 3) -> str:
    """An interval as 'lo to hi' to ``digits`` significant digits, clean signs on both ends.

    >>> sig_span(-0.799, -0.681)
    '−0.799 to −0.681'
    """
    return f"{sig(lo, digits)} to {sig(hi, digits)}"
