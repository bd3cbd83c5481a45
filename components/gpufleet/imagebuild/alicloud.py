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
"PREPARING"}, ...)``; schema: create_time, image_pipeline_id, status). So a group finds the
image by name in a later ``pulumi up`` (``images[].published``): Image Builder names it
``{ImageName}_{ExecutionId}`` [SDK: alibabacloud_ecs20140526 CreateImagePipelineRequestImageOptions
.image_name], and gpufleet's ImageName ends in a key of the recorded stack, so the lookup
(:func:`lookup_args`, DescribeImages) can only find an image built with the stack the group pins.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_alicloud as alicloud

from gpufleet.bootstrap.images import build_base_image
from gpufleet.bootstrap.matrix import node_stack
from gpufleet.catalog import Catalog
from gpufleet.imagebuild.cost import BUILD_HOURS_TAG
from gpufleet.imagebuild.script import BUILD_SCRIPT, BuildBundle
from gpufleet.imagebuild.validate import ALICLOUD_IMAGE_NAME, STACK_KEY_LEN
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


IMAGE_CONTRACT = 1
"""What a node in verify mode expects of a gpufleet-baked image beyond the spec and the matrix.
Bump it in the change that makes a node script need something older images lack (a new
package, service or file): the stack key changes, so Alibaba groups wait for an image built by
the new scripts instead of booting one that verify mode would fail."""


def stack_key(image: GpuImageSpec, cat: Catalog) -> str:
    """A short digest of what a node on the image needs and the build installs: the user's base
    image (gpufleet's dated default is left out: nodes boot the baked image, not the base), the
    spec's stack, RDMA, and the matrix's resolved stack per target type (driver kind, kernel
    modules, fabric manager, NVLSM, GRID build, CUDA packages), plus :data:`IMAGE_CONTRACT`.
    Everything else in gpufleet's scripts is left out on purpose: a rebuild with the same key
    keeps groups on the newest finished image of that key while it builds."""
    b = image.bootstrap
    targets = [cat.instance(image.cloud, t) for t in sorted(image.instance_types)]
    recorded = {
        "contract": IMAGE_CONTRACT,
        "base": build_base_image(image).ref if b.image is not None else None,
        "os": b.os,
        "driver": b.driver,
        "cuda": b.cuda,
        "containerToolkit": b.container_toolkit,
        "dcgm": b.dcgm,
        "healthCheck": b.health_check,
        "rdma": image.rdma,
        "targets": {t.name: dataclasses.asdict(node_stack(b, t)) for t in targets if t is not None},
    }
    digest = hashlib.sha256(json.dumps(recorded, sort_keys=True, default=str).encode()).hexdigest()
    return digest[:STACK_KEY_LEN]


def image_name(image: GpuImageSpec, fleet: str, cat: Catalog) -> str:
    """The ImageName prefix of every image the template builds: ``<fleet>-<image>-<stack key>``.
    Image Builder names each image ``{ImageName}_{ExecutionId}`` [SDK: alibabacloud_ecs20140526
    CreateImagePipelineRequestImageOptions.image_name]."""
    name = f"{fleet}-{image.name}-{stack_key(image, cat)}"
    if not ALICLOUD_IMAGE_NAME.match(name):  # validation refuses it first; kept for direct callers
        raise ValueError(
            f"images: '{name}' (fleet name, '-', image name, '-', stack key) is not a valid Alibaba image name: "
            "2 to 64 characters, a letter first, then letters, digits, ':', '.', '_' or '-'"
        )
    return name


def pipeline_args(
    image: GpuImageSpec, fleet: str, content: pulumi.Input[str], tag_map: Mapping[str, str], cat: Catalog
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
        image_name=image_name(image, fleet, cat),
        instance_type=b.instance_type,
        internet_max_bandwidth_out=0,
        system_disk_size=SYSTEM_DISK_GIB,
        to_region_ids=list(image.regions) or None,
        vswitch_id=b.subnet_id,
        # The assumed hours ride on the template, as on the AWS infrastructure configuration.
        tags={**tag_map, BUILD_HOURS_TAG: f"{b.hours:g}"},
    )


def name_regex(prefix: str) -> str:
    """The images one template builds: ``^<prefix>_``. The provider filters names with Go's
    ``regexp`` (data_source_alicloud_images.go); of the characters a prefix may hold
    (:data:`ALICLOUD_IMAGE_NAME`) only ``.`` is special there."""
    return "^" + prefix.replace(".", "\\.") + "_"


@dataclass(frozen=True)
class ImageLookup:
    """Arguments of one ``ecs.get_images`` call."""

    name_regex: str
    """Names the template's images (:func:`name_regex`)."""
    owners: str = "self"
    """DescribeImages ImageOwnerAlias: the account's own images."""
    status: str = "Available"
    """DescribeImages Status: built images only (not Creating or CreateFailed)."""
    most_recent: bool = True
    """The newest by CreationTime when several match."""


def lookup_args(prefix: str) -> ImageLookup:
    """``ecs.get_images`` arguments that find the newest available image named ``<prefix>_...``
    among the account's own: DescribeImages with ImageOwnerAlias ``self`` and Status
    ``Available``, then the provider's name filter and newest-by-CreationTime pick
    (terraform-provider-alicloud data_source_alicloud_images.go: ``mostRecentImage``). No match
    gives an empty ``ids`` list, not an error (same file), which :func:`pick_image` reports."""
    return ImageLookup(name_regex(prefix))


def pick_image(ids: Sequence[str] | None, prefix: str, image: str, region: str) -> str:
    """The image id the lookup found, or an error that says why there may be none and how to
    look. A ``pulumi.RunError``: Pulumi prints its message as is (a ValueError raised in an
    ``apply`` comes out wrapped in "While processing input ...")."""
    if ids:
        return ids[0]
    raise pulumi.RunError(
        f"images[{image}]: no Available Alibaba image named '{prefix}_*' in {region} yet. Either its build has not "
        "finished (this `up` may have just started it: the image's stack changed), the build failed, "
        "images[].published was set before the first build succeeded, the image was deleted, or (a group outside "
        "the build region) the copy to its region is missing. Look with `aliyun ecs DescribeImages --RegionId "
        f"{region} --ImageOwnerAlias self --ImageName '{prefix}*' --Status Creating,Waiting,Available,CreateFailed`, "
        "and run `pulumi up` again once one is Available (docs/images.md, 'How the Alibaba build works')"
    )


def execution_args(pipeline_id: pulumi.Input[str]) -> alicloud.ecs.ImagePipelineExecutionArgs:
    """One build of the template (StartImagePipelineExecution); replaced with the template."""
    return alicloud.ecs.ImagePipelineExecutionArgs(image_pipeline_id=pipeline_id)
