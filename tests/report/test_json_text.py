"""``to_jsonable``'s fast paths (exact types, cached dataclass field names) give the same
dict as the general rules."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np

from audit._result import serial
from audit._result.serial import to_jsonable


def _general(obj: Any) -> Any:
    """to_jsonable's rules without the fast paths (the reference)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _general(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _general(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_general(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return None if not math.isfinite(obj) else float(obj)
    return _general(obj.item())


class _Str(str):
    pass


@dataclasses.dataclass(frozen=True)
class _Inner:
    x: float
    tags: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class _Outer:
    a: _Inner
    b: dict[str, Any]
    c: list[Any]


def test_to_jsonable_fast_paths_equal_the_general_rules(stored_demo: Any) -> None:
    odd = _Outer(_Inner(math.nan, ("t",)), {1: np.float64(2.5), "s": _Str("v"), "n": np.int64(3)},
                 [True, np.bool_(False), math.inf, (1, 2), _Inner(-0.0)])
    for obj in (odd, stored_demo, odd):  # twice: field names cached after the first time
        fast, ref = to_jsonable(obj), _general(obj)
        assert fast == ref
        assert json.dumps(fast) == json.dumps(ref)  # same types too (1 vs 1.0, bool vs int)
    assert _Outer in serial._FIELD_NAMES
