"""The short plain-text summary printed by ``audit run`` on stderr.

Every line goes through :func:`~audit._words.text.printable`, as does everything else
the CLI prints that holds data (group labels, column, feature and file names, messages
quoting them): a label cannot start a new line, move the cursor, clear a line or
reverse the text, so the ``Verdict:`` line that ends every run cannot be forged.
"""

from __future__ import annotations

from .._result.audit import AuditResult
from .._words.report import outcome_meaning
from .._words.text import printable
from .format import count
from .sections.fairness import notable_gaps
from .sections.summary import check_counts, headlines, positive_line

__all__ = ["printable", "summary_lines"]


def summary_lines(result: AuditResult, max_gaps: int = 5) -> list[str]:
    """Lines describing what was inferred, the headline gaps and the findings.

    Each line is :func:`printable`: data values in it cannot break it.
    """
    return [printable(line) for line in _lines(result, max_gaps)]


def _lines(result: AuditResult, max_gaps: int) -> list[str]:
    """The summary's lines as worded (data values not yet made printable)."""
    s = result.spec
    task = "binary classification" if s.task == "binary" else "regression"
    lines = [f"Model: {result.provenance.model_name} ({task}), {count(s.n_rows)} rows audited"]
    if result.provenance.trusted_types:
        lines.append(f"Model file types trusted when loading (skops): "
                     f"{', '.join(result.provenance.trusted_types)}")
    if s.target:
        pos = (f"; {outcome_meaning(s.positive_label, s.positive_is)}"
               if s.positive_label is not None else "")
        lines.append(f"Target: '{s.target}' ({s.target_how}){pos}")
        if positive_line(result):
            lines.append(f"Read first: {positive_line(result)}")
    else:
        lines.append(f"Target: none - {s.target_how}")
    lines.append(f"Decisions: {s.prediction_source}")
    if s.features:
        shown = ", ".join(s.features[:8]) + (" ..." if len(s.features) > 8 else "")
        lines.append(f"Features ({len(s.features)}): {shown}")
    lines.append("Protected attributes:")
    for p in s.protected:
        extra = " [model input]" if p.is_model_input else ""
        merged = "".join(f"; {k} = {', '.join(v[:6])}{' ...' if len(v) > 6 else ''}"
                         for k, v in p.merged.items())
        lines.append(f"  {p.name}: column '{p.columns[0]}' ({p.how_found}), "
                     f"{len(p.groups)} groups, reference {p.reference}{extra}{merged}")
    for note in s.notes:
        lines.append(f"Note: {note}")
    gaps = notable_gaps(result)
    if result.verdict.checks:
        lines.append(f"Checks: {check_counts(result)}")
    if gaps:
        lines.append("Headline gaps (fails, then material reviews, most material first):")
        top = headlines(result, max_gaps)
        for g in top:
            lines.append(f"  [{g.outcome.upper()}] {g.attribute}: {g.text}")
        if len(gaps) > len(top):
            lines.append(f"  ... and {len(gaps) - len(top)} more in the report")
    else:
        lines.append("Headline gaps: none beyond the policy thresholds.")
    data = [f for f in result.findings
            if f.code.startswith(("DATA", "SPEC", "PROXY", "EXPL"))
            and f.outcome not in ("pass", "not_applicable")]
    for f in data:
        subject = f" ({f.subject})" if f.code.startswith("PROXY") else ""
        lines.append(f"{f.code} {f.title}{subject}: {f.message}")
    if result.complexity is not None:
        lines.append(f"Interpretability: {result.complexity.verdict}")
    for section, why in result.skipped.items():
        lines.append(f"Not run - {section}: {why}")
    return lines
