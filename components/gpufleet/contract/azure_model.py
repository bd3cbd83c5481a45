"""Azure contract helpers: rebuild ARM bodies from azure-native inputs and walk them against the
msrest model classes of the azure-mgmt-* packages (``_attribute_map``, ``_validation`` and the
enum types named in each model's ``__init__`` signature).

azure-native moves every ``properties.*`` key of a resource, and of each nested sub-resource
(NIC configurations, IP configurations, extensions, security rules), up one level. The model's
attribute map says where each key lives on the wire (``{"key": "properties.primary"}``), so the
same map both rebuilds the ARM body and checks it.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import isodate  # type: ignore[import-untyped, unused-ignore]

from gpufleet.contract.base import Finding, Request

RULE_MODEL = "azure.model"
"""Rule id of every finding of the model walk."""

_BASIC = {"str", "int", "long", "float", "bool", "object", "duration", "iso-8601", "rfc-1123", "date", "base64"}


def _wire_parts(key: str) -> tuple[str, ...]:
    """msrest keys use ``.`` for nesting and ``\\.`` for a literal dot."""
    return tuple(p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", key))


def _models_module(cls: type) -> Any:
    """The ``models`` package (``_models_py3`` and the enums module are both under it)."""
    return importlib.import_module(cls.__module__.rsplit(".", 1)[0])


def _model(cls: type, name: str) -> type | None:
    found = getattr(_models_module(cls), name, None)
    return found if isinstance(found, type) and hasattr(found, "_attribute_map") else None


def _resolve(cls: type, value: Any) -> tuple[type, str | None]:
    """The concrete model of a polymorphic ``cls`` (msrest ``_subtype_map``) for ``value``.

    Returns ``(cls, None)`` when ``cls`` is not polymorphic, ``(subclass, None)`` when the
    discriminator names a known subtype, ``(cls, message)`` when it is missing or unknown.
    """
    # Only a class's own map: a subtype inherits its base's, which names the subtype itself.
    subtypes: dict[str, dict[str, str]] = vars(cls).get("_subtype_map") or {}
    if not subtypes or not isinstance(value, Mapping):
        return cls, None
    attr, names = next(iter(subtypes.items()))
    key = _wire_parts(cls._attribute_map[attr]["key"])[-1]  # type: ignore[attr-defined]
    kind = value.get(key)
    if kind is None:
        return cls, f"discriminator {key!r} of {cls.__name__} is missing; one of {', '.join(names)}"
    name = next((n for k, n in names.items() if k.lower() == str(kind).lower()), None)
    sub = _model(cls, name) if name is not None else None
    if sub is None:
        return cls, f"{kind!r} is not a {cls.__name__} {key}; one of {', '.join(names)}"
    return (_resolve(sub, value)[0] if sub is not cls else sub), None


@cache
def _enum_of(cls: type, attr: str) -> tuple[str, ...] | None:
    """The enum values the model declares for ``attr`` (from its ``__init__`` annotation)."""
    try:
        param = inspect.signature(cls.__init__).parameters.get(attr)  # type: ignore[misc]
    except (TypeError, ValueError):
        return None
    if param is None:
        return None
    for name in re.findall(r"_models\.(\w+)", str(param.annotation)):
        found = getattr(_models_module(cls), name, None)
        if isinstance(found, type) and issubclass(found, enum.Enum):
            return tuple(str(m.value) for m in found)
    return None


@cache
def _flat_index(cls: type) -> dict[str, str]:
    """azure-native input name -> model attribute (readonly attributes lose a name clash)."""
    validation: dict[str, dict[str, Any]] = getattr(cls, "_validation", {})
    out: dict[str, str] = {}
    rank: dict[str, tuple[bool, bool]] = {}
    for attr, spec in cls._attribute_map.items():  # type: ignore[attr-defined]
        if not spec["key"]:
            continue
        parts = _wire_parts(spec["key"])
        r = (not validation.get(attr, {}).get("readonly", False), parts[0] == "properties")
        if parts[-1] not in out or r > rank[parts[-1]]:
            out[parts[-1]], rank[parts[-1]] = attr, r
    return out


def to_arm(cls: type, value: Any) -> Any:
    """Rebuild the ARM wire shape of azure-native ``value`` for model ``cls``.

    Keys the model does not know stay where they are, so :func:`check` reports them.
    """
    if not isinstance(value, Mapping):
        return value
    index = _flat_index(cls)
    out: dict[str, Any] = {}
    for k, v in value.items():
        attr = index.get(k)
        if attr is None:
            out[k] = v
            continue
        spec = cls._attribute_map[attr]  # type: ignore[attr-defined]
        node = out
        parts = _wire_parts(spec["key"])
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = _to_arm_typed(cls, spec["type"], v)
    return out


def _to_arm_typed(owner: type, typ: str, value: Any) -> Any:
    if typ.startswith("[") and isinstance(value, list):
        return [_to_arm_typed(owner, typ[1:-1], v) for v in value]
    if typ.startswith("{") and isinstance(value, Mapping):
        return {k: _to_arm_typed(owner, typ[1:-1], v) for k, v in value.items()}
    sub = None if typ in _BASIC else _model(owner, typ)
    return to_arm(_resolve(sub, value)[0], value) if sub is not None else value


def check(cls: type, body: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(field, message)`` for each way ``body`` breaks model ``cls``: an unknown property,
    a wrong type, a value outside the declared enum, a missing required field, or a constraint of
    ``_validation`` (min/max items, length, value range, pattern)."""
    if not isinstance(body, Mapping):
        yield path or "(body)", f"expected an object ({cls.__name__}), got {type(body).__name__}"
        return
    amap: dict[str, dict[str, str]] = cls._attribute_map  # type: ignore[attr-defined]
    validation: dict[str, dict[str, Any]] = getattr(cls, "_validation", {})
    by_wire = {_wire_parts(s["key"]): a for a, s in amap.items() if s["key"]}
    prefixes = {w[:i] for w in by_wire for i in range(1, len(w))}
    seen: set[str] = set()

    def walk(node: Mapping[str, Any], prefix: tuple[str, ...]) -> Iterator[tuple[str, str]]:
        for k, v in node.items():
            wire = (*prefix, k)
            where = _join(path, ".".join(wire))
            if wire in by_wire:
                attr = by_wire[wire]
                seen.add(attr)
                yield from _check_value(cls, attr, amap[attr]["type"], validation.get(attr, {}), v, where)
            elif wire in prefixes and isinstance(v, Mapping):
                yield from walk(v, wire)
            else:
                yield where, f"unknown property {k!r} (not in {cls.__name__})"

    yield from walk(body, ())
    for attr, rules in validation.items():
        if rules.get("required") and attr not in seen:
            yield _join(path, amap[attr]["key"].replace("\\.", ".")), f"required by {cls.__name__} but missing"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check_value(
    owner: type, attr: str, typ: str, rules: Mapping[str, Any], value: Any, where: str
) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    yield from _constraints(rules, value, where)
    if typ.startswith("["):
        if not isinstance(value, list):
            yield where, f"expected a list, got {value!r}"
            return
        for i, v in enumerate(value):
            yield from _check_value(owner, attr, typ[1:-1], {}, v, f"{where}[{i}]")
        return
    if typ.startswith("{"):
        if not isinstance(value, Mapping):
            yield where, f"expected a map, got {value!r}"
            return
        for k, v in value.items():
            yield from _check_value(owner, attr, typ[1:-1], {}, v, f"{where}.{k}")
        return
    if typ in _BASIC:
        yield from _check_basic(owner, attr, typ, value, where)
        return
    sub = _model(owner, typ)
    if sub is None:
        return  # a type msrest serialises itself
    concrete, problem = _resolve(sub, value)
    if problem is not None:
        yield where, problem
        return
    yield from check(concrete, value, where)


