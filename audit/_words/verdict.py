"""Sentences about the verdict's checks: how each is decided, how material it is, the counts.

The rules here are the documented definitions the JSON carries (``verdict.rules``) and
the report repeats; the numbers come from :mod:`audit._result.verdict`.

May import: ``audit._result`` and the standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._result.verdict import Decision
from .numbers import clear_digits, percent, signed
from .text import isolate

#: How each decision is named next to a check (symbol first: never colour alone).
DECISION_MARK: dict[str, str] = {
    "fail": "✖ fails", "review": "◆ needs review", "undecided": "○ cannot be decided",
    "pass": "● passes",
}

DECISION_RULE = (
    "Each check passes when the interval that decided it lies wholly inside the policy's "
    "limit and fails when it lies wholly beyond. Otherwise it needs REVIEW when that "
    "interval excludes 'no gap' (a real gap that may exceed the limit), and is UNDECIDED "
    "when it holds both 'no gap' and a gap beyond the limit (too little data to tell). "
    "The overall verdict is unchanged by this split: FAIL if any check fails; else "
    "UNDECIDED if a protected attribute has no judged comparison; else REVIEW if any "
    "check's interval crosses a limit (whether it needs review or cannot be decided); else "
    "PASS. With --strict, REVIEW and UNDECIDED both exit 1.")
#: The reading guide's legend of a check's marks; the verdict rule itself is printed from
#: ``verdict.rules["decision"]`` (:data:`DECISION_RULE`), the one source of truth.
MARKS_LEGEND = (
    f"Each check is marked {DECISION_MARK['pass']} (the gap is inside the policy's limit, even "
    f"allowing for uncertainty), {DECISION_MARK['review']} (a real gap that may exceed the "
    f"limit), {DECISION_MARK['undecided']} (too little data to tell whether the gap is inside "
    f"or beyond the limit) or {DECISION_MARK['fail']} (the gap is beyond the limit, even "
    "allowing for uncertainty). The audit's verdict is PASS, REVIEW, UNDECIDED or FAIL by "
    "this rule:")
MATERIALITY_RULE = (
    "Materiality ranks checks for the summary: the gap's size in units of the policy's "
    "limit (1 = at the limit; ratios on a log scale, so 0.64 and 1/0.64 weigh the same; "
    "capped at 10) times the evidence that it lies beyond the limit (1 minus the "
    "bootstrap p-value of 'the gap is within the limit', before correction). A failing "
    "gap twice the limit scores about 2, a gap at the limit about 0.5, no gap 0.")
INTERVAL_RULE = (
    "With Holm's correction the interval that decided a check is a Wald interval from the "
    "bootstrap standard error at the check's corrected level (wider than the plain 95% "
    "interval when an attribute has many groups); its coverage is recorded with it.")


def rules() -> dict[str, str]:
    """The documented rules recorded in ``verdict.rules`` of audit.json."""
    return {"decision": DECISION_RULE, "materiality": MATERIALITY_RULE,
            "decision_interval": INTERVAL_RULE}


def _checks(n: int) -> str:
    return f"{n:,} check" if n == 1 else f"{n:,} checks"


def counts_sentence(counts: Mapping[Decision, int], undecided_in_combinations: int) -> str:
    """'15 checks fail, 23 need review for material gaps, 864 cannot be decided with this
    data (mostly small combinations); 117 pass.'

    >>> counts_sentence({"fail": 1, "review": 0, "undecided": 3, "pass": 2}, 0)
    '1 check fails, none need review for material gaps, 3 cannot be decided with this data; 2 pass.'
    """
    fail, review = counts.get("fail", 0), counts.get("review", 0)
    undecided, passed = counts.get("undecided", 0), counts.get("pass", 0)
    parts = [f"{_checks(fail)} {'fails' if fail == 1 else 'fail'}",
             f"{review:,} {'needs' if review == 1 else 'need'} review for material gaps"
             if review else "none need review for material gaps",
             f"{undecided:,} cannot be decided with this data"]
    if undecided and undecided_in_combinations * 2 > undecided:
        parts[-1] += " (mostly small combinations)"
    if fail == 0:
        parts[0] = "no check fails"
    return f"{', '.join(parts)}; {passed:,} pass."


def limit_ends(lo: float, hi: float, ratio: bool, limit: float | None) -> tuple[str, str]:
    """The ends of a deciding interval as printed (a ratio, or a gap in points), with as
    many decimals as keep them from rounding onto the policy's ``limit`` (a ratio's lower
    bound and its inverse, or ± a gap) that they do not equal."""
    a, b, d = (lo, hi, 2) if ratio else (100 * lo, 100 * hi, 1)
    limits = () if limit is None else (limit, 1 / limit) if ratio else (-100 * limit,
                                                                          100 * limit)
    d = clear_digits((a, b), limits, d)
    return signed(a, d), signed(b, d)


def decided_by(lo: float | None, hi: float | None, coverage: float | None, ratio: bool,
               differs: bool, what: str = "", limit: float | None = None) -> str:
    """'decided on the 99.4% simultaneous (Holm-corrected) interval 0.76 to 1.16' ('' without).

    ``differs`` says the interval is not the plain 95% one shown in the tables; ``what`` is
    the check's kind ("ratio", "difference" or "level"), named in the text; ``limit`` the
    policy's limit, which the ends are printed clear of (:func:`limit_ends`).

    >>> decided_by(0.761, 1.16, 0.99375, True, True, "ratio")
    'decided on the 99.4% simultaneous (Holm-corrected) interval of the ratio, 0.76 to 1.16'
    >>> decided_by(0.519, 0.79974, 0.998, True, True, "ratio", 0.8)[-23:]
    'ratio, 0.5190 to 0.7997'
    """
    if lo is None or hi is None:
        return ""
    a, b = limit_ends(lo, hi, ratio, limit)
    ends = f"{a} to {b}" if ratio else f"{a} to {b} points"
    level = percent(coverage, 1) if coverage is not None else "95%"
    kind = "simultaneous (Holm-corrected) interval" if differs else "interval"
    of = {"ratio": " of the ratio", "difference": " of the gap", "level": ""}.get(what, "")
    return f"decided on the {level} {kind}{of}, {ends}"


def decided_short(lo: float | None, hi: float | None, coverage: float | None,
                  ratio: bool, limit: float | None = None) -> str:
    """The interval that decided, for a table cell: 'decided: ratio 0.60–0.71 (99.0%)'.

    It is the interval of the ratio to (or the gap from) the reference group, not of the
    group's own value printed above it, so it says which; its ends are printed clear of
    the policy's ``limit`` (:func:`limit_ends`).

    >>> decided_short(-0.148, -0.0445, 0.99, False), decided_short(0.6, 0.71, 0.99, True)
    ('decided: gap −14.8 to −4.5 pts (99.0%)', 'decided: ratio 0.60–0.71 (99.0%)')
    """
    if lo is None or hi is None:
        return ""
    level = percent(coverage, 1) if coverage is not None else "95%"
    a, b = limit_ends(lo, hi, ratio, limit)
    if ratio:
        return f"decided: ratio {a}–{b} ({level})"
    return f"decided: gap {a} to {b} pts ({level})"


def table_caption(attribute: str, n_groups: int, n_folded: int) -> str:
    """Caption of an attribute's group table."""
    folded = (f"; {n_folded:,} rows that pass or cannot be decided are folded below"
              if n_folded else "")
    return (f"{isolate(attribute)}: {n_groups:,} groups, each compared with the reference "
            f"group{folded}")


