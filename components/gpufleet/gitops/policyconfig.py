"""Which policy pack config a stack gets: one rule for ``gpufleet plan`` and the workflows.

The rule: the fleet's own tags decide. A fleet whose top-level ``tags.env`` is ``prod``
gets ``policies/prod.json``; every other fleet (another ``env``, none, or ``env: prod``
only on a group) gets ``policies/dev.json``. ``gpufleet plan`` applies it to the
validated spec, the workflows to the raw file (``gpufleet gitops changed``), so an
invalid stack still gets a config and its plan reports the real error.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

import yaml

POLICY_DIR = "policies"
PROD_ENV = "prod"


def policy_config_for(tags: Mapping[str, Any] | None) -> str:
    """The repository path of the policy config for a fleet with these top-level tags."""
    env = (tags or {}).get("env")
    return str(PurePosixPath(POLICY_DIR) / ("prod.json" if env == PROD_ENV else "dev.json"))


def fleet_tags(stack_text: str) -> Mapping[str, Any] | None:
    """The top-level ``gpufleet:fleet.tags`` of a stack file's text, or None if unreadable."""
    try:
        doc = yaml.safe_load(stack_text)
    except yaml.YAMLError:
        return None
    config = doc.get("config") if isinstance(doc, Mapping) else None
    fleet = config.get("gpufleet:fleet") if isinstance(config, Mapping) else None
    tags = fleet.get("tags") if isinstance(fleet, Mapping) else None
    return tags if isinstance(tags, Mapping) else None


def fleet_clouds(stack_text: str) -> tuple[str, ...]:
    """The clouds a stack file's groups name (for the preview's credential check)."""
    try:
        doc = yaml.safe_load(stack_text)
    except yaml.YAMLError:
        return ()
    config = doc.get("config") if isinstance(doc, Mapping) else None
    fleet = config.get("gpufleet:fleet") if isinstance(config, Mapping) else None
    groups = fleet.get("groups") if isinstance(fleet, Mapping) else None
    if not isinstance(groups, list):
        return ()
    return tuple(sorted({str(g["cloud"]) for g in groups if isinstance(g, Mapping) and g.get("cloud")}))
