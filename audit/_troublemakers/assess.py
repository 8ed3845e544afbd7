"""``assess_troublemakers``: measure proxies, find the best drivers, decide flags, recommend.

The steps, in order: proxy strength and recoverability (:mod:`.proxies`), each
feature's best driver share and the flag decision (:mod:`.flags`), the recommended
loss terms (:mod:`.loss`) and the what-if (:mod:`.what_if`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from audit._inputs.prepared import Grouping
>>> rng = np.random.default_rng(0)
>>> race = rng.integers(0, 2, 400)
>>> X = pd.DataFrame({"zip": np.where(rng.random(400) < 0.9, race, 1 - race).astype(str),
...                   "income": rng.normal(size=400)})
>>> g = Grouping("race", "race", ("race",), race, ("A", "B"), 0)
>>> tm = assess_troublemakers(
...     None, X, X.assign(race=race), [g], y=None, task="binary",
...     criterion_outcomes={"race": {"demographic_parity": "fail"}},
...     driver_shares={"race": {"B": {"zip": 0.8, "income": 0.1}}}, what_if=False)
>>> [(f.feature, f.kind) for f in tm.flags]
[('zip', 'proxy_driver')]
>>> tm.loss_terms[0].constraint
'DemographicParity'
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from .._deadline import FitWorker
from .._errors import ConfigError, InputError
from .._inputs.model import ModelAdapter
from .._inputs.prepared import Grouping
from .._result.troublemakers import DriverShare, Flag, FlagThresholds, Troublemakers
from .._words import audit as audit_words
from .._words import troublemakers as words
from .flags import (
    FlagFacts,
    bad_criteria,
    best_drivers,
    decide_flags,
    sorted_drivers,
    with_recoverability,
)
from .loss import loss_terms
from .proxies import ProxyMeasures, Sample, measure_proxies
from .what_if import WhatIfInputs, run_what_if

_MIN_ROWS = 50
#: Most model features whose proxy strength is measured (and that recoverability uses).
#: Each costs a cross-validated fit per attribute: 2,000 features took minutes, 5,000 over
#: 15. The ones examined are those that drive the failing gaps most, then those the model
#: leans on most (mean |SHAP|), then the first in column order; the rest are named in a note.
MAX_PROXY_FEATURES = 100


def assess_troublemakers(
    model: ModelAdapter | None,
    X: pd.DataFrame,
    data: pd.DataFrame,
    groupings: Sequence[Grouping],
    *,
    y: np.ndarray | None,
    task: str,
    criterion_outcomes: dict[str, dict[str, str]],
    driver_shares: dict[str, dict[str, dict[str, float]]] | None,
    seed: int = 0,
    thresholds: FlagThresholds = FlagThresholds(),
    what_if: bool = True,
    what_if_seconds: float = 120.0,
    max_rows: int = 20000,
    importance: Mapping[str, float] | None = None,
    max_features: int = MAX_PROXY_FEATURES,
    proxy_seconds: float | None = None,
    worker: FitWorker | None = None,
    measured: ProxyMeasures | None = None,
) -> Troublemakers:
    """Find proxy features that drive failing gaps and recommend fairness loss terms.

    ``model`` is ``None`` in predictions-only mode (then only the proxy measures
    run and the what-if says why it cannot); ``X`` holds the model's inputs,
    row-aligned with ``data`` (all audited rows, protected columns included);
    ``groupings`` are the protected attributes (intersections are used only for
    loss terms); ``y`` the true labels (0/1 or floats) or ``None``; ``task`` is
    "binary" or "regression". ``criterion_outcomes`` maps attribute -> criterion
    -> "pass" | "review" | "fail" | "insufficient_evidence"; ``driver_shares``
    maps attribute -> group -> feature -> share of that group's gap driven by the
    feature (``None`` when unavailable). ``seed`` seeds subsampling, folds, split
    and bootstrap; ``thresholds`` decide the flags; ``what_if`` and
    ``what_if_seconds`` switch and bound the retraining; ``max_rows`` caps the
    rows used (a seeded random subsample). ``max_features`` caps the features
    whose proxy strength is measured, chosen by driver share, then by
    ``importance`` (feature -> mean |SHAP|, optional), then column order.
    ``proxy_seconds`` (from ``--budget``) is the proxy search's deadline: the
    count-based proxy scores always finish (one pass over the sample per
    feature); recoverability fits are not started after it and say so.
    ``worker``: a what-if worker already started (see :class:`WhatIfInputs`).
    ``measured``: the proxy measures :func:`measure_early` took with the same ``X``,
    ``data``, ``groupings``, ``seed``, ``max_rows`` and ``max_features`` (``None``: they
    are measured here).
    """
    _check_inputs(X, data, y, task, max_rows)
    notes: list[str] = []
    sample = _sample(X, len(data), max_rows, seed, notes)
    if proxy_seconds is not None:
        sample = replace(sample, deadline=(time.perf_counter() + proxy_seconds, proxy_seconds))
    singles = [g for g in groupings if g.family != "intersection"]
    # 4. driver shares over attributes with failing / review criteria
    bad = bad_criteria(criterion_outcomes)
    best = best_drivers(driver_shares, bad) if driver_shares is not None else {}
    if driver_shares is None:
        notes.append(words.NO_DRIVER_SHARES)
    # 1-2. proxy strength and recoverability, over at most max_features features
    examined = _examined(sample, best, importance, max_features, notes)
    if measured is None or examined is not sample or proxy_seconds is not None:
        measured = measure_proxies(examined, groupings, thresholds, seed)
    # 3 + 5. flags, then recoverability without each flagged proxy
    facts = FlagFacts(sample.features, bad, criterion_outcomes, best, driver_shares is not None,
                      thresholds)
    flags = _flags(facts, measured, examined, singles, seed)
    # 6. loss terms;  7. what-if
    terms = loss_terms(model, X, y, task, groupings, bad, flags, best, thresholds, notes)
    wi = run_what_if(WhatIfInputs(model, X, y, task, groupings, terms, flags, seed, thresholds,
                                  what_if, what_if_seconds, max_rows, worker))
    return Troublemakers(
        proxies=tuple(measured.proxies),
        recoverability=tuple(measured.recover[g.name] for g in singles if g.name in measured.recover),
        drivers=tuple(sorted_drivers(best)), flags=tuple(flags), loss_terms=terms, what_if=wi,
        thresholds=thresholds, n_rows=len(sample.rows), seed=seed, notes=tuple(notes),
        proxy_rule=words.proxy_rule(thresholds),
    )


def measure_early(
    X: pd.DataFrame, data: pd.DataFrame, groupings: Sequence[Grouping], *, seed: int = 0,
    thresholds: FlagThresholds = FlagThresholds(), max_rows: int = 20000,
    max_features: int = MAX_PROXY_FEATURES,
) -> ProxyMeasures | None:
    """The proxy measures of :func:`assess_troublemakers` (same arguments), taken before the
    verdict and the explanations when they do not depend on them: when every model feature
    is examined (at most ``max_features``); else ``None``.  So they can run while the group
    metrics are computed, not after them.
    """
    sample = _sample(X, len(data), max_rows, seed, [])
    if len(sample.features) > max_features:
        return None
    return measure_proxies(sample, groupings, thresholds, seed)


def _flags(
    facts: FlagFacts, measured: ProxyMeasures, sample: Sample, singles: list[Grouping], seed: int
) -> list[Flag]:
    """Decide the flags from the proxy measures; add recoverability without each proxy."""
    proxies = {(p.feature, p.attribute): p for p in measured.proxies}
    recoverability = {name: r.strength if r.strength is not None else r.auc.value
                      for name, r in measured.recover.items()}
    flags = decide_flags(facts, singles, proxies, recoverability)
    return with_recoverability(flags, sample, measured.targets, singles, facts.thresholds, seed)


def _examined(sample: Sample, best: Mapping[tuple[str, str], DriverShare],
              importance: Mapping[str, float] | None, max_features: int,
              notes: list[str]) -> Sample:
    """The sample restricted to the ``max_features`` features most worth examining (noted)."""
    if max_features < 1:
        raise ConfigError(f"max_features: expected at least 1, found {max_features}")
    if len(sample.features) <= max_features:
        return sample
    share: dict[str, float] = {}
    for (feature, _), d in best.items():
        share[feature] = max(share.get(feature, 0.0), d.share)
    weight = importance or {}
    position = {f: i for i, f in enumerate(sample.features)}
    ranked = sorted(sample.features, key=lambda f: (-share.get(f, 0.0),
                                                    -float(weight.get(f, 0.0)), position[f]))
    keep = set(ranked[:max_features])
    kept = [f for f in sample.features if f in keep]  # column order, as before
    left = [f for f in sample.features if f not in keep]
    notes.append(audit_words.proxy_features_capped(len(kept), len(sample.features), left,
                                                   importance is not None))
    return replace(sample, X=sample.X[kept], features=kept)


def _check_inputs(
    X: pd.DataFrame, data: pd.DataFrame, y: np.ndarray | None, task: str, max_rows: int
) -> None:
    """Raise on a task, row count or row cap the analysis cannot use."""
    if task not in ("binary", "regression"):
        raise InputError(
            f"task: expected 'binary' or 'regression', found {task!r} - pass the model's task"
        )
    if len(X) != len(data):
        raise InputError(
            f"model features: expected one row per audited row ({len(data)}), found {len(X)} "
            "- pass X built from the same rows as data"
        )
    if y is not None and len(y) != len(data):
        raise InputError(
            f"labels: expected one label per audited row ({len(data)}), found {len(y)}"
        )
    if max_rows < _MIN_ROWS:
        raise ConfigError(f"max_rows: expected at least {_MIN_ROWS} rows, found {max_rows}")


def _sample(X: pd.DataFrame, n_all: int, max_rows: int, seed: int, notes: list[str]) -> Sample:
    """All rows, or a seeded random sample of ``max_rows`` (noted), with their features."""
    if n_all > max_rows:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(n_all, size=max_rows, replace=False))
        notes.append(words.proxy_sample_note(max_rows, n_all))
    else:
        rows = np.arange(n_all)
    return Sample(rows, X.iloc[rows].reset_index(drop=True), [str(c) for c in X.columns])
