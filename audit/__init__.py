"""Model Audit: audit a trained model for group fairness and interpretability.

Examples
--------
>>> import audit
>>> sorted(audit.__all__)[:3]
['AuditConfig', 'AuditError', 'AuditResult']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._config import AuditConfig, load_config
from ._errors import AuditError, ConfigError, InputError, ModelError, UnsupportedError
from ._report import render_summary_html
from ._result.audit import AuditResult, set_html_renderer
from ._result.verdict import Policy
from ._version import __version__

if TYPE_CHECKING:
    from ._api import run

set_html_renderer(render_summary_html)


def __getattr__(name: str) -> Any:
    """``audit.run`` is imported on first use, so that ``audit render`` and ``audit diff``
    load neither the analysis nor scikit-learn, shap or fairlearn."""
    if name == "run":
        from ._api import run

        return run
    raise AttributeError(f"module 'audit' has no attribute {name!r}")

__all__ = [
    "AuditConfig",
    "AuditError",
    "AuditResult",
    "ConfigError",
    "InputError",
    "ModelError",
    "Policy",
    "UnsupportedError",
    "__version__",
    "load_config",
    "run",
]
