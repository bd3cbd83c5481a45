"""Launch template builders, without the engine: NICs, image, metadata, disk, user data."""

from __future__ import annotations

import base64

import pytest
from awsgroups import L4_SPOT, ON_DEMAND_ONE, P4D_EFA, P5_EFA, MakeCtx

from gpufleet.aws import launch as ltb
from gpufleet.aws.asg import LIFECYCLE_HEARTBEAT_SECONDS
from gpufleet.aws.image import DLAMI_SSM_PARAMETERS, image_for
from gpufleet.aws.names import asg_name, lifecycle_hook_name
from gpufleet.bootstrap import AwsNode


def _moto_cards(itype: str) -> dict[int, list[str]]:
    """Interface types per network card of ``itype`` in moto's DescribeInstanceTypes snapshot
    (independent of the catalog, which reads gpufleet's copy of it)."""
    import gzip
    import json
    from importlib import resources

    data = json.loads(
        gzip.decompress((resources.files("moto.ec2") / "resources" / "instance_types.json.gz").read_bytes())
    )
    return {c["NetworkCardIndex"]: c["InterfaceTypes"] for c in data[itype]["NetworkInfo"]["NetworkCards"]}


@pytest.mark.parametrize(
    ("group", "count"),
    [
        (P5_EFA, 32),  # p5.48xlarge: 32 network cards, EFA on each
        (P4D_EFA, 4),  # p4d.24xlarge: 4
        ({"gpu": {"model": "B300", "count": 8, "instanceTypes": ["p6-b300.48xlarge"]}, "rdma": True}, 16),
        ({"gpu": {"model": "B200", "count": 8, "instanceTypes": ["p6-b200.48xlarge"]}, "rdma": True}, 8),
    ],
)
def test_efa_layout_is_ena_primary_plus_efa_only_per_card(
    make_ctx: MakeCtx, group: dict[str, object], count: int
) -> None:
    # EC2 UG efa-acc-inst-types: ENA primary at card 0 / device 0; EFA-only at card 0 / device 1
    # where card 0 takes EFA; EFA-only at device 0 of every other EFA card.
    ctx = make_ctx(group)
    nics = ltb.network_interfaces(ctx, "sg-1")
    moto = _moto_cards(ctx.resolved.primary.instance.name)
    assert (nics[0].network_card_index, nics[0].device_index, nics[0].interface_type) == (0, 0, None)
    efa = nics[1:]
    assert len(efa) == count == ltb.efa_interfaces(ctx)
    assert {n.interface_type for n in efa} == {"efa-only"}
    for n in efa:
        assert "efa-only" in moto[n.network_card_index]
        assert n.device_index == (1 if n.network_card_index == 0 else 0)
    assert [n.network_card_index for n in efa] == sorted(c for c, kinds in moto.items() if "efa-only" in kinds)
    assert {n.associate_public_ip_address for n in nics} == {"false"}
    assert all(n.security_groups == ["sg-1"] for n in nics)
    assert all(n.subnet_id is None for n in nics)  # the ASG picks the subnet


def test_p6_b300_keeps_card_0_ena_only() -> None:
    assert _moto_cards("p6-b300.48xlarge")[0] == ["interface"]  # the review's finding, independently


def test_the_node_expects_the_efas_its_template_attaches(make_ctx: MakeCtx) -> None:
    # Item 1: the health check's count follows the template, not the catalog's maximum.
    for group in (P5_EFA, {"gpu": {"model": "B300", "count": 8, "instanceTypes": ["p6-b300.48xlarge"]}, "rdma": True}):
        ctx = make_ctx(group)
        image = image_for(ctx)
        node = ltb.node_context(ctx, image)
        attached = sum(n.interface_type == "efa-only" for n in ltb.network_interfaces(ctx, "sg-1"))
        assert isinstance(node.cloud_node, AwsNode) and node.cloud_node.efa_interfaces == attached
        from gpufleet.bootstrap.render import types_table

        row = types_table(ctx.group.bootstrap, node).splitlines()[0].split()
        assert int(row[-1]) == attached


def test_without_rdma_one_plain_private_interface(make_ctx: MakeCtx) -> None:
    (nic,) = ltb.network_interfaces(make_ctx(L4_SPOT), "sg-1")
    assert (nic.network_card_index, nic.device_index, nic.interface_type) == (0, 0, None)
    assert nic.associate_public_ip_address == "false"


