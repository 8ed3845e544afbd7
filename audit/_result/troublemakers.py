"""Troublemaker results: proxy scores, flags, loss terms and the what-if."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .._errors import ConfigError
from .tables import Estimate

FlagSeverity = Literal["high", "medium"]
FlagKind = Literal["direct_use", "proxy_driver", "proxy_unconfirmed"]
#: What to do about a flagged input, decided by :func:`drop_advice` from the evidence.
DropAdvice = Literal[
    "drop_may_help",  # a proxy; the other inputs reveal little without it
    "constrain_instead",  # a proxy; the other inputs still reveal the attribute
    "unmeasured",  # a proxy; how much the other inputs reveal could not be measured
    "remove_or_justify",  # the attribute itself; the other inputs reveal little
    "remove_and_constrain",  # the attribute itself; the other inputs still reveal it
]
WhatIfStatus = Literal["ran", "partial", "skipped", "not_possible", "not_needed", "failed"]
RunStatus = Literal["ok", "failed", "skipped"]


LOSS_CONFIG_VERSION = 1


@dataclass(frozen=True)
class FlagThresholds:
    """When a feature counts as a troublemaker, and the knobs of the measurements.

    Parameters
    ----------
    proxy_auc : float, default 0.70
        A feature is a strong proxy when, on its own, it predicts the
        attribute with cross-validated AUC at least this (0.5 = chance).
        0.70 is the usual "acceptable discrimination" level for a predictor.
    driver_share : float, default 0.20
        A feature is a material driver when it accounts for at least this
        share of some group's gap against the reference group.
    high_proxy_auc : float, default 0.80
        FlagSeverity is "high" when the proxy AUC reaches this, the driver share
        reaches ``high_driver_share`` and a criterion of the attribute fails.
    high_driver_share : float, default 0.40
        See ``high_proxy_auc``.
    difference_bound : float, default 0.025
        The ``difference_bound`` suggested for the fairlearn parity constraints.
        fairlearn bounds each group's distance from the *overall* rate by it, so
        two groups can end up to twice the bound apart: 0.025 targets a gap of
        at most 0.05 between any two groups (``target_gap``), safely inside the
        audit policy's 0.10 limit on rate differences (and equal to its 0.05
        limit on accuracy differences), with room for sampling noise.
    n_splits : int, default 5
        Folds of the stratified cross-validation for proxy strength.
    n_bins : int, default 20
        Quantile bins for a numeric feature in the proxy measurement.
    n_boot : int, default 200
        Bootstrap resamples for the what-if intervals.
    """

    proxy_auc: float = 0.70
    driver_share: float = 0.20
    high_proxy_auc: float = 0.80
    high_driver_share: float = 0.40
    difference_bound: float = 0.025
    n_splits: int = 5
    n_bins: int = 20
    n_boot: int = 200

    @property
    def target_gap(self) -> float:
        """The largest gap between two groups that ``difference_bound`` allows (twice it)."""
        return 2 * self.difference_bound

    def __post_init__(self) -> None:
        for name in ("proxy_auc", "high_proxy_auc"):
            v = getattr(self, name)
            if not 0.5 <= v <= 1.0:
                raise ConfigError(
                    f"flag threshold {name}: expected an AUC between 0.5 and 1, found {v} "
                    "- 0.5 means no better than chance; the default is "
                    f"{getattr(FlagThresholds, name)}"
                )
        for name in ("driver_share", "high_driver_share"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise ConfigError(
                    f"flag threshold {name}: expected a share between 0 and 1, found {v} "
                    f"- the default is {getattr(FlagThresholds, name)}"
                )
        if not 0.0 < self.difference_bound < 1.0:
            raise ConfigError(
                f"flag threshold difference_bound: expected a rate difference between 0 and 1, "
                f"found {self.difference_bound} - the default is 0.025"
            )
        for name, lo in (("n_splits", 2), ("n_bins", 2), ("n_boot", 0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ConfigError(
                    f"flag setting {name}: expected a whole number of at least {lo}, found {v!r}"
                )


@dataclass(frozen=True)
class ProxyScore:
    """How well one model feature alone predicts one protected attribute."""

    feature: str
    attribute: str
    auc: Estimate  # cross-validated; one-vs-rest macro for >2 groups
    nmi: float | None  # normalised mutual information, 0 = independent, 1 = determined
    by_group: dict[str, float]  # group -> one-vs-rest AUC (cross-validated)
    n: int  # rows used (attribute known)
    strong: bool  # strength >= FlagThresholds.proxy_auc: the one proxy rule (proxy_strength)
    note: str | None = None
    strength: float | None = None  # the AUC the proxy rule uses (see proxy_strength)
    strength_group: str | None = None  # the group it comes from; None: the overall AUC


@dataclass(frozen=True)
class Recoverability:
    """How well all model features together (minus the attribute's own columns) predict it."""

    attribute: str
    auc: Estimate
    features: tuple[str, ...]
    n: int
    note: str | None = None
    strength: float | None = None  # by the proxy rule: the larger of auc and the best group's


@dataclass(frozen=True)
class DriverShare:
    """A feature's largest share of a group's gap, over attributes that fail or need review."""

    feature: str
    attribute: str
    group: str
    share: float


@dataclass(frozen=True)
class Flag:
    """One troublemaker: a feature that stands in for (or is) a protected attribute."""

    feature: str
    attribute: str
    kind: FlagKind
    severity: FlagSeverity
    proxy_auc: float | None  # the AUC the decision used (None for direct use)
    driver_share: float | None
    driver_group: str | None
    criteria: tuple[str, ...]  # criteria of the attribute that fail or need review
    # How well the other features reveal the attribute without this one, by the proxy rule
    # (the larger of their macro AUC and their best group's one-vs-rest AUC).
    recoverability_without: float | None
    explanation: str
    recommendation: DropAdvice | None = None  # drop_advice(kind, recoverability_without, ...)
    proxy_group: str | None = None  # the group proxy_auc is for (None: the overall AUC)


@dataclass(frozen=True)
class LossTerm:
    """A machine-readable recommendation: retrain with this fairlearn constraint.

    ``bound_name`` is the keyword of the constraint (``difference_bound`` for
    the parity constraints, ``upper_bound`` for ``BoundedGroupLoss``).  A parity
    constraint bounds each group's distance from the overall rate, so
    ``target_gap`` (twice the bound) is the largest gap it allows between two
    groups on the training rows; ``None`` for ``BoundedGroupLoss``.
    ``snippet`` is runnable Python; it expects ``estimator`` (an unfitted
    copy of the model), ``X``, ``y`` (0/1 labels for classifiers) and
    ``sensitive`` (each row's group) to be defined.
    """

    constraint: str
    criterion: str
    outcome: str  # "fail" | "review"
    attribute: str
    sensitive_columns: tuple[str, ...]
    bound_name: str
    bound: float | None
    loss: str | None  # "AbsoluteLoss" for BoundedGroupLoss, else None
    features: tuple[str, ...]
    rationale: str
    snippet: str
    target_gap: float | None = None


@dataclass(frozen=True)
class WhatIfRun:
    """One retrained model in the what-if, measured on the held-out part."""

    label: str
    kind: Literal["baseline", "constrained", "drop_feature"]
    status: RunStatus
    feature: str | None = None
    performance: Estimate = field(default_factory=lambda: Estimate(None))
    gap: Estimate = field(default_factory=lambda: Estimate(None))
    gap_change: Estimate = field(default_factory=lambda: Estimate(None))  # vs baseline, paired
    performance_change: Estimate = field(default_factory=lambda: Estimate(None))
    reason: str | None = None


@dataclass(frozen=True)
class WhatIfExperiment:
    """The what-if for one loss term: baseline vs constrained vs dropped features."""

    constraint: str
    criterion: str
    attribute: str
    gap_metric: str  # plain words: "difference in selection rate (largest minus smallest)"
    groups_compared: tuple[str, ...]
    runs: tuple[WhatIfRun, ...]


@dataclass(frozen=True)
class WhatIf:
    """Outcome of the "push it into the loss function" what-if."""

    status: WhatIfStatus
    reason: str | None
    performance_metric: str | None = None  # "accuracy" or "mean absolute error"
    n_train: int = 0
    n_test: int = 0
    drop_method: str = ""
    experiments: tuple[WhatIfExperiment, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Troublemakers:
    """Everything :func:`assess_troublemakers` found."""

    proxies: tuple[ProxyScore, ...]
    recoverability: tuple[Recoverability, ...]
    drivers: tuple[DriverShare, ...]
    flags: tuple[Flag, ...]
    loss_terms: tuple[LossTerm, ...]
    what_if: WhatIf
    thresholds: FlagThresholds
    n_rows: int
    seed: int
    notes: tuple[str, ...] = ()
    proxy_rule: str = ""  # the proxy rule in words, with the threshold used




def proxy_strength(auc: float | None, by_group: Mapping[str, float]
                   ) -> tuple[float | None, str | None]:
    """The one proxy rule's measure: the larger of the overall AUC and any group's.

    A feature reveals an attribute when it tells the groups apart on average
    (``auc``, one-vs-rest macro for more than two groups) *or* picks out one group
    from everyone else (``by_group``: cross-validated one-vs-rest AUC per group):
    "zip code picks out Black applicants" matters even when it cannot tell two
    other groups apart.  Returns ``(strength, group)``; ``group`` is ``None`` when
    the overall AUC is the larger.  A feature is a proxy when ``strength`` reaches
    ``FlagThresholds.proxy_auc``; the proxy table and the flags both use this.

    >>> proxy_strength(0.79, {"White": 0.84, "Black": 0.89})
    (0.89, 'Black')
    >>> proxy_strength(0.62, {})
    (0.62, None)
    """
    best = max(by_group.items(), key=lambda kv: (kv[1], kv[0]), default=None)
    if best is not None and (auc is None or best[1] > auc):
        return float(best[1]), best[0]
    return auc, None


def drop_advice(kind: FlagKind, without: float | None, threshold: float) -> DropAdvice:
    """What to do about a flagged input, from how well the other inputs reveal the attribute.

    ``without`` is the AUC of the other model inputs for the attribute without this
    one (``Flag.recoverability_without``); ``threshold`` the proxy AUC threshold.  The
    analysis stores the answer in ``Flag.recommendation``; the flag's explanation,
    the troublemaker section and the summary all word this one decision.

    >>> drop_advice("proxy_driver", 0.52, 0.70), drop_advice("proxy_driver", 0.81, 0.70)
    ('drop_may_help', 'constrain_instead')
    >>> drop_advice("direct_use", 0.75, 0.70), drop_advice("proxy_driver", None, 0.70)
    ('remove_and_constrain', 'unmeasured')
    """
    revealed = without is not None and without >= threshold
    if kind == "direct_use":
        return "remove_and_constrain" if revealed else "remove_or_justify"
    if without is None:
        return "unmeasured"
    return "constrain_instead" if revealed else "drop_may_help"
