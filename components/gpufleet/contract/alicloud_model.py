"""Alibaba Cloud contract helpers: check an OpenAPI request against the Tea (darabonba) request
model of Alibaba's own Python SDK.

What those models encode, and so what is checked: the parameter names (``from_map``), the
parameter types (the ``__init__`` annotations: str, int, float, bool, lists, nested models) and
which parameters are required (the generated "This parameter is required." line above each
field). Their ``validate()`` methods check nothing else, and enums and ranges appear only in
prose comments, so no enum or range is read from them (the sourced rules in ``alicloud`` add
the ones that matter).
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

_FIELD = re.compile(r"m\.get\('([^']+)'\) is not None:[ \t]*\n(?P<body>(?:[ \t]*\S[^\n]*\n)+)")
_NESTED = re.compile(r"main_models\.(\w+)\(\)")
_ATTR = re.compile(r"self\.(\w+)")


@dataclass(frozen=True)
class Param:
    attr: str
    annotation: str
    """e.g. ``str``, ``int``, ``List[str]``, ``List[main_models.X]``, ``main_models.X``."""
    nested: type | None
    required: bool


@cache
def params_of(cls: type) -> dict[str, Param]:
    """Wire name -> parameter, read from the model's ``from_map`` and ``__init__``."""
    pkg = importlib.import_module(cls.__module__.rsplit(".", 1)[0])
    sig = inspect.signature(cls.__init__)  # type: ignore[misc]
    required = _required_attrs(cls)
    out: dict[str, Param] = {}
    for m in _FIELD.finditer(inspect.getsource(cls.from_map)):  # type: ignore[attr-defined]
        body = m.group("body")
        attr_m = _ATTR.search(body)
        if attr_m is None:
            continue
        attr = attr_m.group(1)
        nested_m = _NESTED.search(body)
        nested = getattr(pkg, nested_m.group(1)) if nested_m else None
        p = sig.parameters.get(attr)
        out[m.group(1)] = Param(attr, str(p.annotation) if p else "Any", nested, attr in required)
    return out


def _required_attrs(cls: type) -> set[str]:
    out: set[str] = set()
    comment: list[str] = []
    for line in inspect.getsource(cls.__init__).splitlines():  # type: ignore[misc]
        s = line.strip()
        if s.startswith("#"):
            comment.append(s)
            continue
        m = re.match(r"self\.(\w+) = ", s)
        if m and "# This parameter is required." in comment:
            out.add(m.group(1))
        comment = []
    return out


def check(cls: type, params: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(field, message)`` for each unknown parameter, wrong type or missing required one."""
    if not isinstance(params, Mapping):
        yield path or "(request)", f"expected an object ({cls.__name__}), got {params!r}"
        return
    known = params_of(cls)
    for k, v in params.items():
        where = f"{path}.{k}" if path else k
        p = known.get(k)
        if p is None:
            yield where, f"unknown parameter {k!r} (not in {cls.__name__})"
            continue
        yield from _check_type(p.annotation, p.nested, v, where)
    for k, p in known.items():
        if p.required and params.get(k) is None:
            yield (f"{path}.{k}" if path else k), f"required by {cls.__name__} but missing"


def _check_type(annotation: str, nested: type | None, value: Any, where: str) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    if annotation.startswith("List["):
        if not isinstance(value, list):
            yield where, f"expected a list, got {value!r}"
            return
        inner = annotation[5:-1]
        for i, v in enumerate(value):
            yield from _check_type(inner, nested, v, f"{where}[{i}]")
        return
    if annotation.startswith("Dict["):
        if not isinstance(value, Mapping):
            yield where, f"expected a map, got {value!r}"
        return
    if annotation.startswith("main_models."):
        if nested is None:
            return
        yield from check(nested, value, where)
        return
    ok = {
        "str": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
    }.get(annotation)
    if ok is not None and not ok(value):
        yield where, f"expected {annotation}, got {value!r}"
