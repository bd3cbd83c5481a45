"""The AWS API calls behind gpufleet's builders, replayed through boto3 against moto.

Pulumi's mocks only echo inputs. Here the same settings go through moto's
implementation of the EC2, IAM and Auto Scaling APIs, which checks what they can:
IAM policy syntax and ARNs, that the managed policies exist and grant the CloudWatch
agent's PutMetricData, that the subnet plan fits the VPC without overlaps, and that
the launch template, group, hook, schedule and target-tracking shapes are accepted
and read back as sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from awsgroups import L4_SPOT, P5_EFA, MakeCtx
from moto import mock_aws

from gpufleet.aws import asg, iam, launch, network, scaling
from gpufleet.aws.image import image_for
from gpufleet.aws.netplan import plan_network
from gpufleet.context import GroupContext

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(var, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # AWS managed policies, as shipped with moto
    with mock_aws():
        yield


def _bool(text: Any) -> bool | None:
    return None if text is None else {"true": True, "false": False}[text]


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def launch_template_data(args: Any) -> dict[str, Any]:
    """RequestLaunchTemplateData from the builder's LaunchTemplateArgs (EC2 API names)."""
    md = args.metadata_options
    (disk,) = args.block_device_mappings
    return _drop_none(
        {
            "ImageId": "ami-12c6146b",  # moto cannot resolve resolve:ssm: parameters; any AMI it knows
            "InstanceType": args.instance_type,
            "IamInstanceProfile": {"Arn": args.iam_instance_profile.arn},
            "UserData": args.user_data,
            "MetadataOptions": {
                "HttpTokens": md.http_tokens,
                "HttpPutResponseHopLimit": md.http_put_response_hop_limit,
                "HttpEndpoint": md.http_endpoint,
                "InstanceMetadataTags": md.instance_metadata_tags,
            },
            "BlockDeviceMappings": [
                {
                    "DeviceName": disk.device_name,
                    "Ebs": {
                        "VolumeSize": disk.ebs.volume_size,
                        "VolumeType": disk.ebs.volume_type,
                        "Encrypted": _bool(disk.ebs.encrypted),
                        "DeleteOnTermination": _bool(disk.ebs.delete_on_termination),
                    },
                }
            ],
            "NetworkInterfaces": [
                _drop_none(
                    {
                        "NetworkCardIndex": n.network_card_index,
                        "DeviceIndex": n.device_index,
                        "InterfaceType": n.interface_type,
                        "Groups": list(n.security_groups),
                        "AssociatePublicIpAddress": _bool(n.associate_public_ip_address),
                        "DeleteOnTermination": _bool(n.delete_on_termination),
                    }
                )
                for n in args.network_interfaces
            ],
            "TagSpecifications": [
                {"ResourceType": t.resource_type, "Tags": [{"Key": k, "Value": v} for k, v in t.tags.items()]}
                for t in args.tag_specifications
            ],
        }
    )


def create_node_role(ctx: GroupContext) -> str:
    """Role, managed policies, inline policy and instance profile; returns the profile ARN."""
    client = boto3.client("iam")
    role_args = iam.role_args(ctx)
    role = client.create_role(RoleName=f"{ctx.name}-node", AssumeRolePolicyDocument=role_args.assume_role_policy)
    for arn in iam.managed_policy_arns(REGION):
        client.attach_role_policy(RoleName=role["Role"]["RoleName"], PolicyArn=arn)
    client.put_role_policy(RoleName=f"{ctx.name}-node", PolicyName="lifecycle", PolicyDocument=iam.node_policy(ctx))
    client.create_instance_profile(InstanceProfileName=f"{ctx.name}-node")
    client.add_role_to_instance_profile(InstanceProfileName=f"{ctx.name}-node", RoleName=f"{ctx.name}-node")
    return str(client.get_instance_profile(InstanceProfileName=f"{ctx.name}-node")["InstanceProfile"]["Arn"])


