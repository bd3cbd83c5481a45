"""The real program (__main__.py) under the recording mock engine, for AWS-only fleets.

Numbers on the wire are floats (protobuf doubles), so they are compared numerically.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from awsgroups import L4_SPOT, ON_DEMAND_ONE, P4D_EFA, P5_EFA

from gpufleet.catalog import Catalog
from gpufleet.metrics import AWS_GPU_UTILIZATION
from gpufleet.plan.engine import CapturedResource, ProgramRun, run_program
from helpers import ROOT, fleet

PROGRAM = ROOT / "__main__.py"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
PROVIDER = "pulumi:providers:aws"
COMPONENT = "gpufleet:aws:AwsGpuGroup"


def run(*groups: dict[str, Any], stack: str = "aws") -> ProgramRun:
    return run_program(PROGRAM, {"gpufleet:fleet": fleet(*groups)}, stack=stack)


@pytest.fixture(scope="module")
def p5() -> ProgramRun:
    return run(
        {
            **P5_EFA,
            "autoscaling": {
                "gpuUtilizationTarget": 70,
                "schedules": [{"name": "evening", "cron": "0 20 * * 1-5", "timezone": "Europe/Berlin", "desired": 4}],
            },
        },
        stack="p5",
    )


@pytest.mark.parametrize(("group", "count"), [(P5_EFA, 32), (P4D_EFA, 4)])
def test_efa_interfaces_on_the_wire(group: dict[str, Any], count: int) -> None:
    nics = run(group, stack=f"efa{count}").one(LT).inputs["networkInterfaces"]
    assert len(nics) == count + 1  # ENA primary + one EFA-only per card (card 0 takes one at device 1)
    assert [(n["networkCardIndex"], n["deviceIndex"]) for n in nics] == [(0.0, 0.0), (0.0, 1.0)] + [
        (float(i), 0.0) for i in range(1, count)
    ]
    assert "interfaceType" not in nics[0] and {n["interfaceType"] for n in nics[1:]} == {"efa-only"}
    assert {n["associatePublicIpAddress"] for n in nics} == {"false"}


def test_spot_max_price_on_the_wire(p5: ProgramRun, catalog: Catalog) -> None:
    od = catalog.quote("aws", "p5.48xlarge", "us-east-1", "on-demand")
    assert od is not None
    dist = p5.one(ASG).inputs["mixedInstancesPolicy"]["instancesDistribution"]
    assert float(dist["spotMaxPrice"]) == pytest.approx(0.80 * od.amount, abs=1e-5)
    assert dist["onDemandBaseCapacity"] == 1
    assert dist["onDemandPercentageAboveBaseCapacity"] == 0
    assert dist["spotAllocationStrategy"] == "price-capacity-optimized"
    assert "instanceMarketOptions" not in p5.one(LT).inputs


def test_desired_capacity_is_ignored_after_creation(p5: ProgramRun) -> None:
    group = p5.one(ASG)
    assert group.ignore_changes == ("desiredCapacity",)
    assert group.inputs["desiredCapacity"] == 1
    assert group.inputs["waitForCapacityTimeout"] == "0"
    assert group.inputs["capacityRebalance"] is True


def test_imdsv2_and_encrypted_root(p5: ProgramRun) -> None:
    lt = p5.one(LT).inputs
    assert lt["metadataOptions"]["httpTokens"] == "required"
    assert lt["metadataOptions"]["httpPutResponseHopLimit"] == 2
    (disk,) = lt["blockDeviceMappings"]
    assert (disk["ebs"]["encrypted"], disk["ebs"]["volumeType"]) == ("true", "gp3")
    assert lt["imageId"].startswith("resolve:ssm:/aws/service/deeplearning/")
    assert base64.b64decode(lt["userData"]).decode().startswith("#cloud-config")


def test_lifecycle_hook(p5: ProgramRun) -> None:
    (hook,) = p5.one(ASG).inputs["initialLifecycleHooks"]
    assert hook["name"] == "demo-trainers-drain"
    assert hook["lifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    assert 30 <= hook["heartbeatTimeout"] <= 7200
    assert hook["defaultResult"] == "CONTINUE"


def test_schedule_with_time_zone(p5: ProgramRun) -> None:
    sched = p5.one("aws:autoscaling/schedule:Schedule").inputs
    assert (sched["recurrence"], sched["timeZone"]) == ("0 20 * * 1-5", "Europe/Berlin")
    assert (sched["minSize"], sched["desiredCapacity"], sched["maxSize"]) == (-1, 4, -1)
    assert sched["scheduledActionName"] == "demo-trainers-evening"
    assert sched["autoscalingGroupName"] == "demo-trainers"


def test_target_tracking_on_gpu_utilisation(p5: ProgramRun) -> None:
    policy = p5.one("aws:autoscaling/policy:Policy").inputs
    assert policy["policyType"] == "TargetTrackingScaling"
    cfg = policy["targetTrackingConfiguration"]
    assert cfg["targetValue"] == 70
    metric = cfg["customizedMetricSpecification"]
    assert (metric["namespace"], metric["metricName"]) == (AWS_GPU_UTILIZATION.namespace, AWS_GPU_UTILIZATION.name)
    assert metric["metricDimensions"] == [{"name": "AutoScalingGroupName", "value": "demo-trainers"}]


def test_efa_placement_and_security_group(p5: ProgramRun) -> None:
    pg = p5.one("aws:ec2/placementGroup:PlacementGroup")
    assert pg.inputs["strategy"] == "cluster"
    asg = p5.one(ASG).inputs
    assert asg["placementGroup"].startswith("demo-trainers-pg")
    assert len(asg["vpcZoneIdentifiers"]) == 1
    sg = p5.one("aws:ec2/securityGroup:SecurityGroup")
    assert "ingress" not in sg.inputs and "egress" not in sg.inputs
    ingress = p5.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").inputs
    egress = p5.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    sg_id = _id_of(p5, sg)
    assert (ingress["ipProtocol"], ingress["referencedSecurityGroupId"], ingress["securityGroupId"]) == (
        "-1",
        sg_id,
        sg_id,
    )
    assert sorted(e.inputs.get("referencedSecurityGroupId") or e.inputs["cidrIpv4"] for e in egress) == sorted(
        [sg_id, "0.0.0.0/0"]
    )


def test_created_network(p5: ProgramRun) -> None:
    subnets = {r.name: r.inputs for r in p5.of_type("aws:ec2/subnet:Subnet")}
    assert subnets["demo-trainers-private-us-east-1a"]["cidrBlock"] == "10.40.0.0/19"
    assert all(s["mapPublicIpOnLaunch"] is False for s in subnets.values())
    assert p5.one("aws:ec2/natGateway:NatGateway")
    s3 = p5.one("aws:ec2/vpcEndpoint:VpcEndpoint").inputs
    assert (s3["vpcEndpointType"], s3["serviceName"]) == ("Gateway", "com.amazonaws.us-east-1.s3")
    private_rt = next(r for r in p5.of_type("aws:ec2/routeTable:RouteTable") if r.name.endswith("-private"))
    assert s3["routeTableIds"] == [_id_of(p5, private_rt)]


def test_node_role(p5: ProgramRun) -> None:
    attached = {r.inputs["policyArn"] for r in p5.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert attached == {
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    }
    lt = p5.one(LT).inputs
    profile = p5.one("aws:iam/instanceProfile:InstanceProfile")
    assert lt["iamInstanceProfile"]["arn"].endswith(f"instance-profile/{profile.name}-{_id_of(p5, profile)[:7]}")


def test_outputs(p5: ProgramRun) -> None:
    out = p5.outputs["groups"]["trainers"]
    assert out["asgName"] == "demo-trainers"
    assert out["asgArn"].endswith(":autoScalingGroupName/demo-trainers")
    assert out["launchTemplateLatestVersion"] == 1
    assert out["launchTemplateId"] == _id_of(p5, p5.one(LT))
    assert out["placementGroup"].startswith("demo-trainers-pg")
    assert out["securityGroupId"] == _id_of(p5, p5.one("aws:ec2/securityGroup:SecurityGroup"))
    asg = p5.one(ASG).inputs
    assert asg["mixedInstancesPolicy"]["launchTemplate"]["launchTemplateSpecification"]["version"] == "1"


def test_every_aws_resource_is_a_child_with_the_explicit_provider(p5: ProgramRun) -> None:
    (component,) = p5.of_type(COMPONENT)
    (prov,) = p5.of_type(PROVIDER)
    for r in p5.resources:
        if r.type.startswith("aws:"):
            assert r.parent == component.urn, r.name
            assert r.provider_urn == prov.urn, r.name


def test_two_regions_get_two_providers() -> None:
    east = {**L4_SPOT, "name": "east"}
    west = {
        **L4_SPOT,
        "name": "west",
        "region": "us-west-2",
        "zones": ["us-west-2a", "us-west-2b"],
        # g6.xlarge has no us-west-2 on-demand price in the catalog, so it could not be capped.
        "gpu": {"model": "L4-24GB", "count": 1, "instanceTypes": ["g6.2xlarge", "g6.4xlarge"]},
    }
    result = run(east, west, stack="regions")
    providers = {p.urn: p.inputs["region"] for p in result.of_type(PROVIDER)}
    assert sorted(providers.values()) == ["us-east-1", "us-west-2"]
    components = {c.urn: c.name for c in result.of_type(COMPONENT)}
    expected = {"demo-east": "us-east-1", "demo-west": "us-west-2"}
    aws_resources = [r for r in result.resources if r.type.startswith("aws:")]
    assert aws_resources
    for r in aws_resources:
        assert providers[r.provider_urn] == expected[components[r.parent]], r.name
    assert ":us-west-2:" in result.outputs["groups"]["west"]["asgArn"]
    assert result.outputs["groups"]["east"]["region"] == "us-east-1"
    zones = {r.inputs["availabilityZone"] for r in result.of_type("aws:ec2/subnet:Subnet")}
    assert {"us-west-2a", "us-east-1a"} <= zones


def test_on_demand_single_type() -> None:
    result = run(ON_DEMAND_ONE, stack="od")
    asg = result.one(ASG).inputs
    assert "mixedInstancesPolicy" not in asg
    assert asg["launchTemplate"]["version"] == "1"
    assert asg["capacityRebalance"] is False
    assert result.one(LT).inputs["instanceType"] == "g5.xlarge"
    assert not result.of_type("aws:autoscaling/policy:Policy")


def test_bring_your_own_subnets_creates_no_network() -> None:
    result = run({**L4_SPOT, "network": {"subnetIds": ["subnet-a", "subnet-b"], "vpcId": "vpc-9"}}, stack="byo")
    assert not result.of_type("aws:ec2/vpc:Vpc") and not result.of_type("aws:ec2/subnet:Subnet")
    assert result.one(ASG).inputs["vpcZoneIdentifiers"] == ["subnet-a", "subnet-b"]
    assert result.one("aws:ec2/securityGroup:SecurityGroup").inputs["vpcId"] == "vpc-9"


def test_scale_to_zero_spot_fleet() -> None:
    result = run(L4_SPOT, stack="zero")
    asg = result.one(ASG).inputs
    assert (asg["minSize"], asg["desiredCapacity"]) == (0, 0)
    overrides = [o["instanceType"] for o in asg["mixedInstancesPolicy"]["launchTemplate"]["overrides"]]
    assert overrides == ["g6.xlarge", "g6.2xlarge", "g6.4xlarge"]
    assert len(result.of_type("aws:autoscaling/schedule:Schedule")) == 2


def _id_of(result: ProgramRun, r: CapturedResource) -> str:
    """The mock id of a resource (FleetMocks' deterministic id)."""
    from gpufleet.plan.mocks import fake_id

    return fake_id(r.type, r.name)
