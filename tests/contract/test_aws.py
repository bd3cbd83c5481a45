"""AWS contract: each mapping and rule fires on a deliberately wrong input, the templates and
the review's specs give exactly the expected findings, and the sourced data matches moto."""

from __future__ import annotations

import base64
import copy
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pytest

from contract_cases import NAMED_SPECS, TEMPLATES, assert_fires, plan_fleet, plan_template
from contract_templates import expected
from gpufleet.contract import aws, check_plan
from gpufleet.contract.awsmap import BUILDERS
from gpufleet.contract.base import Finding, apply_rules
from gpufleet.plan.engine import CapturedResource


@dataclass(frozen=True)
class Res:
    """A hand-made captured resource (fits gpufleet.contract.base.Resource)."""

    type: str
    name: str
    inputs: dict[str, Any]
    urn: str = ""
    dependencies: tuple[str, ...] = field(default_factory=tuple)


def findings(resources: list[Any]) -> list[Finding]:
    reqs = aws.requests(resources)
    return aws.model_findings(reqs) + apply_rules(reqs)


@pytest.fixture(scope="module")
def h100() -> list[CapturedResource]:
    return plan_template("aws-train-h100-efa").resources


def mutated(resources: list[Any], type_: str, change: Callable[[dict[str, Any]], None]) -> list[Any]:
    """The resources with one input of the first ``type_`` resource changed."""
    out = []
    done = False
    for r in resources:
        if r.type == type_ and not done:
            inputs = copy.deepcopy(r.inputs)
            change(inputs)
            r = Res(r.type, r.name, inputs, r.urn, r.dependencies)
            done = True
        out.append(r)
    assert done, f"no {type_} in the plan"
    return out


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        *head, last = path.split(".")
        target: Any = inputs
        for k in head:
            target = target[int(k)] if isinstance(target, list) else target.setdefault(k, {})
        target[last] = value

    return change


