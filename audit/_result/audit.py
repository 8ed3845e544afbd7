"""AuditResult: the one contract between computing an audit and presenting it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._errors import InputError
from .complexity import Complexity
from .explanation import Explanation
from .findings import Finding
from .serial import from_jsonable, to_jsonable
from .spec import ResolvedSpec
from .tables import AttributeTable
from .troublemakers import Troublemakers
from .verdict import Verdict

#: 1.1 (December 2026) added fields only: each check's decision, decision interval and
#: materiality, the verdict's rules, the scores' and the positive label's meaning, the SHAP
#: sample's basis, the proxy rule and each flag's recommendation, the complexity's
#: like-with-like comparison, the policy's sha256. A 1.0 file reads with those empty.
SCHEMA_VERSION = "1.1"
#: Versions this release reads (older minor versions lack only fields added since).
READABLE_VERSIONS = ("1.0", SCHEMA_VERSION)


@dataclass(frozen=True)
class FileInfo:
    """A file that went into the audit, with its fingerprint."""

    role: str  # "model", "data", "config", "policy"
    path: str
    sha256: str
    detail: str = ""


@dataclass(frozen=True)
class Provenance:
    """What the audit is: inputs, versions, seed and the command that reproduces it."""

    tool_version: str
    command: str
    seed: int
    n_boot: int
    files: tuple[FileInfo, ...]
    versions: dict[str, str]
    model_name: str
    trusted_types: tuple[str, ...] = ()
    # Non-empty when --trust-model let a model file outside the allow-list load (it could run code).
    model_trust: str = ""
    config: dict[str, str] = field(default_factory=dict)
    # Warnings from the libraries during the audit, each once: "Category: first line (N times)".
    warnings: tuple[str, ...] = ()
    # sha256 of the policy the verdict used, as `audit policy show [--policy FILE]` prints it.
    policy_sha256: str = ""


@dataclass(frozen=True)
class AuditResult:
    """Everything an audit found. ``to_dict()`` is what ``audit.json`` holds.

    Examples
    --------
    >>> from audit import AuditResult
    >>> AuditResult.SCHEMA_VERSION
    '1.1'
    """

    schema_version: str
    provenance: Provenance
    spec: ResolvedSpec
    overall: AttributeTable  # the whole population as one group
    fairness: tuple[AttributeTable, ...]
    findings: tuple[Finding, ...]
    verdict: Verdict
    explanation: Explanation | None = None
    complexity: Complexity | None = None
    troublemakers: Troublemakers | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # section -> why it did not run

    SCHEMA_VERSION = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe nested dicts, with ``schema_version`` first."""
        out: dict[str, Any] = to_jsonable(self)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditResult:
        """Rebuild a result from :meth:`to_dict` output; other schema versions are refused."""

        found = data.get("schema_version") if isinstance(data, dict) else None
        if found not in READABLE_VERSIONS:
            raise InputError(
                f"audit JSON has schema_version {found!r} - this version of model-audit reads "
                f"{' or '.join(map(repr, READABLE_VERSIONS))}; re-run the audit with this version"
            )
        try:
            result: AuditResult = from_jsonable(cls, data)
        except (TypeError, ValueError, KeyError) as exc:
            raise InputError(f"audit JSON does not match schema {SCHEMA_VERSION}: {exc}") from exc
        return result

    def _repr_html_(self) -> str:
        """The verdict and headline findings, shown by Jupyter.

        The renderer is the report's, handed in by ``audit/__init__.py`` with
        :func:`set_html_renderer`: the result never imports the report.
        """
        if _html_renderer is None:
            return f"<p>Verdict: {self.verdict.verdict}</p>"
        return _html_renderer(self)


_html_renderer: Callable[[AuditResult], str] | None = None


def set_html_renderer(render: Callable[[AuditResult], str]) -> None:
    """Use ``render`` for :meth:`AuditResult._repr_html_` (the notebook summary)."""
    global _html_renderer
    _html_renderer = render
