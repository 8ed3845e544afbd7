"""Troublemaker results: proxy scores, flags, loss terms and the what-if."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .._errors import ConfigError
from .tables import Estimate

FlagSeverity = Literal["high", "medium"]
FlagKind = Literal["direct_use", "proxy_driver", "proxy_unconfirmed"]
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
    difference_bound : float, default 0.05
        The ``difference_bound`` suggested for the fairlearn constraint: a
        target safely inside the audit policy's 0.10 limit on rate
        differences (and equal to its 0.05 limit on accuracy differences), so
        that a retrained model passes with room for sampling noise.
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
    difference_bound: float = 0.05
    n_splits: int = 5
    n_bins: int = 20
    n_boot: int = 200

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
                f"found {self.difference_bound} - the default is 0.05"
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
    strong: bool  # auc.value >= FlagThresholds.proxy_auc (flags may also use by_group)
    note: str | None = None


@dataclass(frozen=True)
class Recoverability:
    """How well all model features together (minus the attribute's own columns) predict it."""

    attribute: str
    auc: Estimate
    features: tuple[str, ...]
    n: int
    note: str | None = None


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
    recoverability_without: float | None  # AUC of the other features without this one
    explanation: str


@dataclass(frozen=True)
class LossTerm:
    """A machine-readable recommendation: retrain with this fairlearn constraint.

    ``bound_name`` is the keyword of the constraint (``difference_bound`` for
    the parity constraints, ``upper_bound`` for ``BoundedGroupLoss``).
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


