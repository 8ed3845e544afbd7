"""Model Audit: audit a trained model for group fairness and interpretability.

Examples
--------
>>> import audit
>>> sorted(audit.__all__)[:3]
['AuditConfig', 'AuditError', 'AuditResult']
"""

from __future__ import annotations

from ._api import run
from ._config import AuditConfig, load_config
from ._errors import AuditError, ConfigError, InputError, ModelError, UnsupportedError
from ._report import render_summary_html
from ._result.audit import AuditResult, set_html_renderer
from ._result.verdict import Policy
from ._version import __version__

set_html_renderer(render_summary_html)

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
