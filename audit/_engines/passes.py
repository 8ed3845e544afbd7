"""The two passes over a row source, as functions of one batch that return mergeable partials.

Pass one (every column) finds what the groups are and which rows the audit keeps: the
distinct values of each protected column with their counts, the row sample, the data
sanity counts.  Pass two (only the columns the model and the groups need) predicts and
counts: one :class:`~audit._fairness.stats.BinaryStats` over the *atoms*, every
combination of the protected attributes' groups, from which every grouping and
intersection is derived exactly.  Both partials merge in any order with the same result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._config import AuditConfig
from .._errors import InputError
from .._fairness.stats import _aggregate_cells
from .._inputs import groups as G
from .._inputs.predictions import _scores_column, from_model, missing_predictions
from .._inputs.sanity import SanityCounts
from .rows import row_hashes, sample_keys
from .sample import Sample

KEY = "__audit_combo_key"
COUNT = "__audit_combo_rows"


@dataclass(frozen=True)
class Combos:
    """The distinct combinations of the protected columns' values, with their row counts.

    A combination is known by the hash of its values (:func:`row_hashes`), so equal values
    of another dtype in another batch (``'1'`` read as 1) are the same combination.
    """

    rows: pd.DataFrame  # protected columns, KEY, COUNT; sorted by KEY

    @classmethod
    def of(cls, df: pd.DataFrame, columns: tuple[str, ...], *,
           known: dict[str, np.ndarray] | None = None) -> Combos:
        """The combinations in ``df`` (``known``: its column hashes already computed)."""
        keys = combo_keys(df, columns, known=known)
        order = np.argsort(keys)  # not stable: the first row of each key is found below
        starts, sorted_keys = _runs(keys[order])
        first = np.minimum.reduceat(order, starts) if len(order) else order
        counts = np.diff(np.append(starts, len(order)))
        rows = df.iloc[first].loc[:, list(columns)].reset_index(drop=True)
        return cls(rows.assign(**{KEY: sorted_keys[starts], COUNT: counts.astype(np.int64)}))

    def merge(self, other: Combos) -> Combos:
        mine, theirs = self.rows[KEY].to_numpy(), other.rows[KEY].to_numpy()
        at = np.searchsorted(mine, theirs)
        if len(mine) and at.max(initial=0) < len(mine) and np.array_equal(mine[at], theirs):
            counts = self.rows[COUNT].to_numpy().copy()  # nothing new: add the counts only
            counts[at] += other.rows[COUNT].to_numpy()  # (keys are distinct: no repeats in at)
            return Combos(self.rows.assign(**{COUNT: counts}))
        both = pd.concat([self.rows, other.rows], ignore_index=True, sort=False)
        order = np.argsort(both[KEY].to_numpy(), kind="stable")  # two sorted runs: linear
        starts, keys = _runs(both[KEY].to_numpy()[order])
        counts = np.add.reduceat(both[COUNT].to_numpy()[order], starts) if len(keys) else keys
        rows = both.iloc[order[starts]].reset_index(drop=True)
        rows[COUNT] = np.asarray(counts, dtype=np.int64)
        return Combos(rows)

    def index_of(self, df: pd.DataFrame) -> np.ndarray:
        """Each row's combination, as an index into :attr:`rows`."""
        at = pd.Index(self.rows[KEY].to_numpy()).get_indexer(combo_keys(df, self.columns))
        if len(at) and at.min() < 0:
            raise InputError(f"{int((at < 0).sum())} rows hold a combination of "
                             f"{', '.join(self.columns)} that the first reading did not see - "
                             "expected the data not to change while it is audited; rerun the "
                             "audit when the files are complete")
        return at.astype(np.int64)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.rows.columns if c not in (KEY, COUNT))

    @property
    def counts(self) -> np.ndarray:
        """Rows of each combination."""
        return self.rows[COUNT].to_numpy()


