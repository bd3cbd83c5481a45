"""What each cloud accepts, checked at spec time: names, zones, tags and RDMA limits.

Each cloud's ``<cloud>/rules.py`` builds a :class:`CloudRules`; validation calls
``check`` for every group of that cloud. Rules only read the spec and catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gpufleet.catalog import Catalog, InstanceType
from gpufleet.errors import Problem
from gpufleet.spec import GroupSpec

GroupCheck = Callable[[GroupSpec, str, list[InstanceType], Catalog], list[Problem]]


@dataclass(frozen=True)
class CloudRules:
    """The limits of one cloud that a spec must respect."""

    cloud: str
    max_name_length: int
    """Longest ``<fleet>-<group>`` prefix that keeps every derived resource name valid."""
    name_limit_source: str
    zone_example: str
    zone_ok: Callable[[str, str], bool]
    """``zone_ok(region, zone)``: the zone belongs to the region."""
    tag_problems: Callable[[str, str], str | None]
    """Message for a bad tag key/value, or None."""
    check: GroupCheck | None
    """Cloud-specific checks on a group and its candidate instance types."""
    warnings: GroupCheck | None = None
    """Cloud-specific warnings on a valid group: what deploys but may not behave as the spec reads
    (shown, never refused)."""
    max_tags: int | None = None
    """Most tags one resource takes (fleet + group + gpufleet's own); None: not checked here."""
    max_tags_source: str = ""


def generic_tag_problem(key: str, value: str) -> str | None:
    # AWS: key 1-128, value 0-256 characters [DOC: AWS "Tagging your AWS resources", tag
    # naming limits]. The other clouds' limits are added by their rules modules.
    if not key:
        return "tag keys must not be empty"
    if len(key) > 128:
        return f"tag key '{key[:20]}...' is longer than 128 characters"
    if len(value) > 256:
        return f"tag '{key}' has a value longer than 256 characters"
    return None
