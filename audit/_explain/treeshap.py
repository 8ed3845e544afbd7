"""Path-dependent TreeSHAP over flattened trees with numeric and categorical splits (numba).

The algorithm is Lundberg et al.'s polynomial-time TreeSHAP (Algorithm 2 of
"Consistent individualized feature attribution for tree ensembles", the one in
shap's C++ ``tree_shap_recursive``): for each row and tree it walks every path
once, keeping the weights of all subsets of the features met on the path, where a
feature outside the coalition splits its weight between the two children in
proportion to their training counts ("cover").  Only the routing of a row at a
node is specific to the model; here it mirrors scikit-learn's
``HistGradientBoosting`` predictor exactly (``_predictor.pyx``):

* a missing value (NaN) goes to the side stored in ``missing_go_to_left``;
* numeric split: ``x <= threshold`` goes left;
* categorical split: a negative value is treated as missing; a category in the
  node's raw left bitset goes left; a category the model knows (``known_cat_bitsets``
  of its feature) goes right; an unknown category is treated as missing.

Speed (the kernel's cost is the walk over the nodes, not the leaves): the helpers are
inlined into one compiled loop (no call and reference-count overhead per node), the
loop-carried chains of EXTEND / UNWIND multiply instead of dividing, scratch paths are
allocated once per chunk of rows, and the rows are split across threads (the kernel
releases the GIL).  No fastmath: the values stay equal to shap's to the last few bits.

Imported lazily (compiling costs about a second, cached on disk afterwards).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

#: fewest rows per thread (fewer are not worth a thread)
_MIN_CHUNK = 64
#: rows per task handed to the threads (0.05-0.5 s of work for the models measured)
_TASK_ROWS = 256


@njit(cache=True, inline="always", error_model="numpy")
def _in_bitset(bits: np.ndarray, row: int, c: int) -> bool:
    """Whether category ``c`` (0..255) is in bitset ``row`` (eight 32-bit words)."""
    return ((bits[row, c >> 5] >> np.uint32(c & 31)) & np.uint32(1)) == 1


@njit(cache=True, inline="always", error_model="numpy")
def _goes_left(
    x: np.ndarray, node: int, feature: np.ndarray, threshold: np.ndarray,
    missing_left: np.ndarray, is_cat: np.ndarray, bitset_row: np.ndarray,
    raw_bits: np.ndarray, known_bits: np.ndarray, f_idx_map: np.ndarray,
) -> bool:
    """The side a row takes at an internal node, as the HGB predictor routes it."""
    f = feature[node]
    v = x[f]
    if np.isnan(v):
        return missing_left[node]
    if not is_cat[node]:
        return v <= threshold[node]
    if v < 0 or v >= 256:  # out of the category range: treated as missing
        return missing_left[node]
    c = int(v)
    if _in_bitset(raw_bits, bitset_row[node], c):
        return True
    if _in_bitset(known_bits, f_idx_map[f], c):
        return False
    return missing_left[node]  # unknown category: treated as missing


@njit(cache=True, inline="always", error_model="numpy")
def _extend(pf, pz, po, pw, off, d, zero, one, feat):  # type: ignore[no-untyped-def]
    """Add a feature to the path at ``off`` of length ``d`` (EXTEND)."""
    pf[off + d] = feat
    pz[off + d] = zero
    po[off + d] = one
    pw[off + d] = 1.0 if d == 0 else 0.0
    inv = 1.0 / (d + 1)  # multiplications in the loop-carried chain, not divisions
    for i in range(d - 1, -1, -1):
        pw[off + i + 1] += one * pw[off + i] * ((i + 1) * inv)
        pw[off + i] = zero * pw[off + i] * ((d - i) * inv)


@njit(cache=True, inline="always", error_model="numpy")
def _unwind(pf, pz, po, pw, off, d, idx):  # type: ignore[no-untyped-def]
    """Remove path element ``idx`` (UNWIND), undoing its EXTEND."""
    one = po[off + idx]
    zero = pz[off + idx]
    nxt = pw[off + d]
    if one != 0:
        a = (d + 1) / one
        b = zero / (d + 1)
        for i in range(d - 1, -1, -1):
            tmp = pw[off + i]
            pw[off + i] = nxt * (a / (i + 1))
            nxt = tmp - pw[off + i] * (b * (d - i))
    else:
        a = (d + 1) / zero
        for i in range(d - 1, -1, -1):
            pw[off + i] = pw[off + i] * (a / (d - i))
    for i in range(idx, d):
        pf[off + i] = pf[off + i + 1]
        pz[off + i] = pz[off + i + 1]
        po[off + i] = po[off + i + 1]


@njit(cache=True, inline="always", error_model="numpy")
def _unwound_sum(pz, po, pw, off, d, idx):  # type: ignore[no-untyped-def]
    """Total weight of the path with element ``idx`` unwound (without modifying it).

    The loop-carried chain uses multiplications only (the divisions by constants of
    the loop are taken out of it): several times faster, equal to the last few bits.
    """
    one = po[off + idx]
    zero = pz[off + idx]
    total = 0.0
    if one != 0:
        nxt = pw[off + d]
        a = (d + 1) / one
        b = zero / (d + 1)
        for i in range(d - 1, -1, -1):
            tmp = nxt * (a / (i + 1))
            total += tmp
            nxt = pw[off + i] - tmp * (b * (d - i))
    else:
        a = (d + 1) / zero
        for i in range(d - 1, -1, -1):
            total += pw[off + i] * (a / (d - i))
    return total


@njit(cache=True, inline="always", error_model="numpy")
def _tree_row(x, phi, root, T, pf, pz, po, pw, stack_i, stack_f):  # type: ignore[no-untyped-def]
    """Add one tree's path-dependent SHAP values of the row ``x`` to ``phi``.

    Depth-first with an explicit stack of (node, parent path offset, path length,
    zero fraction, one fraction, feature); a child's path is a copy of its parent's
    path stored right after it, so the parent's path is intact for its second child.
    """
    feature, threshold, left, right, is_leaf, value, count, missing_left, is_cat, bitset_row, \
        raw_bits, known_bits, f_idx_map = T
    pf[0] = -1
    top = 0
    stack_i[0, 0], stack_i[0, 1], stack_i[0, 2], stack_i[0, 3] = root, 0, 0, -1
    stack_f[0, 0], stack_f[0, 1] = 1.0, 1.0
    while top >= 0:
        node, parent_off, d, feat = stack_i[top, 0], stack_i[top, 1], stack_i[top, 2], \
            stack_i[top, 3]
        zero, one = stack_f[top, 0], stack_f[top, 1]
        top -= 1
        off = parent_off + d + 1
        for i in range(d + 1):
            pf[off + i] = pf[parent_off + i]
            pz[off + i] = pz[parent_off + i]
            po[off + i] = po[parent_off + i]
            pw[off + i] = pw[parent_off + i]
        _extend(pf, pz, po, pw, off, d, zero, one, feat)
        if is_leaf[node]:
            for i in range(1, d + 1):
                w = _unwound_sum(pz, po, pw, off, d, i)
                phi[pf[off + i]] += w * (po[off + i] - pz[off + i]) * value[node]
            continue
        if _goes_left(x, node, feature, threshold, missing_left, is_cat, bitset_row,
                      raw_bits, known_bits, f_idx_map):
            hot, cold = left[node], right[node]
        else:
            hot, cold = right[node], left[node]
        f = feature[node]
        in_zero, in_one = 1.0, 1.0
        for k in range(1, d + 1):
            if pf[off + k] == f:  # met before on this path: undo it, redo it here
                in_zero, in_one = pz[off + k], po[off + k]
                _unwind(pf, pz, po, pw, off, d, k)
                d -= 1
                break
        w = count[node]
        top += 1  # the cold child waits on the stack, the hot child goes first
        stack_i[top, 0], stack_i[top, 1], stack_i[top, 2], stack_i[top, 3] = cold, off, d + 1, f
        stack_f[top, 0], stack_f[top, 1] = count[cold] / w * in_zero, 0.0
        top += 1
        stack_i[top, 0], stack_i[top, 1], stack_i[top, 2], stack_i[top, 3] = hot, off, d + 1, f
        stack_f[top, 0], stack_f[top, 1] = count[hot] / w * in_zero, in_one


@njit(cache=True, nogil=True, error_model="numpy")
def _rows(X, roots, max_depth, T, phi, lo, hi):  # type: ignore[no-untyped-def]
    """Fill ``phi[lo:hi]`` with the rows' SHAP values (scratch arrays allocated once)."""
    size = (max_depth + 3) * (max_depth + 4)
    pf = np.zeros(size, dtype=np.int64)
    pz = np.zeros(size)
    po = np.zeros(size)
    pw = np.zeros(size)
    stack_i = np.zeros((2 * max_depth + 4, 4), dtype=np.int64)
    stack_f = np.zeros((2 * max_depth + 4, 2))
    for r in range(lo, hi):
        x = X[r]
        out = phi[r]
        for t in range(roots.shape[0]):
            _tree_row(x, out, roots[t], T, pf, pz, po, pw, stack_i, stack_f)


