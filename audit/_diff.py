"""Compare two audits of the same model family: what changed, in plain words."""

from __future__ import annotations

from ._result.audit import AuditResult
from ._result.diff import AuditDiff, Change
from ._result.findings import OUTCOME_RANK, VERDICT_RANK
from ._result.tables import Estimate

TRACKED = ("selection_rate", "tpr", "fpr", "ppv", "accuracy", "mean_prediction", "mae")






def _fmt(e: Estimate | None, digits: int = 2) -> str:
    if e is None or e.value is None:
        return "undefined"
    ci = f" ({e.lo:.{digits}f}–{e.hi:.{digits}f})" if e.lo is not None and e.hi is not None else ""
    return f"{e.value:.{digits}f}{ci}"


def _separated(a: Estimate, b: Estimate) -> bool:
    """True when the two 95% intervals do not overlap (a change beyond the noise)."""
    if None in (a.lo, a.hi, b.lo, b.hi):
        return a.value != b.value
    return bool(a.hi < b.lo or b.hi < a.lo)  # type: ignore[operator]


def diff_results(old: AuditResult, new: AuditResult, old_label: str = "old",
                 new_label: str = "new") -> AuditDiff:
    """Everything that changed from ``old`` to ``new`` that a reviewer should see."""
    changes: list[Change] = []
    ov, nv = old.verdict.verdict, new.verdict.verdict
    if ov != nv:
        d = "better" if VERDICT_RANK[nv] < VERDICT_RANK[ov] else "worse"
        changes.append(Change("verdict", "overall", ov, nv, d,
                              f"The overall verdict changed from {ov} to {nv}."))
    # inputs
    old_files = {f.role: f for f in old.provenance.files}
    for f in new.provenance.files:
        old_file = old_files.get(f.role)
        if old_file is not None and old_file.sha256 != f.sha256:
            changes.append(Change("inputs", f.role, old_file.sha256[:12], f.sha256[:12], "changed",
                                  f"The {f.role} file is different ({old_file.path} → {f.path})."))
    if old.spec.n_rows != new.spec.n_rows:
        changes.append(Change("data", "rows", str(old.spec.n_rows), str(new.spec.n_rows),
                              "changed", f"The audit covers {new.spec.n_rows:,} rows, "
                              f"against {old.spec.n_rows:,} before."))
    # per-criterion outcomes
    for attr, crits in new.verdict.criterion_outcomes.items():
        before = old.verdict.criterion_outcomes.get(attr)
        if before is None:
            changes.append(Change("check", attr, "", "", "new",
                                  f"{attr} is audited now but was not before."))
            continue
        for crit, out in crits.items():
            was = before.get(crit, "not_applicable")
            if was != out:
                d = "better" if OUTCOME_RANK[out] < OUTCOME_RANK[was] else "worse"
                changes.append(Change(
                    "check", f"{attr}: {crit.replace('_', ' ')}", was, out, d,
                    f"For {attr}, the {crit.replace('_', ' ')} check went from "
                    f"{was.replace('_', ' ')} to {out.replace('_', ' ')}."))
    for attr in old.verdict.criterion_outcomes:
        if attr not in new.verdict.criterion_outcomes:
            changes.append(Change("check", attr, "", "", "gone",
                                  f"{attr} was audited before but not now."))
    # gaps that moved beyond their uncertainty
    old_tables = {t.attribute: t for t in old.fairness}
    for t in new.fairness:
        ot = old_tables.get(t.attribute)
        if ot is None or ot.reference != t.reference:
            continue
        old_gaps = {(g.metric, g.group): g for g in ot.gaps}
        for g in t.gaps:
            o = old_gaps.get((g.metric, g.group))
            if o is None or g.metric not in TRACKED:
                continue
            use_ratio = g.metric in ("selection_rate", "mean_prediction", "mae")
            a, b = (o.ratio, g.ratio) if use_ratio else (o.difference, g.difference)
            if a.value is None or b.value is None or not _separated(a, b):
                continue
            target = 1.0 if use_ratio else 0.0
            d = "better" if abs(b.value - target) < abs(a.value - target) else "worse"
            kind = "ratio" if use_ratio else "difference"
            changes.append(Change(
                "gap", f"{t.attribute}: {g.group} vs {g.reference}", _fmt(a), _fmt(b), d,
                f"{t.attribute}, {g.group} vs {g.reference}: the {g.metric.replace('_', ' ')} "
                f"{kind} moved from {_fmt(a)} to {_fmt(b)}, beyond the uncertainty of either."))
        # group sizes that shifted (ageing data)
        old_rows = {r.group: r for r in ot.groups}
        for r in t.groups:
            o_row = old_rows.get(r.group)
            if o_row is not None and abs(r.share - o_row.share) >= 0.05:
                changes.append(Change(
                    "data", f"{t.attribute}: {r.group}", f"{o_row.share:.1%}", f"{r.share:.1%}",
                    "changed", f"{r.group} made up {o_row.share:.1%} of the {t.attribute} data "
                    f"before and {r.share:.1%} now."))
    # what drives the model and its gaps
    if old.explanation is not None and new.explanation is not None:
        top_old = [f.feature for f in old.explanation.global_importance[:3]]
        top_new = [f.feature for f in new.explanation.global_importance[:3]]
        if top_old != top_new:
            changes.append(Change("drivers", "model overall", ", ".join(top_old),
                                  ", ".join(top_new), "changed",
                                  f"The inputs the model leans on most changed from "
                                  f"{', '.join(top_old)} to {', '.join(top_new)}."))
        old_decomp = {(d.attribute, d.group): d for d in old.explanation.gaps}
        for dec in new.explanation.gaps:
            prior = old_decomp.get((dec.attribute, dec.group))
            if prior is None or not dec.contributions or not prior.contributions:
                continue
            was_top, now_top = prior.contributions[0].feature, dec.contributions[0].feature
            if was_top != now_top:
                changes.append(Change(
                    "drivers", f"{dec.attribute}: {dec.group} vs {dec.reference}", was_top,
                    now_top, "changed",
                    f"The main driver of the gap between {dec.group} and {dec.reference} "
                    f"({dec.attribute}) changed from {was_top} to {now_top}."))
    # data findings
    def keyed(res: AuditResult) -> dict[tuple[str, str], str]:
        return {(f.code, f.subject): f.outcome for f in res.findings
                if f.code.startswith(("DATA", "SPEC"))}

    ok, nk = keyed(old), keyed(new)
    titles = {f.code: f.title for f in (*old.findings, *new.findings)}
    for key in sorted(set(ok) | set(nk)):
        before_o, now_o = ok.get(key, "pass"), nk.get(key, "pass")
        if before_o != now_o:
            d = "better" if OUTCOME_RANK.get(now_o, 0) < OUTCOME_RANK.get(before_o, 0) else "worse"
            subject = f"{key[0]} {titles.get(key[0], '')}" + (f" ({key[1]})" if key[1] else "")
            changes.append(Change("data", subject, before_o, now_o, d,
                                  f"Data check {subject}: {before_o.replace('_', ' ')} → "
                                  f"{now_o.replace('_', ' ')}."))
    order = {"verdict": 0, "check": 1, "gap": 2, "drivers": 3, "inputs": 4, "data": 5}
    changes.sort(key=lambda c: (order[c.area], c.direction != "worse"))
    return AuditDiff(ov, nv, tuple(changes), old_label, new_label)
