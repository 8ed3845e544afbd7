"""Policy thresholds + confidence intervals -> PASS / REVIEW / UNDECIDED / FAIL with reasons.

A check passes only when its whole 95% interval is inside the threshold, fails
when the whole interval is outside, and needs review when the interval
straddles the threshold; a check with no interval (no resamples, or none that
can be trusted) is insufficient evidence, never judged on its point.  With bootstrap
replicates and ``policy.multiple_testing == "holm"``, each check is instead two
one-sided tests with Holm's correction across the groups of an attribute.

No PASS without evidence: a check is *judged* when its outcome is pass, review or
fail; an attribute is judged when at least one comparison between two of its groups
is (a calibration check of one group compares nothing).  When nothing fails and no
check is judged at all, or a protected attribute (not a pair of attributes) is not
judged, the verdict is UNDECIDED, and a ``FAIR008`` finding names each such attribute.

:func:`evaluate` runs the steps in order: collect the pending checks of each
attribute table, decide them (:func:`_decide`), combine them per attribute and
criterion, word the findings (:mod:`audit._words.fairness`) and name the overall verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .._result.checks import CRITERION_CHECKS, NOT_JUDGED, SMALL_GROUPS
from .._result.findings import OUTCOME_RANK, Check, Finding, finding, worst
from .._result.tables import AttributeTable, Estimate, GapRow, GroupRow
from .._result.verdict import (
    DECISIONS,
    CheckResult,
    Outcome,
    Policy,
    Verdict,
    VerdictName,
    decision_of,
    gap_size,
    materiality,
)
from .._words import fairness as words
from .._words import verdict as vwords

Replicates = dict[tuple[str, str], np.ndarray]
PValues = tuple[float, float]  # (p_beyond, p_within), see _pvalues

#: Outcomes that are a judgement, one way or the other (evidence for the verdict).
JUDGED: frozenset[Outcome] = frozenset({"pass", "review", "fail"})


# --------------------------------------------------------------------------- one check


def _ratio_outcome(e: Estimate, lo_t: float) -> Outcome:
    """Outcome of a ratio whose interval must lie within ``[lo_t, 1 / lo_t]``.

    Without an interval there is no evidence either way: insufficient evidence.
    """
    hi_t = 1.0 / lo_t
    if e.value is None or e.lo is None or e.hi is None:
        return "insufficient_evidence"
    lo, hi = e.lo, e.hi
    if lo >= lo_t and hi <= hi_t:
        return "pass"
    if hi < lo_t or lo > hi_t:
        return "fail"
    return "review"


def _diff_outcome(e: Estimate, t: float) -> Outcome:
    """Outcome of a difference whose interval must lie within ``[-t, t]`` (none: insufficient)."""
    if e.value is None or e.lo is None or e.hi is None:
        return "insufficient_evidence"
    lo, hi = e.lo, e.hi
    if lo >= -t and hi <= t:
        return "pass"
    if lo > t or hi < -t:
        return "fail"
    return "review"


def _gap(table: AttributeTable, metric: str, group: str) -> GapRow | None:
    """The gap row of ``group`` on ``metric``, if the table has one."""
    return next((g for g in table.gaps if g.metric == metric and g.group == group), None)


def _pvalues(point: float, reps: np.ndarray | None, lo: float, hi: float, log: bool
             ) -> PValues | None:
    """Bootstrap-SE (Wald) p-values for "the gap is beyond [lo, hi]" and "... within [lo, hi]".

    Returns ``(p_beyond, p_within)``: small ``p_beyond`` is evidence that the true
    gap lies outside the limits, small ``p_within`` that it lies inside (two one-
    sided tests). Ratios are tested on the log scale. Normal p-values, unlike
    counting replicates, are not floored at 1/(B+1), so Holm can work with many groups.
    """
    from statistics import NormalDist

    se = _wald_se(point, reps, log)
    if se is None:
        return None
    if log:
        point, lo, hi = math.log(point), math.log(lo), math.log(hi)
    if se <= 0:
        inside = lo <= point <= hi
        return (1.0, 0.0) if inside else (0.0, 1.0)
    cdf = NormalDist().cdf
    outside_by = max(lo - point, point - hi)  # > 0 when the point is beyond a limit
    inside_by = min(point - lo, hi - point)  # > 0 when the point is inside both limits
    return cdf(-outside_by / se), cdf(-inside_by / se)


def _wald_se(point: float, reps: np.ndarray | None, log: bool) -> float | None:
    """The bootstrap standard error :func:`_pvalues` tests with (log scale for ratios)."""
    if reps is None:
        return None
    r = reps[np.isfinite(reps)]
    if log:
        r = r[r > 0]
        if point <= 0:
            return None
        r = np.log(r)
    if len(r) < 10:
        return None
    return float(np.std(r, ddof=1))


def holm_factors(pvalues: Sequence[float]) -> list[float]:
    """Per hypothesis, the factor ``k`` with Holm-adjusted p-value ``= k * p`` (``k >= 1``).

    Hypothesis ``i`` is rejected at family level ``a`` exactly when ``p_i <= a / k_i``,
    so a Wald interval at one-sided level ``a / k_i`` decides as Holm does.

    >>> holm_factors([0.01, 0.04, 0.03])
    [3.0, 1.5, 2.0]
    """
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    m = len(pvalues)
    factors = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * pvalues[i])
        factors[i] = running / pvalues[i] if pvalues[i] > 0 else float(m - rank)
    return factors


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


# --------------------------------------------------------------------------- step 1: collect


@dataclass
class _Pending:
    """A check with its interval outcome, waiting for the multiple-testing decision."""

    crit: str
    attribute: str
    group: str
    reference: str
    metric: str
    kind: str
    estimate: Estimate
    threshold: float
    ci_outcome: Outcome
    pvals: PValues | None
    se: float | None = None  # bootstrap SE on the test scale (log for ratios)
    beyond_tests: int = 1  # one-sided "beyond" tests combined by Bonferroni (2: equalized odds)


@dataclass
class _Collector:
    """Collects the pending checks of one attribute table."""

    table: AttributeTable
    reps: Replicates
    pending: list[_Pending] = field(default_factory=list)
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        """Column of each group in the replicate arrays."""
        self.index = {g.group: i for i, g in enumerate(self.table.groups)}

    def replicates(self, metric: str, kind: str, group: str) -> np.ndarray | None:
        """Bootstrap values of ``group``'s level, difference or ratio to the reference."""
        vb = self.reps.get((self.table.attribute, metric))
        if vb is None:
            return None
        g, ref = vb[:, self.index[group]], vb[:, self.index[self.table.reference]]
        if kind == "ratio":
            with np.errstate(divide="ignore", invalid="ignore"):
                return g / ref
        if kind == "difference":
            return g - ref
        return g

    def diff_pvalues(self, est: Estimate, metric: str, kind: str, group: str,
                     thr: float) -> PValues | None:
        """p-values of a difference (or level) against ``[-thr, thr]``."""
        if est.value is None:
            return None
        return _pvalues(est.value, self.replicates(metric, kind, group), -thr, thr, log=False)

    def add(self, crit: str, group: str, metric: str, kind: str, est: Estimate, thr: float,
            outcome: Outcome, pvals: PValues | None, beyond_tests: int = 1) -> None:
        """Queue one check, with the standard error its Wald tests use."""
        se = None if est.value is None else _wald_se(
            est.value, self.replicates(metric, kind, group), kind == "ratio")
        self.pending.append(_Pending(crit, self.table.attribute, group, self.table.reference,
                                     metric, kind, est, thr, outcome, pvals, se, beyond_tests))

    def ratio(self, crit: str, metric: str, group: str, thr: float) -> None:
        """Ratio to the reference must lie within ``[thr, 1 / thr]``."""
        gr = _gap(self.table, metric, group)
        if gr is None:
            return
        pv = None if gr.ratio.value is None else _pvalues(
            gr.ratio.value, self.replicates(metric, "ratio", group), thr, 1 / thr, log=True)
        self.add(crit, group, metric, "ratio", gr.ratio, thr, _ratio_outcome(gr.ratio, thr), pv)

    def diff(self, crit: str, metric: str, group: str, thr: float) -> None:
        """Difference to the reference must lie within ``[-thr, thr]``."""
        gr = _gap(self.table, metric, group)
        if gr is None:
            return
        pv = self.diff_pvalues(gr.difference, metric, "difference", group, thr)
        self.add(crit, group, metric, "difference", gr.difference, thr,
                 _diff_outcome(gr.difference, thr), pv)

    def equalized_odds(self, group: str, thr: float) -> None:
        """Both the TPR and the FPR differences must lie within ``[-thr, thr]``."""
        tpr, fpr = _gap(self.table, "tpr", group), _gap(self.table, "fpr", group)
        if tpr is None or fpr is None:
            return
        o_t = _diff_outcome(tpr.difference, thr)
        o_f = _diff_outcome(fpr.difference, thr)
        pick = fpr if OUTCOME_RANK[o_f] > OUTCOME_RANK[o_t] else tpr
        pt = self.diff_pvalues(tpr.difference, "tpr", "difference", group, thr)
        pf = self.diff_pvalues(fpr.difference, "fpr", "difference", group, thr)
        pv = None
        if pt is not None and pf is not None:
            # beyond if either rate is beyond (Bonferroni over the two);
            # within only if both are within (intersection-union test)
            pv = (min(1.0, 2 * min(pt[0], pf[0])), max(pt[1], pf[1]))
        self.add("equalized_odds", group, pick.metric, "difference", pick.difference, thr,
                 worst([o_t, o_f]), pv, beyond_tests=2)

    def calibration(self, row: GroupRow, thr: float) -> None:
        """A group's calibration gap (a level, not a gap to the reference) within ``thr``."""
        cal = row.metrics.get("calibration_gap")
        if cal is None:
            return
        pv = self.diff_pvalues(cal, "calibration_gap", "level", row.group, thr)
        self.add("calibration", row.group, "calibration_gap", "level", cal, thr,
                 _diff_outcome(cal, thr), pv)