def _threads(n_rows: int) -> int:
    """Threads for ``n_rows`` rows: one per available core, at least ``_MIN_CHUNK`` rows each."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, n_rows // _MIN_CHUNK))


def tree_shap(X: np.ndarray, roots: np.ndarray, max_depth: int, T: tuple[np.ndarray, ...],
              threads: int | None = None) -> np.ndarray:
    """Path-dependent SHAP values (n_rows, n_features) of the sum of the trees at ``roots``.

    ``T`` is the tuple of flattened node arrays (see :func:`audit._explain.trees._flatten`).
    Rows are split into tasks of ``_TASK_ROWS`` run in threads (the kernel releases the GIL);
    each row is computed alone, in the same order of operations whatever the number of
    threads, so the values do not depend on it.  Plain threads, not numba's parallel
    backend, which aborts on nested or concurrent launches (the audit may run stages in
    worker threads or processes).
    """
    n = X.shape[0]
    phi = np.zeros((n, X.shape[1]))
    k = _threads(n) if threads is None else max(1, min(threads, n))
    step = max(1, min(_TASK_ROWS, -(-n // k)))  # every thread busy, also for few rows
    bounds = list(range(0, n, step)) + [n]
    if k <= 1 and len(bounds) <= 2:
        _rows(X, roots, max_depth, T, phi, 0, n)
        return phi
    # Tasks of _TASK_ROWS rows: an interrupted audit (Ctrl-C, SIGTERM) waits only for
    # the tasks already running, not for every row (a compiled loop cannot be stopped).
    pool = ThreadPoolExecutor(max_workers=k)
    try:
        jobs = [pool.submit(_rows, X, roots, max_depth, T, phi, lo, hi)
                for lo, hi in zip(bounds[:-1], bounds[1:])]
        for job in jobs:
            job.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return phi
