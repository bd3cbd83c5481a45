"""Policy pack config: the ``--policy-pack-config`` JSON, resolved the way the Pulumi CLI does.

The CLI (pulumi/pulumi ``pkg/resource/analyzer/config.go``, ReconcilePolicyPackConfig)
starts from each policy's level and its schema's top-level ``default`` values, applies
``"all"`` (a level for every policy), then each policy's entry (a level string, or an
object with ``enforcementLevel`` and properties merged over the defaults), and validates
every policy's properties against its schema. gpufleet does the same and is stricter
in two places, so typos fail loudly: unknown policy names and unknown keys are errors
(the CLI ignores them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from gpufleet.errors import ConfigError, Problem
from gpufleet.policy.schema import defaults, describe, validate
from gpufleet.suggest import did_you_mean

LEVELS = tuple(level.value for level in EnforcementLevel)
_NOT_OBJECT = "must be an object keyed by policy name"


class PolicyConfigError(ConfigError):
    """A policy pack config that cannot be used; lists every problem.

    A :class:`gpufleet.errors.ConfigError` (same ``problems``, ``source`` and report
    layout), whose report names the policy pack config instead of the gpufleet config.
    """

    def report(self) -> str:
        head, newline, items = super().report().partition("\n")
        return head.replace("invalid gpufleet config", "invalid policy pack config", 1) + newline + items


@dataclass(frozen=True)
class PolicySettings:
    """What one policy runs with: its enforcement level and its config properties."""

    level: EnforcementLevel
    config: dict[str, Any]


def _level(value: Any, path: str, problems: list[Problem]) -> EnforcementLevel | None:
    if isinstance(value, str) and value in LEVELS:
        return EnforcementLevel(value)
    hint = did_you_mean(value, LEVELS) if isinstance(value, str) else ""
    valid = ", ".join(LEVELS)
    problems.append(Problem(path, f"{describe(value)} is not an enforcement level; use one of {valid}.{hint}"))
    return None


def _entry(name: str, value: Any, problems: list[Problem]) -> tuple[EnforcementLevel | None, dict[str, Any]]:
    if isinstance(value, str):
        return _level(value, name, problems), {}
    if isinstance(value, Mapping):
        props = {str(k): v for k, v in value.items() if k != "enforcementLevel"}
        if "enforcementLevel" not in value:
            return None, props
        return _level(value["enforcementLevel"], f"{name}.enforcementLevel", problems), props
    problems.append(Problem(name, f"{describe(value)} must be an enforcement level or an object of settings"))
    return None, {}


def resolve(
    policies: Sequence[Policy],
    config: Mapping[str, Any] | None,
    pack_level: EnforcementLevel = EnforcementLevel.ADVISORY,
    source: str | None = None,
) -> dict[str, PolicySettings]:
    """Level and config per policy name; raises :class:`PolicyConfigError` listing every problem."""
    problems: list[Problem] = []
    by_name = {p.name: p for p in policies}
    levels: dict[str, EnforcementLevel] = {p.name: p.enforcement_level or pack_level for p in policies}
    props: dict[str, dict[str, Any]] = {
        p.name: defaults(p.config_schema.properties) if p.config_schema else {} for p in policies
    }
    config = config or {}
    if not isinstance(config, Mapping):
        raise PolicyConfigError([Problem("(root)", f"{describe(config)} {_NOT_OBJECT}")], source)
    if "all" in config:
        level, extra = _entry("all", config["all"], problems)
        if level is not None:
            levels = dict.fromkeys(levels, level)
        for key in extra:
            problems.append(Problem(f"all.{key}", "'all' takes only an enforcement level"))
    for name, value in config.items():
        if name == "all":
            continue
        if name not in by_name:
            hint = did_you_mean(str(name), by_name)
            problems.append(Problem(str(name), f"unknown policy.{hint} Policies: {', '.join(sorted(by_name))}"))
            continue
        level, given = _entry(name, value, problems)
        if level is not None:
            levels[name] = level
        props[name].update(given)
    for policy in policies:
        schema = policy.config_schema
        if schema is None:
            continue
        object_schema = {
            "type": "object",
            "properties": schema.properties,
            "required": schema.required or [],
            "additionalProperties": False,
        }
        for path, message in validate(props[policy.name], object_schema, policy.name):
            problems.append(Problem(path, message))
    if problems:
        raise PolicyConfigError(problems, source)
    return {name: PolicySettings(levels[name], props[name]) for name in by_name}


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a ``--policy-pack-config`` JSON file (an empty file means no config, like the CLI)."""
    text = Path(path).read_text()
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise PolicyConfigError([Problem("(file)", f"not valid JSON: {e}")], str(path)) from None
    if not isinstance(data, dict):
        raise PolicyConfigError([Problem("(root)", f"{describe(data)} {_NOT_OBJECT}")], str(path))
    return data
