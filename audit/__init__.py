"""Model Audit: audit a trained model for group fairness and interpretability.

Examples
--------
>>> import audit
>>> sorted(audit.__all__)[:3]
['AuditConfig', 'AuditError', 'AuditResult']
"""

from __future__ import annotations

__version__ = "0.1.0"

from ._api import run
from ._config import AuditConfig, load_config
from ._errors import AuditError, ConfigError, InputError, ModelError, UnsupportedError
from ._result import AuditResult
from ._verdict import Policy

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
