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


#: What a stage turned off with ``--skip`` (or ``skip = [...]`` in audit.toml) leaves out.
_STAGE_LEAVES_OUT = {"proxies": ": no proxy search, loss terms or what-if"}


def stage_off(stage: str) -> str:
    """Why a stage did not run: the user turned it off."""
    return f"turned off (--skip {stage}){_STAGE_LEAVES_OUT.get(stage, '')}"


def proxy_features_capped(n_examined: int, n_features: int, left_out: list[str],
                          by_importance: bool) -> str:
    """The proxy search looked at only some of the model's features (a bounded step)."""
    order = ("drive the failing gaps most, then those the model leans on most (mean |SHAP|)"
             if by_importance else "drive the failing gaps most, then the first in column order")
    shown = ", ".join(left_out[:10]) + (f" and {len(left_out) - 10:,} more"
                                        if len(left_out) > 10 else "")
    return (f"Proxy strength was measured for {n_examined:,} of the model's {n_features:,} "
            f"features, those that {order}; recoverability uses the same {n_examined:,}. Not "
            f"examined: {shown}.")


def warning_entry(category: str, first_line: str, count: int) -> str:
    """One library warning in the record: ``ConvergenceWarning: lbfgs failed ... (3 times)``."""
    times = f" ({count:,} times)" if count > 1 else ""
    return f"{category}: {first_line[:300]}{times}"


def section_crashed(error_type: str, first_line: str) -> str:
    """Why an optional part is missing after an unexpected error (a bug to report)."""
    return f"it failed with {error_type}: {first_line} (please report this as a model-audit bug)"


def section_failed(section: str, why: str) -> str:
    """The AUDIT001 finding's message."""
    return f"{section}: {why}"


def predictions_model_name(column: str | None) -> str:
    """The model's name in predictions-only mode."""
    return f"predictions in '{column}'"

def stage_over_budget(stage: str, seconds: float) -> str:
    """Why a stage is missing: ``--budget`` gave it ``seconds`` and it was stopped then."""
    return (f"stopped at its share of the time budget ({seconds:.0f} s for {stage}; "
            "raise --budget or skip the stage)")

def budget_label(seconds: float | None) -> str:
    """The progress display's mention of a stage's deadline ("" without a budget)."""
    return "" if seconds is None else f" (deadline {seconds:.0f} s)"
