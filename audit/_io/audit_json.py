"""Reading an audit.json back (``audit render``, ``audit diff``): strictly, as untrusted input.

No NaN/Infinity tokens, no numbers beyond what an audit writes, no nesting deep
enough to exhaust the parser, an object at the top, and the schema of
:class:`~audit._result.audit.AuditResult` (unknown keys and versions refused).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .._errors import InputError
from .._result.audit import AuditResult

#: How to fix any unreadable audit JSON.
_PASS_AUDIT_JSON = "pass the audit.json written by audit run"
#: Largest integer an audit.json holds (counts and seeds; 2**64 is beyond any of them).
_MAX_JSON_INT = 2**64
_JSON_TOO_DEEP = "audit JSON '{path}' is nested too deeply to be an audit.json - " + _PASS_AUDIT_JSON
_JSON_NOT_OBJECT = "audit JSON '{path}' holds a {kind}, not an object - " + _PASS_AUDIT_JSON
_JSON_BAD_NUMBER = "audit JSON '{path}': {why} - " + _PASS_AUDIT_JSON


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > 20 or abs(int(text)) >= _MAX_JSON_INT:
        raise ValueError(f"number too large ({text[:12]}... with {len(text)} digits)"
                         if len(text) > 20 else f"number too large ({text})")
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number too large ({text[:20]})")
    return value


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not standard JSON (audit.json writes null for a missing number)")


def _read_json(p: Path) -> Any:
    """Parse an audit.json strictly: no NaN/Infinity, no huge numbers, no deep nesting."""
    try:
        return json.loads(p.read_text(encoding="utf-8"), parse_int=_json_int,
                          parse_float=_json_float, parse_constant=_json_constant)
    except RecursionError:
        raise InputError(_JSON_TOO_DEEP.format(path=p)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"audit JSON '{p}' is not valid JSON ({exc}) - "
                         + _PASS_AUDIT_JSON) from exc
    except ValueError as exc:  # from the number hooks above
        raise InputError(_JSON_BAD_NUMBER.format(path=p, why=exc)) from exc


def read_result(path: str | Path) -> AuditResult:
    """The :class:`AuditResult` in an audit.json file; anything else is a one-line InputError."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"audit JSON '{p}' not found - " + _PASS_AUDIT_JSON)
    doc = _read_json(p)
    if not isinstance(doc, dict):
        kind = {list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
            type(doc), "number")
        raise InputError(_JSON_NOT_OBJECT.format(path=p, kind=kind))
    try:
        return AuditResult.from_dict(doc)
    except RecursionError:
        raise InputError(_JSON_TOO_DEEP.format(path=p)) from None
    except InputError as exc:
        raise InputError(f"'{p}': {exc}") from exc
