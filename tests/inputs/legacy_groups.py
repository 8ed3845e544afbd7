"""The per-row string implementation of group labels, frozen as the oracle for the codes.

This is how groups were built before they became integer codes (issue 8, item 7): every
row's label written as a string, intersections joined row by row.  The tests assert
that the codes give the same groups, in the same order, with the same members and
reference, row for row.  Kept verbatim; do not "fix" it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from audit._inputs.groups import UNKNOWN, format_value
from audit._inputs.prepared import Grouping


def as_labels(s: pd.Series) -> np.ndarray:
    miss = s.isna().to_numpy()
    out = s.astype(object).where(~s.isna(), UNKNOWN).map(format_value).to_numpy(dtype=object)
    out[miss] = UNKNOWN
    return out


def age_bands(values: pd.Series, edges: Sequence[int]) -> np.ndarray:
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    names = [f"<{edges[0]}"] + [f"{a}–{b - 1}" for a, b in zip(edges[:-1], edges[1:])]
    names.append(f"{edges[-1]}+")
    idx = np.searchsorted(np.asarray(edges, dtype=float), v, side="right")
    out = np.array(names, dtype=object)[np.clip(idx, 0, len(names) - 1)]
    out[np.isnan(v)] = UNKNOWN
    return out


def make_grouping(name, family, column, labels, *, how_found, min_group_size, merge_small,
                  order=None, reference=None, preferred_reference=None, noun="regions"):
    raw_codes, uniques = pd.factorize(labels.astype(str))
    values = [str(v) for v in uniques]
    counts = np.bincount(raw_codes, minlength=len(values))
    members: dict[str, tuple[str, ...]] = {}
    final_label = list(values)
    if merge_small:
        small = [v for v, c in zip(values, counts) if c < min_group_size and v != UNKNOWN]
        if len(small) >= 2 or (len(small) == 1 and len(values) > 2):
            other = f"other ({len(small)} {noun})"
            members[other] = tuple(sorted(small))
            small_set = set(small)
            final_label = [other if v in small_set else v for v in values]
    size: dict[str, int] = {}
    for v, c in zip(final_label, counts.tolist()):
        size[v] = size.get(v, 0) + c
    if order is not None:
        ordered = [v for v in order if v in size]
        ordered += sorted(v for v in size if v not in ordered)
    else:
        special = {UNKNOWN, *members}
        ordered = sorted((v for v in size if v not in special), key=lambda v: (-size[v], v))
        ordered += sorted(v for v in size if v in members) + ([UNKNOWN] if UNKNOWN in size else [])
    lookup = {v: i for i, v in enumerate(ordered)}
    codes = np.array([lookup[v] for v in final_label], dtype=np.int64)[raw_codes]
    if reference is not None:
        if reference not in lookup:
            raise KeyError(reference)
        ref = lookup[reference]
    elif preferred_reference in lookup and preferred_reference not in members:
        ref = lookup[preferred_reference]
    else:
        candidates = [v for v in ordered if v != UNKNOWN and v not in members] or ordered
        ref = lookup[max(candidates, key=lambda v: (size[v], -ordered.index(v)))]
    return Grouping(name=name, family=family, columns=(column,), codes=codes,
                    labels=tuple(ordered), reference=ref, members=members, how_found=how_found)


def intersect(a: Grouping, b: Grouping, min_group_size: int, how_found: str) -> Grouping:
    la = np.asarray(a.labels, dtype=str)[a.codes]
    lb = np.asarray(b.labels, dtype=str)[b.codes]
    joined = np.char.add(np.char.add(la, " × "), lb)
    order = [f"{x} × {y}" for x in a.labels for y in b.labels]
    g = make_grouping(f"{a.name} × {b.name}", "intersection", "", joined,
                      how_found=how_found, min_group_size=min_group_size, merge_small=True,
                      noun="combinations",
                      preferred_reference=f"{a.labels[a.reference]} × {b.labels[b.reference]}")
    present = [o for o in order if o in g.labels]
    rest = [x for x in g.labels if x not in present]
    relabel = present + rest
    remap = np.array([relabel.index(x) for x in g.labels])
    return Grouping(name=g.name, family="intersection", columns=a.columns + b.columns,
                    codes=remap[g.codes], labels=tuple(relabel),
                    reference=relabel.index(g.labels[g.reference]),
                    members=g.members, how_found=g.how_found)
