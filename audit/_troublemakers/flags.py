"""Which features are troublemakers: best drivers, the flag decision, and what dropping one does.

A *troublemaker* is a model feature that (a) stands in for a protected
attribute -- on its own it predicts the attribute well -- and (b) drives a
fairness gap that fails or needs review.  A protected attribute that is itself
a model input is always a troublemaker ("direct use").

Whether a feature is a proxy is decided by the one proxy rule
(:func:`audit._result.troublemakers.proxy_strength`, recorded as ``ProxyScore.strong``):
the larger of its macro AUC and its best group's one-vs-rest AUC reaches the
threshold ("zip code picks out Black applicants" matters even when it cannot tell
two other groups apart).  The proxy table and the flags read the same ``strong``.
What to do about a flag is decided once, by
:func:`audit._result.troublemakers.drop_advice`, and stored in ``Flag.recommendation``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from .._inputs.prepared import Grouping
from .._result.troublemakers import DriverShare, Flag, FlagThresholds, ProxyScore, drop_advice
from .._words import troublemakers as words
from .proxies import Sample, Target, recoverability_without

BAD_OUTCOMES = ("fail", "review")
_SEVERITY_RANK = {"high": 0, "medium": 1}

# attribute -> [(criterion, outcome)] of the criteria that fail or need review
BadCriteria = dict[str, list[tuple[str, str]]]
DriverKey = tuple[str, str]  # (feature, attribute)


def bad_criteria(criterion_outcomes: Mapping[str, Mapping[str, str]]) -> BadCriteria:
    """Per attribute, the (criterion, outcome) pairs that fail or need review."""
    return {
        a: [(c, o) for c, o in outcomes.items() if o in BAD_OUTCOMES]
        for a, outcomes in criterion_outcomes.items()
    }


# --------------------------------------------------------------------------- best drivers


def best_drivers(
    driver_shares: Mapping[str, Mapping[str, Mapping[str, float]]], bad: BadCriteria
) -> dict[DriverKey, DriverShare]:
    """Each feature's largest share of some group's gap, over attributes that fail or need review."""
    best: dict[DriverKey, DriverShare] = {}
    for attr, per_group in driver_shares.items():
        if not bad.get(attr):
            continue
        for group, per_feature in per_group.items():
            for feat, share in per_feature.items():
                if share is None or not np.isfinite(share):
                    continue
                key = (str(feat), attr)
                cur = best.get(key)
                if cur is None or share > cur.share:
                    best[key] = DriverShare(str(feat), attr, str(group), float(share))
    return best


def sorted_drivers(best: Mapping[DriverKey, DriverShare]) -> list[DriverShare]:
    """Drivers by attribute, largest share first."""
    return sorted(best.values(), key=lambda d: (d.attribute, -d.share, d.feature))


# --------------------------------------------------------------------------- decide flags


@dataclasses.dataclass(frozen=True)
class FlagFacts:
    """What the flag decision looks at, shared by all attributes."""

    features: Sequence[str]
    bad: BadCriteria
    criterion_outcomes: Mapping[str, Mapping[str, str]]
    best_driver: Mapping[DriverKey, DriverShare]
    have_drivers: bool  # driver shares were measured (else proxies are 'unconfirmed')
    thresholds: FlagThresholds


def decide_flags(
    facts: FlagFacts,
    singles: Sequence[Grouping],
    proxies: Mapping[DriverKey, ProxyScore],
    recoverability: Mapping[str, float | None],
) -> list[Flag]:
    """Direct uses of each attribute, then its strong proxies that drive a failing gap.

    ``proxies`` maps (feature, attribute) to its score; ``recoverability`` maps an
    attribute to the AUC of all other model features.
    """
    flags: list[Flag] = []
    for g in singles:
        flags += _direct_use_flags(facts, g, recoverability.get(g.name))
        flags += _proxy_flags(facts, g, proxies)
    return flags


def _direct_use_flags(facts: FlagFacts, g: Grouping, rec_auc: float | None) -> list[Flag]:
    """A protected column that is a model input is always flagged, with high severity."""
    crits = tuple(c for c, _ in facts.bad.get(g.name, []))
    out = []
    for col in g.columns:
        if col not in facts.features:
            continue
        d = facts.best_driver.get((col, g.name))
        advice = drop_advice("direct_use", rec_auc, facts.thresholds.proxy_auc)
        out.append(
            Flag(
                feature=col,
                attribute=g.name,
                kind="direct_use",
                severity="high",
                proxy_auc=None,
                driver_share=d.share if d is not None else None,
                driver_group=d.group if d is not None else None,
                criteria=crits,
                recoverability_without=rec_auc,
                explanation=words.direct_use_explanation(
                    col, g.name, g.family, g.labels[g.reference], d, rec_auc, advice
                ),
                recommendation=advice,
            )
        )
    return out


def _proxy_flags(
    facts: FlagFacts, g: Grouping, proxies: Mapping[DriverKey, ProxyScore]
) -> list[Flag]:
    """Strong proxies of an attribute with a bad criterion that drive one of its gaps."""
    bad = facts.bad.get(g.name, [])
    crits = tuple(c for c, _ in bad)
    if not crits:
        return []
    thr = facts.thresholds
    pairs = [(c, o) for c, o in facts.criterion_outcomes.get(g.name, {}).items() if c in crits]
    failing = any(o == "fail" for _, o in bad)
    out = []
    for f in facts.features:
        p = proxies.get((f, g.name))
        if p is None or p.auc.value is None:
            continue
        d = facts.best_driver.get((f, g.name))
        if not p.strong or p.strength is None:  # the one proxy rule (proxy_strength)
            continue
        if facts.have_drivers and (d is None or d.share < thr.driver_share):
            continue
        out.append(_proxy_flag(f, g, p, d if facts.have_drivers else None, p.strength, crits,
                               pairs, failing, thr))
    return out


def _proxy_flag(
    feature: str,
    g: Grouping,
    p: ProxyScore,
    d: DriverShare | None,
    strength: float,
    crits: tuple[str, ...],
    pairs: list[tuple[str, str]],
    failing: bool,
    thr: FlagThresholds,
) -> Flag:
    """One proxy flag: 'proxy_driver' when its driver share is known, else 'proxy_unconfirmed'."""
    if d is None:
        return Flag(
            feature=feature,
            attribute=g.name,
            kind="proxy_unconfirmed",
            severity="medium",
            proxy_auc=strength,
            driver_share=None,
            driver_group=None,
            criteria=crits,
            recoverability_without=None,
            proxy_group=p.strength_group,
            explanation=words.unconfirmed_proxy_explanation(feature, g.name, p.auc,
                                                            p.strength_group, strength, pairs),
        )
    high = failing and strength >= thr.high_proxy_auc and d.share >= thr.high_driver_share
    return Flag(
        feature=feature,
        attribute=g.name,
        kind="proxy_driver",
        severity="high" if high else "medium",
        proxy_auc=strength,
        driver_share=d.share,
        driver_group=d.group,
        criteria=crits,
        recoverability_without=None,
        proxy_group=p.strength_group,
        explanation=words.proxy_driver_explanation(
            feature, g.name, g.labels[g.reference], p.auc, p.strength_group, strength, d, pairs
        ),
    )


# --------------------------------------------------------------------------- recoverability


def with_recoverability(
    flags: Sequence[Flag],
    sample: Sample,
    targets: Mapping[str, Target],
    singles: Sequence[Grouping],
    thresholds: FlagThresholds,
    seed: int,
) -> list[Flag]:
    """Measure, for each proxy flag, the other features without it; sort the flags."""
    out: list[Flag] = []
    for fl in flags:
        if fl.kind == "direct_use" or fl.attribute not in targets:
            out.append(fl)
            continue
        g = next(g for g in singles if g.name == fl.attribute)
        without = recoverability_without(sample, targets[fl.attribute], g.columns, fl.feature, seed)
        advice = drop_advice(fl.kind, without, thresholds.proxy_auc)
        out.append(
            dataclasses.replace(
                fl,
                recoverability_without=without,
                recommendation=advice,
                explanation=fl.explanation
                + " "
                + words.drop_sentence(advice, fl.feature, fl.attribute, without),
            )
        )
    out.sort(key=lambda f: (_SEVERITY_RANK[f.severity], f.kind != "direct_use", f.attribute,
                            -(f.driver_share or 0.0), f.feature))
    return out
