"""The audit.json text is written by ``serial.dumps``: byte for byte what
``json.dumps(result.to_dict(), indent=2, ensure_ascii=False)`` wrote, in half the time;
``to_jsonable``'s fast paths give the same dict as the general rules."""

from __future__ import annotations

import dataclasses
import json
import math
from collections import OrderedDict
from enum import IntEnum
from typing import Any

import numpy as np
import pytest

from audit._result import serial
from audit._result.serial import dumps, to_jsonable

AWKWARD: list[Any] = [
    {}, [], "", 0, -0.0, 1e-05, 1e16, 123456789012345678901234567890, 0.1 + 0.2, -2.5e-300,
    True, False, None, "é \u202e \x00 \n \"q\" \\ </script> 😀", {"": {"a": []}},
    [[[]], [{}], [1, [2, [3]]]], {"k": [None, {"x": 1.5}]}, math.nan, math.inf, -math.inf,
    # subclasses that to_jsonable passes through (numpy labels) or json writes as lists
    np.str_("label é"), {np.str_("key"): np.str_("v")}, (1, (2.5, "t")), OrderedDict(b=1, a=()),
    IntEnum("E", "A B").B, [np.float64(0.1)],
]


@pytest.mark.parametrize("value", AWKWARD, ids=range(len(AWKWARD)))
def test_dumps_equals_json_dumps_indent_2(value: Any) -> None:
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_dumps_of_the_stored_demo_equals_json_dumps(stored_demo: Any) -> None:
    d = stored_demo.to_dict()
    assert dumps(d) == json.dumps(d, indent=2, ensure_ascii=False)
    assert dumps([d, {"again": d}]) == json.dumps([d, {"again": d}], indent=2,
                                                  ensure_ascii=False)


def test_dumps_of_labels_that_are_numpy_strings() -> None:
    """A group label read from a numpy array is a numpy.str_, which to_jsonable keeps."""
    obj = to_jsonable(_Inner(1.0, (np.str_("female"), "male")))
    assert type(obj["tags"][0]) is np.str_
    assert dumps(obj) == json.dumps(obj, indent=2, ensure_ascii=False)


def test_dumps_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError):
        dumps({"a": object()})


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