def _pending_checks(t: AttributeTable, p: Policy, task: str, reps: Replicates
                    ) -> list[_Pending]:
    """Every check of one attribute table, with its interval outcome and p-values."""
    c = _Collector(t, reps)
    for row in (g for g in t.groups if g.status == "ok" and g.group != t.reference):
        if task == "binary":
            c.ratio("demographic_parity", "selection_rate", row.group, p.selection_rate_ratio_min)
            c.diff("equal_opportunity", "tpr", row.group, p.equal_opportunity_diff_max)
            c.diff("predictive_parity", "ppv", row.group, p.predictive_parity_diff_max)
            c.diff("accuracy", "accuracy", row.group, p.accuracy_diff_max)
            c.equalized_odds(row.group, p.equalized_odds_diff_max)
        else:
            c.ratio("mean_prediction", "mean_prediction", row.group, p.mean_prediction_ratio_min)
            c.ratio("mae", "mae", row.group, 1 / p.mae_ratio_max)
    if task == "binary":
        for row in (g for g in t.groups if g.status == "ok"):
            c.calibration(row, p.calibration_gap_max)
    return c.pending


# --------------------------------------------------------------------------- step 2: decide


def _wald_interval(c: _Pending, one_sided: float) -> Estimate | None:
    """``point -/+ z * se`` at one-sided level ``one_sided`` (back from the log for ratios)."""
    from statistics import NormalDist

    v = c.estimate.value
    if v is None or c.se is None:
        return None
    z = NormalDist().inv_cdf(1.0 - one_sided)
    if c.kind == "ratio":
        return Estimate(v, math.exp(math.log(v) - z * c.se), math.exp(math.log(v) + z * c.se))
    return Estimate(v, v - z * c.se, v + z * c.se)


