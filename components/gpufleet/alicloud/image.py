"""The node image on Alibaba Cloud: ``gpufleet.bootstrap.images.resolve_image``'s choice as a
scaling configuration ``image_id``.

Scaling configurations take ``image_id`` or ``image_name`` [SDK: ess.ScalingConfiguration
image_id / image_name]; ESS ignores ImageName when ImageId is set and ImageName cannot
name a Marketplace image [DOC: ESS 2022-02-22 CreateScalingConfiguration ImageName, as
generated into the official alibabacloud_ess20220222 SDK]. Alibaba public image ids are
the image file names, so an id is as readable as a name and is what we pin. Nothing is
looked up at plan time (``ecs.get_images`` is an invoke).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from gpufleet.bootstrap.images import ALICLOUD_UBUNTU, BaseImage, resolve_image
from gpufleet.context import GroupContext

# Public Ubuntu images (no NVIDIA driver, so bootstrap installs it). Override with
# bootstrap.image.id (e.g. an image from "aliyun ecs DescribeImages --ImageOwnerAlias system
# --ImageName 'ubuntu_22_04_x64*'").
PUBLIC_UBUNTU_IMAGES = ALICLOUD_UBUNTU


@dataclass(frozen=True)
class AlicloudImage:
    """The image a group's scaling configuration boots."""

    image_id: pulumi.Input[str]
    """A public or custom image id; for a baked image, the id the fleet's ``GpuImage`` looked up
    (known at ``pulumi up``)."""
    base: BaseImage
    """The decision it translates (driver shipped, its branch, source)."""

    @property
    def driver_included(self) -> bool:
        """The image already ships the NVIDIA driver (bootstrap then only checks it)."""
        return self.base.driver_included


def image_for(ctx: GroupContext, baked_image_id: pulumi.Input[str] | None = None) -> AlicloudImage:
    """The user's ``bootstrap.image.id`` if given, a baked image (``bootstrap.image.name``: its id
    from the fleet's ``GpuImage``), else the public Ubuntu image of ``os``."""
    base = resolve_image(ctx.group.bootstrap, "alicloud", ctx.group.rdma, ctx.fleet.images)
    if base.kind == "baked":
        if baked_image_id is None:
            raise ValueError(f"{ctx.name}: baked image '{base.ref}' needs its image id (GpuFleet passes it)")
        return AlicloudImage(baked_image_id, base)
    return AlicloudImage(base.ref, base)
