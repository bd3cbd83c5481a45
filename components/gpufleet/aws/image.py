"""The node image on AWS: a user's AMI or SSM parameter, or the Deep Learning AMI.

Every default is an SSM *public parameter* passed as ``resolve:ssm:<name>`` in the
launch template, so EC2 resolves the AMI at launch time and nothing is looked up at
plan time. (These AWS defaults live here rather than in ``gpufleet.bootstrap``; they can
move there when the bootstrap image table is merged.)
"""

from __future__ import annotations

from dataclasses import dataclass

from gpufleet.spec import BootstrapSpec

# DLAMI "Base OSS Nvidia Driver GPU AMI" (Ubuntu), x86_64. The parameter name is
# /aws/service/deeplearning/ami/<arch>/<ami_type>/latest/ami-id, where ami_type is the AMI
# name without "deep", "learning" and "ami" [DOC: AWS DLAMI Developer Guide, "Finding the
# ID of a DLAMI", https://docs.aws.amazon.com/dlami/latest/devguide/find-dlami-id.html].
# The exact names below are used by several public projects (CDK, Terraform and Packer
# code found by code search); the guide's own example reads
# ".../base-oss-nvidia-driver-ubuntu-22.04/..." without "gpu" (UNVERIFIED which spelling
# AWS publishes for which release; both follow the rule above for different AMI names).
# The AMIs ship the NVIDIA driver, CUDA, the container toolkit, DCGM and the EFA software
# [DOC: DLAMI release notes "Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04)":
# nvidia_driver, nvidia_container_toolkit_version, dcgm_version, efa_version rows].
DLAMI_SSM_PARAMETERS: dict[str, str] = {
    "ubuntu-22.04": "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id",
    "ubuntu-24.04": "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id",
}

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


def image_for(bootstrap: BootstrapSpec) -> AwsImage:
    """The image for a group: the spec's override, else the DLAMI for its OS."""
    image = bootstrap.image
    if image is not None and image.id is not None:
        return AwsImage(image.id, image.driver_included, "bootstrap.image.id")
    if image is not None and image.ssm_parameter is not None:
        return AwsImage(RESOLVE_SSM + image.ssm_parameter, image.driver_included, "bootstrap.image.ssmParameter")
    param = DLAMI_SSM_PARAMETERS[bootstrap.os]
    return AwsImage(RESOLVE_SSM + param, True, f"DLAMI Base OSS Nvidia Driver GPU AMI ({bootstrap.os})")
