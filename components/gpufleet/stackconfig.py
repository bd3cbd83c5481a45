"""Read a Pulumi stack config file (``Pulumi.<stack>.yaml``) without the Pulumi CLI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gpufleet.errors import ConfigError, Problem
from gpufleet.suggest import did_you_mean

FLEET_KEY = "gpufleet:fleet"
KNOWN_KEYS = (FLEET_KEY,)


@dataclass(frozen=True)
class StackConfig:
    """The parts of a stack file gpufleet reads."""

    path: Path
    stack: str
    """Stack name from the file name (``Pulumi.<stack>.yaml``)."""
    fleet: object
    """The raw ``gpufleet:fleet`` value, not yet validated."""
    config: Mapping[str, Any]
    """Every config key of the file (provider keys such as ``aws:region`` included)."""


def stack_name(path: Path) -> str:
    name = path.name
    if name.startswith("Pulumi.") and name.endswith((".yaml", ".yml")):
        return name[len("Pulumi.") :].rsplit(".", 1)[0]
    return path.stem


def read_stack_config(path: Path) -> StackConfig:
    """Parse the file; raise ConfigError (never a traceback) for anything unusable."""
    src = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem("file", f"no such file: {path}")], src) from None
    except OSError as e:
        raise ConfigError([Problem("file", f"cannot read {path}: {e.strerror}")], src) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(e, "problem", None) or str(e)
        raise ConfigError([Problem("file", f"not valid YAML{where}: {reason}")], src) from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("config"), Mapping):
        raise ConfigError(
            [Problem("config", "a Pulumi stack file needs a top-level 'config:' mapping holding 'gpufleet:fleet'")],
            src,
        )
    config = doc["config"]
    problems = []
    for key in config:
        if isinstance(key, str) and key.startswith("gpufleet:") and key not in KNOWN_KEYS:
            problems.append(Problem(f"config.{key}", f"unknown gpufleet key.{did_you_mean(key, KNOWN_KEYS)}"))
    if FLEET_KEY not in config:
        hint = did_you_mean(FLEET_KEY, [str(k) for k in config])
        problems.append(Problem(f"config.{FLEET_KEY}", f"missing: the fleet is declared under '{FLEET_KEY}'.{hint}"))
    if problems:
        raise ConfigError(problems, src)
    return StackConfig(path=path, stack=stack_name(path), fleet=config[FLEET_KEY], config=config)
