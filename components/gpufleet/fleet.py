"""GpuFleet: one validated spec in, one cloud component per group out.

Each cloud lives in ``gpufleet.<cloud>.component`` and exposes
``provider(name, region, opts)`` and ``build(ctx, provider, opts)``. Those modules are
imported only for the clouds a fleet uses, so an AWS-only fleet never loads the
Azure SDK.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, cast

import pulumi

from gpufleet.catalog import Catalog, load_catalog
from gpufleet.context import GroupContext
from gpufleet.resolve import resolve_group
from gpufleet.spec import FleetSpec


class GroupOutputs(Protocol):
    """Every per-cloud group component keeps what it registered in ``outputs``."""

    outputs: dict[str, Any]
    """The outputs it registered (ids and names), exported per group by the program."""


class CloudModule(Protocol):
    """The two functions every ``gpufleet.<cloud>.component`` module provides."""

    def provider(self, name: str, region: str, opts: pulumi.ResourceOptions) -> pulumi.ProviderResource: ...

    def build(
        self, ctx: GroupContext, provider: pulumi.ProviderResource, opts: pulumi.ResourceOptions
    ) -> pulumi.ComponentResource: ...


def cloud_module(cloud: str) -> CloudModule:
    module: Any = importlib.import_module(f"gpufleet.{cloud}.component")
    return module  # type: ignore[no-any-return]


class GpuFleet(pulumi.ComponentResource):
    """All groups of a fleet. Providers are made once per (cloud, region), never ambient."""

    groups: dict[str, pulumi.ComponentResource]
    """The per-group components, by group name."""
    groups_outputs: pulumi.Output[dict[str, Any]]
    """Each group's registered outputs (ids, names), by group name."""

    def __init__(
        self,
        name: str,
        spec: FleetSpec,
        catalog: Catalog | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gpufleet:index:GpuFleet", name, None, opts)
        cat = catalog or load_catalog()
        child = pulumi.ResourceOptions(parent=self)
        providers: dict[tuple[str, str], pulumi.ProviderResource] = {}
        self.groups = {}
        for group in spec.groups:
            module = cloud_module(group.cloud)
            key = (group.cloud, group.region)
            if key not in providers:
                providers[key] = module.provider(f"{spec.name}-{group.cloud}-{group.region}", group.region, child)
            ctx = GroupContext(fleet=spec, resolved=resolve_group(group, cat), catalog=cat)
            self.groups[group.name] = module.build(ctx, providers[key], child)
        self.groups_outputs = pulumi.Output.from_input(
            {name: cast(GroupOutputs, comp).outputs for name, comp in self.groups.items()}
        )
        self.register_outputs({"groups": sorted(self.groups)})
