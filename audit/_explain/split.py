"""The explained rows split by group once per grouping: each group's rows are one slice.

The per-group summaries (:func:`audit._explain.attributions._group_attribution`) and the
gap decomposition (:mod:`.gaps`) read every group's rows, and the reference's for every
group.  With every row of a big table explained, a boolean mask and a copy per group and
per use cost rows x groups; here the rows are sorted by group once (stable, so each
group keeps its rows in their original order and every sum runs over the same values in
the same order as on a masked copy), and each group's weighted means of the SHAP
values, the output and the probability are computed once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _wmean(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted mean over the rows (axis 0)."""
    return np.asarray((w @ a) / w.sum())


def _means(V: np.ndarray, w: np.ndarray, p: int) -> np.ndarray:
    """Weighted means of the SHAP columns, then of each further column on its own.

    Computed part by part on contiguous copies, as on masked copies of ``phi``, the
    output and the probability, so the values are those of separate means to the bit.
    """
    parts = [_wmean(np.ascontiguousarray(V[:, :p]), w)]
    parts += [np.atleast_1d(_wmean(np.ascontiguousarray(V[:, j]), w)) for j in range(p, V.shape[1])]
    return np.concatenate(parts)


@dataclass(frozen=True)
class Split:
    """One grouping's explained rows, sorted by group.

    ``V`` holds the columns ``[phi (p columns) | output | probability (when given)]``;
    group ``gi``'s rows are ``V[bounds[gi]:bounds[gi + 1]]`` with weights ``w`` likewise;
    ``means[gi]`` is their weighted mean (NaN for a group without rows).
    """

    V: np.ndarray
    w: np.ndarray
    bounds: np.ndarray
    means: np.ndarray
    p: int

    def rows(self, gi: int) -> slice:
        """Group ``gi``'s rows in ``V`` and ``w``."""
        return slice(int(self.bounds[gi]), int(self.bounds[gi + 1]))

    def size(self, gi: int) -> int:
        """Rows of group ``gi``."""
        return int(self.bounds[gi + 1] - self.bounds[gi])


def columns(phi: np.ndarray, fx: np.ndarray, prob: np.ndarray | None) -> np.ndarray:
    """The columns every group summary reads: SHAP values, output and probability (if any)."""
    cols = [phi, fx[:, None]] + ([prob[:, None]] if prob is not None else [])
    return np.hstack(cols)


def split(codes: np.ndarray, k: int, V: np.ndarray, w: np.ndarray, p: int) -> Split:
    """Sort the rows ``V`` (weights ``w``) by their group code (``0 .. k - 1``) once."""
    codes = np.asarray(codes)
    counts = np.bincount(codes, minlength=k)[:k]
    bounds = np.concatenate([[0], np.cumsum(counts)])
    if len(codes) and np.all(codes[1:] >= codes[:-1]):
        Vs, ws = V, w  # already in group order
    else:
        order = np.argsort(codes, kind="stable")
        Vs, ws = V[order], w[order]
    means = np.full((k, V.shape[1]), np.nan)
    for gi in range(k):
        if counts[gi]:
            sl = slice(int(bounds[gi]), int(bounds[gi + 1]))
            means[gi] = _means(Vs[sl], ws[sl], p)
    return Split(Vs, ws, bounds, means, p)
