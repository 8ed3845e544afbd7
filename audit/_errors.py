"""Exceptions raised by the audit.

Every error a user can cause is an :class:`AuditError`.  The CLI maps them to
exit code 2 and prints the message on one line, so messages must name the
input, say what was expected, what was found, and how to fix it.
"""

from __future__ import annotations


class AuditError(Exception):
    """Base class for every error caused by the user's inputs or usage."""


class InputError(AuditError, ValueError):
    """A file, column or value given to the audit is unusable."""


class ConfigError(AuditError, ValueError):
    """A configuration file or option is invalid."""


class UnsupportedError(AuditError, NotImplementedError):
    """The input is valid but the audit does not support it yet."""


class ModelError(AuditError, RuntimeError):
    """The model could not be loaded or failed while predicting."""