def _check_basic(owner: type, attr: str, typ: str, value: Any, where: str) -> Iterator[tuple[str, str]]:
    if typ == "str":
        if not isinstance(value, str):
            yield where, f"expected a string, got {value!r}"
            return
        allowed = _enum_of(owner, attr)
        if allowed and value.lower() not in {a.lower() for a in allowed}:
            yield where, f"{value!r} is not one of {', '.join(allowed)}"
    elif typ in ("int", "long"):
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            yield where, f"expected an integer, got {value!r}"
    elif typ == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            yield where, f"expected a number, got {value!r}"
    elif typ == "bool":
        if not isinstance(value, bool):
            yield where, f"expected true or false, got {value!r}"
    elif typ == "duration":
        try:
            isodate.parse_duration(value)
        except (isodate.ISO8601Error, TypeError, ValueError):
            yield where, f"expected an ISO 8601 duration (e.g. PT10M), got {value!r}"


def _constraints(rules: Mapping[str, Any], value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, list | str):
        if "max_items" in rules and isinstance(value, list) and len(value) > rules["max_items"]:
            yield where, f"{len(value)} items, at most {rules['max_items']} allowed"
        if "min_items" in rules and isinstance(value, list) and len(value) < rules["min_items"]:
            yield where, f"{len(value)} items, at least {rules['min_items']} required"
        if "max_length" in rules and isinstance(value, str) and len(value) > rules["max_length"]:
            yield where, f"{len(value)} characters, at most {rules['max_length']} allowed"
        if "min_length" in rules and isinstance(value, str) and len(value) < rules["min_length"]:
            yield where, f"{len(value)} characters, at least {rules['min_length']} required"
        if "pattern" in rules and isinstance(value, str) and not re.search(rules["pattern"], value):
            yield where, f"{value!r} does not match {rules['pattern']}"
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if "maximum" in rules and value > rules["maximum"]:
            yield where, f"{value:g} is above the maximum {rules['maximum']}"
        if "minimum" in rules and value < rules["minimum"]:
            yield where, f"{value:g} is below the minimum {rules['minimum']}"


def findings(request: Request, cls: type, source: str) -> list[Finding]:
    """Model findings (rule ``azure.model``) of one request's ARM body."""
    return [
        Finding(request.resource, request.resource_type, f, RULE_MODEL, m, source)
        for f, m in check(cls, request.params)
    ]
