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

This module is the one image and driver decision: :func:`resolve_image` picks the image
(the cloud modules only translate it into an AMI/SSM reference, a URN or an image id), and
:func:`driver_on_node` says which driver branch a node of that image runs under a pin. Spec
validation (``matrix.check_bootstrap``) and the renderer (``node.env``) both call it:

- image branch == pin, or the image has no driver (or an unrecorded one): the pin.
- image **newer** than the pin: nodes keep the image's driver (the bootstrap never
  downgrades one); validation warns and checks the GPUs and CUDA against the image's branch,
  and node.env names that branch.
- image **older** than the pin: refused at spec time, since every node would fail its
  driver step and be replaced in a loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gpufleet.catalog import Cloud
from gpufleet.spec import BootstrapSpec, GpuImageSpec

ImageKind = Literal["ssm-parameter", "id", "urn", "baked"]
"""How a cloud module refers to the image; ``baked``: a fleet image (``images[]``) whose id is a
Pulumi output of its ``GpuImage`` component, known only at ``pulumi up``."""


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
    """Branch of the shipped driver as its release notes give it; None when no source says."""
    ships: tuple[str, ...]
    """Components the image already carries (the bootstrap still checks each)."""
    source: str


# DLAMI "Base OSS Nvidia Driver GPU AMI", x86_64 public SSM parameters (same names as
# gpufleet.aws.image) [DOC: AWS DLAMI Developer Guide "Finding the ID of a DLAMI"; the
# exact names are used by many public projects, UNVERIFIED which spelling AWS uses per
# release]. Contents per the DLAMI release notes of the 2026-01-02 x86 release: driver
# 580.105.08, CUDA 13.0, EFA 1.45.0, aws-ofi-nccl 1.17.2, DCGM 4.4.2, container toolkit
# 1.18.1, Docker. Fabric manager on the AMI: UNVERIFIED (not listed in the release notes'
# package table; the bootstrap installs it if absent).
AWS_DLAMI: dict[str, str] = {
    "ubuntu-22.04": "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id",
    "ubuntu-24.04": "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id",
}
AWS_DLAMI_DRIVER_BRANCH = 595
"""Driver branch of the current DLAMI Base OSS releases: nvidia_driver 595.91.07 in the DLAMI
release notes of "Deep Learning ARM64 Base OSS Nvidia Driver GPU AMI" Ubuntu 22.04 20261009
and Ubuntu 24.04 20260929 (docs.aws.amazon.com/dlami/latest/devguide, pages
aws-deep-learning-ami-gpubaseossarm64-ul2204-2026-10-09 and -ul2404-2026-09-30); 595.58.03
since the 2026-04 releases. UNVERIFIED for the x86_64 AMIs these parameters name: no x86_64
page of the 2026-04..10 releases was found here; the x86_64 2026-01-02 notes give 580.105.08.
The parameter floats: a newer AMI keeps its newer driver on the node (see driver_on_node)."""
AWS_DLAMI_SHIPS = ("driver", "cuda", "nccl", "efa", "aws-ofi-nccl", "dcgm", "container-toolkit", "docker")

# Microsoft Ubuntu-HPC image [Azure/azhpc-images README "supported marketplace images";
# versions.json snapshot 2026-07-29: driver 580.126.16 (22.04) / 580.173.02 (24.04), CUDA 13,
# NCCL 2.30 + nccl-rdma-sharp-plugins, DCGM 4.5, DOCA-OFED 3.2, HPC-X, fabric manager,
# nvidia-container-toolkit, Moby]; the README lists both URNs ("Ubuntu-HPC 24.04
# (microsoft-dsvm:ubuntu-hpc:2404:latest)").
AZURE_HPC: dict[str, str] = {
    "ubuntu-22.04": "microsoft-dsvm:ubuntu-hpc:2204:latest",
    "ubuntu-24.04": "microsoft-dsvm:ubuntu-hpc:2404:latest",
}
AZURE_HPC_DRIVER_BRANCH = 580
"""Azure/azhpc-images versions.json (snapshot 2026-07-29): nvidia driver 580.126.16 (22.04),
580.173.02 (24.04). The ``:latest`` version floats like the DLAMI."""
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
ALICLOUD_GPU_IMAGE_DRIVER_BRANCH = 580
"""580.126.09 per the same third-party note: UNVERIFIED from an Alibaba page. Not a default
image, so no spec check reads it; give it as ``bootstrap.image.id`` with ``driverIncluded``."""


# Canonical's public SSM parameters for its Ubuntu server AMIs (amd64). Names as Canonical's
# "Find Ubuntu images on AWS" page gives them (ubuntu.com/server/docs, read from memory of that
# page: UNVERIFIED here; 24.04 images use gp3 in the name). The build bases on plain Ubuntu so the
# pinned driver is the one installed (the DLAMI ships its own, newer branch).
AWS_UBUNTU: dict[str, str] = {
    "ubuntu-22.04": "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
    "ubuntu-24.04": "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
}


