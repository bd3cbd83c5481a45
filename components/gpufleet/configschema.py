"""The fleet config's JSON Schema and README reference, both generated from :mod:`gpufleet.spec`.

The pydantic models are the contract; their field docstrings are the descriptions. So the
schema an editor uses (``gpufleet schema``) and the README's key table cannot drift from the
validation: ``tests/test_configschema.py`` fails when README.md differs from
:func:`reference_markdown`, and ``make reference`` rewrites it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from gpufleet.spec import FleetSpec

# Draft 7: the newest that redhat.vscode-yaml's yaml-language-server supports ("Supports JSON
# Schema 7 and below", github.com/redhat-developer/yaml-language-server README).
JSON_SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"
REF_TEMPLATE = "#/definitions/{model}"
README_BEGIN = "<!-- BEGIN config-reference: generated from gpufleet/spec.py by `make reference`; do not edit -->"
README_END = "<!-- END config-reference -->"


def fleet_schema() -> dict[str, Any]:
    """JSON Schema of the value of ``gpufleet:fleet`` (camelCase keys, unknown keys refused)."""
    schema = _draft7()
    return {"$schema": JSON_SCHEMA_DIALECT, **schema}


def _draft7() -> dict[str, Any]:
    """The models' schema with draft-7 ``definitions`` (pydantic writes 2020-12's ``$defs``)."""
    schema = FleetSpec.model_json_schema(by_alias=True, mode="validation", ref_template=REF_TEMPLATE)
    if "$defs" in schema:
        schema["definitions"] = schema.pop("$defs")
    return schema


def stack_file_schema() -> dict[str, Any]:
    """JSON Schema of a whole ``Pulumi.<stack>.yaml``: ``config: {gpufleet:fleet: ...}``.

    Other config keys (``aws:region``) and stack-file keys (``secretsprovider``,
    ``encryptionsalt``) are Pulumi's and stay open.
    """
    fleet = _draft7()
    defs = fleet.pop("definitions", {})
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": "Pulumi stack file with a gpufleet fleet",
        "description": "stacks/Pulumi.<stack>.yaml of the gpufleet project; the fleet is config.gpufleet:fleet.",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": {"gpufleet:fleet": {"$ref": REF_TEMPLATE.format(model="FleetSpec")}},
                "required": ["gpufleet:fleet"],
            }
        },
        "required": ["config"],
        "definitions": {**defs, "FleetSpec": fleet},
    }


# -- README reference ---------------------------------------------------------------------


def reference_markdown() -> str:
    """One table row per key, in the models' order, with its type, default and docstring."""
    schema = FleetSpec.model_json_schema(by_alias=True, mode="validation")
    defs = schema.get("$defs", {})
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    _rows(schema, "", defs, rows)
    return "\n".join(rows) + "\n"


def _rows(model: dict[str, Any], prefix: str, defs: dict[str, Any], rows: list[str]) -> None:
    required = set(model.get("required", ()))
    for key, prop in model.get("properties", {}).items():
        path = f"{prefix}{key}"
        default = "required" if key in required else _default(prop, defs)
        desc = _md(prop.get("description", ""))
        rows.append(f"| `{path}` | {_type(prop, defs)} | {default} | {desc} |")
        inner, is_list = _inner_ref(prop, defs)
        if inner is not None:
            _rows(inner, f"{path}[]." if is_list else f"{path}.", defs, rows)


def _inner_ref(prop: dict[str, Any], defs: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    for option in [prop, *prop.get("anyOf", ())]:
        if "$ref" in option:
            return defs[option["$ref"].rsplit("/", 1)[-1]], False
        items = option.get("items", {})
        if option.get("type") == "array" and "$ref" in items:
            return defs[items["$ref"].rsplit("/", 1)[-1]], True
    return None, False


def _type(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    options = [o for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
    return " or ".join(_one_type(o, defs) for o in options) or "any"


def _one_type(p: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in p:
        return "mapping"
    if "enum" in p:
        return " \\| ".join(f"`{v}`" for v in p["enum"])
    t = p.get("type")
    if t == "array":
        inner = p.get("items", {})
        return f"list of {'mappings' if '$ref' in inner else _one_type(inner, defs)}"
    if t == "object":
        values = p.get("additionalProperties")
        return f"map of string to {_one_type(values, defs)}" if isinstance(values, dict) else "mapping"
    if p.get("format") == "date":
        return "date (`YYYY-MM-DD`)"
    bounds = _bounds(p)
    if "pattern" in p:
        return f"{t} matching `{p['pattern']}`"
    return f"{t}{bounds}" if t else "any"


def _bounds(p: dict[str, Any]) -> str:
    lo = p.get("minimum", p.get("exclusiveMinimum"))
    hi = p.get("maximum")
    if lo is None and hi is None:
        return ""
    left = "" if lo is None else (f"> {lo:g}" if "exclusiveMinimum" in p else f">= {lo:g}")
    right = "" if hi is None else f"<= {hi:g}"
    return f" ({', '.join(x for x in (left, right) if x)})"


def _default(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "default" not in prop or prop["default"] is None:
        return ""
    d = prop["default"]
    inner, _ = _inner_ref(prop, defs)
    if isinstance(d, dict) and inner is not None:
        # A model default: show only what differs from its keys' own defaults (network: create true).
        own = {k: v.get("default") for k, v in inner.get("properties", {}).items()}
        diff = {k: v for k, v in d.items() if v != own.get(k)}
        return f"`{json.dumps(diff)}`" if diff else "defaults below"
    return f"`{json.dumps(d)}`"


def _md(text: str) -> str:
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    return " ".join(text.split()).replace("|", "\\|")


def readme_with_reference(readme: str) -> str:
    """README.md text with the generated reference between its markers."""
    if README_BEGIN not in readme or README_END not in readme:
        raise ValueError(f"README.md lacks the markers {README_BEGIN!r} ... {README_END!r}")
    head, rest = readme.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    return f"{head}{README_BEGIN}\n{reference_markdown()}{README_END}{tail}"


def main(argv: list[str]) -> int:
    """``python -m gpufleet.configschema README.md``: rewrite the README's reference section."""
    path = Path(argv[0]) if argv else Path("README.md")
    text = path.read_text(encoding="utf-8")
    new = readme_with_reference(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
        print(f"updated the config reference in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
