"""Sentences of the audit as a whole: why a part did not run, what the model is called."""

from __future__ import annotations

#: Why explanations and the complexity score need the model.
PREDICTIONS_ONLY = "predictions-only mode: this needs the model itself; pass the model file"
#: Why explanations did not run when the user switched them off.
EXPLAIN_OFF = "turned off (--no-explain)"
#: How the whole population is described as a group.
EVERYONE_HOW = "all audited rows"
#: The additivity finding when the explainer gave no note of its own.
SHAP_DID_NOT_ADD_UP = "SHAP values did not add up to the model's output."


def section_crashed(error_type: str, first_line: str) -> str:
    """Why an optional part is missing after an unexpected error (a bug to report)."""
    return f"it failed with {error_type}: {first_line} (please report this as a model-audit bug)"


def section_failed(section: str, why: str) -> str:
    """The AUDIT001 finding's message."""
    return f"{section}: {why}"


def predictions_model_name(column: str | None) -> str:
    """The model's name in predictions-only mode."""
    return f"predictions in '{column}'"
