"""The audit's view of a row source: whole-table statistics and a row sample, in two passes."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from .._config import AuditConfig
from .._errors import InputError
from .._fairness.stats import BinaryStats
from .._inputs.columns import feature_columns
from .._inputs.predictions import scores_meaning
from .._inputs.prepared import Population, Prepared
from .._inputs.protected import protected_columns
from .._inputs.sanity import sanity_from_counts
from .._inputs.spec import resolve
from .._inputs.target import resolve_target
from .._result.findings import Finding
from .._result.spec import ResolvedSpec
from .._words import inputs as W
from .passes import Combos, CountPlan, Counts, First, FirstPlan, Piece, count_pass, first_pass
from .sources import RowSource, Tick

M = TypeVar("M", First, Counts)
#: Rows the sample holds: a uniform random sample of this many rows ...
SAMPLE_ROWS = 100_000
#: ... plus, for each value of each protected column, this many more (small groups).
PER_GROUP_ROWS = 200

Step = Callable[[str], Any]


@dataclass(frozen=True)
class Scanned:
    """What the audit needs of a table it does not hold in memory."""

    prepared: Prepared  # the sample's rows, predictions and groups (labels of the whole table)
    spec: ResolvedSpec  # of the whole table
    findings: tuple[Finding, ...]
    sanity: tuple[Finding, ...]
    stats: Regrouped  # grouping name ("everyone" too) -> whole-table statistics


class Regrouped(Mapping[str, BinaryStats]):
    """Each grouping's whole-table statistics, derived from the atoms' when asked for.

    Not kept: with a score per row, a grouping's histogram holds about one entry per
    row (24 bytes), so holding every grouping's at once grew with rows (2 GB at 10M
    rows for 8 groupings).  The atoms' histogram is put in score order once; each
    grouping then needs a stable (radix) sort of its cell ids only, never of the scores.
    """

    def __init__(self, counts: np.ndarray, pieces: Sequence[Piece] | None,
                 groups: dict[str, tuple[np.ndarray, int]]) -> None:
        """``pieces``: the atoms' score histogram in any number of pieces, summed or not
        (each grouping sums its equal (cell, score) pairs), so the pieces of pass two are
        never summed into one sorted histogram first."""
        self._counts = counts
        self._groups = groups
        self._by_value: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        if pieces is not None:
            cell, value, count = (np.concatenate([p[i] for p in pieces]) if len(pieces) != 1
                                  else pieces[0][i] for i in range(3)) if pieces else (
                np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64))
            order = np.argsort(value)
            self._by_value = (_small(cell[order]), value[order].astype(np.float64),
                              _small(count[order]))  # 16 bytes an entry, not 24

    @classmethod
    def of(cls, atoms: BinaryStats, groups: dict[str, tuple[np.ndarray, int]]) -> Regrouped:
        """From the atoms' statistics."""
        if atoms.score_cell is None or atoms.score_value is None or atoms.score_count is None:
            return cls(atoms.counts, None, groups)
        return cls(atoms.counts, [(atoms.score_cell, atoms.score_value, atoms.score_count)],
                   groups)

    def __getitem__(self, name: str) -> BinaryStats:
        of_group, n_groups = self._groups[name]
        mapping = np.asarray(of_group, dtype=np.int64)
        counts = np.zeros((n_groups, *self._counts.shape[1:]), dtype=np.int64)
        np.add.at(counts, mapping, self._counts)
        if self._by_value is None:
            return BinaryStats(counts)
        atom_cell, value, count = self._by_value
        per = int(np.prod(self._counts.shape[1:]))
        if counts.size < 2**31:
            mapping = mapping.astype(atom_cell.dtype)  # 4-byte cells when they fit
        cell = mapping[atom_cell // per] * per + atom_cell % per
        by_cell = np.argsort(cell.astype(np.uint16) if counts.size <= 2**16 else cell,
                             kind="stable")  # equal cells stay in score order
        cell, value, count = cell[by_cell], value[by_cell], count[by_cell]
        del by_cell
        new = np.empty(len(cell), dtype=bool)
        new[:1] = True
        np.not_equal(cell[1:], cell[:-1], out=new[1:])
        new[1:] |= value[1:] != value[:-1]
        if bool(new.all()):  # every (cell, score) distinct, the usual case: nothing to sum
            return BinaryStats(counts, cell.astype(np.int64), value, count.astype(np.int64))
        starts = np.flatnonzero(new)
        del new
        summed = np.add.reduceat(count, starts, dtype=np.int64) if len(starts) else starts
        return BinaryStats(counts, cell[starts].astype(np.int64), value[starts],
                           summed.astype(np.int64))

    def __iter__(self) -> Iterator[str]:
        return iter(self._groups)

    def __len__(self) -> int:
        return len(self._groups)


def _small(a: np.ndarray) -> np.ndarray:
    """Non-negative integers as int32 when they fit."""
    return a.astype(np.int32) if len(a) == 0 or a.max() < 2**31 else a


def _merged(parts: Iterable[M]) -> M | None:
    out: M | None = None
    for p in parts:
        out = p if out is None else out.merge(p)  # type: ignore[assignment]
    return out


def _first_plan(source: RowSource, estimator: Any, cfg: AuditConfig, model_source: str,
                sample_rows: int) -> tuple[FirstPlan, tuple[str, ...]]:
    """Target and protected columns, by name: decided before any row is read."""
    empty = pd.DataFrame(columns=list(source.columns))
    features: tuple[str, ...] = ()
    if estimator is not None:
        features = feature_columns(empty, estimator, cfg, source.name, model_source)
    _, target, _ = resolve_target(empty, cfg, source.name, features, [], [])
    found = protected_columns(empty, cfg, target, source.name, [])
    protected = tuple(dict.fromkeys(p.column for p in found))
    return FirstPlan(cfg.seed, target, protected, sample_rows, PER_GROUP_ROWS, target), features


def scan(source: RowSource, estimator: Any, cfg: AuditConfig, *, model_source: str,
         step: Step, tick: Callable[[str, int | None], Tick | None], sample_rows: int = SAMPLE_ROWS
         ) -> Scanned:
    """Read ``source`` twice: groups, sample and data checks; then every row's decision."""
    plan1, features = _first_plan(source, estimator, cfg, model_source, sample_rows)
    total = source.total_rows()  # parquet footers, or a Spark count(): once
    with step(W.pass_label(1, total)):
        first = _merged(source.partials(functools.partial(first_pass, plan=plan1), None,
                                        tick(W.pass_label(1, None), total)))
    if first is None or first.n_input == 0:
        raise InputError(f"{source.name} has no rows - expected at least one row to audit")
    population = Population(first.combos.rows.loc[:, list(first.combos.columns)],
                            first.combos.counts,
                            first.n_input, first.n_unlabelled)
    sample = first.sample.frame()
    if len(sample) == 0:
        raise InputError(f"target column '{plan1.target}' in {source.name} is empty (all values "
                         "missing) - pass --target with a column that holds the true outcomes")
    prepared, spec, findings = resolve(sample, estimator, cfg, source=source.name,
                                       model_source=model_source, population=population)
    if prepared.task != "binary":
        raise InputError(W.STREAM_REGRESSION.format(source=source.name))
    plan2 = _count_plan(cfg, estimator, features, model_source, spec, first.combos,
                        source.name)
    with step(W.pass_label(2, first.n_input)):
        counts = _merged(source.partials(functools.partial(count_pass, plan=plan2),
                                         plan2.columns, tick(W.pass_label(2, None), first.n_input)))
    assert counts is not None
    groups = {g.name: (g.codes, len(g.labels)) for g in prepared.groupings}
    groups["everyone"] = (np.zeros(plan2.n_atoms, dtype=np.int64), 1)
    stats = Regrouped(counts.counts, counts.pieces, groups)
    counts = dataclasses.replace(counts, pieces=None if counts.pieces is None else ())
    sample_atoms = first.combos.index_of(prepared.data)
    groupings = tuple(dataclasses.replace(g, codes=g.codes[sample_atoms])
                      for g in prepared.groupings)
    prepared, spec = _scores_range(prepared, spec, cfg, counts, source.name)
    sanity = sanity_from_counts(first.sanity, prepared.data, target=spec.target,
                                protected=sorted({c for p in spec.protected for c in p.columns}),
                                source=source.name, seed=cfg.seed,
                                model_features=spec.features or None)
    note = W.sample_note(len(prepared.data), spec.n_rows, PER_GROUP_ROWS, source.kind)
    spec = dataclasses.replace(spec, notes=spec.notes + (note,))
    in_table = first.combos.counts
    in_sample = np.bincount(sample_atoms, minlength=len(in_table))
    weights = in_table[sample_atoms] / in_sample[sample_atoms]  # rows each sampled row stands for
    return Scanned(dataclasses.replace(prepared, groupings=groupings, row_weights=weights),
                   spec, findings,
                   sanity, stats)


def _count_plan(cfg: AuditConfig, estimator: Any, features: tuple[str, ...], model_source: str,
                spec: ResolvedSpec, combos: Combos, source: str) -> CountPlan:
    positive = cfg.positive_label if cfg.positive_label is not None else spec.positive_label
    return CountPlan(
        cfg=cfg, estimator=estimator, features=features, model_source=model_source,
        target=spec.target, target_positive=positive,
        predictions=cfg.predictions if estimator is None else None,
        predictions_positive=spec.positive_label, scores=cfg.scores if estimator is None
        else None, combos=combos, source=source)


def _scores_range(prepared: Prepared, spec: ResolvedSpec, cfg: AuditConfig, counts: Counts,
                  source: str) -> tuple[Prepared, ResolvedSpec]:
    """A scores column's meaning from its range over every row, not only the sample's."""
    if cfg.scores is None or prepared.model is not None or counts.pieces is None:
        return prepared, spec
    meaning = scores_meaning(np.array([counts.lo, counts.hi]), cfg.scores, cfg, source)
    spec = dataclasses.replace(spec, scores_are_probabilities=meaning.probabilities,
                               scores_how=meaning.how)
    return dataclasses.replace(prepared, scores_not_probabilities=meaning.reason), spec
