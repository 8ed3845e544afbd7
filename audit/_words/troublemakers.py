"""Troublemaker prose: flag explanations, loss-term rationales, what-if reasons and notes.

Every sentence the troublemaker analysis writes into its result (``Flag.explanation``,
``LossTerm.rationale``, ``WhatIf.reason``, run labels, notes, interval reasons) comes
from here; the analysis passes facts in. :func:`flag_plain` is the short wording of a
flag for the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .._result.explanation import CANCEL_SHARE
from .._result.tables import Estimate
from .._result.troublemakers import DriverShare, Flag
from .numbers import whole_percent

# --------------------------------------------------------------------------- numbers


def share_text(share: float) -> str:
    """How much of a gap a feature drives, in words ('42% of', 'more than the whole of').

    >>> share_text(0.42), share_text(1.2), share_text(6.87)
    ('42% of', 'more than all (120%) of', 'more than the whole of')
    """
    if share > CANCEL_SHARE:
        # other features pull the other way; a percentage like 687% only confuses
        return "more than the whole of"
    if share > 1.0:
        return f"more than all ({whole_percent(share)}) of"  # other features partly offset the gap
    return f"{whole_percent(share)} of"


def auc_text(est: Estimate) -> str:
    """An AUC with its interval and what 0.5 means."""
    if est.value is None:
        return "AUC unavailable"
    if est.lo is not None and est.hi is not None:
        return f"AUC {est.value:.2f} (0.5 = chance; 95% interval {est.lo:.2f}–{est.hi:.2f})"
    return f"AUC {est.value:.2f} (0.5 = chance)"


def criteria_text(attribute: str, pairs: Sequence[tuple[str, str]]) -> str:
    """'race fails demographic_parity and needs review on equal_opportunity'.

    >>> criteria_text("race", [("demographic_parity", "fail"), ("accuracy", "review")])
    'race fails demographic_parity and needs review on accuracy'
    """
    fails = [c for c, o in pairs if o == "fail"]
    reviews = [c for c, o in pairs if o == "review"]
    parts = []
    if fails:
        parts.append("fails " + ", ".join(fails))
    if reviews:
        parts.append("needs review on " + ", ".join(reviews))
    return f"{attribute} " + " and ".join(parts) if parts else f"{attribute} has no failing gap"


# --------------------------------------------------------------------------- proxies

#: What a proxy AUC is (documentation and report glossary).
PROXY_STRENGTH_DEFINITION = (
    "Proxy strength is the held-out AUC of the best classifier that sees only this feature: "
    "its categories (or 20 quantile bins of a number, missing values apart) are ranked by "
    "each group's rate in the other folds (smoothed towards the overall rate), and that "
    "ranking is scored on the held-out fold, 5 folds in all; several groups are averaged "
    "one-versus-rest. It is computed from bin-by-group counts, with no model fit, and "
    "because the rates come from other rows a feature with many rare categories is not "
    "rewarded for memorising them."
)
#: What recoverability is.
RECOVERABILITY_DEFINITION = (
    "Recoverability is the 3-fold cross-validated AUC of a small gradient-boosting model "
    "predicting the attribute from all other model features, fitted on at most 10,000 rows "
    "(drawn per group in proportion) with at most 300 trees per fold."
)
NO_FOLD = "no fold could be scored"
ONE_FOLD = "only one fold could be scored: no interval"
NO_OTHER_FEATURES = "no other model features"
TOO_FEW_GROUPS = "fewer than two groups with enough rows"
NO_DRIVER_SHARES = (
    "driver shares were unavailable (no SHAP disparity decomposition), so strong "
    "proxies of attributes with failing gaps are flagged as unconfirmed"
)


def small_groups_note(left_out: Sequence[str]) -> str:
    """Note on a proxy score: groups too small for cross-validation were left out."""
    return f"groups too small to cross-validate were left out: {', '.join(left_out)}"


def proxy_sample_note(used: int, total: int) -> str:
    """Note: the proxy measures ran on a random sample."""
    return f"proxy measures used a random sample of {used} of {total} rows"


# --------------------------------------------------------------------------- flags


def _drives_text(driver: DriverShare, reference: str) -> str:
    """'drives 42% of the gap between 'B' and the reference 'A''."""
    return (
        f"drives {share_text(driver.share)} the gap between '{driver.group}' and the "
        f"reference '{reference}'"
    )


def direct_use_explanation(
    feature: str,
    attribute: str,
    reference: str,
    driver: DriverShare | None,
    others_auc: float | None,
    threshold: float,
) -> str:
    """Why a protected attribute used as a model input is flagged.

    ``others_auc`` is how well the other model features predict the attribute;
    it is mentioned when it reaches ``threshold`` (the proxy AUC threshold).
    """
    extra = f" It {_drives_text(driver, reference)}." if driver is not None else ""
    rec_text = (
        f" Removing it is not enough on its own: the other model features predict "
        f"{attribute} with AUC {others_auc:.2f}."
        if others_auc is not None and others_auc >= threshold
        else ""
    )
    return (
        f"'{feature}' is the protected attribute {attribute} itself and the model uses "
        f"it as an input, so decisions can depend on {attribute} directly.{extra} "
        "Remove it from the model's inputs, or document why the law and the use "
        f"case allow it.{rec_text}"
    )


def proxy_driver_explanation(
    feature: str,
    attribute: str,
    reference: str,
    auc: Estimate,
    by_group: Mapping[str, float],
    driver: DriverShare,
    pairs: Sequence[tuple[str, str]],
) -> str:
    """Why a strong proxy that drives a failing gap is flagged.

    ``by_group`` holds the proxy's one-vs-rest AUC per group; the driven group's is
    mentioned when it beats the overall AUC. ``pairs`` are (criterion, outcome).
    """
    group_part = ""
    if driver.group in by_group and by_group[driver.group] > (auc.value or 0):
        group_part = (
            f" and tells '{driver.group}' apart from everyone else with AUC "
            f"{by_group[driver.group]:.2f}"
        )
    return (
        f"'{feature}' stands in for {attribute}: on its own it predicts {attribute} with "
        f"{auc_text(auc)}{group_part}, and it {_drives_text(driver, reference)}. "
        f"{criteria_text(attribute, pairs)}."
    )


def unconfirmed_proxy_explanation(
    feature: str, attribute: str, auc: Estimate, pairs: Sequence[tuple[str, str]]
) -> str:
    """Why a strong proxy is flagged when its driver share could not be measured."""
    return (
        f"'{feature}' stands in for {attribute}: on its own it predicts {attribute} with "
        f"{auc_text(auc)}. {criteria_text(attribute, pairs)}; "
        f"whether '{feature}' drives those gaps could not be measured because the "
        "SHAP decomposition was unavailable."
    )


def drop_sentence(feature: str, attribute: str, without: float | None, threshold: float) -> str:
    """Whether dropping a proxy would help, from the AUC of the other features without it."""
    if without is None:
        return (
            f"Whether the other features carry the same information about {attribute} could "
            "not be measured."
        )
    if without >= threshold:
        return (
            f"Dropping '{feature}' rarely removes the bias: the other model features together "
            f"still predict {attribute} with AUC {without:.2f}, so a retrained model can learn "
            "the same pattern from them. Put the fairness criterion into the training loss "
            "instead (see the recommended loss terms)."
        )
    return (
        f"Without '{feature}' the other model features predict {attribute} only with AUC "
        f"{without:.2f}, so dropping it may help here; still, check it with the what-if and "
        "prefer putting the fairness criterion into the training loss (see the recommended "
        "loss terms)."
    )


def flag_plain(flag: Flag, who: str | None = None) -> str:
    """One or two short plain sentences saying why an input is flagged (for a report).

    ``who`` names the group whose gap the feature drives (e.g. "Black applicants");
    it defaults to the group's label.

    >>> f = Flag("zip", "race", "proxy_driver", "high", 0.81, 0.5, "B", (), None, "")
    >>> flag_plain(f, "group B")
    'zip gives away race (AUC 0.81). It makes up 50% of the gap for group B.'
    """
    if flag.kind == "direct_use":
        text = (f"The model uses {flag.feature} as an input, and it is a protected attribute."
                if flag.feature in flag.attribute else
                f"The model uses {flag.feature}, which is itself a protected attribute "
                f"({flag.attribute}).")
    else:
        auc = f" (AUC {flag.proxy_auc:.2f})" if flag.proxy_auc is not None else ""
        text = f"{flag.feature} gives away {flag.attribute}{auc}."
    if flag.driver_share is not None and flag.driver_group is not None:
        who = flag.driver_group if who is None else who
        if flag.driver_share > 1:
            text += (f" It makes up more than the whole gap for {who} "
                     f"({100 * flag.driver_share:.0f}%); other inputs narrow it.")
        elif flag.driver_share >= 0:
            text += f" It makes up {100 * flag.driver_share:.0f}% of the gap for {who}."
    elif flag.kind == "proxy_unconfirmed":
        text += " We could not measure whether it drives the gap."
    return text


# --------------------------------------------------------------------------- loss terms

# criterion key -> what its fairlearn constraint equalises between groups
GAP_WORDS: dict[str, str] = {
    "demographic_parity": "selection rate",
    "equalized_odds": "true and false positive rates (the larger difference)",
    "equal_opportunity": "true positive rate",
    "accuracy": "error rate",
    "mean_prediction": "average prediction",
    "mae": "mean absolute error",
}
# criterion key -> advice when fairlearn's reductions have no matching constraint
NO_CONSTRAINT_ADVICE: dict[str, str] = {
    "predictive_parity": (
        "fairlearn's reductions have no constraint that equalises precision between groups; "
        "consider per-group calibration of the scores, and note that equal precision usually "
        "conflicts with equal error rates when base rates differ"
    ),
    "calibration": (
        "calibration is not a reductions constraint; recalibrate the scores per group "
        "(e.g. sklearn.calibration.CalibratedClassifierCV fitted within each group)"
    ),
}
LOSS_CONFIG_PLACEHOLDERS: dict[str, str] = {
    "estimator": "an unfitted copy of the model, e.g. sklearn.base.clone(model)",
    "X": "training features",
    "y": "training labels (0/1 for classifiers, 1 = favourable outcome)",
    "sensitive": "each training row's group for the term's attribute",
}


def no_loss_term_note(attribute: str, criterion: str, outcome: str) -> str | None:
    """Note when a failing criterion has no fairlearn constraint (None: nothing to say)."""
    advice = NO_CONSTRAINT_ADVICE.get(criterion)
    if advice is None:
        return None
    return f"{attribute}: {criterion} {outcome}s; no loss term - {advice}"


def no_regression_bound_note(error_type: str) -> str:
    """Note: the suggested upper bound (today's error) could not be computed."""
    return f"could not compute the suggested upper_bound: {error_type}"


def _outcome_verb(outcome: str) -> str:
    """'fails' or 'needs review'."""
    return "fails" if outcome == "fail" else "needs review"


def bounded_loss_rationale(
    attribute: str, criterion: str, outcome: str, bound: float | None
) -> str:
    """Why to retrain with BoundedGroupLoss(AbsoluteLoss) (regression)."""
    return (
        f"{attribute}: {criterion} {_outcome_verb(outcome)}. "
        "Train with BoundedGroupLoss(AbsoluteLoss): the optimiser keeps every "
        f"{attribute} group's mean absolute error below "
        + (f"{bound:.4g} (today's overall error)" if bound is not None else "the upper bound")
        + ". It bounds the worst group's error; it does not equalise average "
        "predictions, so re-check the average-prediction gap afterwards."
    )


def parity_rationale(
    attribute: str,
    criterion: str,
    outcome: str,
    constraint: str,
    bound: float,
    features: Sequence[str],
) -> str:
    """Why to retrain with a parity constraint (classification)."""
    return (
        f"{attribute}: {criterion} {_outcome_verb(outcome)}. "
        f"Train with {constraint}(difference_bound={bound}): the optimiser "
        f"penalises any difference in {GAP_WORDS[criterion]} between {attribute} groups "
        f"above {bound}, so the model cannot lean on "
        + (", ".join(f"'{f}'" for f in features) if features else "any feature")
        + f" to treat {attribute} groups differently."
    )


# --------------------------------------------------------------------------- what-if

DROP_METHOD = (
    "a dropped feature's column is replaced by its most frequent training value in both "
    "parts, so the model's inputs keep their shape while the feature carries no information"
)
WHAT_IF_OFF = "the what-if was switched off (what_if=False)"
NO_MODEL = "no model was given (predictions-only mode): the what-if needs to retrain the model"
NO_LABELS = (
    "the data has no labels: retraining under a fairness constraint needs the true outcomes"
)
NO_TERMS = "no criterion with a matching fairlearn constraint fails or needs review"
NO_SAMPLE_WEIGHT = (
    "the model's fit() does not accept sample_weight, which ExponentiatedGradient needs"
)
SOME_RUNS_INCOMPLETE = "some runs were skipped or failed; see each run's reason"
BASELINE_LABEL = "retrained as is"
BASELINE = "baseline"
FEW_RESAMPLES = "too few valid bootstrap resamples for an interval"
GAP = "the gap"
GAP_CHANGE = "the gap change"


def no_budget(budget: float) -> str:
    """Reason: the what-if has no time."""
    return f"the what-if has no time budget (what_if_seconds={budget})"


def not_cloneable(error: str) -> str:
    """Reason: ``sklearn.base.clone`` failed on the model."""
    return (
        f"the model cannot be copied for retraining (sklearn.base.clone failed: {error})"
    )


def no_fairlearn(error_type: str) -> str:
    """Reason: fairlearn could not be imported."""
    return f"fairlearn could not be imported ({error_type})"


def what_if_sample_note(used: int, total: int) -> str:
    """Note: the what-if ran on a random sample."""
    return f"the what-if used a random sample of {used} of {total} rows"


def first_attributes_note(k: int) -> str:
    """Note: only the first ``k`` attributes got an experiment."""
    return f"only the first {k} attributes were tried"


def split_failed(error: object) -> str:
    """Reason: the rows could not be split into a training and a held-out part."""
    return f"the data could not be split for the what-if: {error}"


def retrain_failed(error: str) -> str:
    """Reason: the baseline retraining failed."""
    return f"retraining a copy of the model failed: {error}"


def too_little_time(budget: float, left: float, min_fits: int, fit_secs: float) -> str:
    """Reason: too little time left for the reduction's minimum number of fits."""
    return (
        f"time cap of {budget:.0f} s reached: {max(left, 0.0):.0f} s left, too little "
        f"for {min_fits} fits of about {fit_secs:.1f} s each"
    )


def iterations_limited(constraint: str, attribute: str, max_iter: int) -> str:
    """Note: the reduction ran fewer iterations to fit the time cap."""
    return (
        f"{constraint} on {attribute}: the reduction was limited to "
        f"{max_iter} iterations to stay within the time cap"
    )


def time_cap_hit(budget: float, constraint: str) -> str:
    """Reason: the time cap struck during a constrained fit."""
    return f"time cap of {budget:.0f} s hit while retraining with {constraint}"


def reduction_failed(error: str) -> str:
    """Reason: fairlearn's ExponentiatedGradient raised."""
    return f"fairlearn ExponentiatedGradient failed: {error}"


def time_cap_before_fit(budget: float) -> str:
    """Reason: the time cap was reached before a dropped-feature fit."""
    return f"time cap of {budget:.0f} s reached before this fit"


def time_cap_stopped_drop(budget: float, feature: str) -> str:
    """Reason: the deadline stopped the fit without a feature."""
    return f"time cap of {budget:.0f} s hit while retraining without '{feature}': the fit was stopped"


def baseline_time_cap(budget: float) -> str:
    """Reason: the deadline stopped the baseline retraining: nothing to compare against."""
    return (
        f"time cap of {budget:.0f} s hit while retraining the model as is: the fit was "
        "stopped, so no run could be compared (raise what_if_seconds or --budget)"
    )


def in_process_note(error: str) -> str:
    """Note: the fits ran in the audit's own process (the model does not pickle)."""
    return (
        "the retraining ran in the audit's own process because the model cannot be sent "
        f"to a worker process ({error}): the time cap was checked between fits only"
    )


def recover_over_budget(seconds: float) -> str:
    """Reason: the proxy search's share of the budget was spent before this fit."""
    return f"not measured: the proxy search's share of the time budget ({seconds:.0f} s) was spent"


def drop_failed(feature: str, error: str) -> str:
    """Reason: retraining without a feature failed."""
    return f"retraining without '{feature}' failed: {error}"


def performance_metric(task: str) -> str:
    """The what-if's performance measure for a task."""
    return "accuracy" if task == "binary" else "mean absolute error"


def constrained_label(constraint: str, bound_name: str, bound: float | None) -> str:
    """'retrained with DemographicParity(difference_bound=0.05)'."""
    return f"retrained with {constraint}" + (
        f"({bound_name}={bound:.4g})" if bound is not None else ""
    )


def dropped_label(feature: str) -> str:
    """'retrained without 'zip''."""
    return f"retrained without '{feature}'"


def undefined_gap(what: str) -> str:
    """Interval reason: fewer than two groups were large enough."""
    return f"{what} undefined: fewer than two groups large enough"


def gap_metric(criterion: str, attribute: str) -> str:
    """What an experiment's gap measures, in plain words."""
    return (
        f"difference in {GAP_WORDS[criterion]} between {attribute} "
        "groups (largest minus smallest)"
    )


def held_out_note(n_train: int, n_test: int) -> str:
    """Note: what the what-if's numbers describe."""
    return (
        f"copies of the model were retrained on {n_train} rows and measured on the other "
        f"{n_test} held-out rows; numbers describe those copies, not the audited model"
    )


def retraining_warning(warning: str) -> str:
    """Note: a warning raised during retraining."""
    return f"warning during retraining: {warning}"