def test_metadata_service_requires_tokens_with_hop_limit_two(make_ctx: MakeCtx) -> None:
    md = ltb.METADATA_OPTIONS
    assert (md.http_tokens, md.http_put_response_hop_limit, md.http_endpoint) == ("required", 2, "enabled")


def test_root_volume_is_encrypted_gp3_sized_for_gpu_images(make_ctx: MakeCtx) -> None:
    vol = ltb.root_volume(make_ctx(P5_EFA))
    assert vol.device_name == "/dev/sda1"
    assert (vol.ebs.encrypted, vol.ebs.volume_type, vol.ebs.delete_on_termination) == ("true", "gp3", "true")
    assert vol.ebs.volume_size >= 100


@pytest.mark.parametrize(
    ("group", "instance_type"),
    [
        (P5_EFA, None),  # mixed market: types come from the ASG's overrides
        (L4_SPOT, None),  # spot with three types
        (ON_DEMAND_ONE, "g5.xlarge"),  # one on-demand type: plain launch template
    ],
)
def test_no_spot_options_and_type_only_without_mixed_policy(
    make_ctx: MakeCtx, group: dict[str, object], instance_type: str | None
) -> None:
    ctx = make_ctx(group)
    args = ltb.launch_template_args(
        ctx,
        image=image_for(ctx),
        instance_profile_arn="arn:profile",
        security_group_id="sg-1",
        node_files_bucket="bkt",
        node_files=ltb.node_files(ctx, image_for(ctx)),
    )
    assert args.instance_market_options is None
    assert args.instance_type == instance_type
    assert args.iam_instance_profile.arn == "arn:profile"
    assert args.vpc_security_group_ids is None  # groups are set on the NICs instead
    assert {t.resource_type for t in args.tag_specifications} >= {"instance", "volume"}
    for spec in args.tag_specifications:
        assert spec.tags["gpufleet-group"] == ctx.group.name


@pytest.mark.parametrize("os", ["ubuntu-22.04", "ubuntu-24.04"])
def test_default_image_is_the_dlami_ssm_parameter(make_ctx: MakeCtx, os: str) -> None:
    image = image_for(make_ctx({"bootstrap": {"os": os}}))
    assert image.image_id == "resolve:ssm:" + DLAMI_SSM_PARAMETERS[os]
    assert os in image.image_id and "/aws/service/deeplearning/ami/x86_64/" in image.image_id
    assert image.has_driver


def test_image_overrides(make_ctx: MakeCtx) -> None:
    by_id = image_for(make_ctx({"bootstrap": {"image": {"id": "ami-0123"}}}))
    assert (by_id.image_id, by_id.has_driver) == ("ami-0123", False)
    by_ssm = image_for(make_ctx({"bootstrap": {"image": {"ssmParameter": "/my/ami", "driverIncluded": True}}}))
    assert (by_ssm.image_id, by_ssm.has_driver) == ("resolve:ssm:/my/ami", True)


def test_user_data_is_base64_cloud_config_with_the_group_names(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(P5_EFA)
    image = image_for(ctx)
    ud = ltb.user_data(ctx, image, "bkt", ltb.node_files(ctx, image))
    assert isinstance(ud, str)
    text = base64.b64decode(ud).decode()
    assert text.startswith("#cloud-config\n")
    assert len(text.encode()) <= 16 * 1024
    node = ltb.node_context(ctx, image)
    assert node.cloud_node == AwsNode(
        asg_name=asg_name(ctx),
        lifecycle_hook_name=lifecycle_hook_name(ctx),
        drain_timeout_seconds=LIFECYCLE_HEARTBEAT_SECONDS - 120,
        efa_interfaces=32,  # p5.48xlarge: 32 EFA-only interfaces in its template
    )
    assert [t.name for t in node.types] == ["p5.48xlarge"]
    assert (node.cloud, node.region, node.rdma, node.image_has_driver) == ("aws", "us-east-1", True, True)
    assert node.instance.name == "p5.48xlarge"


def test_spot_groups_tell_the_node_every_type(make_ctx: MakeCtx) -> None:
    node = ltb.node_context(make_ctx(L4_SPOT), image_for(make_ctx(L4_SPOT)))
    assert [t.name for t in node.types] == ["g6.xlarge", "g6.2xlarge", "g6.4xlarge"]
    assert isinstance(node.cloud_node, AwsNode) and node.cloud_node.efa_interfaces == 0