def create_network(ctx: GroupContext) -> tuple[str, list[str], str]:
    """VPC, the planned subnets and the security group with its rules: (vpc, subnets, sg)."""
    ec2 = boto3.client("ec2")
    plan = plan_network(ctx.group)
    vpc = ec2.create_vpc(CidrBlock=network.vpc_args(ctx, plan).cidr_block)["Vpc"]["VpcId"]
    private = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=s.cidr, AvailabilityZone=s.zone)["Subnet"]["SubnetId"]
        for s in plan.private
    ]
    ec2.create_subnet(VpcId=vpc, CidrBlock=plan.public.cidr, AvailabilityZone=plan.public.zone)
    sg_args = network.security_group_args(ctx, vpc)
    sg = ec2.create_security_group(GroupName=f"{ctx.name}-nodes", Description=sg_args.description, VpcId=vpc)["GroupId"]
    # AWS's default allow-all egress rule, which the Pulumi provider removes on create.
    ec2.revoke_security_group_egress(
        GroupId=sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    for _, rule in network.security_group_rules(ctx, sg):
        perm: dict[str, Any] = {"IpProtocol": rule.ip_protocol}
        if rule.referenced_security_group_id:
            perm["UserIdGroupPairs"] = [{"GroupId": rule.referenced_security_group_id}]
        if rule.cidr_ipv4:
            perm["IpRanges"] = [{"CidrIp": rule.cidr_ipv4}]
        if isinstance(rule, network.aws.vpc.SecurityGroupIngressRuleArgs):
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm])
        else:
            ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[perm])
    return vpc, private, sg


def test_node_role_policies_are_valid_and_cover_the_agent(aws: None, make_ctx: MakeCtx) -> None:
    ctx = make_ctx(P5_EFA)
    create_node_role(ctx)
    client = boto3.client("iam")
    attached = client.list_attached_role_policies(RoleName=f"{ctx.name}-node")["AttachedPolicies"]
    assert sorted(p["PolicyName"] for p in attached) == ["AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"]
    actions: set[str] = set()
    for p in attached:
        version = client.get_policy(PolicyArn=p["PolicyArn"])["Policy"]["DefaultVersionId"]
        doc = client.get_policy_version(PolicyArn=p["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
        doc = json.loads(doc) if isinstance(doc, str) else doc
        for stmt in doc["Statement"]:
            acts = stmt["Action"]
            actions.update([acts] if isinstance(acts, str) else acts)
    assert "cloudwatch:PutMetricData" in actions  # the agent publishes the GPU metric
    assert "ssmmessages:OpenDataChannel" in actions  # Session Manager instead of SSH
    inline = client.get_role_policy(RoleName=f"{ctx.name}-node", PolicyName="lifecycle")["PolicyDocument"]
    inline = json.loads(inline) if isinstance(inline, str) else inline
    assert inline["Statement"][0]["Resource"].endswith(":autoScalingGroupName/demo-trainers")


def test_moto_rejects_what_the_policy_check_is_for(aws: None) -> None:
    # The check above can fail: moto's IAM validates ARNs in policy resources.
    client = boto3.client("iam")
    client.create_role(RoleName="r", AssumeRolePolicyDocument=iam.assume_role_policy())
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "autoscaling:SetInstanceHealth", "Resource": "demo-trainers"}],
    }
    with pytest.raises(client.exceptions.MalformedPolicyDocumentException):
        client.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument=json.dumps(bad))