LONG = "x" * 1001
# Every mapping (pulumi-aws type -> request) with one wrong input the model check must catch at
# the mapped member: proves the input reaches the right member of the right operation.
MAPPING_CASES: dict[str, tuple[str, Any, str, str]] = {
    # type: (input path, wrong value, rule, field of the finding)
    "aws:ec2/launchTemplate:LaunchTemplate": (
        "metadataOptions.httpTokens", "sometimes", "aws.model.enum", "LaunchTemplateData.MetadataOptions.HttpTokens"),
    "aws:autoscaling/group:Group": (
        "instanceRefresh.preferences.maxHealthyPercentage", 300, "aws.model.max", "Preferences.MaxHealthyPercentage"),
    "aws:autoscaling/policy:Policy": (
        "targetTrackingConfiguration.customizedMetricSpecification.statistic", "Mean", "aws.model.enum",
        "TargetTrackingConfiguration.CustomizedMetricSpecification.Statistic"),
    "aws:autoscaling/schedule:Schedule": ("scheduledActionName", "s" * 300, "aws.model.max", "ScheduledActionName"),
    "aws:autoscaling/lifecycleHook:LifecycleHook": ("heartbeatTimeout", "soon", "aws.model.shape", "HeartbeatTimeout"),
    "aws:ec2/placementGroup:PlacementGroup": ("strategy", "tight", "aws.model.enum", "Strategy"),
    "aws:ec2/securityGroup:SecurityGroup": ("vpcId", 1, "aws.model.shape", "VpcId"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "fromPort", "any", "aws.model.shape", "IpPermissions[0].FromPort"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        "toPort", "any", "aws.model.shape", "IpPermissions[0].ToPort"),
    "aws:iam/role:Role": ("description", LONG, "aws.model.max", "Description"),
    "aws:iam/rolePolicy:RolePolicy": ("role", "", "aws.model.shape", "RoleName"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn", "arn", "aws.model.shape", "PolicyArn"),
    "aws:iam/instanceProfile:InstanceProfile": ("path", "no-slashes", "aws.model.pattern", "Path"),
    "aws:ec2/vpc:Vpc": ("cidrBlock", 10, "aws.model.shape", "CidrBlock"),
    "aws:ec2/subnet:Subnet": ("availabilityZone", 1, "aws.model.shape", "AvailabilityZone"),
    "aws:ec2/internetGateway:InternetGateway": ("vpcId", 1, "aws.model.shape", "VpcId"),
    "aws:ec2/eip:Eip": ("domain", "classic", "aws.model.enum", "Domain"),
    "aws:ec2/natGateway:NatGateway": ("connectivityType", "semi", "aws.model.enum", "ConnectivityType"),
    "aws:ec2/routeTable:RouteTable": ("vpcId", 1, "aws.model.shape", "VpcId"),
    "aws:ec2/route:Route": ("destinationCidrBlock", 1, "aws.model.shape", "DestinationCidrBlock"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("subnetId", 1, "aws.model.shape", "SubnetId"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("vpcEndpointType", "Bridge", "aws.model.enum", "VpcEndpointType"),
    # cloudwatch.PutMetricAlarm (aws/loopbreaker.py): an operator the model does not list.
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("comparisonOperator", "AtLeast", "aws.model.enum", "ComparisonOperator"),
    "aws:s3/bucket:Bucket": ("objectLockEnabled", "yes", "aws.model.shape", "ObjectLockEnabledForBucket"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        "blockPublicAcls", "yes", "aws.model.shape", "PublicAccessBlockConfiguration.BlockPublicAcls"),
    "aws:s3/bucketObjectv2:BucketObjectv2": ("serverSideEncryption", "DES", "aws.model.enum", "ServerSideEncryption"),
}  # fmt: skip

HOOK = Res(
    "aws:autoscaling/lifecycleHook:LifecycleHook",
    "hook",
    {"name": "drain", "autoscalingGroupName": "g", "lifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
     "heartbeatTimeout": 900, "defaultResult": "CONTINUE"},
)  # fmt: skip


def test_every_mapping_has_a_negative_case() -> None:
    assert set(MAPPING_CASES) == set(BUILDERS)


@pytest.mark.parametrize("type_", sorted(MAPPING_CASES))
def test_a_wrong_input_is_caught_at_its_mapped_member(type_: str, h100: list[CapturedResource]) -> None:
    path, value, rule_id, where = MAPPING_CASES[type_]
    base = list(h100) if any(r.type == type_ for r in h100) else [*h100, HOOK]
    assert findings(base) == []  # the unchanged plan is clean, so the finding is the mutation's
    assert_fires(findings(mutated(base, type_, _set(path, value))), rule_id, where)


def test_an_input_no_mapping_covers_is_a_finding(h100: list[CapturedResource]) -> None:
    bad = mutated(list(h100), "aws:ec2/launchTemplate:LaunchTemplate", _set("frobnicate", True))
    f = assert_fires(findings(bad), "aws.mapping.unmapped-input", "LaunchTemplateData.frobnicate")
    assert "awsmap" in f.message


def test_paramvalidator_required_member() -> None:
    # PutScalingPolicy needs AutoScalingGroupName (botocore: required)
    policy = Res("aws:autoscaling/policy:Policy", "p", {"name": "p", "policyType": "TargetTrackingScaling"})
    f = assert_fires(findings([policy]), "aws.model.shape")
    assert "AutoScalingGroupName" in f.message and "botocore" in f.source


# ------------------------------------------------------------------ rules
def _lt(nics: list[dict[str, Any]], user_data: str | None = None) -> Res:
    inputs: dict[str, Any] = {"networkInterfaces": nics, "imageId": "ami-0123456789abcdef0"}
    if user_data is not None:
        inputs["userData"] = user_data
    return Res("aws:ec2/launchTemplate:LaunchTemplate", "lt", inputs)


def _asg(types: list[str], **extra: Any) -> Res:
    lt_id = __import__("gpufleet.plan.mocks", fromlist=["fake_id"]).fake_id(
        "aws:ec2/launchTemplate:LaunchTemplate", "lt"
    )
    mip = {"launchTemplate": {"launchTemplateSpecification": {"launchTemplateId": lt_id, "version": "1"},
                              "overrides": [{"instanceType": t} for t in types]}}  # fmt: skip
    return Res(
        "aws:autoscaling/group:Group",
        "asg",
        {"name": "g", "minSize": 0, "maxSize": 2, "mixedInstancesPolicy": mip, **extra},
    )


def _nic(card: int, kind: str, device: int = 1) -> dict[str, Any]:
    return {"networkCardIndex": card, "deviceIndex": device, "interfaceType": kind}


def test_card_layout_fires_on_efa_on_the_ena_only_card_of_p6_b300() -> None:
    f = assert_fires(findings([_lt([_nic(0, "efa", 0)]), _asg(["p6-b300.48xlarge"])]), "aws.ec2.network-card-interface")
    assert f.field == "LaunchTemplateData.NetworkInterfaces[0].InterfaceType" and "takes interface" in f.message
    # the layout AWS documents is clean: ENA primary on card 0, efa-only on the EFA cards
    good = [_nic(0, "interface", 0)] + [_nic(c, "efa-only", 0) for c in range(1, 17)]
    assert findings([_lt(good), _asg(["p6-b300.48xlarge"])]) == []


def test_card_layout_fires_on_a_card_the_type_lacks_and_on_too_many_efas() -> None:
    out = findings([_lt([_nic(0, "interface", 0), _nic(4, "efa")]), _asg(["g6e.48xlarge"])])
    assert_fires(out, "aws.ec2.network-card-interface", "LaunchTemplateData.NetworkInterfaces[1].NetworkCardIndex")
    two = [_nic(0, "efa", 0), _nic(0, "efa", 1)]
    assert_fires(findings([_lt(two), _asg(["p3dn.24xlarge"])]), "aws.ec2.network-card-interface",
                 "LaunchTemplateData.NetworkInterfaces")  # fmt: skip


def test_card_layout_says_when_a_type_has_no_card_data() -> None:
    f = assert_fires(findings([_lt([_nic(0, "efa", 0)]), _asg(["p3.16xlarge"])]), "aws.ec2.network-card-interface")
    assert "no network-card data for p3.16xlarge" in f.message


def test_user_data_over_16_kb_raw_fires() -> None:
    big = base64.b64encode(b"#!/bin/sh\n" + b"#" * 16380).decode()
    f = assert_fires(findings([_lt([], user_data=big)]), "aws.ec2.user-data-size", "LaunchTemplateData.UserData")
    assert "16390 bytes" in f.message
    ok = base64.b64encode(b"#" * 16384).decode()  # exactly the limit: fine although base64 is ~21.8 KB
    assert findings([_lt([], user_data=ok)]) == []


@pytest.mark.parametrize(
    "name",
    ["ab", "x" * 64, "Upper-case", "-starts-with-hyphen", "two..dots", "192.168.5.4", "xn--punycode", "b--ol-s3"],
)
def test_bucket_name_rule_fires_on_names_s3_refuses(name: str) -> None:
    f = assert_fires(findings([Res("aws:s3/bucket:Bucket", "b", {"bucket": name})]), "aws.s3.bucket-name", "Bucket")
    assert repr(name) in f.message


def test_the_longest_group_name_gives_a_valid_bucket_name() -> None:
    # ctx.name is at most 50 characters (aws/rules.py); Pulumi adds "-boot" and "-<7 chars>".
    name = "a" * 50 + "-boot"
    assert findings([Res("aws:s3/bucket:Bucket", name, {"region": "eu-west-1"})]) == []
    assert findings([Res("aws:s3/bucket:Bucket", name + "x", {})])[0].rule == "aws.s3.bucket-name"


def test_subnet_zone_fires_on_an_az_id_that_takes_no_subnets() -> None:
    bad = Res(
        "aws:ec2/subnet:Subnet", "s", {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/20", "availabilityZoneId": "apne1-az3"}
    )
    f = assert_fires(findings([bad]), "aws.ec2.subnet-zone", "AvailabilityZoneId")
    assert "apne1-az1" in f.message
    ok = Res(
        "aws:ec2/subnet:Subnet", "s", {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/20", "availabilityZoneId": "apne1-az4"}
    )
    assert findings([ok]) == []


def test_tokyo_without_zones_is_refused_before_any_request() -> None:
    # Issue 14 item 2: the created network defaulted to ap-northeast-1a/b; 1b takes no subnets.
    from contract_cases import TOKYO_NO_ZONES_SPEC
    from gpufleet.errors import ConfigError
    from gpufleet.validation import validate_fleet

    with pytest.raises(ConfigError) as e:
        validate_fleet(TOKYO_NO_ZONES_SPEC)
    assert [p.path for p in e.value.problems] == ["groups[0].zones"]
    assert "AZ IDs" in e.value.problems[0].message


def test_az_ids_are_checked_against_offerings_and_names_are_warned_about() -> None:
    from contract_cases import aws_group
    from gpufleet.errors import ConfigError
    from gpufleet.validation import validate_fleet

    tokyo = {"region": "ap-northeast-1", "gpu": {"model": "H100-80GB", "count": 8}, "rdma": True}
    with pytest.raises(ConfigError) as e:
        validate_fleet(aws_group(**tokyo, zones=["apne1-az2"]))
    (problem,) = e.value.problems
    # moto's offerings by AZ ID: p5.48xlarge in apne1-az1 and apne1-az4 only.
    assert problem.path == "groups[0].zones[0]" and "apne1-az1, apne1-az4" in problem.message
    ok = validate_fleet(aws_group(**tokyo, zones=["apne1-az4"]))
    assert not [w for w in ok.warnings if w.path == "groups[0].zones"]
    named = validate_fleet(aws_group(**tokyo, zones=["ap-northeast-1a"]))
    assert any(w.path == "groups[0].zones" and "not checked" in w.message for w in named.warnings)
    run = plan_fleet(aws_group(**tokyo, zones=["apne1-az4"]))
    subnets = [r for r in run.resources if r.type == "aws:ec2/subnet:Subnet"]
    assert {r.inputs.get("availabilityZoneId") for r in subnets} == {"apne1-az4"}
    assert check_plan(run.resources).findings == []


def test_subnet_zone_fires_on_ap_northeast_1b() -> None:
    sub = Res(
        "aws:ec2/subnet:Subnet",
        "s",
        {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/20", "availabilityZone": "ap-northeast-1b"},
    )
    f = assert_fires(findings([sub]), "aws.ec2.subnet-zone", "AvailabilityZone")
    assert "ap-northeast-1a, ap-northeast-1c, ap-northeast-1d" in f.message


def test_schedule_above_the_groups_max_fires_unless_it_raises_max() -> None:
    group = _asg(["g5.xlarge"])
    sched = {
        "scheduledActionName": "s",
        "autoscalingGroupName": "g",
        "recurrence": "0 8 * * *",
        "minSize": -1,
        "maxSize": -1,
    }
    high = Res("aws:autoscaling/schedule:Schedule", "s", {**sched, "desiredCapacity": 5})
    assert_fires(findings([group, high]), "aws.autoscaling.schedule-within-group", "DesiredCapacity")
    raised = Res("aws:autoscaling/schedule:Schedule", "s", {**sched, "desiredCapacity": 5, "maxSize": 5})
    assert [f.rule for f in findings([group, raised])] == []


def test_heartbeat_outside_30_to_7200_fires() -> None:
    hook = {"name": "h", "lifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING", "heartbeatTimeout": 10}
    out = findings([_asg(["g5.xlarge"], initialLifecycleHooks=[hook])])
    assert_fires(out, "aws.autoscaling.heartbeat-range", "LifecycleHookSpecificationList[0].HeartbeatTimeout")
    assert_fires(
        findings([Res(HOOK.type, "hook", {**HOOK.inputs, "heartbeatTimeout": 9000})]), "aws.autoscaling.heartbeat-range"
    )


def test_policy_documents_are_parsed() -> None:
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]})
    role = Res("aws:iam/role:Role", "r", {"assumeRolePolicy": trust})
    assert_fires(findings([role]), "aws.iam.policy-document", "AssumeRolePolicyDocument.Statement[0].Principal")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "s3:*", "Resource": "*"}]})
    pol = Res("aws:iam/rolePolicy:RolePolicy", "p", {"role": "r", "policy": doc})
    assert_fires(findings([pol]), "aws.iam.policy-document", "PolicyDocument.Statement[0].Effect")
    assert_fires(findings([Res(pol.type, "p", {"role": "r", "policy": "{not json"})]), "aws.iam.policy-document")


