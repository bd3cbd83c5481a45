"""Small builders for fleet configs used across the tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from gpufleet.gitops.layout import template_files

ROOT = Path(__file__).resolve().parent.parent
STACKS = ROOT / "stacks"
TEMPLATES = template_files(ROOT)
"""The stack templates (stacks/templates.txt); other stack files are live stacks, not tested here."""

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
    # An Alibaba fleet names its billing site (issue 16 item 6); alicloud=DROP leaves it out.
    ali = {"alicloud": {"billing": "china"}} if any(g.get("cloud") == "alicloud" for g in gs) else {}
    out = {"name": "demo", "tags": {"owner": "ml"}, "groups": gs, **ali, **top}
    return {k: v for k, v in out.items() if v is not DROP}


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


GOLDEN = ROOT / "tests" / "golden"
UPDATE_GOLDEN = "GPUFLEET_UPDATE_GOLDEN"


def assert_golden(name: str, data: Any) -> None:
    """Compare ``data`` (JSON-able) with tests/golden/<name>.json.

    Update every golden file with ``GPUFLEET_UPDATE_GOLDEN=1 make pytest`` and review the
    diff before committing.
    """
    import json
    import os

    path = GOLDEN / f"{name}.json"
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    if os.environ.get(UPDATE_GOLDEN) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    assert path.exists(), f"missing golden file {path}; create it with {UPDATE_GOLDEN}=1"
    expected = path.read_text()
    assert text == expected, f"{path} differs; if the change is intended, rerun with {UPDATE_GOLDEN}=1 and review"


def graph_snapshot(run: Any) -> list[dict[str, Any]]:
    """A stable view of a captured resource graph: URNs reduced to type::name."""

    def short(urn: str) -> str:
        return "::".join(urn.split("::")[-2:]).split("$")[-1] if urn else ""

    return sorted(
        (
            {
                "type": r.type,
                "name": r.name,
                "parent": short(r.parent),
                "provider": short(r.provider_urn),
                "inputs": r.inputs,
                "ignoreChanges": sorted(r.ignore_changes),
                "protect": r.protect,
            }
            for r in run.resources
        ),
        key=lambda d: (d["type"], d["name"]),
    )


REQUIRE_CLOUD_INIT = "GPUFLEET_REQUIRE_CLOUD_INIT"
"""Set to 1 (``.ci/run`` does) to make a missing cloud-init validator a failure instead of a skip."""
CLOUD_INIT_HINT = (
    "Debian's cloud-init (the `cloud-init schema` validator and its cloud-config JSON schema) is not installed; "
    "the cloud-init schema tests are SKIPPED. Install it with "
    "'sudo apt-get install --no-install-recommends cloud-init' (Debian/Ubuntu), or run them in CI (.ci/run), "
    f"where {REQUIRE_CLOUD_INIT}=1 makes them mandatory"
)
CLOUD_INIT_SKIPS: list[str] = []
"""Tests skipped for a missing cloud-init in this session (conftest prints a banner)."""


def require_cloud_init(missing: str | None) -> None:
    """Skip loudly, or fail under ``GPUFLEET_REQUIRE_CLOUD_INIT=1``, when ``missing`` names an absent validator."""
    if missing is None:
        return
    import os

    import pytest

    message = f"{missing} is missing. {CLOUD_INIT_HINT}"
    if os.environ.get(REQUIRE_CLOUD_INIT) == "1":
        pytest.fail(message)
    CLOUD_INIT_SKIPS.append(missing)
    pytest.skip(message)
