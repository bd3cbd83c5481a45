"""Default base images per cloud, and what each one already ships.

The bootstrap checks instead of reinstalling what an image ships (``driver_included``),
so the defaults matter: they decide boot time and which versions a node runs.

- AWS: the Deep Learning Base OSS Nvidia Driver GPU AMI (SSM parameter). Ships the
  driver, CUDA, NCCL, EFA + aws-ofi-nccl, DCGM, the container toolkit and Docker.
- Azure with InfiniBand: Microsoft's ``ubuntu-hpc`` image. Ships driver R580, CUDA, NCCL
  + the SHARP plugin, DCGM, DOCA-OFED, HPC-X, the fabric manager, the container toolkit, Moby.
- Azure otherwise: Canonical Ubuntu server. Nothing GPU-related: the bootstrap installs it.
- Alibaba: public Ubuntu (``*_alibase_*``). Nothing GPU-related: the bootstrap installs it.

Alibaba also publishes Ubuntu images with the driver built in
(:data:`ALICLOUD_GPU_IMAGES`); use one with ``bootstrap.image: {id: ..., driverIncluded: true}``.

Floating defaults (the DLAMI SSM parameter, Azure ``:latest``) move with their
publisher; pin ``bootstrap.image.id`` for a fleet that must not change on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gpufleet.catalog import Cloud, InstanceType
from gpufleet.spec import BootstrapSpec

ImageKind = Literal["ssm-parameter", "id", "urn"]


@dataclass(frozen=True)
class BaseImage:
    """A base image and what the bootstrap may skip on it."""

    cloud: Cloud
    name: str
    """Human label for messages and docs."""
    ref: str
    """AMI id, SSM parameter name, Azure URN or image id, Alibaba image id."""
    kind: ImageKind
    driver_included: bool
    """The image ships the NVIDIA driver: the bootstrap checks it instead of installing."""
    driver_branch: int | None
    """Branch of the shipped driver when a source pins it; None when unknown or floating."""
    ships: tuple[str, ...]
    """Components the image already carries (the bootstrap still checks each)."""
    source: str


# DLAMI "Base OSS Nvidia Driver GPU AMI", x86_64 public SSM parameters (same names as
# gpufleet.aws.image) [DOC: AWS DLAMI Developer Guide "Finding the ID of a DLAMI"; the
# exact names are used by many public projects, UNVERIFIED which spelling AWS uses per
# release]. Contents per the DLAMI release notes of the 2026-01-02 x86 release: driver
# 580.105.08, CUDA 13.0, EFA 1.45.0, aws-ofi-nccl 1.17.2, DCGM 4.4.2, container toolkit
# 1.18.1, Docker. Newer releases moved on (the 2026-10 ARM64 AMI ships driver 595.91.07),
# so the branch is left unknown: the node checks it. Fabric manager on the AMI: UNVERIFIED
# (not listed in the release notes' package table; the bootstrap installs it if absent).
AWS_DLAMI: dict[str, str] = {
    "ubuntu-22.04": "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id",
    "ubuntu-24.04": "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id",
}
AWS_DLAMI_SHIPS = ("driver", "cuda", "nccl", "efa", "aws-ofi-nccl", "dcgm", "container-toolkit", "docker")

# Microsoft Ubuntu-HPC image [Azure/azhpc-images README "supported marketplace images";
# versions.json snapshot 2026-07-29: driver 580.126.16 (22.04) / 580.173.02 (24.04), CUDA 13,
# NCCL 2.30 + nccl-rdma-sharp-plugins, DCGM 4.5, DOCA-OFED 3.2, HPC-X, fabric manager,
# nvidia-container-toolkit, Moby]. The 2404 URN is UNVERIFIED against the marketplace.
AZURE_HPC: dict[str, str] = {
    "ubuntu-22.04": "microsoft-dsvm:ubuntu-hpc:2204:latest",
    "ubuntu-24.04": "microsoft-dsvm:ubuntu-hpc:2404:latest",
}
AZURE_HPC_SHIPS = (
    "driver",
    "cuda",
    "nccl",
    "nccl-rdma-sharp-plugins",
    "dcgm",
    "doca-ofed",
    "hpc-x",
    "fabric-manager",
    "container-toolkit",
    "moby",
)
# Canonical Ubuntu server, Gen2 (widely used URNs; UNVERIFIED against the marketplace here).
AZURE_UBUNTU: dict[str, str] = {
    "ubuntu-22.04": "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest",
    "ubuntu-24.04": "Canonical:ubuntu-24_04-lts:server:latest",
}

# Alibaba public images are named <os>_<ver>_x64_20G_alibase_<date>.vhd and share their id
# across regions; these dates are the newest seen in public use (2026-05/2026-09,
# UNVERIFIED as the current newest; older dated images are retired over time).
ALICLOUD_UBUNTU: dict[str, str] = {
    "ubuntu-22.04": "ubuntu_22_04_x64_20G_alibase_20260522.vhd",
    "ubuntu-24.04": "ubuntu_24_04_x64_20G_alibase_20260916.vhd",
}
# Alibaba public Ubuntu images with the NVIDIA driver and CUDA built in. A third-party
# deployment note lists driver 580.126.09, CUDA 12.8, the container toolkit and Docker
# (UNVERIFIED from an Alibaba page), so they are offered, not the default.
ALICLOUD_GPU_IMAGES: dict[str, str] = {
    "ubuntu-22.04": "ubuntu_22_04_x64_100G_with_gpu_driver_and_cuda_alibase_20260520.vhd",
    "ubuntu-24.04": "ubuntu_24_04_x64_100G_with_gpu_driver_and_cuda_alibase_20260519.vhd",
}
ALICLOUD_GPU_IMAGE_SHIPS = ("driver", "cuda", "container-toolkit", "docker")


def default_image(cloud: Cloud, os: str, rdma: bool) -> BaseImage:
    """The image a group boots when ``bootstrap.image`` is not set."""
    if cloud == "aws":
        return BaseImage(
            cloud,
            f"DLAMI Base OSS Nvidia Driver GPU ({os})",
            AWS_DLAMI[os],
            "ssm-parameter",
            True,
            None,
            AWS_DLAMI_SHIPS,
            "AWS DLAMI release notes (x86_64 Ubuntu, 2026-01-02)",
        )
    if cloud == "azure" and rdma:
        return BaseImage(
            cloud,
            f"Microsoft Ubuntu-HPC ({AZURE_HPC[os]})",
            AZURE_HPC[os],
            "urn",
            True,
            580,
            AZURE_HPC_SHIPS,
            "Azure/azhpc-images versions.json (2026-07-29)",
        )
    if cloud == "azure":
        return BaseImage(
            cloud, f"Canonical Ubuntu ({AZURE_UBUNTU[os]})", AZURE_UBUNTU[os], "urn", False, None, (), "Canonical"
        )
    return BaseImage(
        cloud,
        f"Alibaba public Ubuntu ({ALICLOUD_UBUNTU[os]})",
        ALICLOUD_UBUNTU[os],
        "id",
        False,
        None,
        (),
        "Alibaba Cloud public images",
    )


def resolve_image(bootstrap: BootstrapSpec, cloud: Cloud, instance: InstanceType, rdma: bool) -> BaseImage:
    """The spec's image override, else :func:`default_image`. ``instance`` is the group's
    primary type (kept for per-type defaults; none differ by type today)."""
    del instance
    img = bootstrap.image
    if img is None:
        return default_image(cloud, bootstrap.os, rdma)
    if img.ssm_parameter is not None:
        return BaseImage(
            cloud,
            f"SSM {img.ssm_parameter}",
            img.ssm_parameter,
            "ssm-parameter",
            img.driver_included,
            None,
            ("driver",) if img.driver_included else (),
            "bootstrap.image",
        )
    ref = img.id or ""
    return BaseImage(
        cloud,
        f"image {ref}",
        ref,
        "urn" if cloud == "azure" and ref.count(":") == 3 else "id",
        img.driver_included,
        None,
        ("driver",) if img.driver_included else (),
        "bootstrap.image",
    )
