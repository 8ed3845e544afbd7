"""SHAP explanation results: importances, per-group attributions, gap decompositions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .tables import Estimate

OutputSpace = Literal["log-odds", "probability", "raw"]

#: why the explanation has this many rows: every row fits the SHAP stage's time budget
#: ("all"); the data has no more rows than the minimum ("few"); the most that fit the
#: budget ("budget"); the minimum, although fewer fit ("minimum"); the number asked for
#: (``--explain-rows``, "requested")
SampleBasis = Literal["all", "few", "budget", "minimum", "requested"]


#: a driver's share of a gap beyond this means the drivers largely cancel out: a
#: percentage like "687% of the gap" would mislead, so texts say so in words instead
CANCEL_SHARE = 1.5


#: why every tree model gets the path-dependent definition (ends each tree description)
_PATH_DEPENDENT = (
    "; exact path-dependent SHAP: a feature outside a coalition is averaged over the "
    "training rows' paths through the trees, and the base value is the training data's "
    "mean output - one definition for every tree model whatever its split types, the one "
    "LightGBM and XGBoost compute natively"
)

EXPLAINER_DESCRIPTIONS: dict[str, str] = {
    "linear_exact": "exact linear SHAP computed from the model's coefficients",
    "tree_interventional": "shap.TreeExplainer (interventional, with a background sample)",
    "tree_path_dependent": "shap.TreeExplainer (tree_path_dependent, using the training "
    "cover stored in the trees)" + _PATH_DEPENDENT,
    "hgb_tree_shap": "the audit's own TreeSHAP over the fitted HistGradientBoosting trees "
    "(tree_path_dependent, categorical splits included)" + _PATH_DEPENDENT,
    "forest_tree_shap": "the audit's own TreeSHAP over the fitted RandomForest / ExtraTrees "
    "trees, each row routed as the trees route it, with the covers shap uses: the values "
    "of shap.TreeExplainer (tree_path_dependent)" + _PATH_DEPENDENT,
    "lightgbm_tree_shap": "LightGBM's own TreeSHAP, predict(pred_contrib=True) "
    "(tree_path_dependent, categorical splits included)" + _PATH_DEPENDENT,
    "lightgbm_float64_tree_shap": "the audit's own TreeSHAP over the fitted LightGBM trees "
    "(read from its model text), each row routed as LightGBM routes it, with LightGBM's "
    "covers: the values of predict(pred_contrib=True) (tree_path_dependent, categorical "
    "splits included)" + _PATH_DEPENDENT,
    "xgboost_tree_shap": "XGBoost's own TreeSHAP, predict(pred_contribs=True) "
    "(tree_path_dependent, categorical splits included, computed in float32)" + _PATH_DEPENDENT,
    "xgboost_float64_tree_shap": "the audit's own TreeSHAP in float64 over the fitted XGBoost "
    "trees, each row routed as XGBoost routes it (tree_path_dependent, categorical splits "
    "included)" + _PATH_DEPENDENT,
    "exact": "shap.ExactExplainer (model-agnostic, exact enumeration of feature subsets)",
    "permutation": "shap.PermutationExplainer (model-agnostic, sampled feature orderings)",
}


@dataclass(frozen=True)
class FeatureImportance:
    """Population-weighted mean absolute SHAP value of one original column."""

    feature: str
    mean_abs_shap: float


@dataclass(frozen=True)
class GroupAttribution:
    """Mean attributions of one group (weighted to the population).

    ``mean_output`` is the group's mean model output in the explanation's output
    space; ``mean_probability`` is the mean predicted probability (log-odds and
    probability spaces only).  Both are ``None`` with ``reason`` set when the
    group has no rows in the explanation sample.
    """

    group: str
    n: int  # rows of this group in the explanation sample
    mean_output: float | None
    mean_probability: float | None
    mean_shap: dict[str, float]
    mean_abs_shap: dict[str, float]
    reason: str | None = None


@dataclass(frozen=True)
class GroupingAttribution:
    """Per-group attributions for one protected attribute or intersection."""

    attribute: str
    reference: str
    groups: tuple[GroupAttribution, ...]


@dataclass(frozen=True)
class Contribution:
    """One feature's share of a group gap, with a 95% bootstrap interval.

    ``share`` is ``value / gap``; ``None`` when the gap is zero.
    """

    feature: str
    value: Estimate
    share: float | None


@dataclass(frozen=True)
class GapDecomposition:
    """``mean f(x | group) - mean f(x | reference) = sum of feature contributions``.

    ``gap`` uses the model's real outputs; ``residual`` is ``gap`` minus the sum
    of the contributions (zero up to the additivity error).  ``contributions``
    are ordered by absolute size, largest first.  ``gap_pp`` is the exact gap in
    mean predicted probability, in percentage points (log-odds space only).
    """

    attribute: str
    group: str
    reference: str
    n_group: int
    n_reference: int
    gap: Estimate
    contributions: tuple[Contribution, ...]
    residual: float | None
    gap_pp: Estimate | None = None
    reason: str | None = None


@dataclass(frozen=True)
class DriverItem:
    """A top driver of a gap, ready for a sentence.

    ``contribution`` is in the explanation's output units; ``pp`` is the driver's
    part of the probability gap in percentage points, apportioned by its share
    of the log-odds gap (``None`` when that is not meaningful).
    """

    feature: str
    contribution: float
    lo: float | None
    hi: float | None
    share: float | None
    pp: float | None
    direction: Literal["raises", "lowers"]


@dataclass(frozen=True)
class DriverSummary:
    """Sentence-ready summary of one group's gap and its top drivers."""

    attribute: str
    group: str
    reference: str
    units: str
    gap: float
    gap_pp: float | None
    direction: Literal["higher", "lower", "equal"]
    drivers: tuple[DriverItem, ...]
    sentence: str


