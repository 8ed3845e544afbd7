"""The explanation sample: stratified by group, with Horvitz-Thompson weights.

The explanation sample is stratified on the cells formed by the single-attribute
groupings (intersections are not used as strata; they are the cells themselves).
Every group of every single-attribute grouping gets at least
``min(n_group, floor)`` rows, the rest is allocated proportionally, and the sample
never exceeds the size asked for: the floor is ``MIN_PER_GROUP`` unless the groups
are too many for it (50 states x 30 rows > 200 rows asked for), then the largest
floor that fits.  The rows are grouped by cell once (one count or sort), not
scanned once per cell.
Within a cell rows are drawn without replacement, so every row's inclusion
probability is ``n_cell / N_cell``; each sampled row carries the Horvitz-Thompson
weight ``N_cell / n_cell`` and *every* mean reported by the explanation (global and
per group) is weighted by it, so oversampled small groups do not distort
population figures.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np

from .._inputs.prepared import Grouping
from .._words import explain as words
from .split import stable_order

#: every group of a single-attribute grouping gets at least min(its size, this) sample rows
MIN_PER_GROUP = 30

#: one group's minimum: (cells holding the group, rows the group needs)
_Target = tuple[np.ndarray, int]


def _strata_groupings(groupings: Sequence[Grouping]) -> list[Grouping]:
    """The single-attribute groupings (all groupings when there are only intersections)."""
    single = [g for g in groupings if g.family != "intersection"]
    return single if single else list(groupings)


def _largest_remainder(total: int, sizes: np.ndarray) -> np.ndarray:
    """Split ``total`` proportionally to ``sizes`` into integers summing to ``total``."""
    if sizes.sum() == 0:
        return np.zeros_like(sizes)
    exact = total * sizes / sizes.sum()
    out = np.floor(exact).astype(np.int64)
    left = int(total - out.sum())
    if left > 0:
        order = np.argsort(-(exact - out), kind="stable")[:left]
        out[order] += 1
    return out


def _cells(n_rows: int, strata: Sequence[Grouping]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct code combinations (cells) of the strata, in lexicographic order, and each
    row's cell.

    Each row's combination is one number (mixed radix, the first grouping most
    significant, so numeric order is lexicographic order); the cells present are found
    with one count over the rows when the combinations are few, else one sort.
    """
    if not strata:
        return np.zeros((1, 0), dtype=np.int64), np.zeros(n_rows, dtype=np.int64)
    dims = tuple(max(len(g.labels), 1) for g in strata)
    key = np.zeros(n_rows, dtype=np.int64)
    for g, d in zip(strata, dims):
        key *= d
        key += np.asarray(g.codes, dtype=np.int64)
    n_keys = int(np.prod(dims, dtype=object))
    if n_keys <= max(4 * n_rows, 1 << 16):
        present = np.flatnonzero(np.bincount(key, minlength=n_keys))
        index = np.zeros(n_keys, dtype=np.int64)
        index[present] = np.arange(len(present))
        cell_of_row = index[key]
    else:
        present, cell_of_row = np.unique(key, return_inverse=True)
    cells = np.column_stack(np.unravel_index(present, dims)).astype(np.int64)
    return cells, np.asarray(cell_of_row, dtype=np.int64).ravel()


def _proportional(n_sample: int, sizes: np.ndarray) -> np.ndarray:
    """Proportional allocation, keeping every non-empty cell when the budget allows it."""
    alloc = np.minimum(_largest_remainder(n_sample, sizes.astype(float)), sizes)
    if len(sizes) <= n_sample:
        alloc = np.maximum(alloc, (sizes > 0).astype(np.int64))
    return alloc


def _group_targets(
    strata: Sequence[Grouping], cells: np.ndarray, sizes: np.ndarray, min_per_group: int
) -> list[_Target]:
    """Per-group minimums: for each non-empty (grouping, group), its cells and its target."""
    targets: list[_Target] = []
    for k, g in enumerate(strata):
        gsizes = np.bincount(cells[:, k], weights=sizes, minlength=len(g.labels)).astype(np.int64)
        for gi, size in enumerate(gsizes):
            if size > 0:
                members = np.flatnonzero(cells[:, k] == gi)
                targets.append((members, int(min(size, min_per_group))))
    return targets


def _raise_to_minimums(alloc: np.ndarray, sizes: np.ndarray, targets: list[_Target]) -> None:
    """Add rows (in place) to the cells of groups below their minimum."""
    for _ in range(4):  # boosting one group never lowers another; a few passes settle it
        changed = False
        for members, target in targets:
            have = int(alloc[members].sum())
            if have < target:
                room = sizes[members] - alloc[members]
                extra = np.minimum(_largest_remainder(target - have, room.astype(float)), room)
                alloc[members] += extra
                changed = True
        if not changed:
            break