def _decision_interval(c: _Pending, outcome: Outcome, side: float,
                       factors: tuple[float, float] | None) -> tuple[Estimate | None, float]:
    """The interval that decided ``c`` and its two-sided coverage.

    With Holm (``factors`` = the check's factors in the "beyond" and "within" families),
    the Wald interval at the corrected level of the test that decided: the "beyond" one
    for a fail, the "within" one for a pass, the stricter of the two for a review. So a
    fail's interval lies wholly beyond the limit, a pass's wholly inside, a review's
    across it. Without Holm, the check's own 95% interval decided.
    """
    if factors is None:
        return c.estimate, 1.0 - 2 * side
    k_beyond, k_within = factors[0] * c.beyond_tests, factors[1]
    k = {"fail": k_beyond, "pass": k_within}.get(outcome, max(k_beyond, k_within))
    return _wald_interval(c, side / k), 1.0 - 2 * side / k


def _check_result(c: _Pending, outcome: Outcome, side: float, pvals: PValues | None = None,
                  factors: tuple[float, float] | None = None) -> CheckResult:
    """The decided check with the interval that decided it and its materiality.

    p-values, interval ends and the coverage are rounded for the JSON.
    """
    interval, coverage = _decision_interval(c, outcome, side, factors)
    if interval is not None and factors is not None:
        interval = Estimate(interval.value, round(interval.lo, 6),  # type: ignore[arg-type]
                            round(interval.hi, 6))  # type: ignore[arg-type]
    # evidence before any correction (equalized odds: its Bonferroni over two rates undone)
    p_beyond = pvals[0] / c.beyond_tests if pvals is not None else _ci_p_beyond(c, side)
    return CheckResult(
        c.crit, c.attribute, c.group, c.reference, c.metric, c.kind,  # type: ignore[arg-type]
        c.estimate, c.threshold, outcome,
        None if pvals is None else round(pvals[0], 6),
        None if pvals is None else round(pvals[1], 6),
        decision=decision_of(outcome, c.kind, interval),
        decision_interval=interval,
        decision_confidence=round(coverage, 6),
        materiality=materiality(gap_size(c.kind, c.estimate.value, c.threshold), p_beyond),
    )