@dataclass(frozen=True)
class BeeswarmFeature:
    """Plot data of one feature: SHAP value and colour value of each plotted row.

    ``colour`` is the feature's value rank-scaled to [0, 1] within the sample;
    ``None`` for missing values and for non-numeric columns (``numeric=False``).
    """

    feature: str
    numeric: bool
    shap: tuple[float, ...]
    colour: tuple[float | None, ...]


@dataclass(frozen=True)
class Beeswarm:
    """Beeswarm plot data for the top features (rounded to 4 decimals)."""

    n_points: int
    features: tuple[BeeswarmFeature, ...]


@dataclass(frozen=True)
class Explanation:
    """SHAP explanation of the audited model on all its rows or a stratified sample.

    When ``n_sample == n_rows`` every row was explained: each group's mean output and
    each gap (``GapDecomposition.gap``, ``gap_pp``) are then the full-data figures.

    The explainer choice and the additivity check are described in
    ``audit._explain.explainers``, the sampling in ``audit._explain.sampling``.
    Attributions are in ``output_space`` units, described in plain words by ``units``.
    """

    explainer: str  # key of EXPLAINER_DESCRIPTIONS
    explainer_description: str
    output_space: OutputSpace
    units: str
    base_value: float
    n_sample: int
    n_background: int
    seed: int
    additivity_max_error: float
    additivity_tolerance: float
    additivity_ok: bool
    note: str | None
    sampling: str
    weighted: bool
    features: tuple[str, ...]
    global_importance: tuple[FeatureImportance, ...]  # largest first
    groupings: tuple[GroupingAttribution, ...]
    gaps: tuple[GapDecomposition, ...]
    summaries: tuple[DriverSummary, ...]
    beeswarm: Beeswarm
    # How many rows were explained and why (the sample size follows a time budget):
    # ``n_sample`` of ``n_rows`` audited rows, ``sample_basis`` the rule that chose it,
    # ``sample_seconds`` the SHAP stage's budget that sized it (None when the size was
    # asked for), ``sample_reason`` all of it in one sentence.
    n_rows: int = 0
    sample_basis: SampleBasis = "requested"
    sample_seconds: float | None = None
    sample_reason: str = ""
    # How the gap decompositions' 95% intervals were obtained, in one sentence.
    gap_intervals: str = ""