# ------------------------------------------------------------------ plans
@pytest.mark.parametrize("stack", TEMPLATES)
def test_template_findings_are_exactly_the_expected_ones(stack: str) -> None:
    # every cloud's findings through check_plan, against the one table (tests/contract_templates.py)
    report = check_plan(plan_template(stack).resources)
    assert sorted((f.resource, f.field, f.rule) for f in report.findings) == expected(stack)
    assert report.unmapped_types == []
    for c in report.clouds:  # a cloud is checked, or skipped out loud
        assert c.checked or c.detail.startswith(f"contract check skipped for {c.cloud}: install gpufleet[contract]")


EXPECTED_SPEC_FINDINGS: dict[str, list[tuple[str, str, str]]] = {
    "p6-b300-rdma": [],  # ENA primary on card 0, EFA-only on cards 1-16 (issue 14 item 1)
    "p6-b200-rdma": [],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(NAMED_SPECS))
def test_the_reviews_specs_give_exactly_the_expected_findings(name: str) -> None:
    report = check_plan(plan_fleet(NAMED_SPECS[name]).resources)
    assert [(f.resource, f.field, f.rule) for f in report.findings] == EXPECTED_SPEC_FINDINGS[name]


# ------------------------------------------------------------------ data vs moto
def _moto_types() -> dict[str, Any]:
    data = (resources.files("moto.ec2") / "resources" / "instance_types.json.gz").read_bytes()
    return json.loads(gzip.decompress(data))  # type: ignore[no-any-return]


