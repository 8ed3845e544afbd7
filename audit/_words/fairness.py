"""Sentences of the fairness tables and the verdict, made from facts.

The table notes and "why undefined" reasons (``GroupRow.status_reason``,
``Estimate.reason``, ``AttributeTable.notes``), the ``FAIR*`` finding messages,
the verdict's method sentence and the header of ``audit policy show``.
Every string here is part of the JSON contract: change one and the golden
audit.json changes.

May import: ``audit._result`` and the standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .._result.findings import Outcome

# --------------------------------------------------------------------------- outcome words


@dataclass(frozen=True)
class OutcomeWords:
    """The words for the positive decision and outcome, by what the positive label means.

    A favourable positive (approved) is "selected" and the people it should reach
    "qualified"; a harmful one (a risk flag: reoffended, defaulted) is "flagged", and
    nobody "qualifies" for it (issue 10, item 2).
    """

    positive_is: str  # "favourable" or "harmful"
    verb: str  # "the model {verb} 30% of people", "were {verb} less often"
    rate: str  # "selection rate" / "flag rate"
    truly_positive: str  # "of people who {truly_positive}, the model {verb} 62%"
    truly_negative: str  # "of people who {truly_negative}, the model still {verb} 20%"
    outcome: str  # "the favourable outcome" / "the flagged outcome"
    missed: str  # the people a false negative leaves out: "qualified but were not selected"


#: The default verb of ``AuditConfig.outcome_verb``, replaced by "flagged" for a harmful positive.
DEFAULT_VERB = "selected"


def outcome_words(positive_is: str | None, verb: str | None = None) -> OutcomeWords:
    """The words for ``positive_is`` ("favourable", "harmful"; None reads as favourable).

    ``verb`` is the user's ``outcome_verb`` (``--outcome-verb approved``); the default
    ("selected") becomes "flagged" when the positive is harmful.

    >>> outcome_words("harmful").verb, outcome_words("favourable", "approved").verb
    ('flagged', 'approved')
    """
    if positive_is == "harmful":
        v = verb if verb not in (None, DEFAULT_VERB) else "flagged"
        return OutcomeWords("harmful", str(v), "flag rate", "truly had the outcome",
                            "did not have the outcome", "the flagged outcome",
                            f"had the outcome but were not {v}")
    v = verb or DEFAULT_VERB
    return OutcomeWords("favourable", v, "selection rate", "truly qualified",
                        "did not qualify", "the favourable outcome",
                        f"qualified but were not {v}")


#: Check titles that name the decision, worded for the audit's outcome verb: the registry
#: (``audit._result.checks``) keeps the stable default title for the JSON; prose shows these.
_FAVOURABLE_TITLES = {
    "FAIR001": "Some groups are {verb} far less or more often (four-fifths rule)",
}
_HARMFUL_TITLES = {
    "FAIR001": "Some groups are {verb} far less or more often (four-fifths rule)",
    "FAIR002": "People who had the outcome are missed more often in some groups "
               "(equal opportunity)",
    "FAIR004": "In some groups, fewer of the people {verb} truly had the outcome "
               "(predictive parity)",
}


def worded_title(code: str, title: str, words: OutcomeWords) -> str:
    """A check's title in the audit's own words: "approved" or "flagged" instead of the
    registry's "selected", and no "qualified" for a harmful positive (a risk flag).

    ``title`` is the registry's default, returned as it is for checks whose title does
    not name the decision.

    >>> worded_title("FAIR001", "x", outcome_words("favourable", "approved"))
    'Some groups are approved far less or more often (four-fifths rule)'
    >>> worded_title("FAIR002", "x", outcome_words("harmful"))[:38]
    'People who had the outcome are missed '
    """
    table = _HARMFUL_TITLES if words.positive_is == "harmful" else _FAVOURABLE_TITLES
    template = table.get(code)
    return template.format(verb=words.verb) if template else title


# --------------------------------------------------------------------------- tables

#: Reason of an estimate whose point value exists but whose interval does not.
NO_INTERVAL = "the value was undefined in most bootstrap resamples, so there is no interval"

#: Reason of an estimate whose percentile interval would not contain its point: the
#: resamples of a largest-minus-smallest spread are biased away from it (issue 10).
POINT_OUTSIDE_INTERVAL = ("no interval: the bootstrap resamples are biased away from the value "
                          "(it lies outside their percentile interval), as happens for a "
                          "largest-minus-smallest spread across groups")

#: Table note when some groups are marked as insufficient evidence.
CRITERIA_INCLUDE_UNCERTAIN = ("Criteria compare every group with a defined value, including "
                              "groups marked as insufficient evidence.")


def too_few_defined(label: str) -> str:
    """Why a spread across groups is undefined: fewer than two defined values."""
    return f"fewer than two groups have a defined {label}"


def ratio_all_zero(label: str) -> str:
    """Why a min / max ratio is undefined: every value is 0."""
    return f"every group's {label} is 0, so the ratio is undefined"


def ratio_negative(label: str) -> str:
    """Why a min / max ratio is undefined: some values are negative."""
    return f"some groups have a negative {label}, so the ratio is undefined"


def too_few_rows(n: int, min_group_size: int) -> str:
    """Why a group is insufficient evidence: too few rows."""
    return (f"only {n} rows in this group; at least {min_group_size} are "
            "needed for a reliable comparison")


def too_uncertain(label: str, confidence: float, lo: float, hi: float, width: float,
                  in_sd: bool, max_ci_width: float) -> str:
    """Why a group is insufficient evidence: its status metric's interval is too wide."""
    unit = " prediction standard deviations" if in_sd else ""
    return (f"the {label} is too uncertain: its {confidence:.0%} "
            f"interval ({lo:.3g} to {hi:.3g}) is {width:.2f}{unit} wide, more "
            f"than the {max_ci_width:.2f} allowed")


