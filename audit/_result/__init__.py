"""THE contract between computing an audit and presenting it.

Owns every result dataclass (``AuditResult`` and its parts), the one findings
registry and every check definition (:mod:`.checks`), the order of outcomes,
``Task``, the metric and criterion definitions (wording, formula) and the
interpretability score's weights and formula, and strict JSON (de)serialisation.

May import: the standard library, numpy, and ``audit._errors``. Never an
analysis package, the report, or an ML library (scikit-learn, shap, fairlearn):
``audit render`` and ``audit diff`` run on this package alone.
"""

from .audit import SCHEMA_VERSION, AuditResult, FileInfo, Provenance
from .findings import OUTCOME_RANK, REGISTRY, VERDICT_RANK, Check, Finding, Outcome, worst

__all__ = [
    "OUTCOME_RANK",
    "REGISTRY",
    "SCHEMA_VERSION",
    "VERDICT_RANK",
    "AuditResult",
    "Check",
    "FileInfo",
    "Finding",
    "Outcome",
    "Provenance",
    "worst",
]
