"""Every check the audit can report, defined once: code, severity, title and explanation.

The codes are stable (``DATA001`` ...) and never reused. A title states the problem the
check looks for ("Scores run too high or too low for some groups"), not the ideal, so a
title listed as a reason for a verdict reads as what went wrong.  Analysis modules import the
check they report from here; the report and ``audit diff`` look titles up in
:data:`~audit._result.findings.REGISTRY`.
"""

from __future__ import annotations

from .findings import Check, register

# --- Data sanity (DATA) ---

NUMBERS_AS_TEXT = register(
    "DATA001",
    "warning",
    "Numbers stored as text",
    "A column holds numbers, but the file stores them as text. A model - or this audit - may "
    "then treat each number as a separate label rather than an amount, so '7' and '8' look no "
    "more alike than '7' and '70', and averages or ranges cannot be computed. Converting the "
    "column to a number type fixes this.",
)
DATES_AS_TEXT = register(
    "DATA002",
    "info",
    "Dates stored as text",
    "A column holds dates written as text. Until it is converted to a date type, dates cannot "
    "be sorted, compared or used to measure time spans correctly - for example '10/02/2024' "
    "sorts before '9/02/2024'.",
)
MISSING_VALUES = register(
    "DATA003",
    "warning",
    "Missing values",
    "Some columns have many empty cells. If the gaps are more common for some groups of people "
    "than for others, results for those groups rest on less information and may be skewed.",
)
DUPLICATE_ROWS = register(
    "DATA004",
    "warning",
    "Duplicate rows",
    "Some rows appear more than once, identical in every column. Duplicates count the same case "
    "several times, which can tilt group rates and make results look more certain than they are.",
)
CONSTANT_COLUMNS = register(
    "DATA005",
    "info",
    "Constant columns",
    "A column has the same value in every row, so it tells nothing apart. This is often a sign "
    "of an export problem or of a filter applied before the data reached the audit.",
)
LABEL_IMBALANCE = register(
    "DATA006",
    "warning",
    "Label imbalance",
    "One outcome is rare in the data. With few examples of it, the rates the audit compares "
    "between groups rest on small numbers and can swing a lot by chance.",
)
PROTECTED_MOSTLY_MISSING = register(
    "DATA007",
    "error",
    "Protected attribute mostly missing",
    "More than half of the rows have no value for a characteristic the audit checks for "
    "fairness (such as race or sex). Fairness results for it describe only the people whose "
    "value was recorded, who may not be representative of everyone.",
)
#: Every sanity check, in the order :func:`sanity_checks` reports them.
SANITY_CHECKS: tuple[Check, ...] = (
    NUMBERS_AS_TEXT,
    DATES_AS_TEXT,
    MISSING_VALUES,
    DUPLICATE_ROWS,
    CONSTANT_COLUMNS,
    LABEL_IMBALANCE,
    PROTECTED_MOSTLY_MISSING,
)

# --- Inputs (SPEC) ---

SPEC_DIRECT_USE = register(
    "SPEC001", "warning", "An audited attribute is a model input",
    "The model takes an audited attribute as an input: a protected one (such as age or "
    "gender) or a geography column (such as a zip code, which can stand in for race). "
    "Decisions can then depend on it directly, which many rules forbid or require you to "
    "justify.",
)
SPEC_UNLABELLED = register(
    "SPEC002", "info", "Rows without a known outcome left out",
    "Some rows have no recorded outcome (the target is missing). They were left out of the "
    "audit, so every number describes only the rows with a known outcome.",
)

# --- Fairness criteria (FAIR) ---

#: The policy check behind each fairness criterion, in the order findings are reported.
CRITERION_CHECKS: dict[str, Check] = {
    "demographic_parity": register(
        "FAIR001", "error", "Some groups are selected far less or more often (four-fifths rule)",
        "Compares how often each group receives the favourable outcome. A group selected less "
        "than four-fifths as often as the reference group is a classic warning sign of "
        "adverse impact."),
    "equal_opportunity": register(
        "FAIR002", "error", "Qualified people in some groups are missed more often (equal opportunity)",
        "Among people who truly had the favourable outcome, compares how often the model said "
        "so in each group. A gap means qualified people in one group are missed more often."),
    "equalized_odds": register(
        "FAIR003", "error", "Mistakes are more common for some groups (equalized odds)",
        "Compares both kinds of mistake across groups: missing people who qualified, and "
        "approving people who did not."),
    "predictive_parity": register(
        "FAIR004", "warning", "Positive decisions are less reliable for some groups (predictive parity)",
        "Among people the model selected, compares how many truly had the favourable outcome "
        "in each group."),
    "accuracy": register(
        "FAIR005", "warning", "Decisions are less accurate for some groups",
        "Compares the share of correct decisions in each group."),
    "calibration": register(
        "FAIR006", "warning", "Scores run too high or too low for some groups (calibration)",
        "Compares the model's average score with the observed outcome rate in each group. A "
        "gap means a score of, say, 0.7 means something different for different groups."),
    "mean_prediction": register(
        "FAIR101", "error", "Average prediction differs between groups",
        "Compares the average predicted value between groups (regression models)."),
    "mae": register(
        "FAIR102", "warning", "Predictions are further off for some groups",
        "Compares the average size of the model's errors between groups (regression models)."),
}
SMALL_GROUPS = register(
    "FAIR007", "info", "Groups too small to judge",
    "Some groups have too few people, or too uncertain numbers, to tell whether a gap is real. "
    "They are shown but not judged.")
NOT_JUDGED = register(
    "FAIR008", "error", "Attribute not judged",
    "No fairness check could be judged for this attribute: too few people, too uncertain "
    "numbers, a single group, or undefined rates. The audit then gives no evidence either way "
    "for it, and the verdict is UNDECIDED rather than PASS.")

# --- Explanations, troublemakers and the audit itself (EXPL, PROXY, AUDIT) ---

SHAP_ADDITIVITY = register(
    "EXPL001", "warning", "Explanations needed a fallback",
    "The fast explainer's values did not add up to the model's real output, so another "
    "explainer was used instead. The explanations come from it; 'review' means even that "
    "one did not add up.")
PROXY_FLAG = register(
    "PROXY001", "warning", "Feature stands in for a protected attribute",
    "A model input carries much of the information in a protected attribute and drives a gap "
    "that fails or needs review. See the loss-function recommendation.")
SECTION_FAILED = register(
    "AUDIT001", "warning", "Part of the audit could not run",
    "An optional part of the audit (explanations, the interpretability score or the "
    "troublemaker analysis) stopped with an error. The fairness numbers are unaffected; the "
    "report says which part is missing and why.")
