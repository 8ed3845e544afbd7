"""Policy thresholds + confidence intervals -> PASS / REVIEW / FAIL with reasons.

A check passes only when its whole 95% interval is inside the threshold, fails
when the whole interval is outside, and needs review when the interval
straddles the threshold or the evidence is insufficient.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._result.checks import CRITERION_CHECKS, SMALL_GROUPS
from .._result.findings import OUTCOME_RANK, Finding, finding, worst
from .._result.tables import AttributeTable, Estimate, GapRow
from .._result.verdict import POLICY_DOC, POLICY_FIELDS, CheckResult, Outcome, Policy, Verdict, VerdictName


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




def _gap(table: AttributeTable, metric: str, group: str) -> GapRow | None:
    return next((g for g in table.gaps if g.metric == metric and g.group == group), None)


Replicates = dict[tuple[str, str], np.ndarray]


def _pvalues(point: float, reps: np.ndarray | None, lo: float, hi: float, log: bool
             ) -> tuple[float, float] | None:
    """Bootstrap-SE (Wald) p-values for "the gap is beyond [lo, hi]" and "... within [lo, hi]".

    Returns ``(p_beyond, p_within)``: small ``p_beyond`` is evidence that the true
    gap lies outside the limits, small ``p_within`` that it lies inside (two one-
    sided tests). Ratios are tested on the log scale. Normal p-values, unlike
    counting replicates, are not floored at 1/(B+1), so Holm can work with many groups.
    """
    from statistics import NormalDist

    if reps is None:
        return None
    r = reps[np.isfinite(reps)]
    if log:
        r = r[r > 0]
        if point <= 0:
            return None
        point, r, lo, hi = math.log(point), np.log(r), math.log(lo), math.log(hi)
    if len(r) < 10:
        return None
    se = float(np.std(r, ddof=1))
    if se <= 0:
        inside = lo <= point <= hi
        return (1.0, 0.0) if inside else (0.0, 1.0)
    cdf = NormalDist().cdf
    outside_by = max(lo - point, point - hi)  # > 0 when the point is beyond a limit
    inside_by = min(point - lo, hi - point)  # > 0 when the point is inside both limits
    return cdf(-outside_by / se), cdf(-inside_by / se)


def holm(pvalues: Sequence[float], alpha: float) -> list[bool]:
    """Holm's step-down procedure: which hypotheses are rejected at family level ``alpha``."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    rejected = [False] * len(pvalues)
    m = len(pvalues)
    for rank, i in enumerate(order):
        if pvalues[i] > alpha / (m - rank):
            break
        rejected[i] = True
    return rejected


@dataclass
class _Pending:
    crit: str
    attribute: str
    group: str
    reference: str
    metric: str
    kind: str
    estimate: Estimate
    threshold: float
    ci_outcome: Outcome
    pvals: tuple[float, float] | None  # (p_beyond, p_within), see _pvalues


