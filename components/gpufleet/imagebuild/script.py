"""The build script a cloud's image builder runs: the node's own bootstrap files, in build mode.

The bundle is what a node's user data carries (``bootstrap.render.node_files``) plus
``gpufleet-mode.sh`` and ``gpufleet-build``, with ``GPUFLEET_MODE=build`` in its node.env. The
builder instance's row of the types table asks for the fabric manager and NVLSM when any
target needs them, so the image carries them for every target type. Nodes booted from the
image get a fresh node.env from their user data (``NodeContext.baked``) and only verify.
"""

from __future__ import annotations

import base64
import gzip
import shlex
from dataclasses import dataclass

from gpufleet.bootstrap.images import build_base_image
from gpufleet.bootstrap.matrix import load_matrix, node_stack
from gpufleet.bootstrap.render import (
    ENV_FILE,
    LIB,
    SBIN,
    AlicloudNode,
    AwsNode,
    AzureNode,
    CloudNode,
    NodeContext,
    NodeFile,
    bundle,
    minify,
    node_env,
    node_files,
    types_table,
)
from gpufleet.bootstrap.render import _script as packaged_script
from gpufleet.catalog import Catalog
from gpufleet.spec import GpuImageSpec

BUILD_SCRIPT = SBIN + "/gpufleet-build"
MODE_SCRIPT = LIB + "/mode.sh"
TYPES_FILE = "/etc/gpufleet/types"


def build_context(image: GpuImageSpec, fleet: str, cat: Catalog) -> NodeContext:
    """The builder instance as a node of the image's stack (targets listed after it)."""
    builder = cat.instance(image.cloud, image.builder.instance_type)
    targets = [cat.instance(image.cloud, t) for t in image.instance_types]
    if builder is None or any(t is None for t in targets):
        raise ValueError(f"image '{image.name}': validate the spec first (unknown builder or target type)")
    base = build_base_image(image)
    cloud_node: CloudNode
    if image.cloud == "aws":
        # A hook name ships the drain service into the image; groups with a hook need it.
        cloud_node = AwsNode(asg_name="", lifecycle_hook_name="gpufleet-build")
    elif image.cloud == "azure":
        cloud_node = AzureNode()
    else:
        cloud_node = AlicloudNode(scaling_group_name="")
    return NodeContext(
        cloud=image.cloud,
        region=image.region,
        group=f"{fleet}-{image.name}",
        instance=builder,
        rdma=image.rdma,
        image_has_driver=base.driver_included,
        cloud_node=cloud_node,
        types=tuple(t for t in targets if t is not None),
        image_driver_branch=base.driver_branch,
    )


def _builder_types(image: GpuImageSpec, node: NodeContext) -> str:
    """The types table with the builder's row asking for every target's fabric extras."""
    m = load_matrix()
    rows = types_table(image.bootstrap, node, m).splitlines()
    stacks = [node_stack(image.bootstrap, t, m) for t in node.types]
    fm = int(any(s.fabric_manager for s in stacks))
    nvlsm = int(any(s.nvlsm for s in stacks))
    name, gpus, _, _, rdma = rows[0].split()
    return "\n".join([f"{name} {gpus} {fm} {nvlsm} {rdma}", *rows[1:]]) + "\n"


def build_files(image: GpuImageSpec, fleet: str, cat: Catalog) -> list[NodeFile]:
    """Every file the build instance gets, settings first."""
    node = build_context(image, fleet, cat)
    env = {**node_env(image.bootstrap, node), "GPUFLEET_MODE": "build"}
    files = [
        NodeFile(ENV_FILE, "".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items()).encode()),
        NodeFile(TYPES_FILE, _builder_types(image, node).encode()),
    ]
    files += [f for f in node_files(image.bootstrap, node) if f.path not in (ENV_FILE, TYPES_FILE)]
    files += [
        NodeFile(MODE_SCRIPT, minify("gpufleet-mode.sh", packaged_script("gpufleet-mode.sh")), "0644"),
        NodeFile(BUILD_SCRIPT, minify("gpufleet-build", packaged_script("gpufleet-build")), "0755"),
    ]
    return files


@dataclass(frozen=True)
class BuildBundle:
    """The build files as one gzip'd tar, base64 (what the builder's step writes and unpacks)."""

    b64: str
    files: tuple[NodeFile, ...]

    @property
    def commands(self) -> tuple[str, ...]:
        """The shell commands a builder step runs: unpack, then build."""
        return (
            f"echo {self.b64} | base64 -d | tar -xz -C /",
            BUILD_SCRIPT,
        )


def build_bundle(image: GpuImageSpec, fleet: str, cat: Catalog) -> BuildBundle:
    files = build_files(image, fleet, cat)
    raw = gzip.compress(bundle(files), compresslevel=9, mtime=0)
    return BuildBundle(base64.b64encode(raw).decode("ascii"), tuple(files))
