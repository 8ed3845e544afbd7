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

Leaf tables (the default; Yang's "Fast TreeSHAP v2" precomputation): for a leaf of
value ``v`` whose path meets the distinct features ``P`` (``d = |P|``), with ``z_j`` the
product of the cover ratios of the path's splits on ``j`` and ``U`` the features of ``P``
whose every split on the path the row follows, the leaf's Shapley values are
``v (1 - z_i) / z_i H(U - {i})`` for ``i`` in ``U`` and ``-v H(U)`` for the other ``i`` of
``P``, where ``H(A) = sum over S in A of w(|S|, d) prod_(j in P - S) z_j`` depends on the
tree only.  So ``v H`` is tabulated once per call for the ``2^d`` subsets of each leaf's
path (:func:`_leaf_table`), and a row costs one pass over the tree's nodes (the direction
at each, a bitmask of followed features per node) and ``d`` look-ups per leaf: ``O(leaves
x depth)`` instead of Algorithm 2's ``O(leaves x depth^2)``; the values agree with it to
about 1e-15 of the row's scale.  A tree keeps Algorithm 2 when a leaf meets more than
:data:`TABLE_MAX_FEATURES` features (``2^d`` entries), when a cover ratio is zero or not
finite, or beyond :data:`TABLE_MAX_BYTES` of tables (decided from the trees alone,
:func:`table_trees`).

