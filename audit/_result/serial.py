"""Generic, strict conversion between frozen dataclasses and JSON-safe dicts.

Result dataclasses only use these field types: ``str``, ``int``, ``float``,
``bool``, ``None``, ``X | None``, ``tuple[X, ...]``, ``dict[str, X]``,
``Literal[...]`` and nested dataclasses.  Floats that are NaN or infinite are
written as ``None`` so the JSON stays standard.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


#: Field names of each result dataclass met so far (dataclasses.fields() is slow per call).
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def to_jsonable(obj: Any) -> Any:
    """Return ``obj`` as nested dicts/lists of JSON-safe scalars."""
    t = type(obj)  # exact types first (the common case), then the general rules below
    if t is str or t is bool or obj is None or t is int:
        return obj
    if t is float:
        return obj if math.isfinite(obj) else None
    if t is list or t is tuple:
        return [to_jsonable(v) for v in obj]
    if t is dict:
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    names = _FIELD_NAMES.get(t)
    if names is not None:
        return {n: to_jsonable(getattr(obj, n)) for n in names}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        _FIELD_NAMES[t] = tuple(f.name for f in dataclasses.fields(obj))
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return None if not math.isfinite(obj) else float(obj)
    # numpy scalars
    if hasattr(obj, "item"):
        return to_jsonable(obj.item())
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def from_jsonable(tp: Any, data: Any) -> Any:
    """Build an instance of type ``tp`` from :func:`to_jsonable` output."""
    origin = get_origin(tp)
    if tp is Any:
        return data
    if origin in (Union, types.UnionType):
        return _union(tp, data)
    if origin is typing.Literal:
        if data not in get_args(tp):
            raise ValueError(f"{data!r} is not one of {get_args(tp)}")
        return data
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], v) for v in data)
        return tuple(from_jsonable(a, v) for a, v in zip(args, data))
    if origin is dict:
        _, vt = get_args(tp)
        return {k: from_jsonable(vt, v) for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp, data)
    return _scalar(tp, data)


def _union(tp: Any, data: Any) -> Any:
    """The first member of ``X | Y | None`` that ``data`` fits."""
    args = get_args(tp)
    if data is None and type(None) in args:
        return None
    last: Exception | None = None
    for a in args:
        if a is type(None):
            continue
        try:
            return from_jsonable(a, data)
        except (TypeError, ValueError, KeyError) as exc:
            last = exc
    raise TypeError(f"value {data!r} matches none of {tp}") from last


def _dataclass(tp: type, data: Any) -> Any:
    """A dataclass from an object with no unknown keys."""
    if not isinstance(data, dict):
        raise TypeError(f"expected an object for {tp.__name__}, found {type(data).__name__}")
    hints = get_type_hints(tp)
    names = {f.name for f in dataclasses.fields(tp)}  # type: ignore[arg-type]
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown keys for {tp.__name__}: {sorted(unknown)}")
    return tp(**{n: from_jsonable(hints[n], data[n]) for n in names if n in data})


def _scalar(tp: Any, data: Any) -> Any:
    """A str, int, float (null = NaN), bool or None, strictly typed."""
    if tp is float:
        if data is None:
            return math.nan
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise TypeError(f"expected a number, found {data!r}")
        return float(data)
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise TypeError(f"expected an integer, found {data!r}")
        return data
    if tp is str:
        if not isinstance(data, str):
            raise TypeError(f"expected a string, found {data!r}")
        return data
    if tp is bool:
        if not isinstance(data, bool):
            raise TypeError(f"expected true/false, found {data!r}")
        return data
    if tp is type(None):
        if data is not None:
            raise TypeError(f"expected null, found {data!r}")
        return None
    raise TypeError(f"unsupported field type {tp!r}")
