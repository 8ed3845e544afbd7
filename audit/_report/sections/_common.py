"""Small look-ups every section needs: the configured words, tables, group names."""

from __future__ import annotations

from ..._result.audit import AuditResult
from ..._result.checks import CRITERION_CHECKS
from ..._result.metrics import CRITERIA
from ..._result.tables import AttributeTable
from ..._words.fairness import DEFAULT_VERB, outcome_words
from ..._words.report import not_run, people


def words(result: AuditResult) -> tuple[str, str]:
    """The outcome verb ('approved'; 'flagged' for a harmful positive unless configured)
    and the subject noun ('applicants')."""
    cfg = result.provenance.config
    positive_is = getattr(result.spec, "positive_is", None)
    verb = outcome_words(positive_is, cfg.get("outcome_verb", DEFAULT_VERB)).verb
    return verb, cfg.get("subject_noun", "people")


def why_not_run(result: AuditResult, *keys: str) -> str:
    """One plain sentence saying why a section did not run (first reason found)."""
    return not_run(next((result.skipped[k] for k in keys if result.skipped.get(k)), None))


def table_of(result: AuditResult, attribute: str) -> AttributeTable | None:
    """The fairness table of ``attribute`` (None when there is none)."""
    return next((t for t in result.fairness if t.attribute == attribute), None)


def who(result: AuditResult, attribute: str, group: str) -> str:
    """Plain name of a group's people ('Black applicants', 'women')."""
    _, noun = words(result)
    t = table_of(result, attribute)
    family = t.family if t is not None else "other"
    return people(family, group, noun, attribute)


def criterion_title(key: str) -> str:
    """The title of a criterion's check, else its label, else the key in words."""
    check = CRITERION_CHECKS.get(key)
    if check is not None:
        return check.title
    crit = CRITERIA.get(key)
    return crit.label if crit is not None else key.replace("_", " ")
