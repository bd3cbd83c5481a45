"""The typed bootstrap handoff, end to end: each cloud's own builders make the node context
(no hand-built one), the renderer writes it into the user data, and the settings are on the
node. Expected values come from the resource the same group creates (launch template NICs,
scaling configuration ERIs, the scale set's health probe) or from the cited vendor docs.
"""

from __future__ import annotations

import base64
import gzip
import importlib
import io
import shlex
import tarfile
from typing import Any

import pytest
import yaml

from gpufleet.catalog import Catalog
from gpufleet.context import GroupContext
from gpufleet.errors import ConfigError
from gpufleet.resolve import resolve_group
from gpufleet.stackconfig import read_stack_config
from gpufleet.validation import validate_fleet
from helpers import STACKS, fleet


def _ctx(catalog: Catalog, raw: Any, index: int = 0) -> GroupContext:
    spec = validate_fleet(raw, catalog).spec
    return GroupContext(fleet=spec, resolved=resolve_group(spec.groups[index], catalog), catalog=catalog)


def _template(catalog: Catalog, stack: str) -> GroupContext:
    return _ctx(catalog, read_stack_config(STACKS / f"Pulumi.{stack}.yaml").fleet)


def _node(ctx: GroupContext) -> tuple[dict[str, str], dict[str, list[str]]]:
    """node.env and the types table of the user data the cloud's builders render for ``ctx``."""
    cloud = ctx.group.cloud
    static = cloud == "alicloud" and ctx.group.capacity.mode == "static"  # ecs.Instance nodes, no ESS
    launch = importlib.import_module("gpufleet.alicloud.cluster" if static else f"gpufleet.{cloud}.launch")
    image = importlib.import_module(f"gpufleet.{cloud}.image").image_for(ctx)
    if cloud == "aws":  # the bundle is an S3 object the user-data loader fetches (aws/nodefiles.py)
        files: dict[str, bytes] = {}
        packed = launch.node_files(ctx, image).content
    else:
        doc = yaml.safe_load(base64.b64decode(launch.user_data(ctx, image)))
        files = {f["path"]: f["content"].encode() for f in doc["write_files"] if "encoding" not in f}
        (bundle,) = [f for f in doc["write_files"] if f.get("encoding") == "gz+b64"]
        packed = base64.b64decode(bundle["content"])
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(packed))) as tar:
        for name in ("etc/gpufleet/types", "etc/gpufleet/node.env"):  # node.env rides in the bundle
            member = tar.extractfile(name) if name in tar.getnames() else None
            if member is not None:
                files["/" + name] = member.read()
    env = {}
    for line in files["/etc/gpufleet/node.env"].decode().splitlines():
        key, _, value = line.partition("=")
        (env[key],) = shlex.split(value) or [""]
    types = {row.split()[0]: row.split()[1:] for row in files["/etc/gpufleet/types"].decode().splitlines()}
    return env, types


def test_alibaba_erdma_settings_reach_the_node(catalog: Catalog) -> None:
    from gpufleet.alicloud import cluster, launch
    from gpufleet.alicloud.image import image_for
    from gpufleet.alicloud.names import scaling_group_name

    raw = read_stack_config(STACKS / "Pulumi.alicloud-train-erdma.yaml").fleet
    elastic = yaml.safe_load(yaml.safe_dump(raw))
    elastic["groups"][0]["capacity"] = {"min": 0, "desired": 2, "max": 4}
    del elastic["groups"][0]["alicloud"]
    ctx = _ctx(catalog, elastic)  # the template as an ESS group
    env, types = _node(ctx)
    # As many ERIs as the scaling configuration attaches to each node.
    nics = launch.network_interfaces(ctx, "sg-1")
    assert env["GPUFLEET_ERDMA_INTERFACES"] == str(len(nics)) and len(nics) >= 1
    assert all(row[3] == str(len(nics)) for row in types.values())
    # The template itself is a static cluster: as many ERIs as each ecs.Instance is created with.
    static = _template(catalog, "alicloud-train-erdma")
    s_env, _ = _node(static)
    args = cluster.instance_args(
        static,
        0,
        vswitch_id="vsw-1",
        security_group_id="sg-1",
        deployment_set_id="ds-1",
        role_name="r",
        image=image_for(static),
        user_data="",
    )
    eris = 1 + (args.network_interfaces is not None)
    assert args.network_interface_traffic_mode == "HighPerformance"
    assert s_env["GPUFLEET_ERDMA_INTERFACES"] == str(eris)
    assert s_env["GPUFLEET_STATIC_CLUSTER"] == cluster.deployment_set_name(static)
    assert s_env["GPUFLEET_NCCL_SETTINGS"] == env["GPUFLEET_NCCL_SETTINGS"]
    # The fabric-selecting NCCL variables PAI presets for eRDMA (docs/alicloud.md, "eRDMA").
    settings = dict(kv.split("=", 1) for kv in env["GPUFLEET_NCCL_SETTINGS"].split(" "))
    assert settings == {"NCCL_IB_HCA": "erdma", "NCCL_IB_GID_INDEX": "1", "NCCL_SOCKET_IFNAME": "eth0"}
    assert env["GPUFLEET_SCALING_GROUP_NAME"] == scaling_group_name(ctx.name)


