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
        self,
        ctx: GroupContext,
        provider: pulumi.ProviderResource,
        opts: pulumi.ResourceOptions,
        baked_image_id: pulumi.Input[str] | None = None,
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
    images: dict[str, Any]
    """The baked images (``gpufleet.imagebuild.component.GpuImage``), by image name."""

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
        self.images = {}

        def provider_for(cloud: str, region: str) -> pulumi.ProviderResource:
            if (cloud, region) not in providers:
                providers[(cloud, region)] = cloud_module(cloud).provider(
                    f"{spec.name}-{cloud}-{region}", region, child
                )
            return providers[(cloud, region)]

        if spec.images:  # imports the image builders' SDKs only for fleets that bake images
            from gpufleet.imagebuild.component import GpuImage, GpuImageArgs

            for img in spec.images:
                args = GpuImageArgs(img, spec.name, spec.tags, cat, provider_for(img.cloud, img.region))
                self.images[img.name] = GpuImage(f"{spec.name}-{img.name}", args, child)
        for group in spec.groups:
            module = cloud_module(group.cloud)
            provider = provider_for(group.cloud, group.region)
            ctx = GroupContext(fleet=spec, resolved=resolve_group(group, cat), catalog=cat)
            baked = group.bootstrap.image.name if group.bootstrap.image is not None else None
            if baked is not None:
                image_id = self.images[baked].image_id_in(group.region, provider)
                self.groups[group.name] = module.build(ctx, provider, child, baked_image_id=image_id)
            else:
                self.groups[group.name] = module.build(ctx, provider, child)
        self.groups_outputs = pulumi.Output.from_input(
            {name: cast(GroupOutputs, comp).outputs for name, comp in self.groups.items()}
        )
        self.register_outputs({"groups": sorted(self.groups)})