def test_card_data_matches_motos_describe_instance_types() -> None:
    moto = _moto_types()
    cards = aws.network_cards()
    assert cards["p6-b300.48xlarge"]["cards"][0] == ("interface",)  # the review's finding B1, independently
    for itype, info in cards.items():
        net = moto[itype]["NetworkInfo"]
        assert info["max_cards"] == net["MaximumNetworkCards"], itype
        assert info["max_efa"] == net.get("EfaInfo", {}).get("MaximumEfaInterfaces", 0), itype
        assert info["cards"] == {c["NetworkCardIndex"]: tuple(c["InterfaceTypes"]) for c in net["NetworkCards"]}, itype


def test_every_catalog_efa_type_in_moto_has_card_data(catalog: Any) -> None:
    moto = _moto_types()
    efa = [n for n in catalog.instance_names("aws") if catalog.instance("aws", n).rdma == "efa" and n in moto]
    assert efa and all(n in aws.network_cards() for n in efa)


def test_zone_data_matches_moto() -> None:
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

    for region, zones in aws.subnet_zones().items():
        assert zones == tuple(z.name for z in RegionsAndZonesBackend.zones[region]), region


def test_offerings_data_matches_moto(catalog: Any) -> None:
    from gpufleet.aws.zones import offering_zone_ids

    base = resources.files("moto.ec2") / "resources" / "instance_type_offerings" / "availability-zone-id"
    gpu_types = set(catalog.instance_names("aws"))
    for region in ("us-east-1", "ap-northeast-1", "eu-west-1"):
        moto = json.loads(gzip.decompress((base / f"{region}.json.gz").read_bytes()))
        for itype in ("p5.48xlarge", "g6.xlarge", "p4d.24xlarge"):
            assert itype in gpu_types
            want = tuple(sorted({o["Location"] for o in moto if o["InstanceType"] == itype}))
            assert offering_zone_ids(region, itype) == want, (region, itype)
    assert offering_zone_ids("xx-nowhere-1", "p5.48xlarge") is None