Speed (Algorithm 2's cost is the walk over the nodes, not the leaves): the helpers are
inlined into one compiled loop (no call and reference-count overhead per node), the
loop-carried chains of EXTEND / UNWIND multiply instead of dividing, scratch paths are
allocated once per chunk of rows, and the rows are split across threads (the kernel
releases the GIL).  No fastmath: the values stay equal to shap's to the last few bits.

Imported lazily (compiling costs about a second, cached on disk afterwards).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numba import njit

#: fewest rows per thread (fewer are not worth a thread)
_MIN_CHUNK = 64
#: rows per task handed to the threads (0.05-0.5 s of work for the models measured)
_TASK_ROWS = 256
#: most distinct features on a leaf's path for its tree to get leaf tables (2^d entries
#: per leaf); a tree with a deeper leaf keeps Algorithm 2
TABLE_MAX_FEATURES = 12
#: most bytes of leaf tables per call: the trees beyond (in order) keep Algorithm 2
TABLE_MAX_BYTES = 256 * 2**20


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


# --------------------------------------------------------------------------- leaf tables


@njit(cache=True, error_model="numpy")
def _leaf_table(tab, off, z, d, v):  # type: ignore[no-untyped-def]
    """Fill ``tab[off:off + 2^d]`` with ``v H(A)`` for every subset ``A`` of a leaf's path.

    ``H(A) = sum over S in A of w(|S|, d) prod_(j in P - S) z_j`` (``w(s, d) = s! (d - s -
    1)! / d!``, the Shapley weight): a sum over subsets (zeta transform) of its terms, ``d
    2^d`` additions.  A row that satisfies the path's features ``U`` gets ``v (1 - z_i) / z_i
    H(U - {i})`` for ``i`` in ``U`` and ``-v H(U)`` for every other ``i`` of the path.
    """
    size = 1 << d
    full = size - 1
    cz = np.empty(size)  # cz[A]: product of z over A
    bits = np.zeros(size, dtype=np.int64)  # |A|
    low = np.zeros(size, dtype=np.int64)  # the lowest position in A
    cz[0] = 1.0
    for a in range(1, size):
        low[a] = 0 if a & 1 else low[a >> 1] + 1
        bits[a] = bits[a >> 1] + (a & 1)
        cz[a] = cz[a & (a - 1)] * z[low[a]]
    w = np.empty(max(d, 1))
    comb = 1  # C(d - 1, s)
    for s in range(d):
        w[s] = 1.0 / (d * comb)
        comb = comb * (d - 1 - s) // (s + 1)
    for a in range(size):
        tab[off + a] = 0.0 if a == full else v * w[bits[a]] * cz[full ^ a]
    for k in range(d):
        bit = 1 << k
        for a in range(size):
            if a & bit:
                tab[off + a] += tab[off + (a ^ bit)]


@njit(cache=True, error_model="numpy")
def _layout(root, max_depth, cap, feature, left, right, is_leaf, value, count,  # type: ignore[no-untyped-def]
            F, pfeat, pcoef, tab, f0, p0, t0, write):
    """One tree, depth first (preorder): its leaves' path features and, with ``write``,
    its node rows ``F[f0:]``, path features and coefficients ``pfeat``/``pcoef[p0:]`` and
    leaf tables ``tab[t0:]``.  Returns (nodes, path entries, table entries, usable): not
    usable when a leaf meets more than ``cap`` distinct features or a cover ratio is not
    a positive finite number.

    A node's row: an internal node's ``(node, right child's row within the tree, bit of its
    feature's position on the path, 0)`` (its left child is the next row); a leaf's
    ``(table offset, path offset, 0, d)``.
    """
    width = max_depth + 2
    sf = np.zeros((width, width), dtype=np.int64)  # per depth: the path's distinct features
    sz = np.ones((width, width))  # ... and their cover ratios
    sn = np.zeros(width, dtype=np.int64)  # ... and how many
    stack = np.zeros((width + 1, 5), dtype=np.int64)  # node, depth, parent's row, is right,
    stack[0, 0], stack[0, 1], stack[0, 2] = root, 0, -1  # parent
    top, rows, n_path, n_tab, ok = 0, 0, 0, 0, True
    while top >= 0:
        node, lev, parent, is_right = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
        pnode = stack[top, 4]
        top -= 1
        me = rows
        rows += 1
        if lev > 0:
            n = sn[lev - 1]
            for k in range(n):
                sf[lev, k], sz[lev, k] = sf[lev - 1, k], sz[lev - 1, k]
            ratio = count[node] / count[pnode]
            f = feature[pnode]
            pos = n
            for k in range(n):
                if sf[lev, k] == f:
                    pos = k
                    break
            if pos == n:
                sf[lev, n], sz[lev, n], sn[lev] = f, ratio, n + 1
            else:
                sz[lev, pos], sn[lev] = ratio * sz[lev, pos], n
            if not (sz[lev, pos] > 0.0 and np.isfinite(sz[lev, pos])):
                ok = False
            if write:
                F[f0 + parent, 2] = 1 << pos
                if is_right:
                    F[f0 + parent, 1] = me
        else:
            sn[0] = 0
        if is_leaf[node]:
            d = sn[lev]
            if d > cap:
                ok = False
            elif write:
                F[f0 + me, 0], F[f0 + me, 1], F[f0 + me, 2], F[f0 + me, 3] = \
                    t0 + n_tab, p0 + n_path, 0, d
                for k in range(d):
                    pfeat[p0 + n_path + k] = sf[lev, k]
                    pcoef[p0 + n_path + k] = (1.0 - sz[lev, k]) / sz[lev, k]
                _leaf_table(tab, t0 + n_tab, sz[lev], d, value[node])
            n_path += d
            n_tab += 1 << min(d, cap + 1)
            continue
        if write:
            F[f0 + me, 0], F[f0 + me, 3] = node, 0
        top += 2  # the left child first
        stack[top - 1, 0], stack[top - 1, 1], stack[top - 1, 2] = right[node], lev + 1, me
        stack[top - 1, 3], stack[top - 1, 4] = 1, node
        stack[top, 0], stack[top, 1], stack[top, 2] = left[node], lev + 1, me
        stack[top, 3], stack[top, 4] = 0, node
    return rows, n_path, n_tab, ok


@njit(cache=True, nogil=True, error_model="numpy")
def _sizes(roots, max_depth, cap, T):  # type: ignore[no-untyped-def]
    """Per tree: node rows, path entries, table entries and whether tables can serve it."""
    n = roots.shape[0]
    out = np.zeros((n, 4), dtype=np.int64)
    F, pfeat, pcoef, tab = np.zeros((0, 4), np.int64), np.zeros(0, np.int64), np.zeros(0), \
        np.zeros(0)
    # typed int64 and bool, not as literals: _fill's call then reuses this compilation of
    # _layout (literal arguments made numba compile it twice: 0.9 s on first use)
    zero, write = np.int64(0), n < 0
    for t in range(n):
        rows, n_path, n_tab, ok = _layout(roots[t], max_depth, cap, T[0], T[2], T[3], T[4],
                                          T[5], T[6], F, pfeat, pcoef, tab, zero, zero, zero,
                                          write)
        out[t, 0], out[t, 1], out[t, 2], out[t, 3] = rows, n_path, n_tab, ok
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def _fill(roots, max_depth, cap, T, start, path0, tab0, F, pfeat, pcoef, tab):  # type: ignore[no-untyped-def]
    """Lay out the trees that have a ``start`` row (>= 0) at their offsets."""
    write = start.shape[0] >= 0  # True, typed bool, not a literal (see _sizes)
    for t in range(roots.shape[0]):
        if start[t] >= 0:
            _layout(roots[t], max_depth, cap, T[0], T[2], T[3], T[4], T[5], T[6], F, pfeat,
                    pcoef, tab, start[t], path0[t], tab0[t], write)


@njit(cache=True, nogil=True, error_model="numpy")
def _table_row(x, phi, lo, hi, F, pfeat, pcoef, tab, mask, T):  # type: ignore[no-untyped-def]
    """Add one tree's SHAP values of the row ``x`` from its leaf tables (rows ``F[lo:hi]``).

    One pass over the nodes in preorder: a node's mask holds the path positions whose
    splits the row has followed so far (all set at the root); a child the row does not go
    to loses its parent's feature's bit.  At a leaf the mask is ``U``.  Called once per tree
    and row, not inlined into :func:`_rows` (measured 5-10% faster).
    """
    feature, threshold, left, right, is_leaf, value, count, missing_left, is_cat, bitset_row, \
        raw_bits, known_bits, f_idx_map = T
    mask[0] = -1
    for g in range(lo, hi):
        m = mask[g - lo]
        bit = F[g, 2]
        if bit == 0:  # a leaf: (table offset, path offset, 0, d)
            d = F[g, 3]
            off, po = F[g, 0], F[g, 1]
            u = m & ((1 << d) - 1)
            rest = tab[off + u]
            for k in range(d):  # no branch: either term is read, one is added
                b = 1 << k
                gain = pcoef[po + k] * tab[off + (u ^ b)]
                phi[pfeat[po + k]] += gain if u & b else -rest
            continue
        # :func:`_goes_left`, written out: three times faster here than inlined (measured)
        node = F[g, 0]
        f = feature[node]
        v = x[f]
        if not is_cat[node]:  # no branch on the row's value (a NaN compares false)
            go_left = (v <= threshold[node]) | (np.isnan(v) & missing_left[node])
        elif np.isnan(v) or v < 0 or v >= 256:  # out of the category range: as missing
            go_left = missing_left[node]
        else:
            c = int(v)
            if (raw_bits[bitset_row[node], c >> 5] >> (c & 31)) & 1:
                go_left = True
            elif (known_bits[f_idx_map[f], c >> 5] >> (c & 31)) & 1:
                go_left = False
            else:  # unknown category: treated as missing
                go_left = missing_left[node]
        off_path = 0 if go_left else bit
        mask[g - lo + 1], mask[F[g, 1]] = m & ~off_path, m & ~(bit ^ off_path)


@njit(cache=True, nogil=True, error_model="numpy")
def _rows(X, roots, max_depth, T, start, stop, F, pfeat, pcoef, tab, phi, lo, hi):  # type: ignore[no-untyped-def]
    """Fill ``phi[lo:hi]`` with the rows' SHAP values (scratch arrays allocated once): from
    the leaf tables for a tree with a ``start`` row (>= 0), else by Algorithm 2."""
    size = (max_depth + 3) * (max_depth + 4)
    pf = np.zeros(size, dtype=np.int64)
    pz = np.zeros(size)
    po = np.zeros(size)
    pw = np.zeros(size)
    stack_i = np.zeros((2 * max_depth + 4, 4), dtype=np.int64)
    stack_f = np.zeros((2 * max_depth + 4, 2))
    width = 1  # the most node rows of a tree with tables (a loop: np.max compiles for 0.5 s)
    for t in range(stop.shape[0]):
        if stop[t] - start[t] > width:
            width = stop[t] - start[t]
    mask = np.zeros(width, dtype=np.int64)
    for r in range(lo, hi):
        x = X[r]
        out = phi[r]
        for t in range(roots.shape[0]):
            if start[t] >= 0:
                _table_row(x, out, start[t], stop[t], F, pfeat, pcoef, tab, mask, T)
            else:
                _tree_row(x, out, roots[t], T, pf, pz, po, pw, stack_i, stack_f)


@dataclass(frozen=True)
class _Plan:
    """Which trees are computed from leaf tables, and the tables.

    ``start``/``stop``: per tree, its rows in ``F`` (``-1``: Algorithm 2); ``F``, ``pfeat``,
    ``pcoef``, ``tab``: the node rows, path features, coefficients ``(1 - z) / z`` and leaf
    tables (:func:`_layout`); ``table_sizes``: per tree, its tables' entries (whether used
    or not).
    """

    start: np.ndarray
    stop: np.ndarray
    F: np.ndarray
    pfeat: np.ndarray
    pcoef: np.ndarray
    tab: np.ndarray
    table_sizes: np.ndarray


def _offsets(sizes: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Where each used tree's part starts when the used trees' parts are laid end to end."""
    used = np.where(use, sizes, 0)
    return np.where(use, np.cumsum(used) - used, -1).astype(np.int64)


def _plan(roots: np.ndarray, max_depth: int, T: tuple[np.ndarray, ...],
          tables: bool = True) -> _Plan:
    """Leaf tables for every tree whose leaves meet at most :data:`TABLE_MAX_FEATURES`
    distinct features and whose cover ratios are positive, the first ones in order up to
    :data:`TABLE_MAX_BYTES` (``tables=False``: none); decided from the trees alone."""
    n = len(roots)
    if tables and n:
        sizes = _sizes(roots, max_depth, TABLE_MAX_FEATURES, T)
    else:
        sizes = np.zeros((n, 4), dtype=np.int64)
    ok = sizes[:, 3].astype(bool)
    use = ok & (np.cumsum(np.where(ok, sizes[:, 2], 0)) * 8 <= TABLE_MAX_BYTES)
    start = _offsets(sizes[:, 0], use)
    stop = np.where(use, start + sizes[:, 0], -1).astype(np.int64)
    path0, tab0 = _offsets(sizes[:, 1], use), _offsets(sizes[:, 2], use)
    F = np.zeros((int(sizes[use, 0].sum()), 4), dtype=np.int64)
    pfeat = np.zeros(int(sizes[use, 1].sum()), dtype=np.int64)
    pcoef = np.zeros(len(pfeat))
    tab = np.zeros(int(sizes[use, 2].sum()))
    if use.any():
        _fill(roots, max_depth, TABLE_MAX_FEATURES, T, start, path0, tab0, F, pfeat, pcoef, tab)
    return _Plan(start, stop, F, pfeat, pcoef, tab, sizes[:, 2].copy())


def table_trees(roots: np.ndarray, max_depth: int, T: tuple[np.ndarray, ...]) -> np.ndarray:
    """Per tree, whether :func:`tree_shap` computes it from leaf tables (else Algorithm 2)."""
    return _plan(roots, max_depth, T).start >= 0


def _threads(n_rows: int) -> int:
    """Threads for ``n_rows`` rows: one per available core, at least ``_MIN_CHUNK`` rows each."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, n_rows // _MIN_CHUNK))


def tree_shap(X: np.ndarray, roots: np.ndarray, max_depth: int, T: tuple[np.ndarray, ...],
              threads: int | None = None, tables: bool = True) -> np.ndarray:
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
    p = _plan(roots, max_depth, T, tables)
    args = (X, roots, max_depth, T, p.start, p.stop, p.F, p.pfeat, p.pcoef, p.tab, phi)
    k = _threads(n) if threads is None else max(1, min(threads, n))
    step = max(1, min(_TASK_ROWS, -(-n // k)))  # every thread busy, also for few rows
    bounds = list(range(0, n, step)) + [n]
    if k <= 1 and len(bounds) <= 2:
        _rows(*args, 0, n)
        return phi
    # Tasks of _TASK_ROWS rows: an interrupted audit (Ctrl-C, SIGTERM) waits only for
    # the tasks already running, not for every row (a compiled loop cannot be stopped).
    pool = ThreadPoolExecutor(max_workers=k)
    try:
        jobs = [pool.submit(_rows, *args, lo, hi)
                for lo, hi in zip(bounds[:-1], bounds[1:])]
        for job in jobs:
            job.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return phi