def undefined_for_group(label: str, reason: str) -> str:
    """Why a gap is undefined: the metric is undefined in the compared group."""
    return f"the {label} is undefined for this group: {reason}"


def undefined_for_reference(label: str, reference: str, reason: str) -> str:
    """Why a gap is undefined: the metric is undefined in the reference group."""
    return f"the {label} is undefined for the reference group '{reference}': {reason}"


def reference_is_zero(label: str) -> str:
    """Why a ratio to the reference group is undefined: the reference value is 0."""
    return f"the reference group's {label} is 0, so the ratio is undefined"


def left_out_note(criterion: str, groups: Sequence[str], label: str) -> str:
    """Table note: groups left out of a criterion because a metric is undefined there."""
    return (f"{criterion}: {', '.join(groups)} left out of the comparison "
            f"because the {label} is undefined there")


def intervals_note(confidence: float, n_boot: int, seed: int) -> str:
    """Table note: how the intervals were made."""
    return (f"Intervals are {confidence:.0%} percentile bootstrap intervals from {n_boot} "
            f"resamples of the rows (seed {seed}).")


def score_bins_note(n_bins: int, groups: Sequence[str]) -> str:
    """Table note: score-based intervals of these groups resampled binned scores."""
    return (f"Intervals of AUC, mean score and calibration gap for {', '.join(groups)} "
            f"resample the scores in {n_bins} quantile bins per group (more distinct scores "
            "than that); their values are exact and their interval ends within 0.05 "
            "standard errors of resampling every row, less than the bootstrap's own "
            "Monte-Carlo error.")


def scores_not_probabilities(range_text: str) -> str:
    """Reason of the average score and calibration gap of scores outside [0, 1]."""
    return f"not applicable (scores are not probabilities: {range_text})"


#: Reason of the average score and calibration gap of a scores column in [0, 1] that the
#: user did not call probabilities.
SCORES_NOT_DECLARED = ("not applicable (the scores column is read as probabilities only "
                       "when you say so: pass --scores-are-probabilities)")


def probability_metrics_note(reason: str) -> str:
    """Table note: why the table has no calibration gap and no average score."""
    return f"Calibration gap and average score: {reason}."


def calibration_not_applicable(reason: str) -> str:
    """``Finding.message`` of the calibration check (FAIR006) when the scores are no probabilities."""
    return (f"Calibration and the average score are {reason}. The scores still rank people, "
            "so ranking quality (AUC) is measured.")


# --------------------------------------------------------------------------- verdict


def criterion_message(attribute: str, outcome: Outcome, groups: Sequence[str]) -> str:
    """``Finding.message`` of one criterion on one attribute (empty when not applicable)."""
    names = ", ".join(groups)
    return {
        "pass": f"{attribute}: within the threshold for every group.",
        "review": f"{attribute}: cannot rule out a gap beyond the threshold for "
                  f"{names}; the uncertainty range crosses the limit.",
        "fail": f"{attribute}: gap beyond the threshold for {names}, even allowing "
                "for uncertainty.",
        "insufficient_evidence": f"{attribute}: not enough data to judge {names}.",
    }.get(outcome, "")


#: Most small groups named in one small-groups message.
SMALL_GROUPS_SHOWN = 8


def small_groups_message(attribute: str, groups: Sequence[tuple[str, int]]) -> str:
    """``Finding.message`` naming the groups (with their sizes) too small to judge."""
    shown = ", ".join(f"{name} ({n})" for name, n in groups[:SMALL_GROUPS_SHOWN])
    more = " ..." if len(groups) > SMALL_GROUPS_SHOWN else ""
    return f"{attribute}: {shown}{more} - too few people to judge."


def not_judged_message(attribute: str, n_groups: int, n_comparable: int) -> str:
    """``Finding.message`` of an attribute with no judged check (FAIR008): why, in words."""
    if n_groups < 2:
        why = "it has only one group, so there is nothing to compare"
    elif n_comparable < 2:
        why = ("fewer than two of its groups are large and certain enough to compare "
               "(see the groups too small to judge)")
    else:
        why = "every rate the checks compare is undefined for its groups"
    return (f"{attribute}: no fairness check could be judged - {why}. The audit gives no "
            "evidence either way for this attribute.")


#: Added to ``Verdict.method`` when the verdict is UNDECIDED: the rule that made it so.
UNDECIDED_RULE = ("A verdict needs evidence: when no check is judged (pass, review or fail) "
                  "at all, or a protected attribute has no judged comparison between groups, "
                  "and no check fails, the verdict is UNDECIDED, never PASS.")


def method_sentence(alpha: float, holm_used: bool, undecided: bool = False) -> str:
    """``Verdict.method``: how each check was decided (and the UNDECIDED rule when it applied)."""
    rule = f" {UNDECIDED_RULE}" if undecided else ""
    if holm_used:
        return (f"Each check is two one-sided tests at level {alpha / 2:g} (gap beyond the "
                "limit; gap within it), using the bootstrap standard error (ratios on the log "
                "scale), with Holm's correction across the groups of each attribute, so judging "
                "many groups does not inflate the chance of a false PASS or FAIL." + rule)
    return (f"Each check compares the {1 - alpha:.0%} interval with the limit: pass when the "
            "whole interval is inside, fail when it is wholly outside. No correction for the "
            "number of groups was applied." + rule)


#: Comment lines at the top of ``audit policy show``.
POLICY_TOML_HEADER = (
    "# model-audit sign-off policy. Pass your own with --policy policy.toml.",
    "# A check passes when the whole 95% interval is inside its limit, fails when",
    "# the whole interval is outside, and needs review otherwise.",
)
