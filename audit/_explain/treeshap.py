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

Imported lazily (compiling costs about a second, cached on disk afterwards).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _in_bitset(bits: np.ndarray, row: int, c: int) -> bool:
    """Whether category ``c`` (0..255) is in bitset ``row`` (eight 32-bit words)."""
    return ((bits[row, c >> 5] >> np.uint32(c & 31)) & np.uint32(1)) == 1


@njit(cache=True)
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


@njit(cache=True)
def _extend(pf, pz, po, pw, off, d, zero, one, feat):  # type: ignore[no-untyped-def]
    """Add a feature to the path at ``off`` of length ``d`` (EXTEND)."""
    pf[off + d] = feat
    pz[off + d] = zero
    po[off + d] = one
    pw[off + d] = 1.0 if d == 0 else 0.0
    for i in range(d - 1, -1, -1):
        pw[off + i + 1] += one * pw[off + i] * (i + 1) / (d + 1)
        pw[off + i] = zero * pw[off + i] * (d - i) / (d + 1)


@njit(cache=True)
def _unwind(pf, pz, po, pw, off, d, idx):  # type: ignore[no-untyped-def]
    """Remove path element ``idx`` (UNWIND), undoing its EXTEND."""
    one = po[off + idx]
    zero = pz[off + idx]
    nxt = pw[off + d]
    for i in range(d - 1, -1, -1):
        if one != 0:
            tmp = pw[off + i]
            pw[off + i] = nxt * (d + 1) / ((i + 1) * one)
            nxt = tmp - pw[off + i] * zero * (d - i) / (d + 1)
        else:
            pw[off + i] = pw[off + i] * (d + 1) / (zero * (d - i))
    for i in range(idx, d):
        pf[off + i] = pf[off + i + 1]
        pz[off + i] = pz[off + i + 1]
        po[off + i] = po[off + i + 1]


@njit(cache=True)
def _unwound_sum(pz, po, pw, off, d, idx):  # type: ignore[no-untyped-def]
    """Total weight of the path with element ``idx`` unwound (without modifying it)."""
    one = po[off + idx]
    zero = pz[off + idx]
    nxt = pw[off + d]
    total = 0.0
    for i in range(d - 1, -1, -1):
        if one != 0:
            tmp = nxt * (d + 1) / ((i + 1) * one)
            total += tmp
            nxt = pw[off + i] - tmp * zero * (d - i) / (d + 1)
        else:
            total += (pw[off + i] / zero) / ((d - i) / (d + 1))
    return total


@njit(cache=True)
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


@njit(cache=True)
def tree_shap(X, roots, max_depth, T):  # type: ignore[no-untyped-def]
    """Path-dependent SHAP values (n_rows, n_features) of the sum of the trees at ``roots``.

    ``T`` is the tuple of flattened node arrays (see :func:`audit._explain.trees._flatten`).
    Serial on purpose: numba's parallel backend aborts on nested or concurrent launches,
    and the audit may run stages in worker threads or forked processes.
    """
    n, p = X.shape
    phi = np.zeros((n, p))
    size = (max_depth + 3) * (max_depth + 4)
    pf = np.zeros(size, dtype=np.int64)
    pz = np.zeros(size)
    po = np.zeros(size)
    pw = np.zeros(size)
    stack_i = np.zeros((2 * max_depth + 4, 4), dtype=np.int64)
    stack_f = np.zeros((2 * max_depth + 4, 2))
    for r in range(n):
        for t in range(roots.shape[0]):
            _tree_row(X[r], phi[r], roots[t], T, pf, pz, po, pw, stack_i, stack_f)
    return phi