def _ci_p_beyond(c: _Pending, side: float) -> float | None:
    """Without replicates: "beyond" p-value with the SE read off the check's 95% interval."""
    from statistics import NormalDist

    e = c.estimate
    if e.value is None or e.lo is None or e.hi is None:
        return None
    lo_t, hi_t = (c.threshold, 1 / c.threshold) if c.kind == "ratio" else (-c.threshold,
                                                                            c.threshold)
    point, lo, hi = e.value, e.lo, e.hi
    if c.kind == "ratio":
        if min(point, lo, hi) <= 0:
            return None
        point, lo, hi, lo_t, hi_t = (math.log(x) for x in (point, lo, hi, lo_t, hi_t))
    se = (hi - lo) / (2 * NormalDist().inv_cdf(1.0 - side))
    outside_by = max(lo_t - point, point - hi_t)
    if se <= 0:
        return 0.0 if outside_by > 0 else 1.0
    return NormalDist().cdf(-outside_by / se)


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
                out[i] = _check_result(pending[i], pending[i].ci_outcome, side)
            continue
        p_beyond = [pending[i].pvals[0] for i in members]  # type: ignore[index]
        p_within = [pending[i].pvals[1] for i in members]  # type: ignore[index]
        fail = holm(p_beyond, side)
        ok = holm(p_within, side)
        k_beyond, k_within = holm_factors(p_beyond), holm_factors(p_within)
        for k, i in enumerate(members):
            outcome: Outcome = "fail" if fail[k] else ("pass" if ok[k] else "review")
            out[i] = _check_result(pending[i], outcome, side, (p_beyond[k], p_within[k]),
                                   (k_beyond[k], k_within[k]))
    return [c for c in out if c is not None]


# --------------------------------------------------------------------------- steps 3-5


def _attribute_outcomes(checks: Sequence[CheckResult]) -> dict[str, dict[str, Outcome]]:
    """Worst outcome per attribute and criterion."""
    outcomes: dict[str, dict[str, Outcome]] = {}
    for c in checks:
        per = outcomes.setdefault(c.attribute, {})
        per[c.criterion] = worst([per.get(c.criterion, "not_applicable"), c.outcome])
    return outcomes


def judged_attributes(checks: Sequence[CheckResult]) -> set[str]:
    """Attributes with at least one judged comparison between groups (not a level check)."""
    return {c.attribute for c in checks if c.kind != "level" and c.outcome in JUDGED}


def _not_judged_finding(t: AttributeTable) -> Finding:
    """The FAIR008 finding of an attribute with no judged comparison, saying why."""
    comparable = sum(g.status == "ok" for g in t.groups)
    return finding(NOT_JUDGED, "insufficient_evidence",
                   words.not_judged_message(t.attribute, len(t.groups), comparable),
                   subject=t.attribute)


