"""The node image on AWS: a user's AMI or SSM parameter, or the Deep Learning AMI.

Every default is an SSM *public parameter* passed as ``resolve:ssm:<name>`` in the
launch template, so EC2 resolves the AMI at launch time and nothing is looked up at
plan time. The parameter names come from ``gpufleet.bootstrap.images``, the one table the
bootstrap's driver checks also read.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpufleet.bootstrap import images
from gpufleet.context import GroupContext

# The DLAMI SSM parameters and what the AMI ships are sourced once, in gpufleet.bootstrap.images.
DLAMI_SSM_PARAMETERS = images.AWS_DLAMI

RESOLVE_SSM = "resolve:ssm:"
"""Launch templates accept ``resolve:ssm:<parameter>`` as the image id [SDK:
aws.ec2.LaunchTemplate image_id docstring; DOC: SSM "Native parameter support for AMI IDs"]."""


@dataclass(frozen=True)
class AwsImage:
    """The image a group's launch template boots."""

    image_id: str
    """An AMI id or ``resolve:ssm:<parameter>``."""
    has_driver: bool
    """The image ships the NVIDIA driver, so bootstrap checks it instead of installing."""
    source: str
    """Where the choice came from, for the docs and plan reports."""


def image_for(ctx: GroupContext) -> AwsImage:
    """The image for a group: the spec's override, else the DLAMI for its OS."""
    bootstrap = ctx.group.bootstrap
    image = bootstrap.image
    if image is not None and image.id is not None:
        return AwsImage(image.id, image.driver_included, "bootstrap.image.id")
    if image is not None and image.ssm_parameter is not None:
        return AwsImage(RESOLVE_SSM + image.ssm_parameter, image.driver_included, "bootstrap.image.ssmParameter")
    param = DLAMI_SSM_PARAMETERS[bootstrap.os]
    return AwsImage(RESOLVE_SSM + param, True, f"DLAMI Base OSS Nvidia Driver GPU AMI ({bootstrap.os})")
