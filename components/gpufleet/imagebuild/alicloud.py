"""Alibaba Cloud Image Builder resources of one baked image: pure builders (spec -> Args).

A build is: image components (the build bundle in chunks, then ``gpufleet-build``, as
Dockerfile-format ``RUN`` commands) -> an image template (``ecs.EcsImagePipeline``: base image,
builder type, private vSwitch, no public bandwidth, ``COMPONENT`` lines in order) -> one
execution (``ecs.ImagePipelineExecution``, StartImagePipelineExecution) [DOC:
help.aliyun.com/zh/ecs/user-guide/commands-supported-by-image-builder, "Dockerfile" commands;
SDK: pulumi_alicloud.ecs EcsImageComponent / EcsImagePipeline / ImagePipelineExecution].

Every input of the three resources is ForceNew (terraform-provider-alicloud
resource_alicloud_ecs_image_{component,pipeline,pipeline_execution}.go), so a changed bundle
or stack replaces the components, the template and the execution, i.e. starts a new build.

The execution does **not** wait for the image: its Create returns once the status is one of
SUCCESS, BUILDING or PREPARING, and it has no image id output (resource_alicloud_ecs_image_
pipeline_execution.go: ``BuildStateConf([]string{}, []string{"SUCCESS", "BUILDING",
"PREPARING"}, ...)``; schema: create_time, image_pipeline_id, status). So ``pulumi up`` cannot
hand the new image id to a group: docs/images.md, Alibaba.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_alicloud as alicloud

from gpufleet.bootstrap.images import build_base_image
from gpufleet.imagebuild.cost import BUILD_HOURS_TAG
from gpufleet.imagebuild.script import BUILD_SCRIPT, BuildBundle
from gpufleet.imagebuild.validate import ALICLOUD_IMAGE_NAME
from gpufleet.spec import GpuImageSpec

COMMAND_MAX = 16 * 1024
"""Bytes per command: "The content size of each command cannot exceed 16 KB" [DOC:
alibabacloud.com/help/en/ecs/user-guide/create-an-image-component, Limits]."""
COMMANDS_MAX = 127
"""Commands per component or template [same page; SDK: EcsImageComponentArgs.content "The
maximum number of commands cannot exceed 127"; EcsImagePipelineArgs.build_content]."""
CONTENT_MAX = 16 * 1024
"""A template's content "cannot be greater than 16 KB" [SDK: EcsImagePipelineArgs.build_content].
Whether a component's whole content has the same limit is UNVERIFIED: each component here holds
one chunk, so it stays under it either way."""
CHUNK = 15000
"""Base64 characters per component; the rest of a command's 16 KB is the ``RUN printf`` around them."""
STAGING = "/var/tmp/gpufleet-build.b64"

SYSTEM_DISK_GIB = 100
"""The build instance's system disk, which becomes the image's: a choice as on AWS (valid 20 to
500 GiB [SDK: EcsImagePipelineArgs.system_disk_size]), and at most the groups' system disk."""


def tags(image: GpuImageSpec, fleet: str, fleet_tags: Mapping[str, str]) -> dict[str, str]:
    """Fleet tags, then the image's, then gpufleet's bookkeeping tags."""
    return {**fleet_tags, **image.tags, "gpufleet-fleet": fleet, "gpufleet-image": image.name}


def component_contents(bundle: BuildBundle) -> list[str]:
    """One component per bundle chunk (``RUN printf`` appending it to a staging file), then one
    that unpacks it and runs the build. Dockerfile format: one command per line, ``RUN`` runs a
    shell command on the build instance [DOC: commands-supported-by-image-builder]."""
    chunks = [bundle.b64[i : i + CHUNK] for i in range(0, len(bundle.b64), CHUNK)]
    out = [f"RUN printf '%s' '{c}' {'>' if i == 0 else '>>'} {STAGING}\n" for i, c in enumerate(chunks)]
    out.append(f"RUN base64 -d {STAGING} | tar -xz -C /\nRUN rm -f {STAGING}\nRUN {BUILD_SCRIPT}\n")
    for content in out:
        _check_content(content)
    return out


def _check_content(content: str) -> None:
    lines = content.splitlines()
    if len(lines) > COMMANDS_MAX:
        raise ValueError(f"image component has {len(lines)} commands, over {COMMANDS_MAX}")
    for line in lines:
        if len(line.encode()) > COMMAND_MAX:
            raise ValueError(f"image component command is {len(line.encode())} bytes, over {COMMAND_MAX}")
    if len(content.encode()) > CONTENT_MAX:
        raise ValueError(f"image component content is {len(content.encode())} bytes, over {CONTENT_MAX}")


def component_args(
    image: GpuImageSpec, content: str, index: int, tag_map: Mapping[str, str]
) -> alicloud.ecs.EcsImageComponentArgs:
    return alicloud.ecs.EcsImageComponentArgs(
        content=content,
        component_type="Build",
        system_type="Linux",
        description=f"gpufleet image {image.name}: build step {index + 1}",
        tags=dict(tag_map),
    )


def build_content(component_ids: Sequence[str]) -> str:
    """The template: the components in order, one ``COMPONENT <id>`` line each [DOC:
    commands-supported-by-image-builder, template commands; the exact ``COMPONENT`` spelling is
    UNVERIFIED here]. No ``FROM``: the base image is the template's BaseImage."""
    content = "".join(f"COMPONENT {cid}\n" for cid in component_ids)
    if len(component_ids) > COMMANDS_MAX or len(content.encode()) > CONTENT_MAX:
        raise ValueError(f"image template has {len(component_ids)} components ({len(content)} bytes): too many")
    return content


def image_name(image: GpuImageSpec, fleet: str) -> str:
    """The prefix of every image the template builds (Alibaba appends the build's suffix, UNVERIFIED)."""
    name = f"{fleet}-{image.name}"
    if not ALICLOUD_IMAGE_NAME.match(name):  # validation refuses it first; kept for direct callers
        raise ValueError(
            f"images: '{name}' (fleet name + '-' + image name) is not a valid Alibaba image name: 2 to 64 "
            "characters, a letter first, then letters, digits, ':', '.', '_' or '-'"
        )
    return name


def pipeline_args(
    image: GpuImageSpec, fleet: str, content: pulumi.Input[str], tag_map: Mapping[str, str]
) -> alicloud.ecs.EcsImagePipelineArgs:
    """The image template. ``base_image_type`` IMAGE takes an image id [SDK docstring: "IMAGE:
    custom image"; whether a public image id is accepted there is UNVERIFIED]. No public
    bandwidth: the build instance reaches the repositories through the vSwitch's NAT. The
    template takes no security group (CreateImagePipelineRequest has no such parameter), so
    ``builder.securityGroupIds`` is not sent on Alibaba."""
    b = image.builder
    base = build_base_image(image)
    return alicloud.ecs.EcsImagePipelineArgs(
        base_image=base.ref,
        base_image_type="IMAGE",
        build_content=content,
        delete_instance_on_failure=True,
        description=f"gpufleet image {image.name}: driver R{image.bootstrap.driver} on {image.bootstrap.os}",
        image_name=image_name(image, fleet),
        instance_type=b.instance_type,
        internet_max_bandwidth_out=0,
        system_disk_size=SYSTEM_DISK_GIB,
        to_region_ids=list(image.regions) or None,
        vswitch_id=b.subnet_id,
        # The assumed hours ride on the template, as on the AWS infrastructure configuration.
        tags={**tag_map, BUILD_HOURS_TAG: f"{b.hours:g}"},
    )


def execution_args(pipeline_id: pulumi.Input[str]) -> alicloud.ecs.ImagePipelineExecutionArgs:
    """One build of the template (StartImagePipelineExecution); replaced with the template."""
    return alicloud.ecs.ImagePipelineExecutionArgs(image_pipeline_id=pipeline_id)
