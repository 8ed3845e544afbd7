"""Troublemaker prose: flag explanations, loss-term rationales, what-if reasons and notes.

Every sentence the troublemaker analysis writes into its result (``Flag.explanation``,
``LossTerm.rationale``, ``WhatIf.reason``, run labels, notes, interval reasons) comes
from here; the analysis passes facts in. :func:`flag_plain` is the short wording of a
flag for the report.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._result.explanation import CANCEL_SHARE
from .._result.metrics import CRITERIA
from .._result.tables import Estimate
from .._result.troublemakers import (
    DriverShare,
    DropAdvice,
    Flag,
    FlagThresholds,
    LossTerm,
    drop_advice,
)
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


def _criterion_label(key: str) -> str:
    """A criterion in words ('demographic parity'), never its code name."""
    return CRITERIA[key].label if key in CRITERIA else key.replace("_", " ")


def criteria_text(attribute: str, pairs: Sequence[tuple[str, str]]) -> str:
    """'race fails demographic parity and needs review on equal opportunity'.

    >>> criteria_text("race", [("demographic_parity", "fail"), ("accuracy", "review")])
    'race fails demographic parity and needs review on accuracy'
    """
    fails = [_criterion_label(c) for c, o in pairs if o == "fail"]
    reviews = [_criterion_label(c) for c, o in pairs if o == "review"]
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
def proxy_rule(thr: FlagThresholds) -> str:
    """The one proxy rule, with the threshold used (methodology, JSON, the flag section).

    >>> proxy_rule(FlagThresholds())[:40]
    'An input is a proxy for a protected attr'
    """
    return (
        "An input is a proxy for a protected attribute when, on its own, it tells the "
        f"attribute's groups apart with a cross-validated AUC of at least {thr.proxy_auc:.2f}: "
        "either all groups on average, or one group from everyone else (the larger of the "
        "two counts, so an input that picks out one group is a proxy even if it cannot tell "
        f"the others apart; {thr.n_splits} folds, numeric inputs cut into {thr.n_bins} bins). "
        "The proxy table and the flags use this one rule; an input is flagged when it is a "
        "proxy and drives a gap that fails or needs review."
    )


def flags_intro(thr: FlagThresholds) -> list[str]:
    """What a troublemaker and a proxy are (the flag section's opening), with the threshold."""
    return [
        "A troublemaker is an input that stands in for a protected attribute and drives a "
        "gap that fails or needs review.",
        f"We call an input a proxy when, on its own, it tells the groups apart with an AUC "
        f"of at least {thr.proxy_auc:.2f}: all groups on average, or one group from everyone "
        "else, whichever is larger. An AUC of 0.5 is a coin toss; 1 is perfect.",
    ]


#: Before each flagged proxy's recommendation: when dropping an input helps.
DROP_INTRO = (
    "Dropping a flagged input removes the gap only if the other inputs do not carry the "
    "same signal: otherwise a model retrained without it finds the signal again. So for "
    "each flagged input we measured how well the other inputs reveal the attribute "
    "without it, and the advice follows from that.",
)


#: What recoverability is.
RECOVERABILITY_DEFINITION = (
    "Recoverability is the 3-fold cross-validated AUC of a small gradient-boosting model "
    "predicting the attribute from all other model features, fitted on at most 10,000 rows "
    "(drawn per group in proportion) with at most 300 trees per fold, stopping early once "
    "15% of the training fold held out for it stops improving."
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


def input_kind(family: str) -> str:
    """What kind of audited attribute a column is: 'protected' or 'geography'.

    A geography column (zip code, state) is audited because it can stand in for
    protected groups, but it is not itself a protected class.

    >>> input_kind("age"), input_kind("geography")
    ('protected', 'geography')
    """
    return "geography" if family == "geography" else "protected"


def labelled_inputs(columns: Sequence[tuple[str, str]]) -> str:
    """'age (protected) and zip_code (geography)' from (column, family) pairs.

    >>> labelled_inputs([("age", "age"), ("zip_code", "geography")])
    'age (protected) and zip_code (geography)'
    """
    items = [f"{c} ({input_kind(fam)})" for c, fam in columns]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _direct_use_lead(feature: str, attribute: str, family: str) -> str:
    """Why the model using the column itself matters, protected class or geography."""
    if family == "geography":
        return (
            f"'{feature}' is the geography attribute {attribute} and the model uses it as "
            "an input. Geography is not itself a protected class, but it is audited "
            "because it can stand in for protected groups (as redlining did)."
        )
    return (
        f"'{feature}' is the protected attribute {attribute} itself and the model uses "
        f"it as an input, so decisions can depend on {attribute} directly."
    )


def direct_use_explanation(
    feature: str,
    attribute: str,
    family: str,
    reference: str,
    driver: DriverShare | None,
    others_auc: float | None,
    advice: DropAdvice,
) -> str:
    """Why an audited attribute used as a model input is flagged, and what to do.

    ``others_auc`` is how well the other model features predict the attribute;
    ``advice`` is :func:`audit._result.troublemakers.drop_advice` of it.
    """
    extra = f" It {_drives_text(driver, reference)}." if driver is not None else ""
    return f"{_direct_use_lead(feature, attribute, family)}{extra} " + drop_sentence(
        advice, feature, attribute, others_auc
    )


def _strength_text(auc: Estimate, strength_group: str | None, strength: float) -> str:
    """'AUC 0.79 (...) and tells 'Black' apart from everyone else with AUC 0.89'."""
    if strength_group is None:
        return auc_text(auc)
    return (f"{auc_text(auc)} and tells '{strength_group}' apart from everyone else with "
            f"AUC {strength:.2f}")


def proxy_driver_explanation(
    feature: str,
    attribute: str,
    reference: str,
    auc: Estimate,
    strength_group: str | None,
    strength: float,
    driver: DriverShare,
    pairs: Sequence[tuple[str, str]],
) -> str:
    """Why a strong proxy that drives a failing gap is flagged.

    ``strength`` is the AUC the proxy rule used, from ``strength_group``'s
    one-vs-rest AUC (``None``: the overall AUC). ``pairs`` are (criterion, outcome).
    """
    return (
        f"'{feature}' stands in for {attribute}: on its own it predicts {attribute} with "
        f"{_strength_text(auc, strength_group, strength)}, and it "
        f"{_drives_text(driver, reference)}. {criteria_text(attribute, pairs)}."
    )


def unconfirmed_proxy_explanation(
    feature: str, attribute: str, auc: Estimate, strength_group: str | None, strength: float,
    pairs: Sequence[tuple[str, str]],
) -> str:
    """Why a strong proxy is flagged when its driver share could not be measured."""
    return (
        f"'{feature}' stands in for {attribute}: on its own it predicts {attribute} with "
        f"{_strength_text(auc, strength_group, strength)}. {criteria_text(attribute, pairs)}; "
        f"whether '{feature}' drives those gaps could not be measured because the "
        "SHAP decomposition was unavailable."
    )


def drop_sentence(advice: DropAdvice, feature: str, attribute: str, without: float | None) -> str:
    """The recorded advice for a flag (technical wording, in ``Flag.explanation``).

    ``advice`` is :func:`audit._result.troublemakers.drop_advice`; ``without`` the AUC
    of the other model features for ``attribute`` without ``feature``.
    """
    if advice == "remove_or_justify":
        return ("Remove it from the model's inputs, or document why the law and the use "
                "case allow it.")
    if advice == "remove_and_constrain":
        return (f"Remove it from the model's inputs, or document why the law and the use "
                f"case allow it. Removing it is not enough on its own: the other model "
                f"features predict {attribute} with AUC {without:.2f}, so also put the "
                "fairness criterion into the training loss (see the recommended loss terms).")
    if advice == "unmeasured" or without is None:
        return (f"Whether the other features carry the same information about {attribute} "
                f"could not be measured, so whether dropping '{feature}' would help is "
                "unknown; put the fairness criterion into the training loss (see the "
                "recommended loss terms).")
    if advice == "constrain_instead":
        return (
            f"Dropping '{feature}' is unlikely to remove the bias: the other model features "
            f"together still predict {attribute} with AUC {without:.2f}, so a retrained "
            "model can learn the same pattern from them. Put the fairness criterion into "
            "the training loss instead (see the recommended loss terms)."
        )
    return (
        f"Without '{feature}' the other model features predict {attribute} only with AUC "
        f"{without:.2f}, so dropping it may help here; check it with the what-if, and "
        "consider putting the fairness criterion into the training loss as well (see the "
        "recommended loss terms)."
    )


def _advice(flag: Flag) -> DropAdvice:
    """The flag's recorded recommendation (decided with the default threshold for a file
    written before it was recorded)."""
    if flag.recommendation is not None:
        return flag.recommendation
    return drop_advice(flag.kind, flag.recoverability_without, FlagThresholds().proxy_auc)


def advice_plain(flag: Flag, *, can_retrain: bool = True) -> str:
    """The flag's recorded recommendation in plain words (troublemaker section, summary).

    ``can_retrain`` is False in predictions-only mode: the auditor has no model to
    retrain or test, so the advice is addressed to the model's owner and the
    what-if is not mentioned.

    >>> f = Flag("zip", "race", "proxy_driver", "high", 0.89, 0.6, "B", (), 0.52, "",
    ...          "drop_may_help")
    >>> advice_plain(f)[:68]
    'Without zip, the other inputs reveal little about race (AUC 0.52). H'
    """
    advice = _advice(flag)
    f, a, w = flag.feature, flag.attribute, flag.recoverability_without
    owner = "" if can_retrain else "Ask the model's owner to "
    retrain = ("retrain the model with the recommended fairness rule" if can_retrain
               else "retrain it with the recommended fairness rule")
    if advice in ("remove_or_justify", "remove_and_constrain"):
        text = (f"{owner}{'r' if owner else 'R'}emove {f} from the model's inputs, or write "
                "down why the law and the use case allow it.")
        if advice == "remove_and_constrain" and w is not None:
            text += (f" Removing it is not enough: the other inputs still reveal {a} "
                     f"(AUC {w:.2f}), so also {retrain}.")
        return text
    if advice == "unmeasured" or w is None:
        return (f"We could not measure whether the other inputs reveal {a} without {f}, so "
                f"whether dropping it would help is unknown. {owner}"
                f"{'r' if owner else 'R'}etrain with the recommended fairness rule.")
    if advice == "constrain_instead":
        return (f"Without {f}, the other inputs still reveal {a} (AUC {w:.2f}), so dropping "
                f"it would not remove the gap: a retrained model finds the same signal. "
                f"{owner}{'r' if owner else 'R'}etrain with the recommended fairness rule "
                "instead.")
    check = ("check it with the what-if below" if can_retrain
             else "the model's owner can check it by retraining without it")
    return (f"Without {f}, the other inputs reveal little about {a} (AUC {w:.2f}). "
            f"Here dropping it may help: {check}.")


def advice_next(flag: Flag, *, can_retrain: bool = True) -> str:
    """The summary's 'Next:' step for a flag, from its recorded recommendation.

    >>> f = Flag("zip", "race", "proxy_driver", "high", 0.89, 0.6, "B", (), 0.81, "",
    ...          "constrain_instead")
    >>> advice_next(f)[:70]
    'Next: dropping zip would not remove the gap, because the other inputs '
    """
    advice, f, a, w = _advice(flag), flag.feature, flag.attribute, flag.recoverability_without
    who = "" if can_retrain else "ask the model's owner to "
    if advice in ("remove_or_justify", "remove_and_constrain"):
        tail = ("" if advice == "remove_or_justify" or w is None else
                f"; the other inputs still reveal {a} (AUC {w:.2f}), so also retrain with "
                "the recommended fairness rule")
        return f"Next: {who}remove {f}, or write down why the law and the use case allow it{tail}."
    if advice == "constrain_instead" and w is not None:
        return (f"Next: dropping {f} would not remove the gap, because the other inputs still "
                f"reveal {a} (AUC {w:.2f}); {who}retrain with the recommended fairness rule "
                "instead.")
    if advice == "drop_may_help" and w is not None:
        check = ("check it in the what-if" if can_retrain
                 else "the model's owner can check it by retraining without it")
        return (f"Next: without {f} the other inputs reveal little about {a} (AUC {w:.2f}), "
                f"so dropping it may help; {check}, or {who}retrain with the recommended "
                "fairness rule.")
    return f"Next: {who}retrain with the recommended fairness rule."


def flag_kind_text(flag: Flag, family: str) -> str:
    """What kind of flag it is, in a few words (the flag table's second line)."""
    if flag.kind == "direct_use":
        return ("the geography attribute itself" if family == "geography"
                else "the protected attribute itself")
    if flag.kind == "proxy_driver":
        return "stands in for it and drives a gap"
    return "stands in for it (effect on gaps not measured)"


def flag_plain(flag: Flag, who: str | None = None, family: str = "other") -> str:
    """One or two short plain sentences saying why an input is flagged (for a report).

    ``who`` names the group whose gap the feature drives (e.g. "Black applicants");
    it defaults to the group's label. ``family`` is the attribute's family: a
    geography column is not called a protected attribute.

    >>> f = Flag("zip", "race", "proxy_driver", "high", 0.81, 0.5, "B", (), None, "")
    >>> flag_plain(f, "group B")
    'zip gives away race (AUC 0.81). It makes up 50% of the gap for group B.'
    """
    if flag.kind == "direct_use" and family == "geography":
        text = (f"The model uses {flag.feature}, a geography input ({flag.attribute}). "
                "Geography is not a protected class, but it can stand in for one.")
    elif flag.kind == "direct_use":
        text = (f"The model uses {flag.feature} as an input, and it is a protected attribute."
                if flag.feature in flag.attribute else
                f"The model uses {flag.feature}, which is itself a protected attribute "
                f"({flag.attribute}).")
    else:
        auc = "" if flag.proxy_auc is None else (
            f" (AUC {flag.proxy_auc:.2f})" if flag.proxy_group is None
            else f" (it picks out {flag.proxy_group} with AUC {flag.proxy_auc:.2f})")
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
    return f"{attribute}: {_criterion_label(criterion)} {_outcome_verb(outcome)}; no loss term - {advice}"


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
        f"{attribute}: {_criterion_label(criterion)} {_outcome_verb(outcome)}. "
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
    can_retrain: bool = True,
) -> str:
    """Why to retrain with a parity constraint (classification), and what it guarantees.

    fairlearn's parity constraints bound each group's distance from the overall
    rate, not the distance between two groups: two groups can end up twice the
    bound apart. ``can_retrain`` is False in predictions-only mode (no what-if ran).
    """
    check = ("the what-if does" if can_retrain
             else "the model's owner should, after retraining")
    what = GAP_WORDS[criterion]
    return (
        f"{attribute}: {_criterion_label(criterion)} {_outcome_verb(outcome)}. "
        f"Train with {constraint}(difference_bound={bound:g}): the optimiser keeps every "
        f"{attribute} group's {what} within {bound:g} of the overall {what} on the training "
        f"rows, so any two {attribute} groups end at most {2 * bound:g} apart, and the model "
        "cannot lean on "
        + (", ".join(f"'{f}'" for f in features) if features else "any feature")
        + f" to treat {attribute} groups differently. The bound holds on the training rows, "
        f"up to the reduction's tolerance; re-check the gap on held-out rows ({check})."
    )


def bound_comment(constraint: str, bound: float | None, attribute: str) -> str:
    """The snippet's comment on what ``difference_bound`` limits.

    >>> bound_comment("DemographicParity", 0.025, "race")[-62:]
    '0.025 keeps any two groups within 0.05 (on the training rows).'
    """
    if bound is None:
        return f"# difference_bound limits each {attribute} group's distance from the overall rate."
    return (f"# difference_bound limits each {attribute} group's distance from the overall rate: "
            f"{bound:g} keeps any two groups within {2 * bound:g} (on the training rows).")


def term_plain(t: LossTerm, verb: str, noun: str, can_retrain: bool = True) -> str:
    """The top recommendation in plain words, saying what the bound limits.

    ``can_retrain`` is False in predictions-only mode: the advice goes to the model's owner.

    >>> from audit._result.troublemakers import LossTerm
    >>> t = LossTerm("DemographicParity", "demographic_parity", "fail", "race", ("race",),
    ...              "difference_bound", 0.025, None, (), "", "", 0.05)
    >>> term_plain(t, "approved", "applicants")[:92]
    'Retrain the model with a rule that keeps every race group’s share approved within 2.5 points'
    """
    lead = "Retrain" if can_retrain else "Ask the model's owner to retrain"
    if t.constraint == "BoundedGroupLoss":
        bound = f" below {t.bound:.4g}" if t.bound is not None else ""
        return (f"{lead} the model with a rule that keeps the average error of every "
                f"{t.attribute} group{bound}.")
    what = {
        "DemographicParity": f"share {verb}",
        "TruePositiveRateParity": f"share of qualified {noun} {verb}",
        "EqualizedOdds": "error rates (both kinds)",
        "ErrorRateParity": "error rate",
    }.get(t.constraint, "outcome")
    if t.bound is None:
        return f"{lead} the model with a rule that keeps the {attribute_gap(t.attribute, what)}."
    return (f"{lead} the model with a rule that keeps every {t.attribute} group’s {what} "
            f"within {100 * t.bound:g} points of the overall {what}, so that any two groups end "
            f"at most {200 * t.bound:g} points apart on the training rows.")


def attribute_gap(attribute: str, what: str) -> str:
    """'gap in share approved between race groups small'."""
    return f"gap in {what} between {attribute} groups small"


#: The flag section when the data holds no model inputs (predictions-only mode).
NO_INPUTS = ("The data holds none of the model's inputs (only its recorded predictions), so "
             "which inputs stand in for a protected attribute could not be measured.")


def target_sentence(t: LossTerm) -> str:
    """What the what-if checks the rule against (empty for BoundedGroupLoss)."""
    if t.target_gap is None:
        return ""
    return (f"The rule aims at a gap of at most {100 * t.target_gap:g} points between any two "
            f"groups on the training rows ({t.bound_name}={t.bound:g} bounds each group's "
            "distance from the overall rate); the what-if measures it on held-out rows.")


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
        f"time cap of {budget:.0f} s: {max(left, 0.0):.0f} s left, too little for the "
        f"reduction's {min_fits} or more fits of about {fit_secs:.1f} s each"
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
