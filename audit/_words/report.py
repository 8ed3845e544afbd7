"""Report prose: every sentence the HTML report writes itself, made from facts.

The report's section modules (``audit._report.sections``) pick the facts out of
an :class:`~audit._result.AuditResult` and call these functions; the templates
only lay the sentences out. Sentences are short on purpose (the report is read
by compliance reviewers, not only by engineers); numbers for engineers go into
the tables. Texts the analysis records in the result (``Flag.explanation``,
``DriverSummary.sentence``, ``Finding.message`` ...) are shown as they are, as
technical detail; the plain sentences here word the same facts for a reader,
and the report words each fact at one level of detail once.

Sections of this module follow the report: numbers in sentences, naming
people, summary, not-run notes, performance, explanations, complexity,
troublemakers, what-if, methodology, chart descriptions.

May import: ``audit._result`` and the standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

from .._result.explanation import CANCEL_SHARE, DriverItem, DriverSummary
from .._result.tables import Estimate
from .._result.troublemakers import Flag, FlagThresholds, WhatIfExperiment, WhatIfRun
from .._result.verdict import CheckResult
from . import complexity as complexity_words
from .fairness import outcome_words
from .inputs import age_people
from .numbers import MINUS, percent, signed, span
from .numbers import sig as signed_sig
from .text import ISOLATE_OPEN, isolate
from .troublemakers import advice_next, labelled_inputs, proxy_rule
from .verdict import limit_ends

# --------------------------------------------------------------------------- numbers in sentences


def finite(x: float | None) -> bool:
    """Whether ``x`` is a real, finite number."""
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def num(x: float | None, digits: int = 2) -> str:
    """A number for people: fixed decimals, '–' for undefined."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return signed(x, digits)




def pct_points(x: float) -> str:
    """A difference of proportions in percentage points: 0.12 -> '12 percentage points'."""
    v = 100 * x
    return f"{v:.0f} percentage points" if abs(v) >= 10 else f"{v:.1f} percentage points"


def ci_text(lo: float | None, hi: float | None, points: bool = False) -> str:
    """' (95% CI 0.64–0.78)', ' (95% CI 9.1 to 14.0 points)', or '' without an interval.

    >>> ci_text(-0.15, -0.09, points=True)
    ' (95% CI 9.0 to 15.0 points)'
    """
    if lo is None or hi is None:
        return ""
    if points:
        if hi < 0:  # the sentence already says "less": show magnitudes
            lo, hi = -hi, -lo
        elif lo < 0:  # straddles zero: say both directions instead of mixing signs
            return f" (95% CI from {-100 * lo:.1f} points less to {100 * hi:.1f} points more)"
        return f" (95% CI {100 * lo:.1f} to {100 * hi:.1f} points)"
    return f" (95% CI {range_text(lo, hi)})"


def range_text(lo: float, hi: float, digits: int = 2) -> str:
    """An interval for tables and sentences: '0.64–0.78', or '−0.11 to −0.01' once a sign shows.

    >>> range_text(0.642, 0.781), range_text(-0.114, -0.0149), range_text(-0.0001, 0.02)
    ('0.64–0.78', '−0.11 to −0.01', '0.00–0.02')
    """
    text = span(lo, hi, digits)
    return text if MINUS in text else text.replace(" to ", "–")


def share(x: float | None) -> str:
    """A share as a whole percentage for sentences: 0.8518 -> '85%' (one decimal below 10%).

    >>> share(0.8518), share(0.034)
    ('85%', '3.4%')
    """
    if not finite(x):
        return "–"
    assert x is not None
    v = 100 * x
    return f"{v:.1f}%" if abs(v) < 10 and abs(v) != 0 else f"{v:.0f}%"


def share_ci(e: Estimate) -> str:
    """' (95% CI 84–86%)' or ''."""
    if not (finite(e.lo) and finite(e.hi)):
        return ""
    assert e.lo is not None and e.hi is not None
    lo, hi = 100 * e.lo, 100 * e.hi
    digits = 1 if max(abs(lo), abs(hi)) < 10 else 0
    return f" (95% CI {lo:.{digits}f}–{hi:.{digits}f}%)"


def points(x: float | None) -> str:
    """A difference of proportions in points: 0.1234 -> '12 points', 0.034 -> '3.4 points'."""
    if not finite(x):
        return "–"
    assert x is not None
    v = abs(100 * x)
    return f"{v:.0f} points" if v >= 10 else f"{v:.1f} points"