def which_interval_decides(n_groups: int, holm: bool) -> str:
    """One line under each table: which interval the marks were decided with."""
    if not holm:
        return ("The marks (✖ fails, ◆ needs review, ○ cannot be decided) were decided on the "
                "95% intervals shown.")
    return ("The marks (✖ fails, ◆ needs review, ○ cannot be decided) were decided with "
            f"Holm's correction across the {n_groups:,} groups, at a stricter level than the "
            "95% intervals shown. Beside each mark is the interval that decided it: of the "
            "ratio to, or gap from, the reference group (calibration: score minus the group's "
            "own outcome rate), not of the value above it.")


def min_group_rule(min_group_size: str, max_ci_width: str) -> str:
    """Both rules that leave a group unjudged, stated together."""
    try:
        width = f"{100 * float(max_ci_width):.0f} percentage points"
    except ValueError:
        width = max_ci_width
    return (f"Groups with fewer than {min_group_size} people, and groups whose 95% interval "
            f"for the rate of favourable decisions is wider than {width} (so a group of 40 or 50 people can "
            "be too uncertain), are shown but not judged (“too few”).")


def folded_rows(n: int) -> str:
    """Summary line of the folded rows of a large group table."""
    return f"{n:,} more group{'s' if n != 1 else ''} that pass or cannot be decided"


UNUSED_COLUMN = ("The model does not use this column, so this is for information only "
                 "(no review needed for this audit).")


def unused_column(message: str) -> str:
    """A data-check message for columns the model does not read: informational."""
    return f"{message.rstrip()} {UNUSED_COLUMN}"


def material_review_next() -> str:
    """Meaning and next step of a material gap that needs review."""
    return ("The gap is real (its whole interval lies on one side of “no gap”), but it may "
            "or may not exceed the policy's limit. Next: a reviewer should judge whether it "
            "is acceptable, and write down why.")


def largest_gap(group: str, kind: str, metric: str, value: float | None, reference: str) -> str:
    """The size of a criterion's most material gap, for its finding's message.

    >>> largest_gap("44104", "level", "calibration_gap", 0.153, "60614")
    'Largest: 44104, scores 15.3 points above the observed rate.'
    >>> largest_gap("Black", "ratio", "selection_rate", 0.653, "White")
    'Largest: Black, 0.65 times the rate of White.'
    """
    if value is None:
        return ""
    g, r = group, reference  # plain: Finding messages are data for the JSON and the console
    if kind == "ratio":
        return f"Largest: {g}, {value:.2f} times the rate of {r}."
    pts = f"{abs(100 * value):.1f} points"
    if kind == "level":
        side = "above" if value > 0 else "below"
        return f"Largest: {g}, scores {pts} {side} the observed rate."
    side = "above" if value > 0 else "below"
    return f"Largest: {g}, {pts} {side} {r} ({metric.replace('_', ' ')})."


def own_check(criterion: str, decision_label: str) -> str:
    """A reference row's note for a check that compares the reference group with itself
    (calibration: its scores against its own outcomes), not with the reference.

    >>> own_check("calibration", "○ cannot be decided")
    'its own calibration: ○ cannot be decided'
    """
    return f"its own {criterion}: {decision_label}"
