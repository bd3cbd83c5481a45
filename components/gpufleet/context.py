"""What a cloud component gets for one group: the resolved choices and fleet-wide settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gpufleet.catalog import Catalog
from gpufleet.resolve import ResolvedGroup
from gpufleet.spec import FleetSpec, GroupSpec


@dataclass(frozen=True)
class GroupContext:
    """Everything a per-cloud builder needs; pure data, no Pulumi objects."""

    fleet: FleetSpec
    resolved: ResolvedGroup
    catalog: Catalog

    @property
    def group(self) -> GroupSpec:
        return self.resolved.spec

    @property
    def name(self) -> str:
        """Resource name prefix ``<fleet>-<group>`` (its length is checked per cloud at spec time)."""
        return f"{self.fleet.name}-{self.group.name}"

    @property
    def tags(self) -> Mapping[str, str]:
        """Fleet tags, then group tags, then gpufleet's own bookkeeping tags."""
        return {
            **self.fleet.tags,
            **self.group.tags,
            "gpufleet-fleet": self.fleet.name,
            "gpufleet-group": self.group.name,
        }
