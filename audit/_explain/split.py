"""The explained rows split by group once per grouping: each group's rows are one slice.

The per-group summaries (:func:`audit._explain.attributions._group_attribution`) and the
gap decomposition (:mod:`.gaps`) read every group's rows, and the reference's for every
group.  With every row of a big table explained, a boolean mask and a copy per group and
per use cost rows x groups; here the rows are sorted by group once (stable, so each
group keeps its rows in their original order and every sum runs over the same values in
the same order as on a masked copy), and each group's weighted means of the SHAP
values, the output and the probability are computed once.

With every row of a big table explained, fresh arrays of rows x columns cost more than
the arithmetic on them (the kernel zeroes every new page: at 1M rows the summaries
allocated 1.6 GB, half their CPU time).  So the sorted rows of every grouping go into one
reused array, and the temporaries (contiguous copies, absolute values, the bootstrap's
centred rows) into one reused :class:`Work` area: the same values in the same memory
layout as freshly allocated ones, so every BLAS product gives the same bits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def _wmean(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted mean over the rows (axis 0)."""
    return np.asarray((w @ a) / w.sum())


class Work:
    """A reused scratch area for the temporaries of the per-group summaries.

    :meth:`like` hands out a view with the shape and memory layout numpy would give a
    fresh result of an element-wise operation on ``a`` (C or Fortran order), or ``None``
    when ``a``'s layout is neither or the area is too small: the caller then allocates
    as before.  One view is in use at a time.
    """

    def __init__(self, size: int) -> None:
        self._flat = np.empty(max(int(size), 0))

    def like(self, a: np.ndarray) -> np.ndarray | None:
        """A C- or F-ordered work array laid out like ``a`` (``None``: allocate)."""
        n = a.size
        if n > self._flat.size or a.ndim != 2:
            return None
        if a.flags.c_contiguous or _c_like(a):
            return self._flat[:n].reshape(a.shape)
        if a.flags.f_contiguous or _c_like(a.T):
            return self._flat[:n].reshape(a.shape[::-1]).T
        return None

    def c(self, rows: int, cols: int) -> np.ndarray:
        """A C-ordered ``(rows, cols)`` work array (fresh when the area is too small)."""
        n = rows * cols
        return self._flat[:n].reshape(rows, cols) if n <= self._flat.size else np.empty((rows, cols))


def _c_like(a: np.ndarray) -> bool:
    """Rows of ``a`` laid out one after the other with unit column stride (a row slice or a
    column slice of a C-ordered array): an element-wise result on ``a`` is C-ordered."""
    return a.ndim == 2 and a.strides[1] == a.itemsize and a.strides[0] >= a.shape[1] * a.itemsize


def _means(V: np.ndarray, w: np.ndarray, p: int, work: Work | None = None) -> np.ndarray:
    """Weighted means of the SHAP columns, then of each further column on its own.

    Computed part by part on contiguous copies, as on masked copies of ``phi``, the
    output and the probability, so the values are those of separate means to the bit.
    """
    if work is None:
        head = np.ascontiguousarray(V[:, :p])
    else:
        head = work.c(len(V), p)
        np.copyto(head, V[:, :p])
    parts = [_wmean(head, w)]
    parts += [np.atleast_1d(_wmean(np.ascontiguousarray(V[:, j]), w)) for j in range(p, V.shape[1])]
    return np.concatenate(parts)


def abs_values(a: np.ndarray, work: Work | None) -> np.ndarray:
    """``np.abs(a)``, in the work area when it has ``a``'s layout."""
    out = work.like(a) if work is not None else None
    return np.abs(a) if out is None else np.abs(a, out=out)


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
    #: scratch area for the summaries' temporaries (``None``: fresh arrays)
    work: Work | None = field(default=None, repr=False, compare=False)

    def rows(self, gi: int) -> slice:
        """Group ``gi``'s rows in ``V`` and ``w``."""
        return slice(int(self.bounds[gi]), int(self.bounds[gi + 1]))

    def size(self, gi: int) -> int:
        """Rows of group ``gi``."""
        return int(self.bounds[gi + 1] - self.bounds[gi])


def columns(
    phi: np.ndarray, fx: np.ndarray, prob: np.ndarray | None, c_order: bool = False
) -> np.ndarray:
    """The columns every group summary reads: SHAP values, output and probability (if any).

    ``c_order``: in C order, whatever ``phi``'s layout (the values of ``np.hstack``, which
    keeps a Fortran-ordered ``phi``'s layout); for rows that are all sorted by group
    before they are read, so the layout of these columns never reaches a product.
    """
    cols = [phi, fx[:, None]] + ([prob[:, None]] if prob is not None else [])
    if not c_order:
        return np.hstack(cols)
    V = np.empty((len(phi), sum(c.shape[1] for c in cols)), dtype=np.result_type(*cols))
    start = 0
    for c in cols:
        V[:, start : start + c.shape[1]] = c
        start += c.shape[1]
    return V


def stable_order(codes: np.ndarray) -> np.ndarray:
    """``np.argsort(codes, kind="stable")`` of small non-negative integer codes.

    Sorted as 8- or 16-bit keys when they fit: numpy sorts those by radix, 3-8x faster
    than 64-bit keys at 1M rows; a stable order is unique, so it is the same permutation.
    """
    if len(codes) and codes.dtype.kind in "iu" and codes.min() >= 0:
        top = int(codes.max())
        if top < 1 << 16:
            codes = codes.astype(np.uint8 if top < 1 << 8 else np.uint16)
    return np.argsort(codes, kind="stable")


def in_group_order(codes: np.ndarray) -> bool:
    """Whether the rows are already sorted by group (nothing to sort)."""
    return bool(len(codes)) and bool(np.all(codes[1:] >= codes[:-1]))


@dataclass(frozen=True)
class Sorting:
    """Reused arrays for sorting the rows of one grouping after another.

    ``source`` holds the same values as the columns ``V`` in C order (``V[order]`` is
    C-ordered whatever ``V``'s layout; numpy's ``take`` into ``out`` copies a Fortran-
    ordered source to C order on every call); ``out`` receives the sorted rows.
    """

    source: np.ndarray
    out: np.ndarray

    @classmethod
    def of(cls, V: np.ndarray) -> Sorting:
        """The arrays for sorting ``V`` (``out``'s pages are only touched when used)."""
        return cls(np.ascontiguousarray(V), np.empty(V.shape, dtype=V.dtype))


def split(
    codes: np.ndarray, k: int, V: np.ndarray, w: np.ndarray, p: int,
    sorting: Sorting | None = None, work: Work | None = None,
) -> Split:
    """Sort the rows ``V`` (weights ``w``) by their group code (``0 .. k - 1``) once.

    ``sorting``: reused arrays that receive the sorted rows (see :class:`Sorting`);
    ``work``: the scratch area for the temporaries, kept in the result for its users.
    """
    codes = np.asarray(codes)
    counts = np.bincount(codes, minlength=k)[:k]
    bounds = np.concatenate([[0], np.cumsum(counts)])
    if in_group_order(codes):
        Vs, ws = V, w
    else:
        order = stable_order(codes)
        if sorting is None:
            Vs = V[order]
        else:
            Vs = np.take(sorting.source, order, axis=0, out=sorting.out, mode="clip")
        ws = w[order]
    means = np.full((k, V.shape[1]), np.nan)
    for gi in range(k):
        if counts[gi]:
            sl = slice(int(bounds[gi]), int(bounds[gi + 1]))
            means[gi] = _means(Vs[sl], ws[sl], p, work)
    return Split(Vs, ws, bounds, means, p, work)