def _trim_excess(
    alloc: np.ndarray, sizes: np.ndarray, targets: list[_Target], n_sample: int
) -> None:
    """Remove rows (in place) from cells whose groups stay above their minimums.

    One row at a time from the most over-represented cell (relative to proportional
    allocation; the first such cell on ties) among those above their floor whose groups
    are all above their minimums.  Both conditions only ever switch off, so the cells
    wait in a heap by ratio and a group's count is kept up to date, instead of
    rechecking every group for every row removed (thousands of rows at 1M rows).
    """
    excess = int(alloc.sum()) - n_sample
    if excess <= 0:
        return
    keep_one = len(sizes) <= n_sample
    floor = [1 if (keep_one and s > 0) else 0 for s in sizes.tolist()]
    have = alloc.tolist()
    size1 = np.maximum(sizes, 1).tolist()
    left = [int(alloc[members].sum()) - target for members, target in targets]  # > 0: open
    of_cell: list[list[int]] = [[] for _ in have]
    for t, (members, _) in enumerate(targets):
        for c in members.tolist():
            of_cell[c].append(t)
    open_ = [all(left[t] > 0 for t in of_cell[c]) for c in range(len(have))]
    heap = [(-(have[c] / size1[c]), c) for c in range(len(have)) if open_[c] and have[c] > floor[c]]
    heapq.heapify(heap)
    while excess > 0 and heap:
        _, c = heapq.heappop(heap)
        if not open_[c]:
            continue  # a group of this cell reached its minimum meanwhile
        have[c] -= 1
        excess -= 1
        for t in of_cell[c]:
            left[t] -= 1
            if left[t] == 0:  # the group is at its minimum: none of its cells give more
                for m in targets[t][0].tolist():
                    open_[m] = False
        if open_[c] and have[c] > floor[c]:
            heapq.heappush(heap, (-(have[c] / size1[c]), c))
    alloc[:] = have


def _draw(
    cell_of_row: np.ndarray, alloc: np.ndarray, sizes: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw each cell's rows without replacement; sorted rows and their weights.

    The rows are grouped by cell once (a stable sort, so each cell's rows stay in row
    order); each cell then draws from its own slice.
    """
    by_cell = stable_order(cell_of_row)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    rows: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for c in np.flatnonzero(alloc):
        members = by_cell[starts[c]:starts[c + 1]]
        pick = rng.choice(members, size=int(alloc[c]), replace=False)
        rows.append(pick)
        weights.append(np.full(len(pick), sizes[c] / alloc[c]))
    rows_a = np.concatenate(rows)
    weights_a = np.concatenate(weights)
    order = np.argsort(rows_a, kind="stable")
    return rows_a[order], weights_a[order]


def _allocate(n_sample: int, sizes: np.ndarray, strata: Sequence[Grouping], cells: np.ndarray,
              floor: int) -> np.ndarray:
    """Rows per cell: proportional, every group raised to min(its size, ``floor``), trimmed."""
    alloc = _proportional(n_sample, sizes)
    targets = _group_targets(strata, cells, sizes, floor)
    _raise_to_minimums(alloc, sizes, targets)
    _trim_excess(alloc, sizes, targets, n_sample)
    return alloc


def _fitting_floor(n_sample: int, sizes: np.ndarray, strata: Sequence[Grouping],
                   cells: np.ndarray, min_per_group: int) -> tuple[int, np.ndarray]:
    """The largest per-group floor (at most ``min_per_group``) whose sample fits ``n_sample``.

    With many groups (50 states x 30 rows) the full floor alone would exceed the
    request; the floor is lowered instead (a floor of 0 is proportional allocation,
    which always fits).
    """
    alloc = _allocate(n_sample, sizes, strata, cells, min_per_group)
    if alloc.sum() <= n_sample:
        return min_per_group, alloc
    lo, hi, best = 0, min_per_group - 1, _allocate(n_sample, sizes, strata, cells, 0)
    while lo < hi:  # the largest floor that fits: bisection (more floor, more rows)
        mid = (lo + hi + 1) // 2
        trial = _allocate(n_sample, sizes, strata, cells, mid)
        if trial.sum() <= n_sample:
            lo, best = mid, trial
        else:
            hi = mid - 1
    return lo, best


def stratified_sample(
    n_rows: int,
    groupings: Sequence[Grouping],
    n_sample: int,
    rng: np.random.Generator,
    min_per_group: int = MIN_PER_GROUP,
    row_weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, str, bool]:
    """Draw the explanation sample, stratified by the single-attribute groupings.

    Parameters
    ----------
    n_rows : int
        Number of rows to sample from.
    groupings : sequence of Grouping
        Per-row group codes; cells of the single-attribute groupings are the strata.
    n_sample : int
        Sample size asked for; never exceeded (the per-group floor is lowered instead).
    rng : numpy.random.Generator
        Source of randomness.
    min_per_group : int
        Every group gets at least ``min(group size, min_per_group)`` rows, unless that
        would exceed ``n_sample``: then the largest floor that fits (named in the
        description).
    row_weights : numpy.ndarray, optional
        How many rows of a larger table each row stands for, when the rows are themselves
        a sample that over-represents small groups (the streaming engines): the weights
        returned are then weights to that table.

    Returns
    -------
    rows, weights, description, weighted
        Sorted row positions, their Horvitz-Thompson weights, a plain-language
        description and whether the weights are not all equal.

    Examples
    --------
    >>> rows, w, _, _ = stratified_sample(10, [], 4, np.random.default_rng(0))
    >>> len(rows), float(w[0])
    (4, 2.5)
    """
    prior = np.ones(n_rows) if row_weights is None else np.asarray(row_weights, dtype=float)
    if n_rows <= n_sample:
        weighted = bool(np.ptp(prior) > 1e-12 * prior.max())
        return (np.arange(n_rows), prior, words.sampling_all_rows(n_rows, weighted), weighted)
    strata = _strata_groupings(groupings)
    cells, cell_of_row = _cells(n_rows, strata)
    sizes = np.bincount(cell_of_row, minlength=len(cells)).astype(np.int64)
    floor, alloc = _fitting_floor(n_sample, sizes, strata, cells, min_per_group)
    rows, weights = _draw(cell_of_row, alloc, sizes, rng)
    weights = weights * prior[rows]
    weighted = bool(np.ptp(weights) > 1e-12 * weights.max())
    missing_cells = int(((alloc == 0) & (sizes > 0)).sum())
    desc = words.sampling_stratified(
        len(rows), n_rows, [g.name for g in strata], len(cells), floor, weighted,
        missing_cells,
    )
    return rows, weights, desc, weighted