def test_the_limits_paramvalidator_skips_are_enforced() -> None:
    # botocore's ParamValidator checks only min; each of these passes it and AWS rejects it.
    from botocore.validate import ParamValidator

    from gpufleet.contract.botomodel import input_shape

    refresh = {"AutoScalingGroupName": "g", "Preferences": {"MaxHealthyPercentage": 300}}
    assert not ParamValidator().validate(refresh, input_shape("autoscaling.StartInstanceRefresh")).has_errors()
    refresh_in = {"preferences": {"maxHealthyPercentage": 300}}
    group = Res(
        "aws:autoscaling/group:Group", "g", {"name": "g", "minSize": 0, "maxSize": 1, "instanceRefresh": refresh_in}
    )
    assert_fires(findings([group]), "aws.model.max", "Preferences.MaxHealthyPercentage")
    lt = _lt([])
    lt.inputs["metadataOptions"] = {"httpTokens": "sometimes"}
    assert_fires(findings([lt]), "aws.model.enum", "LaunchTemplateData.MetadataOptions.HttpTokens")
    prof = Res("aws:iam/instanceProfile:InstanceProfile", "p", {"path": "no-slashes"})
    assert_fires(findings([prof]), "aws.model.pattern", "Path")


def test_p3dn_on_the_default_image_is_refused_before_any_request() -> None:
    from contract_cases import P3DN_SPEC
    from gpufleet.errors import ConfigError
    from gpufleet.validation import validate_fleet

    with pytest.raises(ConfigError) as e:
        validate_fleet(P3DN_SPEC)
    assert "groups[0].bootstrap.driver" in str(e.value) and "Volta" in str(e.value)


