"""Policy thresholds + confidence intervals -> PASS / REVIEW / FAIL with reasons.

A check passes only when its whole 95% interval is inside the threshold, fails
when the whole interval is outside, and needs review when the interval
straddles the threshold or the evidence is insufficient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Literal

from ._checks import Check, Finding, finding, register
from ._tables import AttributeTable, Estimate, GapRow

Outcome = Literal["pass", "review", "fail", "insufficient_evidence", "not_applicable"]
VerdictName = Literal["PASS", "REVIEW", "FAIL"]


@dataclass(frozen=True)
class Policy:
    """Sign-off thresholds. Ratios are checked both ways (a group favoured too much counts)."""

    selection_rate_ratio_min: float = 0.8  # the four-fifths rule
    equal_opportunity_diff_max: float = 0.10  # true positive rate difference
    equalized_odds_diff_max: float = 0.10  # max of TPR and FPR differences
    predictive_parity_diff_max: float = 0.10  # precision difference
    accuracy_diff_max: float = 0.05
    calibration_gap_max: float = 0.05  # |mean score - observed rate| within a group
    mean_prediction_ratio_min: float = 0.8  # regression
    mae_ratio_max: float = 1.25  # regression


CHECKS: dict[str, Check] = {
    "demographic_parity": register(
        "FAIR001", "error", "Selection rates (four-fifths rule)",
        "Compares how often each group receives the favourable outcome. A group selected less "
        "than four-fifths as often as the reference group is a classic warning sign of "
        "adverse impact."),
    "equal_opportunity": register(
        "FAIR002", "error", "Qualified people treated alike (equal opportunity)",
        "Among people who truly had the favourable outcome, compares how often the model said "
        "so in each group. A gap means qualified people in one group are missed more often."),
    "equalized_odds": register(
        "FAIR003", "error", "Errors alike across groups (equalized odds)",
        "Compares both kinds of mistake across groups: missing people who qualified, and "
        "approving people who did not."),
    "predictive_parity": register(
        "FAIR004", "warning", "Positive decisions equally reliable (predictive parity)",
        "Among people the model selected, compares how many truly had the favourable outcome "
        "in each group."),
    "accuracy": register(
        "FAIR005", "warning", "Accuracy alike across groups",
        "Compares the share of correct decisions in each group."),
    "calibration": register(
        "FAIR006", "warning", "Scores mean the same in every group (calibration)",
        "Compares the model's average score with the observed outcome rate in each group. A "
        "gap means a score of, say, 0.7 means something different for different groups."),
    "mean_prediction": register(
        "FAIR101", "error", "Average prediction alike across groups",
        "Compares the average predicted value between groups (regression models)."),
    "mae": register(
        "FAIR102", "warning", "Prediction error alike across groups",
        "Compares the average size of the model's errors between groups (regression models)."),
}
SMALL_GROUPS = register(
    "FAIR007", "info", "Groups too small to judge",
    "Some groups have too few people, or too uncertain numbers, to tell whether a gap is real. "
    "They are shown but not judged.")


@dataclass(frozen=True)
class CheckResult:
    """One policy check on one group of one attribute."""

    criterion: str
    attribute: str
    group: str
    reference: str
    metric: str
    kind: Literal["ratio", "difference", "level"]
    estimate: Estimate
    threshold: float
    outcome: Outcome


@dataclass(frozen=True)
class Verdict:
    """The overall verdict, its reasons (check codes) and every check behind it."""

    verdict: VerdictName
    reasons: tuple[str, ...]
    checks: tuple[CheckResult, ...]
    criterion_outcomes: dict[str, dict[str, Outcome]]  # attribute -> criterion -> outcome
    policy: Policy


def _ratio_outcome(e: Estimate, lo_t: float) -> Outcome:
    hi_t = 1.0 / lo_t
    if e.value is None:
        return "insufficient_evidence"
    lo = e.lo if e.lo is not None else e.value
    hi = e.hi if e.hi is not None else e.value
    if lo >= lo_t and hi <= hi_t:
        return "pass"
    if hi < lo_t or lo > hi_t:
        return "fail"
    return "review"


def _diff_outcome(e: Estimate, t: float) -> Outcome:
    if e.value is None:
        return "insufficient_evidence"
    lo = e.lo if e.lo is not None else e.value
    hi = e.hi if e.hi is not None else e.value
    if lo >= -t and hi <= t:
        return "pass"
    if lo > t or hi < -t:
        return "fail"
    return "review"


_RANK = {"not_applicable": 0, "pass": 1, "insufficient_evidence": 2, "review": 3, "fail": 4}


def worst(outcomes: Sequence[Outcome]) -> Outcome:
    """The most severe outcome; 'not_applicable' when there is none."""
    return max(outcomes, key=_RANK.__getitem__, default="not_applicable")


def _gap(table: AttributeTable, metric: str, group: str) -> GapRow | None:
    return next((g for g in table.gaps if g.metric == metric and g.group == group), None)


def evaluate(tables: Sequence[AttributeTable], policy: Policy, task: str
             ) -> tuple[Verdict, tuple[Finding, ...]]:
    """Judge every attribute table against ``policy``."""
    checks: list[CheckResult] = []
    p = policy
    for t in tables:
        ok_groups = [g for g in t.groups if g.status == "ok" and g.group != t.reference]
        for row in ok_groups:
            def add(crit: str, metric: str, kind: str, est: Estimate, thr: float,
                    outcome: Outcome) -> None:
                checks.append(CheckResult(crit, t.attribute, row.group, t.reference, metric,
                                          kind, est, thr, outcome))  # type: ignore[arg-type]

            if task == "binary":
                gr = _gap(t, "selection_rate", row.group)
                if gr is not None:
                    add("demographic_parity", "selection_rate", "ratio", gr.ratio,
                        p.selection_rate_ratio_min,
                        _ratio_outcome(gr.ratio, p.selection_rate_ratio_min))
                for crit, metric, thr in (
                    ("equal_opportunity", "tpr", p.equal_opportunity_diff_max),
                    ("predictive_parity", "ppv", p.predictive_parity_diff_max),
                    ("accuracy", "accuracy", p.accuracy_diff_max),
                ):
                    gr = _gap(t, metric, row.group)
                    if gr is not None:
                        add(crit, metric, "difference", gr.difference, thr,
                            _diff_outcome(gr.difference, thr))
                tpr, fpr = _gap(t, "tpr", row.group), _gap(t, "fpr", row.group)
                if tpr is not None and fpr is not None:
                    o_t = _diff_outcome(tpr.difference, p.equalized_odds_diff_max)
                    o_f = _diff_outcome(fpr.difference, p.equalized_odds_diff_max)
                    pick = fpr if _RANK[o_f] > _RANK[o_t] else tpr
                    add("equalized_odds", pick.metric, "difference", pick.difference,
                        p.equalized_odds_diff_max, worst([o_t, o_f]))
            else:
                gr = _gap(t, "mean_prediction", row.group)
                if gr is not None:
                    add("mean_prediction", "mean_prediction", "ratio", gr.ratio,
                        p.mean_prediction_ratio_min,
                        _ratio_outcome(gr.ratio, p.mean_prediction_ratio_min))
                gr = _gap(t, "mae", row.group)
                if gr is not None:
                    add("mae", "mae", "ratio", gr.ratio, 1 / p.mae_ratio_max,
                        _ratio_outcome(gr.ratio, 1 / p.mae_ratio_max))
        if task == "binary":
            for row in (g for g in t.groups if g.status == "ok"):
                cal = row.metrics.get("calibration_gap")
                if cal is not None:
                    checks.append(CheckResult(
                        "calibration", t.attribute, row.group, t.reference, "calibration_gap",
                        "level", cal, p.calibration_gap_max,
                        _diff_outcome(cal, p.calibration_gap_max)))

    outcomes: dict[str, dict[str, Outcome]] = {}
    for c in checks:
        per = outcomes.setdefault(c.attribute, {})
        per[c.criterion] = worst([per.get(c.criterion, "not_applicable"), c.outcome])
    findings: list[Finding] = []
    for crit, check in CHECKS.items():
        for t in tables:
            mine = [c for c in checks if c.attribute == t.attribute and c.criterion == crit]
            if not mine:
                continue
            o = outcomes[t.attribute][crit]
            bad = [c for c in mine if c.outcome == o]
            groups = ", ".join(sorted({c.group for c in bad}))
            msg = {
                "pass": f"{t.attribute}: within the threshold for every group.",
                "review": f"{t.attribute}: cannot rule out a gap beyond the threshold for "
                          f"{groups}; the uncertainty range crosses the limit.",
                "fail": f"{t.attribute}: gap beyond the threshold for {groups}, even allowing "
                        "for uncertainty.",
                "insufficient_evidence": f"{t.attribute}: not enough data to judge {groups}.",
            }.get(o, "")
            findings.append(finding(check, o if o != "not_applicable" else "not_applicable",
                                    msg, subject=t.attribute))
    for t in tables:
        small = [g for g in t.groups if g.status != "ok"]
        if small:
            findings.append(finding(
                SMALL_GROUPS, "insufficient_evidence",
                f"{t.attribute}: {', '.join(f'{g.group} ({g.n})' for g in small[:8])}"
                f"{' ...' if len(small) > 8 else ''} - too few people to judge.",
                subject=t.attribute))
    fair = [f for f in findings if f.code.startswith("FAIR") and f.code != SMALL_GROUPS.code]
    if any(f.outcome == "fail" for f in fair):
        verdict: VerdictName = "FAIL"
        reasons = sorted({f.code for f in fair if f.outcome == "fail"})
    elif any(f.outcome == "review" for f in fair):
        verdict = "REVIEW"
        reasons = sorted({f.code for f in fair if f.outcome == "review"})
    else:
        verdict, reasons = "PASS", []
    return Verdict(verdict, tuple(reasons), tuple(checks), outcomes, policy), tuple(findings)


POLICY_FIELDS = tuple(f.name for f in fields(Policy))


POLICY_DOC: dict[str, str] = {
    "selection_rate_ratio_min": "Each group's selection rate divided by the reference group's "
                                "must lie between this value and its inverse (four-fifths rule).",
    "equal_opportunity_diff_max": "Largest allowed difference in true positive rate.",
    "equalized_odds_diff_max": "Largest allowed difference in true or false positive rate.",
    "predictive_parity_diff_max": "Largest allowed difference in precision.",
    "accuracy_diff_max": "Largest allowed difference in accuracy.",
    "calibration_gap_max": "Largest allowed gap between mean score and observed rate in a group.",
    "mean_prediction_ratio_min": "Regression: mean prediction ratio must lie between this value "
                                 "and its inverse.",
    "mae_ratio_max": "Regression: mean absolute error ratio must lie between the inverse of this "
                     "value and this value.",
}


def policy_toml(policy: Policy | None = None) -> str:
    """The policy as a commented TOML file (what ``audit policy show`` prints)."""
    pol = policy or Policy()
    lines = ["# model-audit sign-off policy. Pass your own with --policy policy.toml.",
             "# A check passes when the whole 95% interval is inside its limit, fails when",
             "# the whole interval is outside, and needs review otherwise.", ""]
    for name in POLICY_FIELDS:
        lines.append(f"# {POLICY_DOC[name]}")
        lines.append(f"{name} = {getattr(pol, name)!r}")
    return "\n".join(lines) + "\n"


def load_policy(path: str) -> Policy:
    """Read a policy TOML file; unknown keys and non-numbers are errors."""
    import difflib
    import tomllib
    from pathlib import Path

    from ._errors import ConfigError

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"policy file '{p}' not found - check the path given to --policy")
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"policy file '{p}' is not valid TOML ({exc}) - fix the syntax") from exc
    for key, value in raw.items():
        if key not in POLICY_FIELDS:
            close = difflib.get_close_matches(key, POLICY_FIELDS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "see `audit policy show`"
            raise ConfigError(f"policy file '{p}': unknown key '{key}' - {hint}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"policy file '{p}': '{key}' must be a positive number, "
                              f"found {value!r}")
    pol = Policy(**{k: float(v) for k, v in raw.items()})
    if pol.selection_rate_ratio_min > 1 or pol.mean_prediction_ratio_min > 1:
        raise ConfigError(f"policy file '{p}': ratio minimums must be at most 1")
    return pol
