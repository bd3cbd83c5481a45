"""Offline outputs for the AWS resources gpufleet declares (used by gpufleet.plan.mocks).

Each function gets the mock args (camelCase inputs) and the mock id, and returns the
computed outputs the real provider would add: ARNs, generated names, version numbers.
Shapes follow the provider's output properties; account 123456789012 is AWS's example
account id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT = "123456789012"

Outputs = Callable[[pulumi.runtime.MockResourceArgs, str], dict[str, Any]]


# GpuFleet names providers "<fleet>-aws-<region>" (gpufleet.fleet).
_PROVIDER_REGION = re.compile(r"-aws-(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)::")


def _region(args: pulumi.runtime.MockResourceArgs) -> str:
    """The resource's Region: its own ``region`` input, else the one in its provider's
    name (mocks see the provider reference ``<urn>::<id>``, not its inputs)."""
    if args.inputs.get("region"):
        return str(args.inputs["region"])
    m = _PROVIDER_REGION.search(args.provider or "")
    return m.group("region") if m else "us-east-1"


def _name(args: pulumi.runtime.MockResourceArgs, rid: str) -> str:
    """The physical name: the explicit one, else Pulumi-style ``<name>-<7 chars>``."""
    return str(args.inputs.get("name") or f"{args.name}-{rid[:7]}")


def _ec2_arn(args: pulumi.runtime.MockResourceArgs, kind: str, rid: str) -> str:
    return f"arn:aws:ec2:{_region(args)}:{ACCOUNT}:{kind}/{rid}"


def launch_template(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {
        "arn": _ec2_arn(args, "launch-template", f"lt-{rid}"),
        "name": _name(args, rid),
        "latestVersion": 1,
        "defaultVersion": 1,
    }


def asg(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    name = _name(args, rid)
    return {
        "name": name,
        "arn": f"arn:aws:autoscaling:{_region(args)}:{ACCOUNT}:autoScalingGroup:"
        f"00000000-0000-0000-0000-{rid[:12]}:autoScalingGroupName/{name}",
    }


def iam_role(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    name = _name(args, rid)
    return {"name": name, "arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "uniqueId": f"AROA{rid[:17].upper()}"}


def instance_profile(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    name = _name(args, rid)
    return {"name": name, "arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{name}", "uniqueId": f"AIPA{rid[:17]}"}


def role_policy(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"name": _name(args, rid)}


def placement_group(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    name = _name(args, rid)
    return {"name": name, "arn": _ec2_arn(args, "placement-group", name), "placementGroupId": f"pg-{rid}"}


def security_group(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"name": _name(args, rid), "arn": _ec2_arn(args, "security-group", f"sg-{rid}"), "ownerId": ACCOUNT}


def sg_rule(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"arn": _ec2_arn(args, "security-group-rule", f"sgr-{rid}"), "securityGroupRuleId": f"sgr-{rid}"}


def vpc(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {
        "arn": _ec2_arn(args, "vpc", f"vpc-{rid}"),
        "defaultRouteTableId": f"rtb-{rid}",
        "defaultSecurityGroupId": f"sg-{rid}",
        "mainRouteTableId": f"rtb-{rid}",
        "ownerId": ACCOUNT,
    }


def subnet(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"arn": _ec2_arn(args, "subnet", f"subnet-{rid}"), "ownerId": ACCOUNT}


def internet_gateway(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"arn": _ec2_arn(args, "internet-gateway", f"igw-{rid}"), "ownerId": ACCOUNT}


def eip(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"allocationId": f"eipalloc-{rid}", "publicIp": "198.51.100.10", "domain": "vpc"}


def nat_gateway(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"privateIp": "10.0.0.10", "publicIp": "198.51.100.10", "networkInterfaceId": f"eni-{rid}"}


def route_table(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"arn": _ec2_arn(args, "route-table", f"rtb-{rid}"), "ownerId": ACCOUNT}


def vpc_endpoint(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"arn": _ec2_arn(args, "vpc-endpoint", f"vpce-{rid}"), "prefixListId": f"pl-{rid[:8]}", "state": "available"}


def scaling_policy(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    name = _name(args, rid)
    return {
        "name": name,
        "arn": f"arn:aws:autoscaling:{_region(args)}:{ACCOUNT}:scalingPolicy:{rid}:"
        f"autoScalingGroupName/{args.inputs.get('autoscalingGroupName')}:policyName/{name}",
    }


def schedule(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    action = args.inputs.get("scheduledActionName")
    return {
        "arn": f"arn:aws:autoscaling:{_region(args)}:{ACCOUNT}:scheduledUpdateGroupAction:{rid}:"
        f"autoScalingGroupName/{args.inputs.get('autoscalingGroupName')}:scheduledActionName/{action}",
    }


def _imagebuilder_arn(args: pulumi.runtime.MockResourceArgs, kind: str, rid: str, version: bool) -> str:
    # arn:aws:imagebuilder:<region>:<account>:<kind>/<name>[/<version>] (lowercase names), as the
    # botocore imagebuilder model's ARN patterns require.
    name = _name(args, rid).lower()
    tail = f"/{args.inputs.get('version', '1.0.0')}" if version else ""
    return f"arn:aws:imagebuilder:{_region(args)}:{ACCOUNT}:{kind}/{name}{tail}"


def imagebuilder_component(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    arn = _imagebuilder_arn(args, "component", rid, version=True) + "/1"
    return {"arn": arn, "name": _name(args, rid), "owner": ACCOUNT, "type": "BUILD", "encrypted": True}


def imagebuilder_recipe(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"arn": _imagebuilder_arn(args, "image-recipe", rid, version=True), "name": _name(args, rid)}


def imagebuilder_infrastructure(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {
        "arn": _imagebuilder_arn(args, "infrastructure-configuration", rid, version=False),
        "name": _name(args, rid),
    }


def imagebuilder_lifecycle(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"arn": _imagebuilder_arn(args, "lifecycle-policy", rid, version=False), "name": _name(args, rid)}


_DISTRIBUTION_REGIONS: dict[str, list[str]] = {}
"""Distribution configuration ARN -> its regions, so the mock Image reports an AMI in each (the
real service does; a mock Image sees only the configuration's ARN)."""


def imagebuilder_distribution(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    arn = _imagebuilder_arn(args, "distribution-configuration", rid, version=False)
    dists = args.inputs.get("distributions") or []
    _DISTRIBUTION_REGIONS[arn] = [str(d.get("region")) for d in dists if isinstance(d, dict) and d.get("region")]
    return {"arn": arn, "name": _name(args, rid)}


def imagebuilder_image(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    """A built image: one AMI per distribution region (ids derived from the mock id)."""
    regions = _DISTRIBUTION_REGIONS.get(str(args.inputs.get("distributionConfigurationArn")), []) or [_region(args)]
    return {
        "arn": _imagebuilder_arn(args, "image", rid, version=True) + "/1",
        "name": _name(args, rid),
        "version": "1.0.0/1",
        "platform": "Linux",
        "outputResources": [
            {"amis": [{"region": r, "image": f"ami-{rid[:17]}", "accountId": ACCOUNT} for r in regions]}
        ],
    }


def s3_bucket(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    # The provider's id is the bucket name; auto-names are "<name>-<7 chars>" like the others.
    name = str(args.inputs.get("bucket") or f"{args.name}-{rid[:7]}")
    region = _region(args)
    return {
        "bucket": name,
        "arn": f"arn:aws:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        "region": region,
    }


def s3_object(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    key = args.inputs.get("key")
    return {"arn": f"arn:aws:s3:::{args.inputs.get('bucket')}/{key}", "versionId": "", "etag": rid[:32]}


OUTPUTS: dict[str, Outputs] = {
    "aws:ec2/launchTemplate:LaunchTemplate": launch_template,
    "aws:autoscaling/group:Group": asg,
    "aws:autoscaling/policy:Policy": scaling_policy,
    "aws:autoscaling/schedule:Schedule": schedule,
    "aws:iam/role:Role": iam_role,
    "aws:iam/instanceProfile:InstanceProfile": instance_profile,
    "aws:iam/rolePolicy:RolePolicy": role_policy,
    "aws:ec2/placementGroup:PlacementGroup": placement_group,
    "aws:ec2/securityGroup:SecurityGroup": security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": sg_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": sg_rule,
    "aws:ec2/vpc:Vpc": vpc,
    "aws:ec2/subnet:Subnet": subnet,
    "aws:ec2/internetGateway:InternetGateway": internet_gateway,
    "aws:ec2/eip:Eip": eip,
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/routeTable:RouteTable": route_table,
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
    "aws:imagebuilder/component:Component": imagebuilder_component,
    "aws:imagebuilder/imageRecipe:ImageRecipe": imagebuilder_recipe,
    "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration": imagebuilder_infrastructure,
    "aws:imagebuilder/distributionConfiguration:DistributionConfiguration": imagebuilder_distribution,
    "aws:imagebuilder/image:Image": imagebuilder_image,
    "aws:imagebuilder/lifecyclePolicy:LifecyclePolicy": imagebuilder_lifecycle,
    "aws:s3/bucket:Bucket": s3_bucket,
    "aws:s3/bucketObjectv2:BucketObjectv2": s3_object,
}