def build_base_image(image: GpuImageSpec) -> BaseImage:
    """The image a baked image is built from: ``images[].bootstrap.image``, else the cloud's plain
    Ubuntu (no driver, so the build installs the pinned branch), except Azure with RDMA, which
    builds on the HPC image for its InfiniBand stack (checked, not reinstalled, by the build)."""
    b = image.bootstrap
    if b.image is not None:
        return resolve_image(b, image.cloud, image.rdma)
    if image.cloud == "aws":
        return BaseImage(
            "aws", f"Canonical Ubuntu ({b.os})", AWS_UBUNTU[b.os], "ssm-parameter", False, None, (), "Canonical"
        )
    if image.cloud == "azure" and not image.rdma:
        return default_image("azure", b.os, False)
    return default_image(image.cloud, b.os, image.rdma)


def baked_ships(image: GpuImageSpec) -> tuple[str, ...]:
    """What a baked image carries (the build installed each; a booted node verifies them)."""
    b = image.bootstrap
    out = ["driver"]
    out += ["cuda"] if b.cuda else []
    out += ["container-toolkit"] if b.container_toolkit else []
    out += ["dcgm"] if b.dcgm else []
    out += ["health-check"] if b.health_check else []
    if image.rdma:
        out += {"aws": ["efa", "aws-ofi-nccl"], "azure": ["doca-ofed"], "alicloud": ["erdma"]}[image.cloud]
    return tuple(out)


def default_image(cloud: Cloud, os: str, rdma: bool) -> BaseImage:
    """The image a group boots when ``bootstrap.image`` is not set."""
    if cloud == "aws":
        return BaseImage(
            cloud,
            f"DLAMI Base OSS Nvidia Driver GPU ({os})",
            AWS_DLAMI[os],
            "ssm-parameter",
            True,
            AWS_DLAMI_DRIVER_BRANCH,
            AWS_DLAMI_SHIPS,
            "AWS DLAMI release notes (driver: Base OSS ARM64 2026-09/10 releases; x86_64 UNVERIFIED)",
        )
    if cloud == "azure" and rdma:
        return BaseImage(
            cloud,
            f"Microsoft Ubuntu-HPC ({AZURE_HPC[os]})",
            AZURE_HPC[os],
            "urn",
            True,
            AZURE_HPC_DRIVER_BRANCH,
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


def resolve_image(
    bootstrap: BootstrapSpec, cloud: Cloud, rdma: bool, images: tuple[GpuImageSpec, ...] = ()
) -> BaseImage:
    """The image a group boots: the spec's ``bootstrap.image``, else :func:`default_image`.
    The only image decision; the cloud modules translate its result. ``images`` are the fleet's
    baked images, which ``bootstrap.image.name`` refers to (validation has checked the name)."""
    img = bootstrap.image
    if img is None:
        return default_image(cloud, bootstrap.os, rdma)
    if img.name is not None:
        baked = next((i for i in images if i.name == img.name), None)
        if baked is None:
            raise KeyError(f"bootstrap.image.name '{img.name}' is not one of the fleet's images")
        return BaseImage(
            cloud,
            f"'{baked.name}' (baked by gpufleet)",
            baked.name,
            "baked",
            True,
            int(baked.bootstrap.driver),
            baked_ships(baked),
            f"images[{images.index(baked)}] (built by gpufleet)",
        )
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


@dataclass(frozen=True)
class NodeDriver:
    """The driver branch a node runs, and what validation says about it."""

    branch: int
    """The branch nodes run: the pin, or the image's when the image ships a newer one."""
    warning: str | None = None
    """Set when the image's newer driver wins over the pin (shown by validate and plan)."""
    problem: str | None = None
    """Set when the image ships an older driver than the pin (refused at spec time)."""


def driver_on_node(
    pinned: int, image_has_driver: bool, image_branch: int | None, image_name: str = "", exact: bool = False
) -> NodeDriver:
    """Which driver branch a node runs when the spec pins ``pinned`` on an image that ships
    ``image_branch`` (None: no driver, or none recorded; the node checks it at boot).

    ``exact``: the image is one gpufleet baked, whose branch is known at spec time, so any other
    pin is refused (a booted node only verifies; it installs nothing)."""
    if not image_has_driver or image_branch is None or image_branch == pinned:
        return NodeDriver(pinned)
    image = image_name or "the image"
    if exact:
        return NodeDriver(
            image_branch,
            problem=f"{image} was baked with driver R{image_branch}, not the pinned '{pinned}': nodes on a baked "
            f"image only verify its stack. Pin driver '{image_branch}', or change the image's bootstrap.driver "
            f"(a new image version, rolled out by the group's safe update)",
        )
    if image_branch > pinned:
        return NodeDriver(
            image_branch,
            warning=f"{image} ships driver R{image_branch}, newer than the pinned '{pinned}': nodes keep "
            f"R{image_branch} (the bootstrap never downgrades an image's driver), and the GPU and CUDA checks "
            f"use R{image_branch}. Pin driver '{image_branch}' to say so, or set bootstrap.image to an image "
            f"without a driver (driverIncluded: false) to install '{pinned}'",
        )
    return NodeDriver(
        pinned,
        problem=f"{image} ships driver R{image_branch}, older than the pinned '{pinned}': every node would fail "
        f"its driver step and be replaced. Use driver '{image_branch}' (or older, which nodes run as "
        f"R{image_branch}), or set bootstrap.image to an image without a driver (driverIncluded: false) so "
        f"gpufleet installs '{pinned}'",
    )
