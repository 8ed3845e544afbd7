"""AuditResult: the one contract between computing an audit and presenting it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._checks import Finding
from ._complexity import Complexity
from ._explain import Explanation
from ._flags import Troublemakers
from ._serial import from_jsonable, to_jsonable
from ._spec import ResolvedSpec
from ._tables import AttributeTable
from ._verdict import Verdict

SCHEMA_VERSION = "1.0"


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
    config: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditResult:
    """Everything an audit found. ``to_dict()`` is what ``audit.json`` holds.

    Examples
    --------
    >>> from audit import AuditResult
    >>> AuditResult.SCHEMA_VERSION
    '1.0'
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
        from ._errors import InputError

        found = data.get("schema_version") if isinstance(data, dict) else None
        if found != SCHEMA_VERSION:
            raise InputError(
                f"audit JSON has schema_version {found!r} - this version of model-audit reads "
                f"{SCHEMA_VERSION!r}; re-run the audit with this version"
            )
        try:
            result: AuditResult = from_jsonable(cls, data)
        except (TypeError, ValueError, KeyError) as exc:
            raise InputError(f"audit JSON does not match schema {SCHEMA_VERSION}: {exc}") from exc
        return result

    def _repr_html_(self) -> str:
        """The verdict and headline findings, shown by Jupyter."""
        from ._report import render_summary_html

        return render_summary_html(self)