def evaluate(tables: Sequence[AttributeTable], policy: Policy, task: str,
             replicates: Replicates | None = None) -> tuple[Verdict, tuple[Finding, ...]]:
    """Judge every attribute table against ``policy``.

    With bootstrap ``replicates`` (from ``fairness_tables(..., replicates=...)``)
    and ``policy.multiple_testing == "holm"``, each check's decision uses
    bootstrap p-values with Holm's correction across the groups of an
    attribute; otherwise the 95% intervals decide directly.
    """
    pending: list[_Pending] = []
    p = policy
    reps = replicates or {}
    for t in tables:
        index = {g.group: i for i, g in enumerate(t.groups)}
        ref_i = index[t.reference]

        def rep(metric: str, kind: str, group: str) -> np.ndarray | None:
            vb = reps.get((t.attribute, metric))
            if vb is None:
                return None
            g = vb[:, index[group]]
            if kind == "ratio":
                with np.errstate(divide="ignore", invalid="ignore"):
                    return g / vb[:, ref_i]
            if kind == "difference":
                return g - vb[:, ref_i]
            return g

        ok_groups = [g for g in t.groups if g.status == "ok" and g.group != t.reference]
        for row in ok_groups:
            def add(crit: str, metric: str, kind: str, est: Estimate, thr: float,
                    outcome: Outcome, pvals: tuple[float, float] | None) -> None:
                pending.append(_Pending(crit, t.attribute, row.group, t.reference, metric, kind,
                                        est, thr, outcome, pvals))

            def ratio_check(crit: str, metric: str, thr: float) -> None:
                gr = _gap(t, metric, row.group)
                if gr is None:
                    return
                pv = None if gr.ratio.value is None else _pvalues(
                    gr.ratio.value, rep(metric, "ratio", row.group), thr, 1 / thr, log=True)
                add(crit, metric, "ratio", gr.ratio, thr, _ratio_outcome(gr.ratio, thr), pv)

            def diff_check(crit: str, metric: str, thr: float) -> None:
                gr = _gap(t, metric, row.group)
                if gr is None:
                    return
                pv = None if gr.difference.value is None else _pvalues(
                    gr.difference.value, rep(metric, "difference", row.group), -thr, thr,
                    log=False)
                add(crit, metric, "difference", gr.difference, thr,
                    _diff_outcome(gr.difference, thr), pv)

            if task == "binary":
                ratio_check("demographic_parity", "selection_rate", p.selection_rate_ratio_min)
                diff_check("equal_opportunity", "tpr", p.equal_opportunity_diff_max)
                diff_check("predictive_parity", "ppv", p.predictive_parity_diff_max)
                diff_check("accuracy", "accuracy", p.accuracy_diff_max)
                tpr, fpr = _gap(t, "tpr", row.group), _gap(t, "fpr", row.group)
                if tpr is not None and fpr is not None:
                    thr = p.equalized_odds_diff_max
                    o_t = _diff_outcome(tpr.difference, thr)
                    o_f = _diff_outcome(fpr.difference, thr)
                    pick = fpr if OUTCOME_RANK[o_f] > OUTCOME_RANK[o_t] else tpr
                    pt = None if tpr.difference.value is None else _pvalues(
                        tpr.difference.value, rep("tpr", "difference", row.group), -thr, thr,
                        log=False)
                    pf = None if fpr.difference.value is None else _pvalues(
                        fpr.difference.value, rep("fpr", "difference", row.group), -thr, thr,
                        log=False)
                    pv = None
                    if pt is not None and pf is not None:
                        # beyond if either rate is beyond (Bonferroni over the two);
                        # within only if both are within (intersection-union test)
                        pv = (min(1.0, 2 * min(pt[0], pf[0])), max(pt[1], pf[1]))
                    add("equalized_odds", pick.metric, "difference", pick.difference, thr,
                        worst([o_t, o_f]), pv)
            else:
                ratio_check("mean_prediction", "mean_prediction", p.mean_prediction_ratio_min)
                ratio_check("mae", "mae", 1 / p.mae_ratio_max)
        if task == "binary":
            for row in (g for g in t.groups if g.status == "ok"):
                cal = row.metrics.get("calibration_gap")
                if cal is None:
                    continue
                thr = p.calibration_gap_max
                pv = None if cal.value is None else _pvalues(
                    cal.value, rep("calibration_gap", "level", row.group), -thr, thr, log=False)
                pending.append(_Pending(
                    "calibration", t.attribute, row.group, t.reference, "calibration_gap",
                    "level", cal, thr, _diff_outcome(cal, thr), pv))

    checks = _decide(pending, p)
    outcomes: dict[str, dict[str, Outcome]] = {}
    for c in checks:
        per = outcomes.setdefault(c.attribute, {})
        per[c.criterion] = worst([per.get(c.criterion, "not_applicable"), c.outcome])
    findings: list[Finding] = []
    for crit, check in CRITERION_CHECKS.items():
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
            findings.append(finding(check, o,
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
    return Verdict(verdict, tuple(reasons), tuple(checks), outcomes, policy,
                   _method(policy, bool(replicates))), tuple(findings)


def _method(policy: Policy, have_replicates: bool) -> str:
    conf = f"{1 - policy.alpha:.0%}"
    if policy.multiple_testing == "holm" and have_replicates:
        return (f"Each check is two one-sided tests at level {policy.alpha / 2:g} (gap beyond the "
                "limit; gap within it), using the bootstrap standard error (ratios on the log "
                "scale), with Holm's correction across the groups of each attribute, so judging "
                "many groups does not inflate the chance of a false PASS or FAIL.")
    return (f"Each check compares the {conf} interval with the limit: pass when the whole "
            "interval is inside, fail when it is wholly outside. No correction for the number of "
            "groups was applied.")


def _decide(pending: list[_Pending], policy: Policy) -> list[CheckResult]:
    """Turn pending checks into outcomes, with Holm's correction per attribute and criterion."""
    out: list[CheckResult | None] = [None] * len(pending)
    families: dict[tuple[str, str], list[int]] = {}
    for i, c in enumerate(pending):
        families.setdefault((c.attribute, c.crit), []).append(i)
    side = policy.alpha / 2
    for members in families.values():
        use_holm = policy.multiple_testing == "holm" and all(
            pending[i].pvals is not None for i in members)
        if not use_holm:
            for i in members:
                c = pending[i]
                out[i] = CheckResult(c.crit, c.attribute, c.group, c.reference, c.metric,
                                     c.kind, c.estimate, c.threshold, c.ci_outcome)  # type: ignore[arg-type]
            continue
        p_beyond = [pending[i].pvals[0] for i in members]  # type: ignore[index]
        p_within = [pending[i].pvals[1] for i in members]  # type: ignore[index]
        fail = holm(p_beyond, side)
        ok = holm(p_within, side)
        for k, i in enumerate(members):
            c = pending[i]
            outcome: Outcome = "fail" if fail[k] else ("pass" if ok[k] else "review")
            out[i] = CheckResult(c.crit, c.attribute, c.group, c.reference, c.metric,
                                 c.kind, c.estimate, c.threshold,  # type: ignore[arg-type]
                                 outcome,
                                 round(p_beyond[k], 6), round(p_within[k], 6))
    return [c for c in out if c is not None]






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
    from pathlib import Path

    from .._config import read_toml
    from .._errors import ConfigError

    p = Path(path)
    raw = read_toml(p, "policy", "--policy")
    values: dict[str, float | str] = {}
    for key, value in raw.items():
        if key not in POLICY_FIELDS:
            close = difflib.get_close_matches(key, POLICY_FIELDS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "see `audit policy show`"
            raise ConfigError(f"policy file '{p}': unknown key '{key}' - {hint}")
        if key == "multiple_testing":
            if value not in ("holm", "none"):
                raise ConfigError(f"policy file '{p}': multiple_testing must be 'holm' or "
                                  f"'none', found {value!r}")
            values[key] = value
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"policy file '{p}': '{key}' must be a positive number, "
                              f"found {value!r}")
        values[key] = float(value)
    pol = Policy(**values)  # type: ignore[arg-type]
    if pol.alpha >= 1:
        raise ConfigError(f"policy file '{p}': alpha must be below 1, found {pol.alpha}")
    if pol.selection_rate_ratio_min > 1 or pol.mean_prediction_ratio_min > 1:
        raise ConfigError(f"policy file '{p}': ratio minimums must be at most 1")
    return pol