def sig(x: float | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits, thousands separated, '–' if undefined.

    >>> sig(12345.678), sig(0.0012345)
    ('12,346', '0.00123')
    """
    if not finite(x):
        return "–"
    assert x is not None
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    text = f"{abs(x):,.{decimals}f}"
    return MINUS + text if x < 0 else text


def fixed(x: float | None, digits: int = 3) -> str:
    """A number with ``digits`` decimals, '–' if undefined (true minus, no '-0.000')."""
    return signed(x, digits) if finite(x) else "–"  # type: ignore[arg-type]


def _about_points(x: float) -> str:
    v = abs(x)
    if round(v) == 1 and v >= 0.95:
        return "about 1 point"
    return f"about {v:.0f} points" if v >= 1 else f"about {v:.1f} points"


# --------------------------------------------------------------------------- naming people

_GENDER_PLURAL = {"female": "women", "f": "women", "woman": "women", "women": "women",
                  "male": "men", "m": "men", "man": "men", "men": "men"}
_NUMBER_WORDS = {2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six", 7: "Seven", 8: "Eight",
                 9: "Nine"}


def people(family: str, label: str, noun: str, attribute: str = "") -> str:
    """How to name a group's people: 'women', 'Black applicants', 'applicants aged 25–34'.

    The label is marked as a data value (:func:`~audit._words.text.isolate`):

    >>> people("age", "25–34", "applicants") == "applicants aged " + isolate("25–34")
    True
    >>> people("gender", "Female", "applicants")
    'women'
    >>> people("geography", "CA", "applicants", "geography: state") == (
    ...     "applicants from state " + isolate("CA"))
    True
    """
    low = label.strip().lower()
    if low == "unknown":
        return f"{noun} with unknown {isolate(attribute or family)}"
    if label.startswith("other ("):
        return f"{noun} in the '{isolate(label)}' group"
    if family == "gender" and low in _GENDER_PLURAL:
        return _GENDER_PLURAL[low]
    if family == "age":
        return age_people(noun, label)  # "aged 25–34", "in age band 'Greater than 45'"
    if family == "geography":  # "applicants from zip code 90001", not "from 90001"
        place = attribute.split(":", 1)[-1].strip().replace("_", " ") if attribute else ""
        return f"{noun} from {place + ' ' if place else ''}{isolate(label)}"
    if family == "intersection":
        return f"{noun} in the group {isolate(label)}"
    return f"{isolate(label)} {noun}"


def capitalise(text: str) -> str:
    """The text with its first letter in upper case (the rest untouched).

    A sentence that opens with a data value (see :func:`~audit._words.text.isolate`)
    has that value's first letter raised, as before values were marked.
    """
    if text.startswith(ISOLATE_OPEN):
        return ISOLATE_OPEN + capitalise(text[len(ISOLATE_OPEN):])
    return text[:1].upper() + text[1:]


def join(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --------------------------------------------------------------------------- summary

VERDICT_TEXT = {
    "PASS": "No fairness check failed, and every measured gap is within the policy's limits "
            "even allowing for uncertainty.",
    "REVIEW": "No gap is clearly beyond the limits, but some cannot be ruled out: the "
              "uncertainty ranges cross a limit, or groups are too small. A person should review "
              "them before release.",
    "UNDECIDED": "The audit could not judge the model: for at least one protected attribute no "
                 "check could be judged (groups too small or too uncertain to compare, a single "
                 "group, or undefined rates). This is not a PASS: audit more data before "
                 "release.",
    "FAIL": "At least one gap is beyond the policy's limits even allowing for uncertainty. "
            "The model should not be released as it is.",
}

_MEANING = {
    ("demographic_parity", "fail"): "This is below the four-fifths line that regulators treat "
    "as a warning sign of unfair impact.",
    ("demographic_parity", "review"): "The data cannot tell if this gap is real or chance.",
    ("fail", ""): "The gap is larger than the policy allows, even allowing for chance.",
    ("review", ""): "The data cannot tell if this gap is beyond the policy's limit.",
}
_NEXT = {
    "fail": "Next: see what drives it under “What drives each gap”, and retrain with the "
            "fairness rule recommended under “Troublemaker features”.",
    "review": "Next: a reviewer should judge this gap; more data for this group would make "
              "the answer clearer.",
}


#: The next step of a failing check that compares scores or decisions with the outcomes
#: that followed: "What drives each gap" does not break it down, and no fairness rule in
#: the training loss (fairlearn's reductions) targets it.
_NEXT_AGAINST_OUTCOMES = ("Next: recalibrate the model's scores on held-out data, checking "
                          "each group, and audit again; the group's figures are under "
                          "“Fairness by group”.")
_AGAINST_OUTCOMES = ("calibration", "predictive_parity")


#: The next step of a failing gap when the audit saw only the decisions (no model to explain
#: or retrain): the reviewer's lever is the model's owner.
_NEXT_PREDICTIONS_ONLY = ("Next: this audit saw only the decisions, not the model, so it cannot "
                          "say what drives the gap; ask the model's owner to find the cause "
                          "and fix it, then audit the new decisions.")


def ratio_meaning(ratio: float, threshold: float, positive_is: str | None = None) -> str:
    """What a failing ratio of selection (or flag) rates means, by its direction.

    Below the four-fifths line a favourable outcome reaches the group too rarely; above
    1/threshold it reaches the reference too rarely. For a harmful outcome (a risk flag)
    being flagged more often is the adverse side.

    >>> ratio_meaning(2.19, 0.8, "harmful")[:60]
    'For a harmful outcome, being flagged more often is the adver'
    >>> ratio_meaning(0.67, 0.8, "harmful")[-60:]
    'group is flagged 1.49 times as often, beyond the 1.25 limit.'
    """
    upper = f"{1 / threshold:.2f}"
    if positive_is == "harmful":
        if ratio > 1:
            return (f"For a harmful outcome, being flagged more often is the adverse side; "
                    f"this is beyond the policy's {upper} limit (the four-fifths rule read "
                    "for a harmful outcome).")
        return (f"For a harmful outcome, being flagged less often favours this group: the "
                f"reference group is flagged {1 / ratio:.2f} times as often, beyond the "
                f"{upper} limit.")
    if ratio > 1:
        return (f"This is above the policy's {upper} limit: the four-fifths rule read the "
                "other way, a warning sign of unfair impact on the reference group.")
    return _MEANING[("demographic_parity", "fail")]


def next_step(criterion: str, outcome: str, point_inside: bool = False,
              mode: str = "model", ratio: tuple[float, float] | None = None,
              positive_is: str | None = None) -> str:
    """What a finding means and what to do about it, in one or two short sentences.

    ``mode`` is the audit's (``"model"`` or ``"predictions"``): with decisions only there is
    no explanation section to point to and no model to retrain. ``ratio`` (the failing
    ratio and the policy's minimum) words a failing selection-rate ratio by its direction.
    """
    if outcome == "review" and point_inside:
        return ("No clear gap shows, but there are too few people here to be sure. Next: a "
                "reviewer should decide whether this group needs more data before release.")
    meaning = _MEANING.get((criterion, outcome)) or _MEANING.get((outcome, ""), "")
    if criterion == "demographic_parity" and outcome == "fail" and ratio is not None:
        meaning = ratio_meaning(ratio[0], ratio[1], positive_is)
    if mode == "predictions" and outcome == "fail":
        step = _NEXT_PREDICTIONS_ONLY
    elif outcome == "fail" and criterion in _AGAINST_OUTCOMES:
        step = _NEXT_AGAINST_OUTCOMES
    else:
        step = _NEXT.get(outcome, "")
    return f"{meaning} {step}".strip()


# --------------------------------------------------------------------------- the signed part

DECISIVE_INTRO = ("These checks decide the verdict: every check that fails the policy, then "
                  "the most material checks that need review (the gap may exceed the limit), "
                  "each with the interval the verdict used and its confidence level (with "
                  "many groups the intervals are wider, so that judging many groups does not "
                  "raise the chance of a wrong call). "
                  "Each attribute links to its table in the appendix.")
NO_DECISIVE = ("No check fails, and no gap may exceed the policy's limit; checks that "
               "cannot be decided lack data (see the appendix).")


def decisive_more(n_more: int) -> str:
    """The line under the decisive checks when some were left to the appendix."""
    return (f"{n_more} more check{'s' if n_more != 1 else ''} whose gap may exceed the limit "
            "need review; they are marked in the appendix “Fairness by group”.")


def confidence_text(level: float) -> str:
    """A confidence level: 0.95 -> '95%', 0.99167 -> '99.2%'.

    >>> confidence_text(0.95), confidence_text(0.991666)
    ('95%', '99.2%')
    """
    text = f"{100 * level:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


#: What a calibration check compares (no reference group: each group's own outcomes).
CALIBRATION_COMPARED = "each group's average score against its own outcome rate"


def compared_with(criterion: str, reference: str) -> str:
    """What a check compares a group with, for the checks behind the verdict.

    >>> compared_with("calibration", "White applicants")
    "each group's average score against its own outcome rate"
    >>> compared_with("demographic_parity", "White applicants")
    'compared with White applicants'
    """
    return CALIBRATION_COMPARED if criterion == "calibration" else f"compared with {reference}"


def check_numbers(check: CheckResult) -> tuple[str, str, str]:
    """(measured value, the interval the verdict used with its level, policy limit).

    The interval is the check's ``decision_interval`` (Holm-corrected, at its own level)
    when recorded, else the 95% interval.

    >>> from audit._result.tables import Estimate
    >>> c = CheckResult("predictive_parity", "race", "Black", "White", "ppv", "difference",
    ...                 Estimate(-0.096, -0.136, -0.057), 0.1, "review")
    >>> check_numbers(c)
    ('−9.6 points', '−13.6 to −5.7 points (95%)', 'within ±10 points')
    """
    e, t = check.estimate, check.threshold
    i = check.decision_interval or e
    level = f" ({confidence_text(check.decision_confidence or 0.95)})"
    ends = (limit_ends(i.lo, i.hi, check.kind == "ratio", t)  # type: ignore[arg-type]
            if finite(i.lo) and finite(i.hi) else None)
    if check.kind == "ratio":
        value = f"{num(e.value)} times" if finite(e.value) else "–"
        ci = f"{ends[0]}–{ends[1]}{level}" if ends else "–"
        return value, ci, f"{num(t)} to {num(1 / t)} times"
    value = f"{signed(100 * e.value, 1)} points" if finite(e.value) else "–"  # type: ignore
    ci = f"{ends[0]} to {ends[1]} points{level}" if ends else "–"
    return value, ci, f"within ±{signed(100 * t, 0)} points"


#: The reviewer's choices in the sign-off block.
DECISIONS = ("Approve", "Approve with conditions", "Reject")

_RECOMMEND = {
    "FAIL": "Do not approve the model as it is: {fails} the policy even allowing for chance.",
    "REVIEW": "Approve only with conditions, or reject: no check clearly fails, but {reviews} "
              "a gap beyond the policy's limit. The reviewer should judge each one listed "
              "above and write the conditions (such as monitoring the named groups, or "
              "collecting more data) into the sign-off.",
    "UNDECIDED": "Do not approve on this evidence: the audit could not judge at least one "
                 "protected attribute. Audit more data first.",
    "PASS": "Approve: every check is within the policy's limits, even allowing for "
            "uncertainty.",
}
_FIX = {
    "model": "Fix the failing gaps (the appendix “What drives each gap” shows which inputs "
             "drive them, and “Troublemaker features” recommends a fairness rule for "
             "retraining), then audit the retrained model.",
    "predictions": "This audit saw only the model's decisions, so it cannot say what drives "
                   "the gaps: ask the model's owner to find the cause and fix it, then audit "
                   "the new decisions.",
}


#: What to do when the failing checks include calibration or predictive parity, which the
#: gap breakdown does not cover and no fairness rule for retraining targets.
_FIX_AGAINST_OUTCOMES = ("Recalibrate the model's scores on held-out data, checking each "
                         "group, then audit the recalibrated model.")
_FIX_ALSO_AGAINST_OUTCOMES = ("The failing checks of calibration, or of how often a decision "
                              "is right, need the scores recalibrated on held-out data too, "
                              "checking each group.")


def recommendation(verdict: str, mode: str, n_fail: int, n_review: int,
                   failing: Collection[str] = ()) -> list[str]:
    """The recommendation the signed part closes with: one decision, then what to do.

    ``failing``: the criteria of the failing checks; calibration and predictive parity are
    fixed by recalibrating the scores, the other gaps by retraining.
    """
    first = _RECOMMEND[verdict].format(
        fails=f"{n_fail} check{' fails' if n_fail == 1 else 's fail'}",
        reviews=f"{n_review} check{' cannot' if n_review == 1 else 's cannot'} rule out")
    if verdict != "FAIL":
        return [first]
    if mode != "model" or not set(failing) & set(_AGAINST_OUTCOMES):
        return [first, _FIX[mode]]
    if set(failing) <= set(_AGAINST_OUTCOMES):
        return [first, _FIX_AGAINST_OUTCOMES]
    return [first, f"{_FIX[mode]} {_FIX_ALSO_AGAINST_OUTCOMES}"]


def policy_source(path: str | None) -> str:
    """Which policy the verdict was judged against, for the sign-off block."""
    return f"the policy file {isolate(path)}" if path else "the built-in default policy"


def _difference_sentence(check: CheckResult, g: str, r: str, verb: str, noun: str,
                         positive_is: str | None = None) -> str:
    """A difference of rates ('were approved 12 percentage points less often than').

    The values go into the finished wording; the wording is never formatted after a group
    label is in it (a label such as ``{0}`` would be read as a placeholder).
    """
    e = check.estimate
    assert e.value is not None
    ow = outcome_words(positive_is, verb)
    verb = ow.verb
    d = pct_points(abs(e.value))
    direction = "less" if e.value < 0 else "more"
    phrase = {
        "tpr": f"among {noun} who {ow.truly_positive}, {g} were {verb} {d} {direction} often "
               f"than {r}",
        "fpr": f"among {noun} who {ow.truly_negative}, {g} were {verb} {d} {direction} often "
               f"than {r}",
        "ppv": f"when the model {verb} {g}, it was right {d} {direction} often than for {r}",
        "accuracy": f"the model's decisions for {g} were correct {d} {direction} often than "
                    f"for {r}",
    }.get(check.metric, f"{check.metric} for {g} differed from {r} by {d}")
    return capitalise(phrase) + ci_text(e.lo, e.hi, True) + "."


def check_sentence(check: CheckResult, g: str, r: str, verb: str, noun: str,
                   positive_is: str | None = None) -> str:
    """One plain sentence for one policy check on group ``g`` against reference ``r``.

    ``positive_is`` ("favourable", "harmful") picks "selected"/"qualified" or "flagged".
    """
    e = check.estimate
    verb = outcome_words(positive_is, verb).verb
    if e.value is None:
        return f"The gap between {g} and {r} could not be measured: {e.reason or 'undefined'}."
    if check.criterion == "demographic_parity":
        return (f"{capitalise(g)} were {verb} {num(e.value)} times as often as {r}"
                f"{ci_text(e.lo, e.hi)}.")
    if check.criterion == "calibration":
        side = "higher" if e.value > 0 else "lower"
        return (f"For {g}, the model's average score was {pct_points(abs(e.value))} {side} than "
                f"the share who actually had {outcome_words(positive_is).outcome}"
                f"{ci_text(e.lo, e.hi, True)}.")
    if check.criterion in ("mean_prediction", "mae"):
        what = "average prediction" if check.criterion == "mean_prediction" else "average error"
        return (f"The model's {what} for {g} was {num(e.value)} times that for {r}"
                f"{ci_text(e.lo, e.hi)}.")
    return _difference_sentence(check, g, r, verb, noun, positive_is)


def proxy_headline(flag: Flag, can_retrain: bool = True) -> tuple[str, str]:
    """(sentence, next step) for the summary when an input stands in for an attribute.

    The next step is the flag's recorded recommendation (``troublemakers.advice_next``).
    """
    share, group = flag.driver_share, flag.driver_group
    tail = ("" if share is None or group is None or share > 1
            else f" It accounts for {share:.0%} of the gap for the {isolate(group)} group.")
    return (f"The input {isolate(flag.feature)} stands in for {isolate(flag.attribute)}.{tail}",
            advice_next(flag, can_retrain=can_retrain))


def direct_use_headline(attributes: Sequence[str],
                        families: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(sentence, next step) for the summary when audited attributes are model inputs.

    ``families`` maps a column to its attribute family: a geography column is named as
    such, not as a protected attribute.
    """
    fam = families or {}
    if all(fam.get(a) != "geography" for a in attributes):
        return (f"The model uses protected attributes as inputs: "
                f"{', '.join(isolate(a) for a in attributes)}.",
                "Next: remove them, or write down why the law and the use case allow it.")
    named = labelled_inputs([(isolate(a), fam.get(a, "other")) for a in attributes])
    return (f"The model uses audited attributes as inputs: {named}.",
            "Next: remove them, or write down why the law and the use case allow it.")


def complexity_headline(outcome: str) -> tuple[str, str]:
    """(sentence, next step) for the summary when the complexity does not pay for itself."""
    if outcome in ("simpler_but_worse", "withheld"):
        return (complexity_words.HEADLINE[outcome], complexity_words.summary_next(outcome))
    return ("A simpler model that people can read in full does about as well."
            if outcome == "does_not_pay" else
            "The model's extra complexity buys little accuracy.",
            "Next: see “Is the complexity worth it?” and consider the simpler model.")


# --------------------------------------------------------------------------- parts that did not run


def not_run(why: str | None) -> str:
    """One plain sentence saying why a section did not run."""
    if why:
        return f"This part of the audit did not run: {why.strip().rstrip('.')}."
    return "This part of the audit did not run."


# --------------------------------------------------------------------------- performance

NO_TRUTH_BINARY = ("There is no true outcome to compare with, so we cannot say how often the "
                   "model was right.")
NO_TRUTH_REGRESSION = ("There is no true outcome to compare with, so we cannot say how far off "
                       "the model was.")


def binary_performance(m: Mapping[str, Estimate], verb: str, noun: str,
                       positive_is: str | None = None) -> list[str]:
    """Plain sentences about a classifier's overall numbers (those that are defined).

    ``positive_is`` ("favourable", "harmful") picks the words: people "qualify" for a
    favourable outcome and are "selected"; a harmful one (a risk flag) is "flagged".
    """
    ow = outcome_words(positive_is, verb)
    verb = ow.verb
    had = "qualified" if ow.positive_is == "favourable" else "had the outcome"

    def has(key: str) -> bool:
        return key in m and m[key].value is not None

    def at(key: str) -> str:
        return share(m[key].value)

    out: list[str] = []
    if has("selection_rate"):
        s = f"The model {verb} {at('selection_rate')} of {noun}{share_ci(m['selection_rate'])}."
        if has("base_rate"):
            s += f" In the data, {at('base_rate')} {ow.truly_positive}."
        out.append(s)
    if has("tpr"):
        out.append(f"Of {noun} who {ow.truly_positive}, the model {verb} {at('tpr')}"
                   f"{share_ci(m['tpr'])}.")
    if has("fnr"):
        out.append(f"It missed the other {at('fnr')}{share_ci(m['fnr'])}: "
                   f"they {ow.missed}.")
    if has("fpr"):
        out.append(f"Of {noun} who {ow.truly_negative}, the model still {verb} {at('fpr')}"
                   f"{share_ci(m['fpr'])}.")
    if has("ppv"):
        out.append(f"When the model {verb} someone, it was right {at('ppv')} of the time"
                   f"{share_ci(m['ppv'])}.")
    if has("accuracy"):
        out.append(f"Overall, its decision matched the true outcome for {at('accuracy')} of "
                   f"{noun}{share_ci(m['accuracy'])}.")
    if has("auc"):
        out.append(f"Take two {noun}, one who {had} and one who did not. The model gives the "
                   f"one who {had} the higher score {at('auc')} of the time"
                   f"{share_ci(m['auc'])}. A coin toss would do this 50% of the time.")
    if not has("tpr") and not has("accuracy"):
        out.append(NO_TRUTH_BINARY)
    return out


def regression_performance(m: Mapping[str, Estimate]) -> list[str]:
    """Plain sentences about a regression model's overall numbers."""
    def has(key: str) -> bool:
        return key in m and m[key].value is not None

    def with_ci(key: str) -> str:
        e = m[key]
        ci = f" (95% CI {sig(e.lo)} to {sig(e.hi)})" if finite(e.lo) and finite(e.hi) else ""
        return sig(e.value) + ci

    out: list[str] = []
    if has("mae"):
        out.append(f"On average, the model's prediction was off by {with_ci('mae')}.")
    if has("rmse"):
        out.append(f"If large errors count more, the typical error was {with_ci('rmse')}.")
    if has("mean_prediction") and has("mean_target"):
        out.append(f"The average prediction was {sig(m['mean_prediction'].value)}. "
                   f"The average true value was {sig(m['mean_target'].value)}.")
    elif has("mean_prediction"):
        out.append(f"The average prediction was {with_ci('mean_prediction')}.")
    if not has("mae"):
        out.append(NO_TRUTH_REGRESSION)
    return out


_METRIC_PLAIN = {"auc": "ranking quality (AUC)", "accuracy": "accuracy",
                 "r2": "share of variation explained (R²)"}


def outcome_meaning(label: object, positive_is: str | None) -> str:
    """What the positive label means, for the scope and the console.

    >>> outcome_meaning(1, "harmful"), outcome_meaning("yes", None)
    ('1 is a harmful outcome (a risk flag: the report says “flagged”)', 'favourable outcome = yes')
    """
    w = outcome_words(positive_is)
    if w.positive_is == "harmful":
        return f"{label} is a harmful outcome (a risk flag: the report says “{w.verb}”)"
    return f"favourable outcome = {label}"


def positive_first_line(note: str | None, label: object, target: str | None,
                        positive_is: str | None, how: str | None) -> str:
    """The summary's first line on what the positive label means ('' when the user said it).

    The recorded ``positive_note`` when the audit assumed a favourable positive; for a
    harmful positive read from a name or label, what was read and how to undo it.
    """
    if note:
        return note
    if positive_is != "harmful" or not how or how.startswith("set by you") or target is None:
        return ""
    return (f"We read {label} as a harmful outcome (a risk flag), {how}; so the report "
            f"says “{outcome_words('harmful').verb}”. If {label} is favourable, pass "
            "--positive-is favourable.")


def scores_meaning(are_probabilities: bool | None) -> str:
    """How the audit used the model's scores, for the scope."""
    if are_probabilities:
        return "Read as probabilities: the average score and calibration are checked."
    return "Used as a ranking only (ranking quality, AUC)."


def undefined_reason(value: str, reason: str) -> str:
    """A value that could not be given, with its reason, for a table row.

    >>> undefined_reason("undefined", "not applicable (scores are not probabilities: range 1–10)")
    'not applicable (scores are not probabilities: range 1–10)'
    >>> undefined_reason("undefined", "no one in the group had the outcome")
    'undefined: no one in the group had the outcome'
    """
    if reason.startswith("not applicable") or reason == value:
        return reason
    return f"{value}: {reason}"


def baseline_not_run(why: str) -> str:
    """Why the comparison with a simple model is missing."""
    return f"The comparison with a simple model did not run: {why.strip().rstrip('.')}."


def baseline_comparison(metric: str, metric_label: str, n_rows: int, baseline_value: float,
                        model_value: float, gain: float, tolerance: float,
                        audit_value: float | None = None,
                        all_rows: tuple[int, float] | None = None) -> list[str]:
    """Two sentences comparing the audited model with the simple one on the same rows.

    With ``audit_value`` (the audited model's own value on the audit rows), ``model_value``
    is its retrained copy's cross-validated value, which the comparison used; the two are
    named apart. ``all_rows`` (the audited rows and the model's value on all of them) says
    when the comparison ran on a sample, so its number is not read as the overall one.

    >>> baseline_comparison("roc_auc", "AUC", 6000, 0.77, 0.795, 0.025, 0.01, 0.81)[0]
    ... # doctest: +NORMALIZE_WHITESPACE
    'We also trained a simple model that a person can read in full. On the same 6,000 rows,
    its AUC was 0.770 on rows it did not see; a retrained copy of the audited model scored
    0.795 on rows it did not see (the audited model itself: 0.810 on the audit rows).'
    """
    label = _METRIC_PLAIN.get(metric, metric_label)
    if audit_value is None:
        out = [f"We also trained a simple model that a person can read in full. On the same "
               f"{n_rows:,} rows, its {label} was {fixed(baseline_value)}; the audited "
               f"model's was {fixed(model_value)}."]
        who = "the audited model"
    else:
        out = [f"We also trained a simple model that a person can read in full. On the same "
               f"{n_rows:,} rows, its {label} was {fixed(baseline_value)} on rows it did not "
               f"see; a retrained copy of the audited model scored {fixed(model_value)} on "
               f"rows it did not see (the audited model itself: {fixed(audit_value)} on the "
               f"audit rows)."]
        who = "the audited model's retrained copy"
    if all_rows is not None and all_rows[0] > n_rows:
        out[0] = out[0].replace(f"On the same {n_rows:,} rows",
                                f"On a sample of {n_rows:,} of the {all_rows[0]:,} "
                                "audited rows")
        out[0] += (f" (On all {all_rows[0]:,} rows the audited model's {label} is "
                   f"{fixed(all_rows[1])}, as above.)")
    if abs(gain) < tolerance:
        out.append(f"So {who} is about as good as the simple one.")
    elif gain > 0:
        out.append(f"So {who} is better, by {gain:.3f}.")
    else:
        out.append(f"So the simple model is better, by {-gain:.3f}.")
    return out


def baseline_impossible(reason: str) -> str:
    """Why the audited model could not be compared with a simple one."""
    return f"The comparison with a simple model was not possible: {reason.strip().rstrip('.')}."


def baseline_how(cv: int, folds: Sequence[float]) -> str:
    """How a baseline's metric was measured: '5-fold cross-validated; folds 0.90–0.91'."""
    spread = f"; folds {min(folds):.3f}–{max(folds):.3f}" if len(folds) > 1 else ""
    return f"{cv}-fold cross-validated{spread}"


MODEL_MEASURED_HOW = "on the audit rows (as given)"

# --------------------------------------------------------------------------- explanations


def importance_lead(top: Sequence[str], n_inputs: int, top_share: float) -> str:
    """Which inputs the model leans on most."""
    names = [isolate(t) for t in top]
    if n_inputs <= 3:
        return f"The model uses {join(names)}. The first of these matters most."
    return (f"The model leans most on {join(names)}. Together they make up "
            f"{share(top_share)} of the effect of all {n_inputs} inputs.")


def protected_inputs_lead(used: Sequence[str], families: Mapping[str, str] | None = None) -> str:
    """That some model inputs are themselves audited attributes.

    ``families`` maps a column to its attribute family: zip code is a geography proxy,
    not a protected class ("age (protected) and zip_code (geography)").
    """
    fam = families or {}
    if any(fam.get(u) == "geography" for u in used):
        named = labelled_inputs([(isolate(u), fam.get(u, "other")) for u in used])
        if len(used) == 1:
            return f"One of its inputs is an audited attribute: {named}."
        count = _NUMBER_WORDS.get(len(used), str(len(used)))
        return f"{count} of its inputs are audited attributes: {named}."
    if len(used) == 1:
        return f"One of its inputs, {isolate(used[0])}, is itself a protected attribute."
    count = _NUMBER_WORDS.get(len(used), str(len(used)))
    return (f"{count} of its inputs, {join([isolate(u) for u in used])}, are themselves "
            "protected attributes.")


def reading_guide(verb: str, noun: str, regression: bool) -> list[str]:
    """How to read the importance chart and the beeswarm."""
    towards = "raise the prediction" if regression else f"push towards being {verb}"
    away = "lower it" if regression else "push away from it"
    return [
        "The first chart shows how much each input moves the model's output, on average. "
        "A longer bar means the input matters more.",
        f"In the second chart, each dot is one of the sampled {noun}. Dots right of the centre "
        f"line {towards}; dots left of it {away}. Orange dots have a high value of the input and "
        "blue dots a low one.",
    ]


def importance_caption(units: str) -> str:
    """Caption of the importance chart."""
    return f"Average size of each input's effect on the model's output ({units})."


BEESWARM_CAPTION = ("One dot per sampled row and input. Position: effect on the output; colour: "
                    "the input's value (grey: text or missing).")


def gap_drivers_caption(who: str, ref: str) -> str:
    """Caption of one group's gap-drivers chart."""
    return (f"What makes up the gap between {who} and {ref}. Bars left of the line lower the "
            "group's output, bars right raise it; whiskers show 95% intervals.")


def group_comparison_caption(attribute: str) -> str:
    """Caption of one attribute's per-group comparison chart."""
    return (f"Average effect of the top inputs for each {isolate(attribute)} group. An input that helps "
            "one group and hurts another shows bars on both sides of the line.")


def no_breakdown(who: str, reason: str) -> str:
    """A gap that SHAP could not decompose."""
    return f"The gap for {who} could not be broken down: {reason.rstrip('.')}."


NO_ROWS_SAMPLED = "no rows were sampled"


def more_groups_note(n_more: int) -> str:
    """Groups whose gap sentences are left out of the report."""
    return (f"{n_more} more group{'s' if n_more != 1 else ''} with a gap "
            f"{'is' if n_more == 1 else 'are'} listed in audit.json (explanation.summaries).")


def too_many_groups_note(attribute: str, n_groups: int) -> str:
    """Why an attribute has no comparison chart."""
    return f"{isolate(attribute)} has {n_groups} groups, too many for a readable comparison chart."


#: How the printed fairness section differs from the screen (one note at its top).
PRINT_FAIRNESS_NOTE = (
    "In print, this section is shortened; every failing row and every row that needs "
    "review still prints with its numbers. Large tables and combinations list their rows "
    "that pass or cannot be decided by group and size, and leave out the columns that no "
    "check uses and the share of people; large tables leave out their dot chart. "
    "Combinations print their two most material gaps in words, no summary gaps (largest "
    "minus smallest), and their marks were decided like those above (Holm's correction "
    "across each combination's groups). The full tables are in the HTML report and in "
    "audit.json (fairness).")

_FOLDED_KIND = {"pass": "pass", "undecided": "cannot be decided", "none": "have no checks"}


def folded_print(groups: Sequence[tuple[str, str, int]], summary: str) -> str:
    """The printed stand-in for a folded table: its groups by decision, with their sizes.

    ``groups`` holds (decision: pass / undecided / none, group, people).
    """
    parts = []
    for kind, words in _FOLDED_KIND.items():
        names = [f"{isolate(g)} ({n:,})" for k, g, n in groups if k == kind]
        if names:
            many = len(names) != 1
            verb = words if many or kind == "none" else {"pass": "passes",
                                                          "undecided": "cannot be decided"}[kind]
            if kind == "none" and not many:
                verb = "has no checks"
            parts.append(f"{len(names):,} group{'s' if many else ''} that {verb}: "
                         f"{', '.join(names)}")
    return (f"Not printed in full ({len(groups):,} rows; people in brackets): "
            f"{'; '.join(parts)}. Their numbers are in the HTML report (open “{summary}”) "
            "and in audit.json (fairness).")


CHARTS_LEFT_OUT = "Charts are left out here to keep the report short; the numbers are in audit.json."


def additivity_check(ok: bool, max_error: float, tolerance: float) -> str:
    """Whether the SHAP parts add up to the model's real output."""
    if ok:
        return (f"Passed: the parts add up to the model's real output on every sampled row "
                f"(largest error {max_error:.1e}, allowed {tolerance:.1e}).")
    return (f"Failed: the parts missed the model's real output by up to {max_error:.2g} "
            f"(allowed {tolerance:.1e}). Treat the explanations with care.")


def sample_clause(n_sample: int, n_rows: int) -> str:
    """', over a sample of 2,000 of 6,000 rows' when the explanation used a sample, else ''.

    >>> sample_clause(2000, 6000), sample_clause(6000, 6000), sample_clause(2000, 0)
    (', over a sample of 2,000 of 6,000 rows', '', '')
    """
    return f", over a sample of {n_sample:,} of {n_rows:,} rows" if 0 < n_sample < n_rows else ""


def _gap_head(s: DriverSummary, output_space: str, who: str, ref: str, verb: str,
              regression: bool, sample: str = "") -> tuple[str, str]:
    """(first sentence, unit of the driver amounts) of a gap's plain description.

    A probability gap is the gap in the model's *average score* (its predicted chance),
    named so beside the gap in decisions; ``sample`` (:func:`sample_clause`) says when it
    was measured on a sample of the rows.
    """
    side = "lower" if s.gap < 0 else "higher"
    if s.gap_pp is not None and output_space == "log-odds":
        side = "lower" if s.gap_pp < 0 else "higher"
        return (f"The model's average score for {who} (its predicted chance of being {verb}"
                f"{sample}) was {abs(s.gap_pp):.1f} points {side} than for {ref}.", "points")
    if output_space == "probability":
        return (f"The model's average score for {who} (its predicted chance of being {verb}"
                f"{sample}) was {abs(100 * s.gap):.1f} points {side} than for {ref}.", "prob")
    if regression:
        return (f"On average, the model's prediction for {who} was {sig(abs(s.gap))} {side} "
                f"than for {ref}{sample}.", "raw")
    return (f"On average, the model's score for {who} was {sig(abs(s.gap))} {side} than for "
            f"{ref}{sample}.", "raw")


def _cancel_out(head: str, s: DriverSummary, shown: Sequence[DriverItem]) -> str:
    """Drivers that largely cancel out, said plainly instead of as shares like 687%."""
    widen = [isolate(d.feature) for d in shown if (d.contribution < 0) == (s.gap < 0)]
    narrow = [isolate(d.feature) for d in shown if (d.contribution < 0) != (s.gap < 0)]
    text = head + " Here the inputs pull in different directions and largely cancel out"
    if widen and narrow:
        text += (f": {join(widen)} {'widens' if len(widen) == 1 else 'widen'} the gap, "
                 f"{join(narrow)} {'narrows' if len(narrow) == 1 else 'narrow'} it")
    return text + "."


def gap_sentence(s: DriverSummary, output_space: str, *, who: str, ref: str, verb: str,
                 regression: bool, min_share: float, sample: str = "") -> str:
    """Plain sentences about one group's gap and its main drivers.

    The plain wording of the facts in a :class:`DriverSummary`, whose own
    ``sentence`` is the technical wording (shown as detail). Drivers below
    ``min_share`` of the gap are not named.
    """
    head, unit = _gap_head(s, output_space, who, ref, verb, regression, sample)
    if s.gap == 0:
        return head
    shown = [d for d in s.drivers if d.share is not None and abs(d.share) >= min_share]
    if any(abs(d.share or 0.0) > CANCEL_SHARE for d in shown):
        return _cancel_out(head, s, shown)
    same: list[str] = []
    other: list[str] = []
    for d in shown:
        if unit == "points" and d.pp is not None:
            amount = _about_points(d.pp)
        elif unit == "prob":
            amount = _about_points(100 * d.contribution)
        elif unit == "raw":
            amount = f"about {sig(abs(d.contribution), 2)}"
        else:
            amount = f"{abs(d.share or 0.0) * 100:.0f}% of the gap"
        (same if (d.contribution < 0) == (s.gap < 0) else other).append(
            f"{isolate(d.feature)} ({amount})")
    text = head
    if same:
        lead = "The main reason is" if len(same) == 1 else "The main reasons are"
        text += f" {lead} {join(same)}."
    if other:
        text += f" Pulling the other way: {join(other)}."
    return text


# --------------------------------------------------------------------------- complexity

def surrogate_output_note(output_used: str) -> str:
    """What the surrogate models were fitted to."""
    return f"The model's output used for the surrogate models: {output_used}."


# --------------------------------------------------------------------------- troublemakers

NO_FLAGS = ("No input was flagged: none both stands in for a protected attribute and drives a "
            "gap that fails or needs review.")


def recoverability_reading(attribute: str, auc: float | None, note: str | None,
                           proxy_auc: float, strength: float | None = None) -> str:
    """What the inputs together say about an attribute, by the value the proxy rule uses:
    ``strength``, the larger of the all-groups AUC and any group's one-vs-rest AUC (the
    all-groups ``auc`` when no strength was recorded).

    >>> recoverability_reading("age", 0.62, None, 0.7, 0.859)[-92:]
    'pick out one of its groups (AUC 0.86 for that group against the rest; 0.62 over all groups).'
    """
    if auc is None:
        return f"Could not be measured{': ' + note if note else ''}."
    value = auc if strength is None else max(strength, auc)
    # one group named only when it lifts the reading above "next to nothing"
    one_group = value - auc >= 0.005 and value >= 0.6
    why = (f": they pick out one of its groups (AUC {value:.2f} for that group against the "
           f"rest; {auc:.2f} over all groups)" if one_group else "")
    if value >= proxy_auc:
        return f"The inputs together reveal {isolate(attribute)}{why}."
    if value >= 0.6:
        return f"The inputs together reveal a little about {isolate(attribute)}{why}."
    return f"The inputs together reveal next to nothing about {isolate(attribute)}{why}."


# --------------------------------------------------------------------------- what-if

WHAT_IF_STATUS = {
    "ran": "The what-if ran.",
    "partial": "The what-if ran only in part.",
    "skipped": "The what-if did not run.",
    "not_possible": "The what-if was not possible.",
    "not_needed": "The what-if was not needed.",
    "failed": "The what-if failed.",
}
_GAP_WORDS = {
    "demographic_parity": "in the share {verb}",
    "equal_opportunity": "in the share of qualified {noun} {verb}",
    "equalized_odds": "in error rates",
    "accuracy": "in accuracy",
    "mean_prediction": "in average prediction",
    "mae": "in average error",
}
NOTHING_TO_COMPARE = "The model could not be retrained as it is, so there is nothing to compare."


def what_if_status(status: str, reason: str | None) -> str:
    """Whether the what-if ran, and why not."""
    text = WHAT_IF_STATUS.get(status, status)
    if reason:
        text = text.rstrip(".") + f": {reason.strip().rstrip('.')}."
    return text


def what_if_setup(n_train: int, n_test: int) -> str:
    """How the model copies were trained and tested."""
    return (f"Copies of the model were retrained on {n_train:,} rows and tested on "
            f"the other {n_test:,} rows. The numbers describe those copies, not the "
            "audited model.")


def is_setup_note(note: str) -> bool:
    """Whether a what-if note repeats :func:`what_if_setup` (and is left out)."""
    return note.lower().startswith("copies of the model were")


def _move(a: float, b: float, fmt: object) -> str:
    """'fell from 26 to 12 points', 'rose from 78% to 81%' or 'stayed at 81%'."""
    x, y = fmt(a), fmt(b)  # type: ignore[operator]
    if x == y:
        return f"stayed at {y}"
    if x.endswith(" points") and y.endswith(" points"):
        x = x[: -len(" points")]
    return f"{'fell' if b < a else 'rose'} from {x} to {y}"


def _run_sentence(e: WhatIfExperiment, base: WhatIfRun, r: WhatIfRun, metric: str, what: str,
                  binary: bool) -> str:
    """How the gap and the performance moved for one retrained copy."""
    def gap(x: float) -> str:
        return points(x) if binary else sig(x)

    def perf(x: float) -> str:
        return share(x) if binary else sig(x)

    if r.status != "ok" or r.gap.value is None or r.performance.value is None:
        why = (r.reason or r.status).strip().rstrip(".")
        return f"{capitalise(r.label)}: not measured ({why})."
    assert base.gap.value is not None and base.performance.value is not None
    gap_move = _move(base.gap.value, r.gap.value, gap)
    perf_move = _move(base.performance.value, r.performance.value, perf)
    if r.kind == "constrained":
        return (f"With the fairness rule in training, the largest gap between {isolate(e.attribute)} "
                f"groups {what} {gap_move}. {capitalise(metric)} {perf_move}.")
    who = f"Without {isolate(r.feature)}" if r.feature else capitalise(r.label)
    return f"{who}, the gap {gap_move} and {metric} {perf_move}."


def _rule_versus_drop(e: WhatIfExperiment) -> list[str]:
    """Whether the fairness rule or dropping an input closed more of the gap."""
    rule = next((r for r in e.runs if r.kind == "constrained" and r.status == "ok"
                 and r.gap_change.lo is not None and r.gap_change.hi is not None), None)
    out: list[str] = []
    for r in e.runs:
        if rule is None or r.kind != "drop_feature" or r.status != "ok" \
                or r.gap_change.lo is None or r.gap_change.hi is None:
            continue
        assert rule.gap_change.lo is not None and rule.gap_change.hi is not None
        if r.gap_change.hi < rule.gap_change.lo:
            out.append(f"Dropping {isolate(r.feature)} closed more of the gap than the rule.")
        elif rule.gap_change.hi < r.gap_change.lo:
            out.append(f"The rule closed more of the gap than dropping {isolate(r.feature)}.")
        else:
            out.append(f"Given the uncertainty, the rule and dropping {isolate(r.feature)} "
                       "closed the "
                       "gap by similar amounts.")
    return out


def what_if_sentences(e: WhatIfExperiment, metric: str, verb: str, noun: str,
                      binary: bool) -> list[str]:
    """Plain sentences: how the gap and the performance moved for each retrained copy."""
    base = next((r for r in e.runs if r.kind == "baseline" and r.status == "ok"), None)
    if base is None or base.gap.value is None or base.performance.value is None:
        return [NOTHING_TO_COMPARE]
    what = _GAP_WORDS.get(e.criterion, "").format(verb=verb, noun=noun)
    out = [_run_sentence(e, base, r, metric, what, binary) for r in e.runs
           if r.kind != "baseline"]
    return out + _rule_versus_drop(e)


# --------------------------------------------------------------------------- methodology


def glossary(verb: str = "selected", noun: str = "people",
             positive_is: str | None = None) -> list[tuple[str, str]]:
    """Short plain definitions of the technical words the report uses, alphabetically.

    Parameters
    ----------
    verb, noun : str
        The configured outcome verb ("approved") and subject noun ("applicants").
    positive_is : str, optional
        "harmful" for a risk flag: nobody "qualifies" for it, people "have the outcome".

    Returns
    -------
    list of (term, definition)

    Examples
    --------
    >>> dict(glossary())["Proxy"][:20]
    'An input that is not'
    """
    items = [*_GLOSSARY_FIXED, *_glossary_worded(verb, noun)]
    if positive_is == "harmful":
        items = [(term, text.replace("who truly qualify", "who truly have the outcome")
                  .replace("truly qualify", "truly have the outcome")
                  .replace("who qualified", "who had the outcome")
                  .replace("do not qualify", "do not have the outcome")
                  .replace("who qualify", "who have the outcome")) for term, text in items]
    return sorted(items, key=lambda kv: kv[0].lower())


def _glossary_worded(verb: str, noun: str) -> list[tuple[str, str]]:
    """The glossary entries that use the configured outcome verb and subject noun."""
    return [
        ("Demographic parity", f"Every group is {verb} at the same rate."),
        ("Equal opportunity", f"{capitalise(noun)} who truly qualify are {verb} at the same "
                              "rate in every group."),
        ("Equalized odds", f"People who qualify are missed, and people who do not qualify "
                           f"are {verb}, at the same rates in every group."),
        ("Fairness constraint", f"A rule the model must keep while it learns, such as “no "
                                f"group may be {verb} much less often than another”."),
        ("Four-fifths rule", f"A warning sign when a group is {verb} less than four-fifths "
                             "(80%) as often as the reference group."),
        ("Predictive parity", f"Of the people the model {verb}, the same share truly "
                              "qualify in every group."),
    ]


_GLOSSARY_FIXED: tuple[tuple[str, str], ...] = (
    ("AUC", "The chance that the model scores a random person who qualified above a "
            "random person who did not. 0.5 is a coin toss and 1 is perfect."),
    ("Bootstrap", "We redraw the rows at random many times and work out each number "
                  "again, to see how much it could vary by chance."),
    ("Calibration", "Scores are calibrated when they match reality. Of the people given "
                    "a 70% score, about 70% really have the good outcome."),
    ("Confidence interval (95% CI)", "The range that very likely holds the true value, "
                                     "given how much data we have. Small groups get wide "
                                     "ranges."),
    ("Intersection", "A group formed by two traits at once, such as women over 65."),
    ("Log-odds", "The scale many models use inside. Higher means a higher chance, and 0 "
                 "means even odds."),
    ("Loss function", "The score a model tries to make as small as it can while it "
                      "learns."),
    ("Mutual information", "How much knowing one thing tells you about another. 0 means "
                           "nothing and 1 means everything."),
    ("Percentage point", "The plain difference between two percentages. Going from 50% "
                         "to 55% is a rise of 5 points."),
    ("Protected attribute", "A trait such as race, sex or age that must not lead to "
                            "unfair treatment."),
    ("Proxy", "An input that is not a protected trait itself but gives it away, as a zip "
              "code can give away race."),
    ("Recoverability", "How well all the other inputs together can guess a protected "
                       "trait."),
    ("Reference group", "The group every other group is compared with. It is the "
                        "largest group unless you chose one."),
    ("SHAP value", "The part of one prediction that comes from one input. The parts of "
                   "all inputs add up to the prediction."),
    ("Surrogate model", "A small, simple model trained to copy what the audited model "
                        "does, to see how easy it is to copy."),
    ("Troublemaker", "An input that gives away a protected trait and drives a gap that "
                     "fails or needs review."),
    ("Transparent baseline", "A simple model, such as a short decision tree, that a "
                             "person can read in full."),
)

#: (plain sentence, formula, detail) for each step of the SHAP method.
SHAP_FORMULAS: tuple[tuple[str, str, str], ...] = (
    ("Each prediction is split into a base value plus one part per input.",
     "f(x) = φ₀ + Σⱼ φⱼ(x)",
     "φ₀ is the average output over the sample; φⱼ(x) is the SHAP value of input j for "
     "row x."),
    ("An input's importance is the average size of its parts.",
     "importance(j) = Σᵢ wᵢ |φⱼ(xᵢ)| / Σᵢ wᵢ",
     "wᵢ = N_cell / n_cell weights each sampled row back to the population."),
    ("A group's gap splits into one part per input.",
     "mean f(x | group) − mean f(x | reference) = Σⱼ [mean φⱼ(x | group) − mean φⱼ(x | "
     "reference)] + residual",
     "The residual is zero up to the additivity error; intervals come from a bootstrap of "
     "the sampled rows."),
    ("We check that the parts really add up.",
     "max over rows |φ₀ + Σⱼ φⱼ(x) − f(x)| ≤ tolerance",
     "On failure a slower, model-agnostic explainer is used and the report says so."),
)


def weights_text(weights: Mapping[str, float]) -> str:
    """'effective features 0.20, non additivity 0.25, ...'."""
    return ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in weights.items())


def flag_rules(thr: FlagThresholds) -> list[tuple[str, str]]:
    """The proxy and flag rules, with the thresholds the audit used."""
    return [
        ("Proxy", proxy_rule(thr)),
        ("Driver", f"The input accounts for at least {100 * thr.driver_share:.0f}% of some "
                   "group's gap against the reference group (SHAP gap decomposition)."),
        ("Flag", "An input is flagged when it is a proxy and a driver of a gap that fails or "
                 "needs review, or when it is the protected attribute itself."),
        ("High severity", f"Proxy AUC at least {thr.high_proxy_auc:.2f}, driver share at least "
                          f"{100 * thr.high_driver_share:.0f}% and a failing criterion; "
                          "otherwise medium."),
        ("Suggested bound", f"difference_bound = {thr.difference_bound:g} for the fairlearn "
                            "parity constraints. It limits each group's distance from the "
                            f"overall rate, so any two groups end at most {thr.target_gap:g} "
                            "apart on the training rows, inside the policy's limits."),
        ("What-if intervals", f"{thr.n_boot} bootstrap resamples of the held-out rows, "
                              "paired for the changes."),
    ]


# --------------------------------------------------------------------------- chart descriptions


def _g3(x: float) -> str:
    """Three significant digits with a true minus: -1.0768 -> '−1.08'."""
    text = f"{x:.3g}"
    return MINUS + text[1:] if text.startswith("-") else text


def selection_alt(verb: str, attribute: str, reference: str, ref_rate: float, threshold: float,
                  lowest: str, lowest_rate: float | None) -> str:
    """Alt text of a fairness section's selection-rate chart."""
    return (f"Share {verb} per {isolate(attribute)} group with 95% intervals. Reference group "
            f"{isolate(reference)}: {percent(ref_rate)}; four-fifths line at "
            f"{percent(threshold * ref_rate)}; lowest: {isolate(lowest)} at {percent(lowest_rate)}.")


def importance_alt(units: str, top: Sequence[tuple[str, float]], n_shown: int) -> str:
    """Alt text of the importance chart: the largest (feature, mean |SHAP|) first."""
    if not n_shown:
        return "Bar chart of average absolute SHAP values; there are no inputs to show."
    lead = ", ".join(f"{isolate(name)} ({_g3(value)})" for name, value in top[:3])
    return (f"Bar chart of the average absolute SHAP value of the top {n_shown} inputs, "
            f"in {units}; the largest are {lead}.")


def beeswarm_alt(units: str, n_points: int, n_features: int, first: str | None,
                 lo: float, hi: float) -> str:
    """Alt text of the beeswarm; ``first`` is the most important feature (None: no features)."""
    if first is None:
        return "Beeswarm plot of SHAP values; there are no inputs to show."
    return (f"Beeswarm plot of {n_points} sampled rows for the top {n_features} "
            f"inputs; for the most important, {isolate(first)}, the SHAP values range from "
            f"{_g3(lo)} to {_g3(hi)} {units}; dots are "
            "coloured from blue (low value) to orange (high value), grey for text or missing "
            "values.")


def group_comparison_alt(units: str, attribute: str, n_features: int, n_groups: int,
                         spread: tuple[str, str, float, str, float] | None) -> str:
    """Alt text of a per-group comparison chart.

    ``spread`` is (top feature, highest group, its value, lowest group, its value).
    """
    tail = ""
    if spread is not None:
        f0, hi, hi_v, lo, lo_v = spread
        tail = (f"; for {isolate(f0)} the mean SHAP value is highest for {isolate(hi)} "
                f"({_g3(hi_v)}) and lowest for {isolate(lo)} ({_g3(lo_v)})")
    return (f"Grouped bar chart of the mean SHAP value of the top {n_features} inputs for each "
            f"of {n_groups} groups of {isolate(attribute)}, in {units}{tail}.")


def gap_drivers_title(group: str, reference: str, attribute: str, gap: float | None) -> str:
    """Title of a gap-drivers chart."""
    title = f"Why '{isolate(group)}' differs from '{isolate(reference)}' ({isolate(attribute)})"
    return title if gap is None else title + f": gap {_g3(gap)}"


def gap_drivers_alt(units: str, attribute: str, group: str, reference: str,
                    gap: float | None, gap_pp: float | None, reason: str | None,
                    lead: Sequence[tuple[str, float | None]]) -> str:
    """Alt text of a gap-drivers chart; ``lead`` holds the largest (feature, contribution)."""
    if reason is not None or gap is None:
        return (f"Chart of the drivers of the gap between {isolate(group)} and "
                f"{isolate(reference)} on {isolate(attribute)}; no decomposition: {reason}.")
    names = ", ".join(f"{isolate(name)} ({signed_sig(value, plus=True)})"
                      for name, value in lead[:3] if value is not None)
    pp = ("" if gap_pp is None
          else f" ({signed_sig(gap_pp, plus=True)} percentage points of predicted probability)")
    return (f"Bar chart of how much each input contributes to the gap of "
            f"{signed_sig(gap, plus=True)} "
            f"{units}{pp} between {isolate(group)} and {isolate(reference)} on "
            f"{isolate(attribute)}, with 95% "
            f"bootstrap intervals; the largest contributions are {names}.")