def test_alibaba_without_erdma_sends_no_nccl_settings(catalog: Catalog) -> None:
    env, _ = _node(_template(catalog, "alicloud-inference-a10-spot"))
    assert "GPUFLEET_NCCL_SETTINGS" not in env and "GPUFLEET_ERDMA_INTERFACES" not in env


def test_aws_names_drain_and_efa_count_reach_the_node(catalog: Catalog) -> None:
    from gpufleet.aws import asg, launch, names

    ctx = _template(catalog, "aws-train-h100-efa")
    env, types = _node(ctx)
    assert env["GPUFLEET_ASG_NAME"] == names.asg_name(ctx)
    assert env["GPUFLEET_LIFECYCLE_HOOK"] == asg.lifecycle_hook(ctx).name
    assert int(env["GPUFLEET_DRAIN_TIMEOUT"]) < asg.LIFECYCLE_HEARTBEAT_SECONDS
    efa = [n for n in launch.network_interfaces(ctx, "sg-1") if n.interface_type == "efa-only"]
    assert efa and all(row[3] == str(len(efa)) for row in types.values())


def test_aws_health_check_expects_the_template_efa_count_on_every_type(catalog: Catalog) -> None:
    # p5e.48xlarge takes 32 EFAs, p5en.48xlarge 16: one shared template would give a p5e node 16.
    # Such groups are refused at spec time now (issue 14 item 4), so no node can expect a count
    # its template does not attach (tests/aws/test_launch_template.py checks the count per type).
    types = ["p5e.48xlarge", "p5en.48xlarge"]
    raw = fleet({"gpu": {"model": "H200-141GB", "count": 8, "instanceTypes": types}, "rdma": True})
    raw["groups"][0]["zones"] = ["us-east-1a"]
    with pytest.raises(ConfigError, match="different EFA card layouts"):
        _ctx(catalog, raw)


def test_azure_node_serves_health_where_the_scale_set_probes(catalog: Catalog) -> None:
    from gpufleet.azure import vmss

    ctx = _template(catalog, "azure-train-ndh100-ib")
    env, _ = _node(ctx)
    probe: dict[str, Any] = vmss.health_extension().settings  # type: ignore[assignment]
    assert (env["GPUFLEET_HEALTH_PORT"], env["GPUFLEET_HEALTH_PATH"]) == (str(probe["port"]), probe["requestPath"])
    # The HPC image ships R580 (azhpc-images versions.json), the template pins 580.
    assert env["GPUFLEET_DRIVER_BRANCH"] == "580" and env["GPUFLEET_IMAGE_HAS_DRIVER"] == "1"


def test_node_context_refuses_another_clouds_settings(catalog: Catalog) -> None:
    from gpufleet.bootstrap import AwsNode, NodeContext

    it = catalog.instance("azure", "Standard_ND96isr_H100_v5")
    assert it is not None
    with pytest.raises(TypeError, match="AzureNode"):
        NodeContext("azure", "eastus", "g", it, rdma=False, image_has_driver=False, cloud_node=AwsNode("asg"))
