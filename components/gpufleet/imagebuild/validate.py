"""Spec checks of ``images:`` and of ``bootstrap.image.name``, each naming its field path.

An image is checked against the same driver matrix as a group (``matrix.check_bootstrap`` on its
target instance types), so an image that no group could boot is refused before any build. A group
on a baked image must ask for exactly the stack the image records: nodes only verify it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gpufleet.bootstrap.matrix import check_bootstrap
from gpufleet.catalog import Catalog, InstanceType
from gpufleet.errors import Problem
from gpufleet.pricing.price import is_priced
from gpufleet.spec import CapacitySpec, GpuImageSpec, GpuSpec, GroupSpec
from gpufleet.suggest import did_you_mean, one_of

BUILDER_CLOUDS = ("aws", "azure", "alicloud")
"""Clouds whose image builder gpufleet wires (docs/images.md)."""

ALICLOUD_IMAGE_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9:._-]{1,63}$")
"""The image name (prefix) Alibaba Image Builder accepts: 2 to 64 characters, a letter first
(terraform-provider-alicloud resource_alicloud_ecs_image_pipeline.go, image_name ValidateFunc;
SDK docstring of EcsImagePipelineArgs.image_name). gpufleet names it ``<fleet>-<image>-<stack key>``."""

ASYNC_BUILD_CLOUDS = ("azure", "alicloud")
"""Clouds whose build runs on after ``pulumi up`` returns, so a group may boot the image only from
a later ``up`` (``images[].published``): Azure VM Image Builder (``autoRun``) and Alibaba Image
Builder, whose execution returns while the build runs and outputs no image id
(terraform-provider-alicloud resource_alicloud_ecs_image_pipeline_execution.go). AWS's
``imagebuilder.Image`` waits for the AMI (docs/images.md)."""

STACK_KEY_LEN = 8
"""Hex characters of the stack key (``imagebuild.alicloud.stack_key``) in an Alibaba image name."""

ALICLOUD_STACK_KEY = "-" + "0" * STACK_KEY_LEN
"""What gpufleet appends to ``<fleet>-<image>`` in an Alibaba image name: '-' and the 8-hex stack
key (``imagebuild.alicloud.stack_key``); the name rule counts it."""


def image_problems(images: Sequence[GpuImageSpec], cat: Catalog, fleet: str | None = None) -> list[Problem]:
    """Problems with the fleet's ``images`` (names, clouds, regions, types, builder, matrix);
    ``fleet`` (the fleet's name) is part of the image name on Alibaba."""
    out: list[Problem] = []
    seen: dict[str, int] = {}
    for i, img in enumerate(images):
        path = f"images[{i}]"
        if img.name in seen:
            out.append(Problem(f"{path}.name", f"duplicate image name '{img.name}' (also images[{seen[img.name]}])"))
        seen.setdefault(img.name, i)
        if img.cloud not in BUILDER_CLOUDS:
            out.append(
                Problem(
                    f"{path}.cloud",
                    f"gpufleet builds images on {', '.join(BUILDER_CLOUDS)} only so far; '{img.cloud}' is not wired "
                    "yet (docs/images.md). Use bootstrap.image.id with an image you built yourself",
                )
            )
            continue
        named = f"{fleet}-{img.name}{ALICLOUD_STACK_KEY}"
        if img.cloud == "alicloud" and fleet is not None and not ALICLOUD_IMAGE_NAME.match(named):
            out.append(
                Problem(
                    f"{path}.name",
                    f"Alibaba names the image '{fleet}-{img.name}-<8-character stack key>' (fleet name, '-', "
                    "image name, '-', key), which must be 2 to 64 characters, a letter first: shorten the fleet "
                    "or image name",
                )
            )
        for j, region in enumerate(img.all_regions):
            rp = f"{path}.region" if j == 0 else f"{path}.regions[{j - 1}]"
            if cat.region(img.cloud, region) is None:
                out.append(
                    Problem(
                        rp,
                        f"unknown {img.cloud} region '{region}'.{did_you_mean(region, cat.region_names(img.cloud))} "
                        f"Valid: {one_of(cat.region_names(img.cloud), 15)}",
                    )
                )
        if len(set(img.all_regions)) != len(img.regions) + 1:
            out.append(Problem(f"{path}.regions", "lists a region twice (or repeats 'region')"))
        if img.bootstrap.image is not None and img.bootstrap.image.name is not None:
            msg = "an image is built from a base image id, not from another baked image"
            out.append(Problem(f"{path}.bootstrap.image.name", msg))
        if img.cloud == "alicloud" and img.rdma:
            # The eRDMA step needs the node's eRDMA interface count and NCCL settings, which a
            # builder without eRDMA interfaces does not have; baking it is not built or verified.
            msg = (
                "gpufleet does not bake the eRDMA stack yet (its step configures the node's own eRDMA "
                "interfaces, which an image builder does not have): use rdma: false, and keep eRDMA groups on "
                "the boot-time path (no bootstrap.image.name)"
            )
            out.append(Problem(f"{path}.rdma", msg))
        out += _network_problems(img, path)
        out += _builder_problems(img, path, cat)
        types, type_problems = _targets(img, path, cat)
        out += type_problems
        if types and not type_problems:
            out += _matrix_problems(img, types, path)
    return out


def _network_problems(img: GpuImageSpec, path: str) -> list[Problem]:
    """AWS takes security groups; Azure takes a subnet resource id (its network and role scope)."""
    if img.cloud == "aws" and not img.builder.security_group_ids:
        return [Problem(f"{path}.builder.securityGroupIds", "AWS: at least one security group (egress only)")]
    if img.cloud == "alicloud" and img.builder.security_group_ids:
        # CreateImagePipeline takes a vSwitch but no security group (alibabacloud_ecs20140526
        # CreateImagePipelineRequest; terraform-provider-alicloud ecs_image_pipeline): a listed one
        # would be silently ignored.
        msg = "not used on Alibaba (Image Builder takes a vSwitch, no security group); remove it"
        return [Problem(f"{path}.builder.securityGroupIds", msg)]
    if img.cloud == "azure":
        out = []
        if img.builder.security_group_ids:
            msg = "not used on Azure (the subnet's network security group applies); remove it"
            out.append(Problem(f"{path}.builder.securityGroupIds", msg))
        if not SUBNET_ID_RE.match(img.builder.subnet_id):
            out.append(
                Problem(
                    f"{path}.builder.subnetId",
                    f"'{img.builder.subnet_id}' is not an Azure subnet resource id: '/subscriptions/<id>/"
                    "resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>'",
                )
            )
        return out
    return []


SUBNET_ID_RE = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+/subnets/[^/]+$",
    re.I,
)


