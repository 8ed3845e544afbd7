"""Compare two audits of the same model family: what changed, in plain words."""

from __future__ import annotations

from ._result.audit import AuditResult
from ._result.diff import AuditDiff, Change
from ._result.findings import OUTCOME_RANK, VERDICT_RANK, Outcome
from ._result.tables import AttributeTable, Estimate
from ._words import diff as words

#: Metrics whose gaps are compared.
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
    changes = [*_verdict_changes(old, new), *_input_changes(old, new), *_check_changes(old, new),
               *_group_changes(old, new), *_gap_changes(old, new), *_driver_changes(old, new),
               *_data_changes(old, new)]
    changes.sort(key=lambda c: (_AREA_ORDER[c.area], c.direction != "worse"))
    return AuditDiff(old.verdict.verdict, new.verdict.verdict, tuple(changes), old_label, new_label)


_AREA_ORDER = {"verdict": 0, "check": 1, "groups": 2, "gap": 3, "drivers": 4, "inputs": 5,
               "data": 6}


def _verdict_changes(old: AuditResult, new: AuditResult) -> list[Change]:
    ov, nv = old.verdict.verdict, new.verdict.verdict
    if ov == nv:
        return []
    d = "better" if VERDICT_RANK[nv] < VERDICT_RANK[ov] else "worse"
    return [Change("verdict", "overall", ov, nv, d, words.verdict_changed(ov, nv))]


def _input_changes(old: AuditResult, new: AuditResult) -> list[Change]:
    """Input files with another fingerprint, and another number of rows."""
    out = []
    old_files = {f.role: f for f in old.provenance.files}
    for f in new.provenance.files:
        was = old_files.get(f.role)
        if was is not None and was.sha256 != f.sha256:
            out.append(Change("inputs", f.role, was.sha256[:12], f.sha256[:12], "changed",
                              words.file_changed(f.role, was.path, f.path)))
    if old.spec.n_rows != new.spec.n_rows:
        out.append(Change("data", "rows", str(old.spec.n_rows), str(new.spec.n_rows), "changed",
                          words.rows_changed(old.spec.n_rows, new.spec.n_rows)))
    return out


def _check_changes(old: AuditResult, new: AuditResult) -> list[Change]:
    """Per-criterion outcomes that changed, and attributes audited only in one of the two."""
    out = []
    for attr, crits in new.verdict.criterion_outcomes.items():
        before = old.verdict.criterion_outcomes.get(attr)
        if before is None:
            out.append(Change("check", attr, "", "", "new", words.attribute_new(attr)))
            continue
        for crit, now in crits.items():
            was = before.get(crit, "not_applicable")
            if was != now:
                d = "better" if OUTCOME_RANK[now] < OUTCOME_RANK[was] else "worse"
                out.append(Change("check", words.check_subject(attr, crit), was, now, d,
                                  words.check_changed(attr, crit, was, now)))
    out.extend(Change("check", attr, "", "", "gone", words.attribute_gone(attr))
               for attr in old.verdict.criterion_outcomes
               if attr not in new.verdict.criterion_outcomes)
    return out


def _group_changes(old: AuditResult, new: AuditResult) -> list[Change]:
    """Groups present in one audit and not the other, and a changed reference group.

    Without this a renamed group (Black -> African American) is silently left out of
    every comparison. Intersections are not listed: their groups follow from the
    attributes' own.
    """
    out = []
    old_tables = {t.attribute: t for t in old.fairness if t.family != "intersection"}
    for t in new.fairness:
        ot = old_tables.get(t.attribute)
        if ot is None:
            continue  # a whole attribute new or gone is a check change
        was = {r.group: r.n for r in ot.groups}
        now = {r.group: r.n for r in t.groups}
        gone = [g for g in was if g not in now]
        added = [g for g in now if g not in was]
        for g in gone:
            twin = [a for a in added if now[a] == was[g]]
            out.append(Change("groups", f"{t.attribute}: {g}", g, "", "gone",
                              words.group_gone(t.attribute, g, was[g], twin)))
        for g in added:
            out.append(Change("groups", f"{t.attribute}: {g}", "", g, "new",
                              words.group_new(t.attribute, g, now[g])))
        if ot.reference != t.reference:
            out.append(Change("groups", f"{t.attribute}: reference group", ot.reference,
                              t.reference, "changed",
                              words.reference_changed(t.attribute, ot.reference, t.reference)))
    return out