def test_schedule_above_max_is_refused_before_any_request() -> None:
    # Issue 14 item 6: it used to reach PutScheduledUpdateGroupAction (aws.autoscaling.schedule-within-group).
    from contract_cases import SCHEDULE_ABOVE_MAX_SPEC
    from gpufleet.errors import ConfigError
    from gpufleet.validation import validate_fleet

    with pytest.raises(ConfigError) as e:
        validate_fleet(SCHEDULE_ABOVE_MAX_SPEC)
    assert [p.path for p in e.value.problems] == ["groups[0].autoscaling.schedules[0].desired"]


def test_h200_by_model_with_rdma_is_refused_before_any_request() -> None:
    # Issue 14 item 4: p5en (16 EFA cards) + p5e (32) in one template halved p5e's EFAs.
    from contract_cases import H200_BY_MODEL_SPEC
    from gpufleet.errors import ConfigError
    from gpufleet.validation import validate_fleet

    with pytest.raises(ConfigError) as e:
        validate_fleet(H200_BY_MODEL_SPEC)
    (problem,) = e.value.problems
    assert problem.path == "groups[0].gpu.model"
    assert "p5en.48xlarge: 16 EFA cards" in problem.message and "p5e.48xlarge: 32 EFA cards" in problem.message


@pytest.mark.parametrize(
    ("min_size", "prefs", "fires"),
    [
        (0, {"minHealthyPercentage": 90, "maxHealthyPercentage": 100}, True),  # the old setting, 1 node
        (9, {"minHealthyPercentage": 90, "maxHealthyPercentage": 100}, True),  # ceil(8.1) = 9 of 9
        (10, {"minHealthyPercentage": 90, "maxHealthyPercentage": 100}, False),
        (0, {"minHealthyPercentage": 0, "maxHealthyPercentage": 100}, False),  # gpufleet's default at 1
        (2, {"minHealthyPercentage": 50, "maxHealthyPercentage": 100}, False),
        (0, {"minHealthyPercentage": 100, "maxHealthyPercentage": 200}, False),  # rollout.surge: on purpose
        (0, {"minHealthyPercentage": 90}, False),  # max omitted: terminate and launch together
    ],
)
def test_refresh_surge_rule(min_size: int, prefs: dict[str, int], fires: bool) -> None:
    group = Res(
        "aws:autoscaling/group:Group",
        "g",
        {
            "name": "g",
            "minSize": min_size,
            "maxSize": 20,
            "instanceRefresh": {"strategy": "Rolling", "preferences": prefs},
        },
    )
    if fires:
        f = assert_fires(findings([group]), "aws.autoscaling.refresh-surge", "Preferences.MinHealthyPercentage")
        assert "launches a spare node first" in f.message
    else:
        assert not [f for f in findings([group]) if f.rule == "aws.autoscaling.refresh-surge"]