def _builder_problems(img: GpuImageSpec, path: str, cat: Catalog) -> list[Problem]:
    bp = f"{path}.builder.instanceType"
    it = cat.instance(img.cloud, img.builder.instance_type)
    if it is None:
        return [
            Problem(
                bp,
                f"unknown {img.cloud} GPU instance type '{img.builder.instance_type}'."
                f"{did_you_mean(img.builder.instance_type, cat.instance_names(img.cloud))} The build loads the "
                "driver it installs, so it needs a GPU: a small one (e.g. 'g6.xlarge') is enough",
            )
        ]
    if not is_priced(cat, img.cloud, it.name, img.region):
        return [
            Problem(
                bp,
                f"the catalog has no price for '{it.name}' in {img.region}, so the build cost cannot be estimated; "
                "pick a builder type the catalog prices there",
            )
        ]
    return []


def _targets(img: GpuImageSpec, path: str, cat: Catalog) -> tuple[list[InstanceType], list[Problem]]:
    types: list[InstanceType] = []
    out: list[Problem] = []
    for j, name in enumerate(img.instance_types):
        it = cat.instance(img.cloud, name)
        if it is None:
            out.append(
                Problem(
                    f"{path}.instanceTypes[{j}]",
                    f"unknown {img.cloud} instance type '{name}'.{did_you_mean(name, cat.instance_names(img.cloud))}",
                )
            )
        else:
            types.append(it)
    return types, out