def _gap_changes(old: AuditResult, new: AuditResult) -> list[Change]:
    """Gaps that moved beyond their uncertainty, and group shares that shifted (ageing data)."""
    out = []
    old_tables = {t.attribute: t for t in old.fairness}
    for t in new.fairness:
        ot = old_tables.get(t.attribute)
        if ot is None or ot.reference != t.reference:
            continue
        out.extend(_moved_gaps(ot, t))
        old_rows = {r.group: r for r in ot.groups}
        for r in t.groups:
            o_row = old_rows.get(r.group)
            if o_row is not None and abs(r.share - o_row.share) >= 0.05:
                out.append(Change("data", f"{t.attribute}: {r.group}", f"{o_row.share:.1%}",
                                  f"{r.share:.1%}", "changed",
                                  words.share_shifted(t.attribute, r.group, o_row.share, r.share)))
    return out


def _moved_gaps(old_table: AttributeTable, table: AttributeTable) -> list[Change]:
    out = []
    old_gaps = {(g.metric, g.group): g for g in old_table.gaps}
    for g in table.gaps:
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
        out.append(Change("gap", f"{table.attribute}: {g.group} vs {g.reference}", _fmt(a), _fmt(b),
                          d, words.gap_moved(table.attribute, g.group, g.reference, g.metric,
                                             kind, _fmt(a), _fmt(b))))
    return out


def _driver_changes(old: AuditResult, new: AuditResult) -> list[Change]:
    """What drives the model and each of its gaps."""
    if old.explanation is None or new.explanation is None:
        return []
    out = []
    top_old = [f.feature for f in old.explanation.global_importance[:3]]
    top_new = [f.feature for f in new.explanation.global_importance[:3]]
    if top_old != top_new:
        out.append(Change("drivers", "model overall", ", ".join(top_old), ", ".join(top_new),
                          "changed", words.top_features_changed(top_old, top_new)))
    old_decomp = {(d.attribute, d.group): d for d in old.explanation.gaps}
    for dec in new.explanation.gaps:
        prior = old_decomp.get((dec.attribute, dec.group))
        if prior is None or not dec.contributions or not prior.contributions:
            continue
        was_top, now_top = prior.contributions[0].feature, dec.contributions[0].feature
        if was_top != now_top:
            out.append(Change(
                "drivers", f"{dec.attribute}: {dec.group} vs {dec.reference}", was_top, now_top,
                "changed", words.gap_driver_changed(dec.attribute, dec.group, dec.reference,
                                                    was_top, now_top)))
    return out


def _data_changes(old: AuditResult, new: AuditResult) -> list[Change]:
    """Data and input findings whose outcome changed."""
    def keyed(res: AuditResult) -> dict[tuple[str, str], Outcome]:
        return {(f.code, f.subject): f.outcome for f in res.findings
                if f.code.startswith(("DATA", "SPEC"))}

    out = []
    ok, nk = keyed(old), keyed(new)
    titles = {f.code: f.title for f in (*old.findings, *new.findings)}
    for key in sorted(set(ok) | set(nk)):
        before_o: Outcome = ok.get(key, "pass")
        now_o: Outcome = nk.get(key, "pass")
        if before_o != now_o:
            d = "better" if OUTCOME_RANK[now_o] < OUTCOME_RANK[before_o] else "worse"
            subject = f"{key[0]} {titles.get(key[0], '')}" + (f" ({key[1]})" if key[1] else "")
            out.append(Change("data", subject, before_o, now_o, d,
                              words.data_check_changed(subject, before_o, now_o)))
    return out
