"""Plain-language sentences built from the result. No HTML here: templates escape them."""

from __future__ import annotations

from dataclasses import dataclass

from .._fairness.verdict import CheckResult
from .._result.audit import AuditResult
from .._result.findings import OUTCOME_RANK
from .._result.tables import AttributeTable
from ._format import ci_text, num, pct_points

_GENDER_PLURAL = {"female": "women", "f": "women", "woman": "women", "women": "women",
                  "male": "men", "m": "men", "man": "men", "men": "men"}
_PRIORITY = {"demographic_parity": 0, "mean_prediction": 0, "equal_opportunity": 1, "mae": 1,
             "equalized_odds": 2, "predictive_parity": 3, "accuracy": 4, "calibration": 5}


def people(family: str, label: str, noun: str, attribute: str = "") -> str:
    """How to name a group's people: 'women', 'Black applicants', 'applicants aged 25–34'."""
    low = label.strip().lower()
    if low == "unknown":
        return f"{noun} with unknown {attribute or family}"
    if label.startswith("other ("):
        return f"{noun} in the '{label}' group"
    if family == "gender" and low in _GENDER_PLURAL:
        return _GENDER_PLURAL[low]
    if family == "age":
        if label.startswith("<"):
            return f"{noun} under {label[1:]}"
        if label.endswith("+"):
            return f"{noun} aged {label[:-1]} and over"
        return f"{noun} aged {label}"
    if family == "geography":
        return f"{noun} from {label}"
    if family == "intersection":
        return f"{noun} in the group {label}"
    return f"{label} {noun}"


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class GapSentence:
    attribute: str
    criterion: str
    group: str
    outcome: str
    text: str
    next_step: str = ""


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


def _point_inside(check: CheckResult) -> bool:
    v, t = check.estimate.value, check.threshold
    if v is None:
        return False
    if check.kind == "ratio":
        return t <= v <= 1 / t
    return abs(v) <= t


def next_step(criterion: str, outcome: str, point_inside: bool = False) -> str:
    """What a finding means and what to do about it, in one or two short sentences."""
    if outcome == "review" and point_inside:
        return ("No clear gap shows, but there are too few people here to be sure. Next: a "
                "reviewer should decide whether this group needs more data before release.")
    meaning = _MEANING.get((criterion, outcome)) or _MEANING.get((outcome, ""), "")
    return f"{meaning} {_NEXT.get(outcome, '')}".strip()


def check_sentence(check: CheckResult, table: AttributeTable, verb: str, noun: str) -> str:
    """One plain sentence for one policy check on one group."""
    g = people(table.family, check.group, noun, table.attribute)
    r = people(table.family, check.reference, noun, table.attribute)
    e = check.estimate
    if e.value is None:
        return f"The gap between {g} and {r} could not be measured: {e.reason or 'undefined'}."
    if check.criterion == "demographic_parity":
        return (f"{capitalise(g)} were {verb} {num(e.value)} times as often as {r}"
                f"{ci_text(e.lo, e.hi)}.")
    if check.criterion == "calibration":
        side = "higher" if e.value > 0 else "lower"
        return (f"For {g}, the model's average score was {pct_points(abs(e.value))} {side} than "
                f"the share who actually had the favourable outcome{ci_text(e.lo, e.hi, True)}.")
    if check.criterion in ("mean_prediction", "mae"):
        what = "average prediction" if check.criterion == "mean_prediction" else "average error"
        return (f"The model's {what} for {g} was {num(e.value)} times that for {r}"
                f"{ci_text(e.lo, e.hi)}.")
    direction = "less" if e.value < 0 else "more"
    phrase = {
        "tpr": f"among {noun} who truly qualified, {g} were {verb} {{d}} {direction} often "
               f"than {r}",
        "fpr": f"among {noun} who did not qualify, {g} were {verb} {{d}} {direction} often "
               f"than {r}",
        "ppv": f"when the model {verb} {g}, it was right {{d}} {direction} often than for {r}",
        "accuracy": f"the model's decisions for {g} were correct {{d}} {direction} often than "
                    f"for {r}",
    }.get(check.metric, f"{check.metric} for {g} differed from {r} by {{d}}")
    return capitalise(phrase.format(d=pct_points(abs(e.value)))) + ci_text(e.lo, e.hi, True) + "."


