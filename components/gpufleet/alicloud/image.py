"""The node image on Alibaba Cloud: the user's image id, or a public Ubuntu image.

Scaling configurations take ``image_id`` or ``image_name`` [SDK: ess.ScalingConfiguration
image_id / image_name]; ESS ignores ImageName when ImageId is set and ImageName cannot
name a Marketplace image [DOC: ESS 2022-02-22 CreateScalingConfiguration ImageName, as
generated into the official alibabacloud_ess20220222 SDK]. Alibaba public image ids are
the image file names, so an id is as readable as a name and is what we pin. Nothing is
looked up at plan time (``ecs.get_images`` is an invoke).

These defaults live here rather than in ``gpufleet.bootstrap``; they can move there when
the bootstrap image table is merged.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpufleet.spec import BootstrapSpec

# Alibaba Cloud public Ubuntu images (owner "system"), generic: no NVIDIA driver, so
# bootstrap installs it. Ids seen in public Terraform code (code search, 2025 releases);
# Alibaba retires old public image versions, so availability in every region is
# UNVERIFIED. Override with bootstrap.image.id (e.g. an image from "aliyun ecs
# DescribeImages --ImageOwnerAlias system --ImageName 'ubuntu_22_04_x64*'").
PUBLIC_UBUNTU_IMAGES: dict[str, str] = {
    "ubuntu-22.04": "ubuntu_22_04_x64_20G_alibase_20250917.vhd",
    "ubuntu-24.04": "ubuntu_24_04_x64_20G_alibase_20250916.vhd",
}


@dataclass(frozen=True)
class AlicloudImage:
    """The image a group's scaling configuration boots."""

    image_id: str
    driver_included: bool
    """The image already ships the NVIDIA driver (bootstrap then only checks it)."""


def image_for(bootstrap: BootstrapSpec) -> AlicloudImage:
    """The user's ``bootstrap.image.id`` if given, else the public Ubuntu image of ``os``."""
    if bootstrap.image is not None and bootstrap.image.id is not None:
        return AlicloudImage(bootstrap.image.id, bootstrap.image.driver_included)
    return AlicloudImage(PUBLIC_UBUNTU_IMAGES[bootstrap.os], driver_included=False)
