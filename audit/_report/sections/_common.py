"""Small look-ups every section needs: the configured words, tables, group names."""

from __future__ import annotations

from ..._result.audit import AuditResult
from ..._result.checks import CRITERION_CHECKS
from ..._result.findings import title_of
from ..._result.metrics import CRITERIA
from ..._result.tables import AttributeTable
from ..._words.fairness import DEFAULT_VERB, OutcomeWords, outcome_words, worded_title
from ..._words.report import not_run, people


def outcome_words_of(result: AuditResult) -> OutcomeWords:
    """The audit's outcome words (its verb, 'flagged' for a harmful positive unless set)."""
    cfg = result.provenance.config
    positive_is = getattr(result.spec, "positive_is", None)
    return outcome_words(positive_is, cfg.get("outcome_verb", DEFAULT_VERB))


def words(result: AuditResult) -> tuple[str, str]:
    """The outcome verb ('approved'; 'flagged' for a harmful positive unless configured)
    and the subject noun ('applicants')."""
    return outcome_words_of(result).verb, result.provenance.config.get("subject_noun", "people")


def check_title(result: AuditResult, code: str) -> str:
    """A check's title as prose shows it: in the audit's outcome words ('approved',
    'flagged'); the JSON and the technical details keep the registry's title."""
    return worded_title(code, title_of(code), outcome_words_of(result))


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


def criterion_title(result: AuditResult, key: str) -> str:
    """The title of a criterion's check (in the audit's outcome words), else its label,
    else the key in words."""
    check = CRITERION_CHECKS.get(key)
    if check is not None:
        return check_title(result, check.code)
    crit = CRITERIA.get(key)
    return crit.label if crit is not None else key.replace("_", " ")