def combo_keys(df: pd.DataFrame, columns: tuple[str, ...], *,
               known: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """The combination of protected values of each row, as a 64-bit key."""
    return row_hashes(df, 0, columns, known=known)


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal values starts in ``sorted_keys``, and the keys themselves."""
    new = np.ones(len(sorted_keys), dtype=bool)
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    return np.flatnonzero(new), sorted_keys


@dataclass(frozen=True)
class FirstPlan:
    """What pass one needs: the target (rows without it are left out) and protected columns."""

    seed: int
    target: str | None
    protected: tuple[str, ...]
    sample_rows: int
    per_group_rows: int
    sanity_target: str | None = None


@dataclass(frozen=True)
class First:
    """Pass one's partial result."""

    n_input: int
    n_unlabelled: int
    combos: Combos
    sample: Sample
    sanity: SanityCounts

    def merge(self, other: First) -> First:
        return First(self.n_input + other.n_input, self.n_unlabelled + other.n_unlabelled,
                     self.combos.merge(other.combos), self.sample.merge(other.sample),
                     self.sanity.merge(other.sanity))


def first_pass(df: pd.DataFrame, plan: FirstPlan) -> First:
    """Pass one over a batch of every column."""
    n_input = len(df)
    if plan.target is not None:
        labelled = df[plan.target].notna().to_numpy()
        df = df if labelled.all() else df.loc[labelled]
    known: dict[str, np.ndarray] = {}  # each column hashed once, for all three
    hashes = row_hashes(df, 0, known=known)
    sanity = SanityCounts.of(df, target=plan.sanity_target, protected=plan.protected,
                             hashes=hashes)
    return First(
        n_input=n_input, n_unlabelled=n_input - len(df),
        combos=Combos.of(df, plan.protected, known=known),
        sample=Sample.of(df, sample_keys(hashes, plan.seed), plan.protected, plan.sample_rows,
                         plan.per_group_rows, known=known),
        sanity=sanity)


@dataclass(frozen=True)
class CountPlan:
    """Everything pass two needs, decided before it starts (it is sent to Spark executors)."""

    cfg: AuditConfig
    estimator: Any
    features: tuple[str, ...]
    model_source: str
    target: str | None
    target_positive: str | None  # the written target value counted as 1
    predictions: str | None  # predictions-only mode: the decisions column ...
    predictions_positive: str | None  # ... and its value counted as 1
    scores: str | None
    combos: Combos
    source: str = "data"  # how messages name the data

    @property
    def n_atoms(self) -> int:
        return len(self.combos.rows)

    @property
    def columns(self) -> list[str]:
        cols = [*self.features, self.target, self.predictions, self.scores,
                *self.combos.columns]
        return list(dict.fromkeys(c for c in cols if c is not None))


def flags(s: pd.Series, positive: str) -> np.ndarray:
    """1 where the written value is ``positive``, else 0."""
    codes, written = G.label_codes(s)
    return np.array([w == positive for w in written], dtype=np.int8)[codes]


Piece = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Counts:
    """Pass two's partial: cell counts over atoms, the score histogram in pieces, score range.

    The histogram's pieces are summed lazily (when they outgrow what is summed), so
    merging batch after batch costs O(n log n) overall, not O(n) per batch.
    """

    counts: np.ndarray
    pieces: tuple[Piece, ...] | None
    lo: float = np.inf
    hi: float = -np.inf

    def merge(self, other: Counts) -> Counts:
        pieces = None
        if self.pieces is not None and other.pieces is not None:
            pieces = _compacted(self.pieces + other.pieces)
        return Counts(self.counts + other.counts, pieces, min(self.lo, other.lo),
                      max(self.hi, other.hi))


def _piece(cell: np.ndarray, value: np.ndarray, count: np.ndarray) -> Piece:
    """A summed histogram piece, stored small: 16 bytes per distinct (cell, score)."""
    cell, value, count = _aggregate_cells(cell, value, count)
    small = np.int32 if len(cell) == 0 or cell[-1] < 2**31 - 1 else np.int64
    return cell.astype(small), value, count.astype(np.int32 if count.max(initial=0) < 2**31
                                                        else np.int64)


def _summed(pieces: tuple[Piece, ...]) -> Piece:
    if len(pieces) == 1:
        return pieces[0]
    cell, value, count = (np.concatenate([p[i] for p in pieces]) for i in range(3))
    return _piece(cell.astype(np.int64), value, count.astype(np.int64))


def _compacted(pieces: tuple[Piece, ...]) -> tuple[Piece, ...]:
    """Sum the newer pieces into one once they are as large as the oldest one."""
    if len(pieces) < 2:
        return pieces
    base, rest = pieces[0], pieces[1:]
    if sum(len(p[0]) for p in rest) < len(base[0]) and len(rest) < 64:
        return pieces
    return (_summed(pieces),)


def count_pass(df: pd.DataFrame, plan: CountPlan) -> Counts:
    """Pass two over a batch: decisions, labels and groups of every row, counted."""
    if plan.target is not None:
        df = df.loc[df[plan.target].notna()].reset_index(drop=True)
    y_pred, scores = _decisions(df, plan)
    y = None if plan.target is None else flags(df[plan.target], str(plan.target_positive))
    atom = plan.combos.index_of(df)
    pred = y_pred.astype(np.int64)
    cell = atom * 2 + pred if y is None else atom * 4 + y.astype(np.int64) * 2 + pred
    shape = (plan.n_atoms, 2) if y is None else (plan.n_atoms, 2, 2)
    counts = np.bincount(cell, minlength=int(np.prod(shape))).reshape(shape)
    if scores is None:
        return Counts(counts, None)
    piece = _piece(cell, scores, np.ones(len(scores), dtype=np.int64))
    lo, hi = (float(scores.min()), float(scores.max())) if len(scores) else (np.inf, -np.inf)
    return Counts(counts, (piece,), lo, hi)


def _decisions(df: pd.DataFrame, plan: CountPlan) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's (or the predictions column's) decisions and scores for a batch."""
    if plan.estimator is not None:
        _, decided = from_model(df, plan.estimator, plan.cfg, plan.features, plan.model_source,
                                [])
        return decided.y_pred, decided.scores
    assert plan.predictions is not None
    scores = None if plan.scores is None else _scores_column(df, plan.scores, plan.source)
    if scores is not None and plan.cfg.threshold is not None:
        return (scores >= plan.cfg.threshold).astype(np.int8), scores
    missing_predictions(df, plan.predictions, plan.source)
    return flags(df[plan.predictions], str(plan.predictions_positive)), scores
