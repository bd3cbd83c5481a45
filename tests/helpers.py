"""Small builders for fleet configs used across the tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STACKS = ROOT / "stacks"

BASE_GROUP: dict[str, Any] = {
    "name": "trainers",
    "cloud": "aws",
    "region": "us-east-1",
    "zones": ["us-east-1a"],
    "gpu": {"model": "H100-80GB", "count": 8},
    "capacity": {"min": 0, "desired": 1, "max": 4},
    "network": {"create": True},
}


def fleet(*groups: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A valid fleet dict; pass groups (merged over BASE_GROUP) and top-level overrides."""
    gs = [merge(BASE_GROUP, g) for g in groups] or [copy.deepcopy(BASE_GROUP)]
    return {"name": "demo", "tags": {"owner": "ml"}, "groups": gs, **top}


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if v is DROP:
            out.pop(k, None)
        else:
            out[k] = copy.deepcopy(v)
    return out


DROP = object()
"""Use as a value in ``merge`` to delete a key."""
