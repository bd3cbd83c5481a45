"""The node image on AWS: ``gpufleet.bootstrap.images.resolve_image``'s choice as a launch
template ``image_id``.

Every default is an SSM *public parameter* passed as ``resolve:ssm:<name>``, so EC2 resolves
the AMI at launch time and nothing is looked up at plan time. Which image, and what it ships,
is decided once in ``gpufleet.bootstrap.images``; this module only translates.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from gpufleet.bootstrap.images import AWS_DLAMI, BaseImage, resolve_image
from gpufleet.context import GroupContext

DLAMI_SSM_PARAMETERS = AWS_DLAMI

RESOLVE_SSM = "resolve:ssm:"
"""Launch templates accept ``resolve:ssm:<parameter>`` as the image id [SDK:
aws.ec2.LaunchTemplate image_id docstring; DOC: SSM "Native parameter support for AMI IDs"]."""


@dataclass(frozen=True)
class AwsImage:
    """The image a group's launch template boots."""

    image_id: pulumi.Input[str]
    """An AMI id or ``resolve:ssm:<parameter>``; for a baked image, its AMI id as an output of
    the fleet's ``GpuImage`` (known at ``pulumi up``)."""
    base: BaseImage
    """The decision it translates (driver shipped, its branch, source)."""

    @property
    def has_driver(self) -> bool:
        """The image ships the NVIDIA driver, so bootstrap checks it instead of installing."""
        return self.base.driver_included


def image_for(ctx: GroupContext, baked_image_id: pulumi.Input[str] | None = None) -> AwsImage:
    """The image for a group: the spec's override, else the DLAMI for its OS. A baked image
    (``bootstrap.image.name``) needs its AMI id from the fleet's ``GpuImage``."""
    base = resolve_image(ctx.group.bootstrap, "aws", ctx.group.rdma, ctx.fleet.images)
    if base.kind == "baked":
        if baked_image_id is None:
            raise ValueError(f"{ctx.name}: baked image '{base.ref}' needs its AMI id (GpuFleet passes it)")
        return AwsImage(baked_image_id, base)
    return AwsImage(RESOLVE_SSM + base.ref if base.kind == "ssm-parameter" else base.ref, base)