def notable_gaps(result: AuditResult, limit: int | None = None) -> list[GapSentence]:
    """A sentence for each check that failed or needs review, most severe first.

    Within a criterion and attribute, only the largest gap is kept so that a
    reader sees each problem once.
    """
    verb = result.provenance.config.get("outcome_verb", "selected")
    noun = result.provenance.config.get("subject_noun", "people")
    tables = {t.attribute: t for t in result.fairness}
    best: dict[tuple[str, str, str], CheckResult] = {}
    for c in result.verdict.checks:
        if c.outcome not in ("fail", "review") or c.estimate.value is None:
            continue
        key = (c.attribute, c.criterion, c.group)
        best[key] = c
    ordered = sorted(best.values(), key=lambda c: (
        -OUTCOME_RANK[c.outcome], tables[c.attribute].family == "intersection",
        _PRIORITY.get(c.criterion, 9), _distance(c)))
    out: list[GapSentence] = []
    seen: set[str] = set()
    for c in ordered:
        text = check_sentence(c, tables[c.attribute], verb, noun)
        if text not in seen:  # equalized odds often repeats the equal-opportunity sentence
            seen.add(text)
            out.append(GapSentence(c.attribute, c.criterion, c.group, c.outcome, text,
                                   next_step(c.criterion, c.outcome, _point_inside(c))))
    return out[:limit] if limit is not None else out


FAMILY_ORDER = {"race": 0, "gender": 1, "age": 2, "geography": 3, "other": 4, "intersection": 5}


def headlines(result: AuditResult, limit: int = 5) -> list[GapSentence]:
    """The worst gap of each attribute, in family order (race, gender, age, geography...).

    The remaining slots are filled with the next most severe gaps.
    """
    family = {t.attribute: t.family for t in result.fairness}
    gaps = notable_gaps(result)
    firsts: dict[str, GapSentence] = {}
    for g in gaps:
        firsts.setdefault(g.attribute, g)
    top = sorted(firsts.values(), key=lambda g: (
        family[g.attribute] == "intersection", -OUTCOME_RANK[g.outcome],
        FAMILY_ORDER.get(family[g.attribute], 4)))[:limit]
    rest = [g for g in gaps if g not in top and family[g.attribute] != "intersection"]
    return top + rest[: max(0, limit - len(top))]


def other_headlines(result: AuditResult) -> list[tuple[str, str, str]]:
    """Non-gap findings for the executive summary: (outcome tag, sentence, next step)."""
    out: list[tuple[str, str, str]] = []
    tm = result.troublemakers
    if tm is not None:
        for f in tm.flags:
            if f.kind != "proxy_driver":
                continue
            share = ("" if f.driver_share is None or f.driver_group is None or f.driver_share > 1
                     else f" It accounts for {f.driver_share:.0%} of the gap for the "
                          f"{f.driver_group} group.")
            out.append(("review", f"The input {f.feature} stands in for {f.attribute}.{share}",
                        "Next: dropping it rarely removes the gap, because other inputs carry "
                        "the same signal; retrain with the recommended fairness rule instead."))
            break
    direct = [f.subject for f in result.findings if f.code == "SPEC001"]
    if direct:
        out.append(("review", f"The model uses protected attributes as inputs: "
                              f"{', '.join(direct)}.",
                     "Next: remove them, or write down why the law and the use case allow it."))
    c = result.complexity
    if c is not None and c.outcome in ("does_not_pay", "review"):
        out.append(("review", "A simpler model that people can read in full does about as well."
                    if c.outcome == "does_not_pay" else
                    "The model's extra complexity buys little accuracy.",
                    "Next: see “Is the complexity worth it?” and consider the simpler model."))
    return out


def _distance(c: CheckResult) -> float:
    """How far a check's value is from passing (larger = worse), for ordering."""
    v = c.estimate.value or 0.0
    if c.kind == "ratio":
        return min(v, 1 / v) if v > 0 else 0.0
    return -abs(v)
