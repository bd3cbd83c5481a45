"""Render the node's cloud-config (first version: driver, toolkit, agent; extended by the
bootstrap issue with the full matrix, health check and RDMA stacks)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

from gpufleet.catalog import Cloud, InstanceType
from gpufleet.spec import BootstrapSpec

# Raw (decoded) user-data limits. AWS: 16 KB before base64 [DOC: EC2 User Guide, "Run
# commands when you launch an EC2 instance with user data"]. Azure: custom data decodes to at
# most 65535 bytes [SDK: VirtualMachineScaleSetOSProfileArgs.custom_data docstring]. Alibaba:
# 32 KB before base64 in the current API, 16 KB in older revisions, so 16 KB is the safe cap
# [DOC: Alibaba Cloud ECS "Instance user data"].
USER_DATA_LIMITS: Mapping[Cloud, int] = {"aws": 16 * 1024, "azure": 65535, "alicloud": 16 * 1024}


class UserDataTooLarge(ValueError):
    """Rendered user data over the cloud's limit."""


@dataclass(frozen=True)
class NodeContext:
    """What the renderer needs to know about the node it bootstraps."""

    cloud: Cloud
    region: str
    group: str
    """``<fleet>-<group>``: names the node's group in logs and health reports."""
    instance: InstanceType
    """Facts of the (primary) instance type: GPU count, NVSwitch, RDMA fabric."""
    rdma: bool
    image_has_driver: bool
    """The base image ships the NVIDIA driver: check it instead of installing."""
    extras: Mapping[str, str] = field(default_factory=dict)
    """Cloud-specific values for the scripts (e.g. ``lifecycle_hook_name``)."""


def render_cloud_config(spec: BootstrapSpec, node: NodeContext) -> str:
    """A ``#cloud-config`` document for ``node``."""
    runcmd: list[str] = []
    if not node.image_has_driver:
        runcmd.append(f"apt-get install -y nvidia-driver-{spec.driver}-server-open")
    runcmd.append("nvidia-smi")
    doc = {"package_update": True, "runcmd": runcmd}
    return "#cloud-config\n" + yaml.safe_dump(doc, sort_keys=False)


def encode_user_data(text: str, cloud: Cloud) -> str:
    """Base64 of ``text`` for the cloud's user-data field; refuses text over the limit."""
    raw = text.encode("utf-8")
    limit = USER_DATA_LIMITS[cloud]
    if len(raw) > limit:
        raise UserDataTooLarge(f"{cloud} user data is {len(raw)} bytes, over the {limit}-byte limit")
    return base64.b64encode(raw).decode("ascii")
