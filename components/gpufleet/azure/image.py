"""Which image an Azure group boots (pure; a baked image's id is a Pulumi input).

- InfiniBand groups default to Microsoft's Ubuntu-HPC image. Per its build recipe
  (Azure/azhpc-images versions.json, ubuntu 22.04) it ships the NVIDIA driver 580
  (open modules), CUDA, NCCL, DCGM, the DOCA-OFED InfiniBand stack, HPC-X, Fabric
  Manager and the NVIDIA container toolkit [research: bootstrap-facts section 8a].
  Other images need the InfiniBand drivers installed separately [DOC: Microsoft Learn
  "High performance computing VM sizes"].
- Other groups default to Canonical's Ubuntu server image, and the bootstrap installs
  the driver branch the spec names. That keeps ``bootstrap.driver`` meaningful (the
  HPC image pins its own driver), matches the AWS and Alibaba base-OS path, and avoids
  an image that is mostly HPC libraries. For faster boots, point ``bootstrap.image.id``
  at the HPC image and set ``driverIncluded: true``.

``bootstrap.image.id`` overrides the default with a marketplace URN
(``publisher:offer:sku:version``) or an image resource id (``/subscriptions/...``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi

from gpufleet.bootstrap.images import AZURE_HPC, AZURE_UBUNTU, BaseImage, resolve_image
from gpufleet.context import GroupContext

# Marketplace URNs, sourced once in gpufleet.bootstrap.images (which also decides which one a
# group boots). ND H100 v5 sizes boot Gen2 images only (UNVERIFIED here); all four are Gen2.
HPC_IMAGES = AZURE_HPC
BASE_IMAGES = AZURE_UBUNTU

URN_RE = re.compile(r"^[A-Za-z0-9][\w.-]*:[\w.-]+:[\w.-]+:[\w.-]+$")
"""``publisher:offer:sku:version``; each part non-empty, no spaces."""
RESOURCE_ID_RE = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/\S+$", re.I)
"""A managed image or gallery image (version) resource id."""


@dataclass(frozen=True)
class AzureImage:
    """The image of a scale set: a marketplace URN or an image resource id."""

    urn: str | None
    resource_id: pulumi.Input[str] | None
    """An image resource id; for a baked image, its gallery image definition id as an output of
    the fleet's ``GpuImage`` (the scale set boots the latest version)."""
    base: BaseImage
    """The decision it translates (driver shipped, its branch, source)."""

    @property
    def has_driver(self) -> bool:
        """The image ships the NVIDIA driver, so the bootstrap checks it instead of installing."""
        return self.base.driver_included

    @property
    def parts(self) -> tuple[str, str, str, str]:
        """``(publisher, offer, sku, version)`` of a URN image."""
        if self.urn is None:
            raise ValueError("not a marketplace URN image")
        publisher, offer, sku, version = self.urn.split(":")
        return publisher, offer, sku, version


def image_problem(image_id: str) -> str | None:
    """Why ``bootstrap.image.id`` is not a usable Azure image reference, or None."""
    if URN_RE.match(image_id) or RESOURCE_ID_RE.match(image_id):
        return None
    return (
        f"'{image_id}' is neither a marketplace URN 'publisher:offer:sku:version' "
        "(e.g. 'microsoft-dsvm:ubuntu-hpc:2204:latest') nor an image resource id '/subscriptions/.../providers/"
        "Microsoft.Compute/...'"
    )


def image_for(ctx: GroupContext, baked_image_id: pulumi.Input[str] | None = None) -> AzureImage:
    """The image for a group: the spec's override, else the HPC image for InfiniBand, else Ubuntu.
    A baked image (``bootstrap.image.name``) needs its gallery image id from the fleet's ``GpuImage``."""
    base = resolve_image(ctx.group.bootstrap, "azure", ctx.group.rdma, ctx.fleet.images)
    if base.kind == "baked":
        if baked_image_id is None:
            raise ValueError(f"{ctx.name}: baked image '{base.ref}' needs its gallery image id (GpuFleet passes it)")
        return AzureImage(urn=None, resource_id=baked_image_id, base=base)
    if RESOURCE_ID_RE.match(base.ref):
        return AzureImage(urn=None, resource_id=base.ref, base=base)
    return AzureImage(urn=base.ref, resource_id=None, base=base)