def test_efa_launch_template_round_trips(aws: None, make_ctx: MakeCtx) -> None:
    ctx = make_ctx(P5_EFA)
    profile = create_node_role(ctx)
    _, _, sg = create_network(ctx)
    args = launch.launch_template_args(
        ctx,
        image=image_for(ctx),
        instance_profile_arn=profile,
        security_group_id=sg,
        node_files_bucket="bkt",
        node_files=launch.node_files(ctx, image_for(ctx)),
    )
    ec2 = boto3.client("ec2")
    lt = ec2.create_launch_template(LaunchTemplateName=f"{ctx.name}-lt", LaunchTemplateData=launch_template_data(args))
    lt_id = lt["LaunchTemplate"]["LaunchTemplateId"]
    (version,) = ec2.describe_launch_template_versions(LaunchTemplateId=lt_id)["LaunchTemplateVersions"]
    data = version["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert int(data["MetadataOptions"]["HttpPutResponseHopLimit"]) == 2
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    nics = data["NetworkInterfaces"]
    assert len(nics) == 33  # EC2 UG efa-acc-inst-types: "32 EFA devices and one ENA device" on p5
    assert [(int(n["NetworkCardIndex"]), int(n["DeviceIndex"])) for n in nics] == [(0, 0), (0, 1)] + [
        (i, 0) for i in range(1, 32)
    ]
    assert [n.get("InterfaceType", "interface") for n in nics] == ["interface"] + ["efa-only"] * 32
    assert {n["AssociatePublicIpAddress"] for n in nics} == {False}
    assert "InstanceMarketOptions" not in data

    # The security group allows all traffic to and from itself, and egress, nothing else.
    (group,) = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"]
    assert [p["UserIdGroupPairs"][0]["GroupId"] for p in group["IpPermissions"]] == [sg]
    assert not any(p.get("IpRanges") for p in group["IpPermissions"])  # nothing open to the internet
    egress = group["IpPermissionsEgress"]
    assert {r["CidrIp"] for p in egress for r in p.get("IpRanges", [])} == {"0.0.0.0/0"}
    assert {g["GroupId"] for p in egress for g in p.get("UserIdGroupPairs", [])} == {sg}


def test_spot_group_hook_schedule_and_policy_are_accepted(aws: None, make_ctx: MakeCtx) -> None:
    ctx = make_ctx(L4_SPOT)
    profile = create_node_role(ctx)
    _, subnets, sg = create_network(ctx)
    lt_args = launch.launch_template_args(
        ctx,
        image=image_for(ctx),
        instance_profile_arn=profile,
        security_group_id=sg,
        node_files_bucket="bkt",
        node_files=launch.node_files(ctx, image_for(ctx)),
    )
    ec2 = boto3.client("ec2")
    lt_id = ec2.create_launch_template(
        LaunchTemplateName=f"{ctx.name}-lt", LaunchTemplateData=launch_template_data(lt_args)
    )["LaunchTemplate"]["LaunchTemplateId"]

    g = asg.group_args(
        ctx, launch_template_id=lt_id, launch_template_version="1", subnet_ids=subnets, placement_group=None
    )
    mip, dist, (hook,) = (
        g.mixed_instances_policy,
        g.mixed_instances_policy.instances_distribution,
        g.initial_lifecycle_hooks,
    )
    client = boto3.client("autoscaling")
    client.create_auto_scaling_group(
        AutoScalingGroupName=g.name,
        MinSize=g.min_size,
        MaxSize=g.max_size,
        DesiredCapacity=g.desired_capacity,
        VPCZoneIdentifier=",".join(g.vpc_zone_identifiers),
        CapacityRebalance=g.capacity_rebalance,
        HealthCheckType=g.health_check_type,
        HealthCheckGracePeriod=g.health_check_grace_period,
        MixedInstancesPolicy={
            "LaunchTemplate": {
                "LaunchTemplateSpecification": {
                    "LaunchTemplateId": mip.launch_template.launch_template_specification.launch_template_id,
                    "Version": mip.launch_template.launch_template_specification.version,
                },
                "Overrides": [{"InstanceType": o.instance_type} for o in mip.launch_template.overrides],
            },
            "InstancesDistribution": _drop_none(
                {
                    "OnDemandBaseCapacity": dist.on_demand_base_capacity,
                    "OnDemandPercentageAboveBaseCapacity": dist.on_demand_percentage_above_base_capacity,
                    "OnDemandAllocationStrategy": dist.on_demand_allocation_strategy,
                    "SpotAllocationStrategy": dist.spot_allocation_strategy,
                    "SpotMaxPrice": dist.spot_max_price,
                }
            ),
        },
        Tags=[{"Key": t.key, "Value": t.value, "PropagateAtLaunch": t.propagate_at_launch} for t in g.tags],
    )
    # The provider sends initial hooks with CreateAutoScalingGroup; moto 5.2 ignores that
    # list, so the same hook goes through PutLifecycleHook.
    client.put_lifecycle_hook(
        AutoScalingGroupName=g.name,
        LifecycleHookName=hook.name,
        LifecycleTransition=hook.lifecycle_transition,
        HeartbeatTimeout=hook.heartbeat_timeout,
        DefaultResult=hook.default_result,
    )
    for action, s in scaling.schedule_args(ctx, g.name):
        client.put_scheduled_update_group_action(
            AutoScalingGroupName=s.autoscaling_group_name,
            ScheduledActionName=action,
            Recurrence=s.recurrence,
            TimeZone=s.time_zone,
            # The provider's -1 means "leave unchanged" and is omitted from the API call.
            **{
                k: v
                for k, v in (("MinSize", s.min_size), ("MaxSize", s.max_size), ("DesiredCapacity", s.desired_capacity))
                if v != -1
            },
        )
    policy = scaling.target_tracking_args(ctx, g.name)
    assert policy is not None
    metric = policy.target_tracking_configuration.customized_metric_specification
    client.put_scaling_policy(
        AutoScalingGroupName=g.name,
        PolicyName=policy.name,
        PolicyType=policy.policy_type,
        EstimatedInstanceWarmup=policy.estimated_instance_warmup,
        TargetTrackingConfiguration={
            "TargetValue": policy.target_tracking_configuration.target_value,
            "CustomizedMetricSpecification": {
                "MetricName": metric.metric_name,
                "Namespace": metric.namespace,
                "Dimensions": [{"Name": d.name, "Value": d.value} for d in metric.metric_dimensions],
                "Statistic": metric.statistic,
            },
        },
    )

    (group,) = client.describe_auto_scaling_groups(AutoScalingGroupNames=[ctx.name])["AutoScalingGroups"]
    assert group["CapacityRebalance"] is True
    assert group["MinSize"] == 0
    got = group["MixedInstancesPolicy"]
    assert [o["InstanceType"] for o in got["LaunchTemplate"]["Overrides"]] == ["g6.xlarge", "g6.2xlarge", "g6.4xlarge"]
    assert got["InstancesDistribution"]["SpotMaxPrice"] == dist.spot_max_price
    assert got["InstancesDistribution"]["SpotAllocationStrategy"] == "price-capacity-optimized"
    assert set(group["VPCZoneIdentifier"].split(",")) == set(subnets)
    assert {t["Key"]: t["PropagateAtLaunch"] for t in group["Tags"]}["gpufleet-group"] is True

    (got_hook,) = client.describe_lifecycle_hooks(AutoScalingGroupName=ctx.name)["LifecycleHooks"]
    assert (got_hook["LifecycleHookName"], got_hook["LifecycleTransition"]) == (
        f"{ctx.name}-drain",
        "autoscaling:EC2_INSTANCE_TERMINATING",
    )
    assert got_hook["HeartbeatTimeout"] == asg.LIFECYCLE_HEARTBEAT_SECONDS

    actions = {
        a["ScheduledActionName"]: a
        for a in client.describe_scheduled_actions(AutoScalingGroupName=ctx.name)["ScheduledUpdateGroupActions"]
    }
    office = actions[f"{ctx.name}-office-hours"]
    assert (office["Recurrence"], office["TimeZone"], office["MinSize"], office["DesiredCapacity"]) == (
        "0 8 * * 1-5",
        "America/New_York",
        1,
        2,
    )
    assert "MaxSize" not in office  # unchanged at the scheduled time

    (got_policy,) = client.describe_policies(AutoScalingGroupName=ctx.name)["ScalingPolicies"]
    spec = got_policy["TargetTrackingConfiguration"]["CustomizedMetricSpecification"]
    assert (spec["Namespace"], spec["MetricName"]) == ("CWAgent", "nvidia_smi_utilization_gpu")


def test_subnet_plan_fits_the_vpc(aws: None, make_ctx: MakeCtx) -> None:
    # moto refuses subnets outside the VPC range or overlapping each other.
    ctx = make_ctx(
        {**L4_SPOT, "zones": [f"us-east-1{c}" for c in "abcdef"], "network": {"create": True, "cidr": "10.7.0.0/24"}}
    )
    _, subnets, _ = create_network(ctx)
    assert len(subnets) == 6
    ec2 = boto3.client("ec2")
    with pytest.raises(ec2.exceptions.ClientError, match=r"(?i)conflict|overlap"):
        ec2.create_subnet(
            VpcId=ec2.describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"],
            CidrBlock=plan_network(ctx.group).private[0].cidr,
            AvailabilityZone="us-east-1a",
        )