def _as_group(img: GpuImageSpec) -> GroupSpec:
    """The image as a group of its target types, so the one matrix check judges it."""
    return GroupSpec(
        name=img.name,
        cloud=img.cloud,
        region=img.region,
        gpu=GpuSpec(instance_types=img.instance_types),
        capacity=CapacitySpec(max=1),
        rdma=img.rdma,
        bootstrap=img.bootstrap,
    )


def _matrix_problems(img: GpuImageSpec, types: Sequence[InstanceType], path: str) -> list[Problem]:
    out = []
    for p in check_bootstrap(_as_group(img), types, path):
        # The group's gpu paths are the image's instanceTypes.
        field = p.path.replace(f"{path}.gpu.instanceTypes", f"{path}.instanceTypes")
        field = f"{path}.instanceTypes" if field == f"{path}.gpu" else field
        out.append(Problem(field, p.message))
    return out


def group_image_problems(
    g: GroupSpec, path: str, types: Sequence[InstanceType], images: Sequence[GpuImageSpec]
) -> list[Problem]:
    """A group on a baked image: the image exists in its cloud and region, targets its types, and
    records the stack the group pins (the driver branch itself is judged by ``check_bootstrap``)."""
    ref = g.bootstrap.image.name if g.bootstrap.image is not None else None
    if ref is None:
        return []
    ip = f"{path}.bootstrap.image.name"
    img = next((i for i in images if i.name == ref), None)
    if img is None:
        names = [i.name for i in images]
        valid = f"Images: {', '.join(names)}" if names else "the fleet declares no images (add an 'images:' section)"
        return [Problem(ip, f"'{ref}' is not one of the fleet's images.{did_you_mean(ref, names)} {valid}")]
    out: list[Problem] = []
    if img.cloud != g.cloud:
        return [Problem(ip, f"image '{ref}' is built on {img.cloud}; this group runs on {g.cloud}")]
    if g.region not in img.all_regions:
        out.append(
            Problem(
                ip,
                f"image '{ref}' exists in {', '.join(img.all_regions)}, not in {g.region}: add '{g.region}' to its "
                "'regions' (the build copies it there)",
            )
        )
    missing = [t.name for t in types if t.name not in img.instance_types]
    if missing:
        out.append(
            Problem(
                ip,
                f"image '{ref}' targets {', '.join(img.instance_types)}; the group may also launch "
                f"{', '.join(missing)}, whose fabric manager and driver modules the image was not checked for. "
                "Add them to the image's instanceTypes",
            )
        )
    if img.cloud in ASYNC_BUILD_CLOUDS and not img.published:
        out.append(Problem(ip, _unpublished(ref, img.cloud)))
    if g.rdma and not img.rdma:
        out.append(Problem(ip, f"the group uses RDMA but image '{ref}' was built without its RDMA stack (rdma: false)"))
    b, ib = g.bootstrap, img.bootstrap
    for key, mine, baked in (
        ("os", b.os, ib.os),
        ("cuda", b.cuda, ib.cuda),
        ("containerToolkit", b.container_toolkit, ib.container_toolkit),
        ("dcgm", b.dcgm, ib.dcgm),
        ("healthCheck", b.health_check, ib.health_check),
    ):
        if mine != baked:
            out.append(
                Problem(
                    f"{path}.bootstrap.{key}",
                    f"is {mine!r} but image '{ref}' was baked with {key} {baked!r}: nodes on a baked image install "
                    f"nothing, so set bootstrap.{key} to {baked!r} or change the image",
                )
            )
    return out


def _unpublished(ref: str, cloud: str) -> str:
    """Why a group cannot boot an image whose first build may not have finished, and the steps."""
    if cloud == "azure":
        wait, section = "az image builder show-runs", "'Azure: two phases'"
        who = "has no version yet: Azure VM Image Builder builds after `pulumi up` returns"
    else:
        wait, section = "aliyun ecs DescribeImagePipelineExecutions", "'How the Alibaba build works'"
        who = "has no image yet: Alibaba Image Builder builds after `pulumi up` returns and outputs no image id"
    return (
        f"image '{ref}' {who}. Run `pulumi up` without groups on it, wait for the build "
        f"({wait}), then set images[].published: true and add the group (docs/images.md, {section})"
    )