def _criterion_finding(check: Check, attribute: str, mine: list[CheckResult],
                       o: Outcome) -> Finding:
    """One criterion's finding on one attribute: the groups with the worst outcome, the most
    material gap with its size, and the checks counted by decision (in ``details``)."""
    groups = sorted({c.group for c in mine if c.outcome == o})
    message = words.criterion_message(attribute, o, groups)
    told = [c for c in mine if c.decision in ("fail", "review")]
    if o in ("fail", "review") and told:
        top = max(told, key=lambda c: (c.decision == "fail", c.materiality or 0.0))
        message += " " + vwords.largest_gap(top.group, top.kind, top.metric,
                                            top.estimate.value, top.reference)
    counts: dict[str, str] = {d: str(sum(c.decision == d for c in mine)) for d in DECISIONS}
    if o == "review":
        counts["decision"] = "review" if any(c.decision == "review" for c in mine) \
            else "undecided"
    return finding(check, o, message, subject=attribute, details=counts)


def _findings(tables: Sequence[AttributeTable], checks: Sequence[CheckResult],
              outcomes: dict[str, dict[str, Outcome]]) -> list[Finding]:
    """One finding per criterion and attribute, one per attribute with small groups, then
    one per attribute with no judged comparison."""
    findings: list[Finding] = []
    for crit, check in CRITERION_CHECKS.items():
        for t in tables:
            mine = [c for c in checks if c.attribute == t.attribute and c.criterion == crit]
            if not mine:
                continue
            findings.append(_criterion_finding(check, t.attribute, mine,
                                               outcomes[t.attribute][crit]))
    for t in tables:
        small = [(g.group, g.n) for g in t.groups if g.status != "ok"]
        if small:
            findings.append(finding(SMALL_GROUPS, "insufficient_evidence",
                                    words.small_groups_message(t.attribute, small),
                                    subject=t.attribute))
    judged = judged_attributes(checks)
    findings.extend(_not_judged_finding(t) for t in tables if t.attribute not in judged)
    return findings


def _undecided(tables: Sequence[AttributeTable], checks: Sequence[CheckResult]) -> bool:
    """No judged check at all, or a protected attribute (not a pair) with none."""
    judged = judged_attributes(checks)
    return not judged or any(t.attribute not in judged for t in tables
                             if t.family != "intersection")


def _overall(findings: Sequence[Finding], undecided: bool) -> tuple[VerdictName, list[str]]:
    """FAIL if any fairness finding fails, UNDECIDED without enough evidence, REVIEW if any
    finding needs review, else PASS; with codes."""
    fair = [f for f in findings if f.code.startswith("FAIR")
            and f.code not in (SMALL_GROUPS.code, NOT_JUDGED.code)]
    if any(f.outcome == "fail" for f in fair):
        return "FAIL", sorted({f.code for f in fair if f.outcome == "fail"})
    if undecided:
        return "UNDECIDED", [NOT_JUDGED.code]
    if any(f.outcome == "review" for f in fair):
        return "REVIEW", sorted({f.code for f in fair if f.outcome == "review"})
    return "PASS", []


def evaluate(tables: Sequence[AttributeTable], policy: Policy, task: str,
             replicates: Replicates | None = None) -> tuple[Verdict, tuple[Finding, ...]]:
    """Judge every attribute table against ``policy``.

    With bootstrap ``replicates`` (from ``fairness_tables(..., replicates=...)``)
    and ``policy.multiple_testing == "holm"``, each check's decision uses
    bootstrap p-values with Holm's correction across the groups of an
    attribute; otherwise the 95% intervals decide directly.
    """
    reps = replicates or {}
    pending = [c for t in tables for c in _pending_checks(t, policy, task, reps)]
    checks = _decide(pending, policy)
    outcomes = _attribute_outcomes(checks)
    findings = _findings(tables, checks, outcomes)
    verdict, reasons = _overall(findings, _undecided(tables, checks))
    method = words.method_sentence(policy.alpha,
                                   policy.multiple_testing == "holm" and bool(replicates),
                                   undecided=verdict == "UNDECIDED")
    return Verdict(verdict, tuple(reasons), tuple(checks), outcomes, policy,
                   method, vwords.rules()), tuple(findings)
