"""Model Audit: audit a trained model for group fairness and interpretability.

Examples
--------
>>> import audit
>>> sorted(audit.__all__)[:3]
['AuditConfig', 'AuditError', 'AuditResult']
"""

from __future__ import annotations

__version__ = "0.1.0"

from ._config import AuditConfig, load_config  # noqa: E402
from ._errors import AuditError, ConfigError, InputError, ModelError, UnsupportedError  # noqa: E402
from ._result import AuditResult  # noqa: E402
from ._verdict import Policy  # noqa: E402
from ._api import run  # noqa: E402

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
