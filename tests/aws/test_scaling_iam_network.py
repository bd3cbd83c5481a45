"""Autoscaling, IAM and network builders, without the engine."""

from __future__ import annotations

import ipaddress
import json

import pytest
from awsgroups import L4_SPOT, P5_EFA, MakeCtx

from gpufleet.aws import iam, network, scaling
from gpufleet.aws.names import asg_arn_pattern, partition
from gpufleet.aws.netplan import plan_network
from gpufleet.metrics import GPU_UTILIZATION


def test_target_tracking_reads_the_metric_bootstrap_publishes(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(L4_SPOT)
    args = scaling.target_tracking_args(ctx, "asg-name-output")
    assert args is not None
    assert args.policy_type == "TargetTrackingScaling"
    assert args.autoscaling_group_name == "asg-name-output"
    cfg = args.target_tracking_configuration
    assert cfg.target_value == 60.0
    metric = cfg.customized_metric_specification
    expected = GPU_UTILIZATION["aws"]
    assert (metric.namespace, metric.metric_name, metric.statistic) == (expected.namespace, expected.name, "Average")
    assert [(d.name, d.value) for d in metric.metric_dimensions] == [("AutoScalingGroupName", ctx.name)]


def test_no_target_no_policy(make_ctx: MakeCtx) -> None:
    assert scaling.target_tracking_args(make_ctx({}), "asg") is None


def test_schedules_keep_unset_values_and_their_time_zone(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(L4_SPOT)
    (n1, office), (n2, night) = scaling.schedule_args(ctx, "asg")
    assert (n1, n2) == (f"{ctx.name}-office-hours", f"{ctx.name}-schedule-1")
    assert office.scheduled_action_name == n1
    assert (office.recurrence, office.time_zone) == ("0 8 * * 1-5", "America/New_York")
    assert (office.min_size, office.desired_capacity, office.max_size) == (1, 2, -1)
    assert (night.min_size, night.desired_capacity, night.max_size) == (-1, 0, -1)


def test_scale_to_zero_is_allowed(make_ctx: MakeCtx) -> None:
    assert make_ctx(L4_SPOT).group.capacity.min == 0


def test_node_policy_is_scoped_to_its_own_group(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(P5_EFA)
    doc = json.loads(iam.node_policy(ctx))
    (stmt,) = doc["Statement"]
    assert stmt["Effect"] == "Allow"
    assert sorted(stmt["Action"]) == [
        "autoscaling:CompleteLifecycleAction",
        "autoscaling:RecordLifecycleActionHeartbeat",
        "autoscaling:SetInstanceHealth",
    ]
    assert stmt["Resource"] == ("arn:aws:autoscaling:us-east-1:*:autoScalingGroup:*:autoScalingGroupName/demo-trainers")
    trust = json.loads(iam.assume_role_policy())
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}


def test_managed_policies_and_partitions() -> None:
    assert iam.managed_policy_arns("us-east-1") == [
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    ]
    assert (partition("cn-north-1"), partition("us-gov-west-1"), partition("eu-west-1")) == (
        "aws-cn",
        "aws-us-gov",
        "aws",
    )


def test_asg_arn_pattern_uses_the_group_region(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"region": "us-west-2", "zones": ["us-west-2a"]})
    assert asg_arn_pattern(ctx).startswith("arn:aws:autoscaling:us-west-2:*:")


def test_created_network_plan(make_ctx: MakeCtx) -> None:
    plan = plan_network(make_ctx(L4_SPOT).group)
    assert plan.cidr == "10.40.0.0/16"
    assert [(s.zone, s.cidr) for s in plan.private] == [
        ("us-east-1a", "10.40.0.0/19"),
        ("us-east-1b", "10.40.32.0/19"),
    ]
    assert plan.public.cidr == "10.40.224.0/19"
    nets = [ipaddress.ip_network(s.cidr) for s in (*plan.private, plan.public)]
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])


def test_created_network_takes_zone_names_or_az_ids(make_ctx: MakeCtx) -> None:
    # Issue 14 item 2: no default zones (ap-northeast-1b takes no subnets); AZ IDs become
    # availability_zone_id, the same physical zone in every account.
    ctx = make_ctx({"zones": ["use1-az6", "use1-az4"], "network": {"create": True, "cidr": "10.9.0.0/20"}})
    plan = plan_network(ctx.group)
    assert [s.zone for s in plan.private] == ["use1-az6", "use1-az4"]
    assert plan.private[0].cidr == "10.9.0.0/23"
    args = network.subnet_args(ctx, "vpc-1", plan.private[0], "private")
    assert (args.availability_zone, args.availability_zone_id) == (None, "use1-az6")
    named = network.subnet_args(make_ctx({}), "vpc-1", plan.private[0].__class__("us-east-1a", "10.9.0.0/23"), "p")
    assert (named.availability_zone, named.availability_zone_id) == ("us-east-1a", None)


def test_efa_security_group_rules_are_self_referencing_plus_egress(make_ctx: MakeCtx) -> None:
    rules = dict(network.security_group_rules(make_ctx(P5_EFA), "sg-1"))
    assert sorted(rules) == ["efa-in", "efa-out", "egress"]
    for key in ("efa-in", "efa-out"):
        assert (rules[key].ip_protocol, rules[key].referenced_security_group_id) == ("-1", "sg-1")
        assert rules[key].cidr_ipv4 is None
    assert (rules["egress"].cidr_ipv4, rules["egress"].ip_protocol) == ("0.0.0.0/0", "-1")
    assert isinstance(rules["efa-in"], network.aws.vpc.SecurityGroupIngressRuleArgs)
    assert isinstance(rules["efa-out"], network.aws.vpc.SecurityGroupEgressRuleArgs)


def test_non_efa_groups_get_egress_only_and_no_inline_rules(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(L4_SPOT)
    rules = network.security_group_rules(ctx, "sg-1")
    assert [name for name, _ in rules] == ["egress"]
    sg = network.security_group_args(ctx, "vpc-1")
    assert (sg.ingress, sg.egress, sg.vpc_id) == (None, None, "vpc-1")


def test_private_subnets_never_map_public_addresses(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(L4_SPOT)
    plan = plan_network(ctx.group)
    assert network.subnet_args(ctx, "vpc-1", plan.private[0], "private").map_public_ip_on_launch is False


def test_s3_endpoint_is_a_gateway_on_the_private_route_table(make_ctx: MakeCtx) -> None:
    args = network.s3_endpoint_args(make_ctx(L4_SPOT), "vpc-1", ["rtb-private"])
    assert (args.service_name, args.vpc_endpoint_type, args.route_table_ids) == (
        "com.amazonaws.us-east-1.s3",
        "Gateway",
        ["rtb-private"],
    )


def test_a_default_route_needs_one_target() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        network.default_route_args("rtb-1")
