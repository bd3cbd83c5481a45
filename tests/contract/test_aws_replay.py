"""The AWS requests replayed against moto (``mock_aws``) in dependency order (tests only).

moto is an independent implementation of the APIs: it refuses some requests the model check
cannot judge (a zone without subnets) and accepts others the rule layer refuses (it does not
check NIC layouts against the instance type), so its verdicts are asserted per plan.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Mapping
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from contract_cases import NAMED_SPECS, TEMPLATES, plan_fleet, plan_template
from gpufleet.aws.zones import region_of_zone_id
from gpufleet.contract import aws
from gpufleet.contract.base import Request

# Operations moto 5.2.5 does not implement (no create_placement_group / start_instance_refresh
# handler): those requests are checked by the model only.
NOT_IN_MOTO = {"ec2.CreatePlacementGroup", "autoscaling.StartInstanceRefresh"}
# moto 5.2.5 has no EC2 Image Builder backend (it answers 404 "Not yet implemented").
NOT_IN_MOTO |= {
    "imagebuilder.CreateComponent",
    "imagebuilder.CreateImageRecipe",
    "imagebuilder.CreateInfrastructureConfiguration",
    "imagebuilder.CreateDistributionConfiguration",
    "imagebuilder.CreateImage",
    "imagebuilder.CreateLifecyclePolicy",
}

# operation -> the path of the created id in its response
CREATED_ID: dict[str, tuple[str, ...]] = {
    "ec2.CreateVpc": ("Vpc", "VpcId"),
    "ec2.CreateSubnet": ("Subnet", "SubnetId"),
    "ec2.CreateSecurityGroup": ("GroupId",),
    "ec2.CreateLaunchTemplate": ("LaunchTemplate", "LaunchTemplateId"),
    "ec2.CreateInternetGateway": ("InternetGateway", "InternetGatewayId"),
    "ec2.AllocateAddress": ("AllocationId",),
    "ec2.CreateNatGateway": ("NatGateway", "NatGatewayId"),
    "ec2.CreateRouteTable": ("RouteTable", "RouteTableId"),
}
# moto knows AWS managed policies only when it loads all of them (minutes on a busy CI machine), so an
# AttachRolePolicy of one is checked against moto's managed-policy data instead of being sent.
MANAGED = "arn:aws:iam::aws:policy/"


def _managed_policy_paths() -> dict[str, str]:
    """Managed policy name -> its path ("/" or "/service-role/", ...) in moto's data."""
    import json

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return {name: str(p.get("Path", "/")) for name, p in json.loads(aws_managed_policies_data).items()}


MOTO_CONFIG: Any = {"iam": {"load_aws_managed_policies": False}}
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def _region(requests: list[Request]) -> str:
    """The region of the first subnet: a zone name minus its letter, or the region of an AZ ID."""
    for r in requests:
        if r.operation != "ec2.CreateSubnet":
            continue
        if "AvailabilityZone" in r.params:
            return str(r.params["AvailabilityZone"])[:-1]
        region = region_of_zone_id(str(r.params["AvailabilityZoneId"]))
        assert region is not None, r.params
        return region
    return "us-east-1"


def _substitute(value: Any, ids: Mapping[str, str]) -> Any:
    """Mock ids (as the plan's inputs reference them) -> the ids moto created."""
    if isinstance(value, str):
        for mock, real in ids.items():
            if mock in value:
                value = re.sub(rf"(eipalloc-)?{mock}", real, value)
        return value
    if isinstance(value, Mapping):
        return {k: _substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, ids) for v in value]
    return value


def replay(requests: list[Request]) -> tuple[list[str], dict[str, Any] | None]:
    """Send each request to moto in order. Returns the operations sent and, on the first
    refusal, {operation, resource, code, message}."""
    region = _region(requests)
    sent: list[str] = []
    ids: dict[str, str] = {}
    clients: dict[str, Any] = {}
    for req in requests:
        if req.operation in NOT_IN_MOTO:
            continue
        arn = str(req.params.get("PolicyArn", ""))
        if req.operation == "iam.AttachRolePolicy" and arn.startswith(MANAGED):
            # "service-role/X" names X under the path /service-role/ (as moto's data records it).
            path, _, name = arn[len(MANAGED) :].rpartition("/")
            assert _managed_policy_paths().get(name) == f"/{path}/".replace("//", "/"), arn
            continue
        service, op = req.operation.split(".", 1)
        client = clients.setdefault(service, boto3.client(service, region_name=region))  # type: ignore[call-overload]
        method = getattr(client, _SNAKE.sub("_", op).lower())
        try:
            response = method(**_substitute(dict(req.params), ids))
        except ClientError as e:
            err = e.response["Error"]
            return sent, {"operation": req.operation, "resource": req.resource, "code": err["Code"],
                          "message": err["Message"]}  # fmt: skip
        sent.append(req.operation)
        if req.operation in CREATED_ID:
            got: Any = response
            for key in CREATED_ID[req.operation]:
                got = got[key]
            ids[str(req.context["id"])] = str(got)
    return sent, None


@pytest.fixture(autouse=True)
def _moto_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(k, v)


def test_moto_is_the_version_whose_gaps_are_listed() -> None:
    # NOT_IN_MOTO is a fact about this moto; a newer one may implement more (then replay them).
    assert importlib.metadata.version("moto").startswith("5.2.")


AWS_TEMPLATES = [t for t in TEMPLATES if t.startswith("aws-") or t == "multicloud-burst"]


@pytest.mark.parametrize("stack", AWS_TEMPLATES)
def test_templates_replay_cleanly_in_moto(stack: str) -> None:
    requests = aws.requests(plan_template(stack).resources)
    with mock_aws(config=MOTO_CONFIG):
        sent, refused = replay(requests)
        assert refused is None
        group = next(r for r in requests if r.operation == "autoscaling.CreateAutoScalingGroup")
        name = group.params["AutoScalingGroupName"]
        got = boto3.client("autoscaling", region_name=_region(requests)).describe_auto_scaling_groups(
            AutoScalingGroupNames=[name]
        )["AutoScalingGroups"]
        assert len(got) == 1 and got[0]["MaxSize"] == group.params["MaxSize"]
    assert "ec2.CreateLaunchTemplate" in sent and "autoscaling.CreateAutoScalingGroup" in sent


EXPECTED_REFUSALS: dict[str, tuple[str, str] | None] = {
    "p6-b300-rdma": None,  # moto does not check NIC layouts: the rule aws.ec2.network-card-interface does
    "p6-b200-rdma": None,
}


@pytest.mark.parametrize("name", sorted(NAMED_SPECS))
def test_the_reviews_specs_in_moto(name: str) -> None:
    requests = aws.requests(plan_fleet(NAMED_SPECS[name]).resources)
    with mock_aws(config=MOTO_CONFIG):
        _, refused = replay(requests)
    expected = EXPECTED_REFUSALS[name]
    assert (refused["operation"], refused["code"]) == expected if refused else expected is None, refused
    if refused:
        assert "ap-northeast-1b" in refused["message"]
