"""A small JSON-schema checker for the subset the policy config schemas use.

The Pulumi CLI validates ``--policy-pack-config`` against each policy's schema with
gojsonschema (pulumi/pulumi ``pkg/resource/analyzer/config.go``); the Python SDK does
not, and ``jsonschema`` is not a dependency. This covers exactly the keywords listed
in :data:`SUPPORTED`; a schema using any other keyword is rejected when the policy
module loads, so nothing is silently left unchecked.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any

from gpufleet.suggest import did_you_mean

SUPPORTED = frozenset(
    {
        "type",
        "enum",
        "minimum",
        "maximum",
        "minLength",
        "pattern",
        "format",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "properties",
        "required",
        "additionalProperties",
        "default",
        "description",
    }
)

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
}


def check_schema(schema: Mapping[str, Any], where: str) -> None:
    """Raise ValueError if ``schema`` uses a keyword this checker does not implement."""
    unknown = set(schema) - SUPPORTED
    if unknown:
        raise ValueError(f"{where}: unsupported schema keyword(s) {sorted(unknown)}")
    for name, sub in (schema.get("properties") or {}).items():
        check_schema(sub, f"{where}.{name}")
    if isinstance(schema.get("items"), Mapping):
        check_schema(schema["items"], f"{where}[]")
    if isinstance(schema.get("additionalProperties"), Mapping):
        check_schema(schema["additionalProperties"], f"{where}.*")


def describe(value: Any) -> str:
    """A short rendering of a bad value for messages."""
    kind = {bool: "boolean", str: "string", int: "integer", float: "number", list: "list", dict: "object"}.get(
        type(value), type(value).__name__
    )
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{shown} ({kind})"


def _is_type(value: Any, t: str) -> bool:
    if t == "string":
        return isinstance(value, str)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if t == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if t == "array":
        return isinstance(value, Sequence) and not isinstance(value, str | bytes)
    if t == "object":
        return isinstance(value, Mapping)
    if t == "null":
        return value is None
    raise ValueError(f"unsupported type '{t}'")


def validate(value: Any, schema: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
    """Every way ``value`` breaks ``schema``, as (path, message) pairs; [] when valid."""
    problems: list[tuple[str, str]] = []
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else list(types)
        if not any(_is_type(value, t) for t in allowed):
            want = " or ".join(_TYPE_NAMES.get(t, t) for t in allowed)
            return [(path, f"expected {want}, got {describe(value)}")]
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(repr(c) for c in schema["enum"])
        hint = did_you_mean(value, [str(c) for c in schema["enum"]]) if isinstance(value, str) else ""
        problems.append((path, f"{describe(value)} is not one of {choices}.{hint}".rstrip()))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append((path, f"must be at least {schema['minimum']}, got {value}"))
        if "maximum" in schema and value > schema["maximum"]:
            problems.append((path, f"must be at most {schema['maximum']}, got {value}"))
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            problems.append((path, f"must have at least {schema['minLength']} character(s), got {value!r}"))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append((path, f"{value!r} does not match {schema['pattern']}"))
        if schema.get("format") == "cidr":
            try:
                ipaddress.ip_network(value.strip(), strict=False)
            except ValueError:
                problems.append((path, f"{value!r} is not an IPv4 or IPv6 network such as '0.0.0.0/0' or '::/0'"))
        if schema.get("format") == "regex":
            try:
                re.compile(value)
            except re.error as e:
                problems.append((path, f"{value!r} is not a valid regular expression: {e}"))
    if _is_type(value, "array") and not isinstance(value, Mapping):
        seq = list(value)
        if "minItems" in schema and len(seq) < schema["minItems"]:
            problems.append((path, f"needs at least {schema['minItems']} item(s), got {len(seq)}"))
        if "maxItems" in schema and len(seq) > schema["maxItems"]:
            problems.append((path, f"takes at most {schema['maxItems']} item(s), got {len(seq)}"))
        if schema.get("uniqueItems"):
            seen: list[Any] = []
            for item in seq:
                if item in seen:
                    problems.append((path, f"lists {item!r} more than once"))
                seen.append(item)
        if isinstance(schema.get("items"), Mapping):
            for i, item in enumerate(seq):
                problems += validate(item, schema["items"], f"{path}[{i}]")
    if isinstance(value, Mapping):
        problems += _validate_object(value, schema, path)
    return problems


def _validate_object(value: Mapping[str, Any], schema: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    props: Mapping[str, Any] = schema.get("properties") or {}
    for key in schema.get("required") or []:
        if key not in value:
            what = props.get(key, {}).get("description", "")
            problems.append((f"{path}.{key}", f"is required{': ' + what if what else ''}"))
    extra = schema.get("additionalProperties", True)
    for key in value:
        if key in props:
            problems += validate(value[key], props[key], f"{path}.{key}")
        elif extra is False:
            hint = did_you_mean(str(key), props)
            valid = ", ".join(sorted(props)) or "none"
            problems.append((f"{path}.{key}", f"unknown key.{hint} Valid keys: {valid}"))
        elif isinstance(extra, Mapping):
            problems += validate(value[key], extra, f"{path}.{key}")
    return problems


def defaults(properties: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Top-level ``default`` values, as the Pulumi CLI fills them in (createConfigWithDefaults)."""
    return {k: v["default"] for k, v in properties.items() if "default" in v}
