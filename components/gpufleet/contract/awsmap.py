"""pulumi-aws inputs -> the botocore operation inputs the provider sends on create.

The provider (terraform-provider-aws, bridged) expands its camelCase inputs into the API's
members. Most names differ only in case; the exceptions are listed per resource type, taken
from the provider's expand functions (``internal/service/<svc>/<resource>.go``). An input this
table does not know becomes a finding, so a new argument can never slip past unchecked.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from gpufleet.contract.base import Request, Resource
from gpufleet.contract.botomodel import input_shape
from gpufleet.plan.mocks import fake_id

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's wire sentinel for a value not known at preview (``pulumi.runtime.rpc.UNKNOWN``)."""


@dataclass
class Mapped:
    """Requests of one resource plus the inputs no mapping covered."""

    requests: list[Request] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


def _member(key: str, shape: StructureShape, renames: Mapping[str, str]) -> str | None:
    if key in renames:
        return renames[key]
    lowered = {m.lower(): m for m in shape.members}
    return lowered.get(key.lower())


def convert(value: Any, shape: Shape, path: str, unmapped: list[str], renames: Mapping[str, Mapping[str, str]]) -> Any:
    """A captured input value shaped as ``shape`` wants it (names, booleans, integers, tag lists).

    ``renames`` maps a structure shape name to {pulumi key: member name}; a member name of ""
    drops the key (a provider-only argument). A value the mapping cannot convert is kept
    as it is, so the model check reports it.
    """
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        out: dict[str, Any] = {}
        table = renames.get(shape.name, {})
        for key, sub in value.items():
            if sub is None or sub == UNKNOWN:
                continue
            name = _member(key, shape, table)
            if name == "":
                continue
            if name is None or name not in shape.members:
                unmapped.append(f"{path}.{key}" if path else key)
                continue
            out[name] = convert(sub, shape.members[name], f"{path}.{name}" if path else name, unmapped, renames)
        return out
    if isinstance(shape, ListShape):
        if isinstance(value, Mapping) and isinstance(shape.member, StructureShape) and "Key" in shape.member.members:
            return [{"Key": str(k), "Value": str(v)} for k, v in value.items()]  # a tags map -> [Tag]
        if isinstance(value, list):
            return [convert(v, shape.member, f"{path}[{i}]", unmapped, renames) for i, v in enumerate(value)]
        return value
    if isinstance(shape, MapShape):
        return value
    t = shape.type_name
    if t == "boolean" and isinstance(value, str) and value in ("true", "false"):
        return value == "true"  # pulumi-aws takes some booleans as strings ("true"/"false"/"")
    if t in ("integer", "long"):
        if isinstance(value, float) and value.is_integer():
            return int(value)  # protobuf numbers arrive as floats
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
    if t in ("double", "float") and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def physical_name(r: Resource) -> str:
    """The name the provider creates: the explicit ``name`` input, else Pulumi's auto-name
    ``<name>-<7 chars>`` as the plan's mock engine assigned it (``gpufleet.aws.mock_outputs``)."""
    explicit = r.inputs.get("name")
    return str(explicit) if explicit else f"{r.name}-{fake_id(r.type, r.name)[:7]}"


def mock_id(r: Resource) -> str:
    """The id the plan's mock engine gave ``r`` (what other resources' inputs reference)."""
    return fake_id(r.type, r.name)


def _tag_specs(tags: Any, resource_type: str) -> list[dict[str, Any]]:
    """The provider sends resource ``tags`` as a TagSpecification on create (ec2 tagging on create)."""
    if not isinstance(tags, Mapping) or not tags:
        return []
    return [{"ResourceType": resource_type, "Tags": [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]}]


Builder = Callable[[Resource, "Graph"], Mapped]


@dataclass
class Graph:
    """Lookups across the captured AWS resources (references are mock ids and names)."""

    resources: Sequence[Resource]

    def by_id(self, rid: str) -> Resource | None:
        return next((r for r in self.resources if mock_id(r) == rid or rid.endswith(mock_id(r))), None)

    def group_named(self, name: str) -> Resource | None:
        return next(
            (r for r in self.resources if r.type == ASG and physical_name(r) == name),
            None,
        )


def _one(r: Resource, operation: str, params: dict[str, Any], **context: Any) -> Request:
    return Request("aws", operation, params, r.name, r.type, {"id": mock_id(r), "urn": r.urn, **context})


def _shaped(
    r: Resource,
    operation: str,
    inputs: Mapping[str, Any],
    renames: Mapping[str, Mapping[str, str]],
    mapped: Mapped,
    prefix: str = "",
) -> dict[str, Any]:
    params = convert(inputs, input_shape(operation), prefix, mapped.unmapped, renames)
    assert isinstance(params, dict)
    return params


LT = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"

# --- ec2 launch template (provider: internal/service/ec2/ec2_launch_template.go, expandRequestLaunchTemplateData)
_LT_DATA_RENAMES: dict[str, dict[str, str]] = {
    "RequestLaunchTemplateData": {"vpcSecurityGroupIds": "SecurityGroupIds", "securityGroupNames": "SecurityGroups"},
    "LaunchTemplateInstanceNetworkInterfaceSpecificationRequest": {"securityGroups": "Groups"},
    "LaunchTemplateBlockDeviceMappingRequest": {"ebs": "Ebs"},
    "LaunchTemplateTagSpecificationRequest": {},
}
_LT_TOP = {"name", "namePrefix", "description", "tags", "updateDefaultVersion", "defaultVersion", "region"}


def launch_template(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    data_in = {k: v for k, v in r.inputs.items() if k not in _LT_TOP}
    data_shape = input_shape("ec2.CreateLaunchTemplate").members["LaunchTemplateData"]
    data = convert(data_in, data_shape, "LaunchTemplateData", m.unmapped, _LT_DATA_RENAMES)
    params: dict[str, Any] = {"LaunchTemplateName": physical_name(r), "LaunchTemplateData": data}
    if r.inputs.get("description"):
        params["VersionDescription"] = r.inputs["description"]
    if specs := _tag_specs(r.inputs.get("tags"), "launch-template"):
        params["TagSpecifications"] = specs
    # The instance types this template launches: its own, or those of the groups using it.
    types = [str(data["InstanceType"])] if isinstance(data, dict) and data.get("InstanceType") else []
    for asg in (x for x in g.resources if x.type == ASG):
        if _asg_template_id(asg) == mock_id(r):
            types += _asg_instance_types(asg, g)
    raw = _user_data_bytes(r.inputs.get("userData"))
    m.requests.append(
        _one(r, "ec2.CreateLaunchTemplate", params, instance_types=tuple(dict.fromkeys(types)), user_data_raw=raw)
    )
    return m


def _user_data_bytes(value: Any) -> int | None:
    """Raw size of base64 user data (the 16 KB limit is on the raw bytes), None if not base64."""
    if not isinstance(value, str) or value == UNKNOWN:
        return None
    try:
        return len(base64.b64decode(value, validate=True))
    except ValueError:
        return None


# --- autoscaling group (provider: internal/service/autoscaling/group.go, resourceGroupCreate)
def _asg_template_id(asg: Resource) -> str | None:
    lt = asg.inputs.get("launchTemplate") or {}
    mip = (asg.inputs.get("mixedInstancesPolicy") or {}).get("launchTemplate") or {}
    spec = mip.get("launchTemplateSpecification") or {}
    rid = lt.get("id") or spec.get("launchTemplateId")
    return str(rid) if rid else None


def _asg_instance_types(asg: Resource, g: Graph) -> list[str]:
    mip = (asg.inputs.get("mixedInstancesPolicy") or {}).get("launchTemplate") or {}
    return [str(o["instanceType"]) for o in mip.get("overrides") or [] if o.get("instanceType")]


_ASG_RENAMES: dict[str, dict[str, str]] = {
    "CreateAutoScalingGroupType": {
        "name": "AutoScalingGroupName",
        "vpcZoneIdentifiers": "VPCZoneIdentifier",
        "initialLifecycleHooks": "LifecycleHookSpecificationList",
        "protectFromScaleIn": "NewInstancesProtectedFromScaleIn",
        "targetGroupArns": "TargetGroupARNs",
        "serviceLinkedRoleArn": "ServiceLinkedRoleARN",
        # provider-only or sent by other calls after create
        "waitForCapacityTimeout": "",
        "minElbCapacity": "",
        "waitForElbCapacity": "",
        "forceDelete": "",
        "forceDeleteWarmPool": "",
        "ignoreFailedScalingActivities": "",
        "instanceRefresh": "",
        "namePrefix": "",
        "region": "",
    },
    "LaunchTemplateSpecification": {"id": "LaunchTemplateId", "name": "LaunchTemplateName"},
    "LifecycleHookSpecification": {
        "name": "LifecycleHookName",
        "notificationTargetArn": "NotificationTargetARN",
        "roleArn": "RoleARN",
    },
}


def autoscaling_group(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    inputs = dict(r.inputs)
    name = physical_name(r)
    inputs["name"] = name
    if isinstance(inputs.get("vpcZoneIdentifiers"), list):
        inputs["vpcZoneIdentifiers"] = ",".join(str(s) for s in inputs["vpcZoneIdentifiers"])
    if isinstance(inputs.get("tags"), list):
        inputs["tags"] = [{**t, "resourceId": name, "resourceType": "auto-scaling-group"} for t in inputs["tags"]]
    params = _shaped(r, "autoscaling.CreateAutoScalingGroup", inputs, _ASG_RENAMES, m)
    types = _asg_instance_types(r, g)
    lt = g.by_id(_asg_template_id(r) or "")
    if lt is not None and lt.inputs.get("instanceType"):
        types.append(str(lt.inputs["instanceType"]))
    m.requests.append(_one(r, "autoscaling.CreateAutoScalingGroup", params, instance_types=tuple(types)))
    refresh = r.inputs.get("instanceRefresh")
    if isinstance(refresh, Mapping):
        # Sent when the launch template changes (group.go startInstanceRefresh); the preferences
        # are part of the declared contract, so they are checked now rather than at the first update.
        body = {"AutoScalingGroupName": name, **refresh}
        shaped = _shaped(r, "autoscaling.StartInstanceRefresh", body, {}, m)
        m.requests.append(_one(r, "autoscaling.StartInstanceRefresh", shaped, group_min=r.inputs.get("minSize")))
    return m


def scaling_policy(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    renames = {
        "PutScalingPolicyType": {"name": "PolicyName", "autoscalingGroupName": "AutoScalingGroupName", "region": ""},
        "CustomizedMetricSpecification": {"metricDimensions": "Dimensions"},
        # TF sends "enabled" = true by default; it is a provider flag for target tracking.
    }
    params = _shaped(r, "autoscaling.PutScalingPolicy", r.inputs, renames, m)
    m.requests.append(_one(r, "autoscaling.PutScalingPolicy", params))
    return m


def schedule(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    # schedule.go: min_size/max_size/desired_capacity of -1 mean "unset" and are not sent.
    inputs = {
        k: v
        for k, v in r.inputs.items()
        if not (k in ("minSize", "maxSize", "desiredCapacity") and isinstance(v, int | float) and v == -1)
    }
    renames = {"PutScheduledUpdateGroupActionType": {"autoscalingGroupName": "AutoScalingGroupName", "region": ""}}
    params = _shaped(r, "autoscaling.PutScheduledUpdateGroupAction", inputs, renames, m)
    group = g.group_named(str(r.inputs.get("autoscalingGroupName")))
    ctx: dict[str, Any] = {}
    if group is not None:
        ctx = {"group_min": group.inputs.get("minSize"), "group_max": group.inputs.get("maxSize")}
    m.requests.append(_one(r, "autoscaling.PutScheduledUpdateGroupAction", params, **ctx))
    return m


def lifecycle_hook(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    renames = {
        "PutLifecycleHookType": {
            "name": "LifecycleHookName",
            "autoscalingGroupName": "AutoScalingGroupName",
            "notificationTargetArn": "NotificationTargetARN",
            "roleArn": "RoleARN",
            "region": "",
        }
    }
    m.requests.append(
        _one(r, "autoscaling.PutLifecycleHook", _shaped(r, "autoscaling.PutLifecycleHook", r.inputs, renames, m))
    )
    return m


def placement_group(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    inputs = {k: v for k, v in r.inputs.items() if k not in ("tags", "name", "region")}
    params = _shaped(r, "ec2.CreatePlacementGroup", inputs, {}, m)
    params["GroupName"] = physical_name(r)
    if specs := _tag_specs(r.inputs.get("tags"), "placement-group"):
        params["TagSpecifications"] = specs
    m.requests.append(_one(r, "ec2.CreatePlacementGroup", params))
    return m


def security_group(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    inputs = {
        k: v for k, v in r.inputs.items() if k not in ("tags", "name", "namePrefix", "region", "revokeRulesOnDelete")
    }
    for inline in ("ingress", "egress"):
        if inputs.pop(inline, None):
            m.unmapped.append(inline)  # gpufleet uses standalone rules; inline rules are not mapped
    params = _shaped(r, "ec2.CreateSecurityGroup", inputs, {}, m)
    params["GroupName"] = physical_name(r)
    params.setdefault("Description", "Managed by Pulumi")  # the provider's default description
    if specs := _tag_specs(r.inputs.get("tags"), "security-group"):
        params["TagSpecifications"] = specs
    m.requests.append(_one(r, "ec2.CreateSecurityGroup", params))
    if r.inputs.get("vpcId"):
        # security_group.go: a VPC group starts with an allow-all egress rule; the provider
        # revokes it after create, so only the declared rules apply.
        default = {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        revoke = {"GroupId": mock_id(r), "IpPermissions": [default]}
        m.requests.append(_one(r, "ec2.RevokeSecurityGroupEgress", revoke))
    return m


def sg_rule(direction: str) -> Builder:
    """vpc.SecurityGroup{Ingress,Egress}Rule (internal/service/ec2/vpc_security_group_ingress_rule.go)."""
    operation = f"ec2.AuthorizeSecurityGroup{direction}"

    def build(r: Resource, g: Graph) -> Mapped:
        m = Mapped()
        i = dict(r.inputs)
        perm: dict[str, Any] = {"IpProtocol": i.pop("ipProtocol", None)}
        for key, member in (("fromPort", "FromPort"), ("toPort", "ToPort")):
            if key in i:
                perm[member] = i.pop(key)
        desc = i.pop("description", None)
        extra = {"Description": desc} if desc else {}
        if "cidrIpv4" in i:
            perm["IpRanges"] = [{"CidrIp": i.pop("cidrIpv4"), **extra}]
        if "cidrIpv6" in i:
            perm["Ipv6Ranges"] = [{"CidrIpv6": i.pop("cidrIpv6"), **extra}]
        if "referencedSecurityGroupId" in i:
            perm["UserIdGroupPairs"] = [{"GroupId": i.pop("referencedSecurityGroupId"), **extra}]
        if "prefixListId" in i:
            perm["PrefixListIds"] = [{"PrefixListId": i.pop("prefixListId"), **extra}]
        body: dict[str, Any] = {"GroupId": i.pop("securityGroupId", None), "IpPermissions": [perm]}
        if specs := _tag_specs(i.pop("tags", None), "security-group-rule"):
            body["TagSpecifications"] = specs
        i.pop("region", None)
        m.unmapped += sorted(i)
        shaped = convert(body, input_shape(operation), "", m.unmapped, {})
        m.requests.append(_one(r, operation, shaped))
        return m

    return build


# --- IAM (internal/service/iam/role.go, role_policy.go, role_policy_attachment.go, instance_profile.go)
def iam_role(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    i = {k: v for k, v in r.inputs.items() if k not in ("name", "namePrefix", "forceDetachPolicies")}
    renames = {
        "CreateRoleRequest": {
            "assumeRolePolicy": "AssumeRolePolicyDocument",
            "permissionsBoundary": "PermissionsBoundary",
        }
    }
    params = _shaped(r, "iam.CreateRole", i, renames, m)
    params["RoleName"] = physical_name(r)
    m.requests.append(_one(r, "iam.CreateRole", params, policy_kind="trust"))
    return m


def iam_role_policy(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    i = {k: v for k, v in r.inputs.items() if k not in ("name", "namePrefix")}
    renames = {"PutRolePolicyRequest": {"role": "RoleName", "policy": "PolicyDocument"}}
    params = _shaped(r, "iam.PutRolePolicy", i, renames, m)
    params["PolicyName"] = physical_name(r)
    m.requests.append(_one(r, "iam.PutRolePolicy", params, policy_kind="identity"))
    return m


def iam_attachment(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    renames = {"AttachRolePolicyRequest": {"role": "RoleName", "policyArn": "PolicyArn"}}
    m.requests.append(_one(r, "iam.AttachRolePolicy", _shaped(r, "iam.AttachRolePolicy", r.inputs, renames, m)))
    return m


def instance_profile(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    i = {k: v for k, v in r.inputs.items() if k not in ("name", "namePrefix", "role")}
    params = _shaped(r, "iam.CreateInstanceProfile", i, {}, m)
    params["InstanceProfileName"] = physical_name(r)
    m.requests.append(_one(r, "iam.CreateInstanceProfile", params))
    if r.inputs.get("role"):
        add = {"InstanceProfileName": physical_name(r), "RoleName": r.inputs["role"]}
        m.requests.append(_one(r, "iam.AddRoleToInstanceProfile", add))
    return m


# --- CloudWatch (internal/service/cloudwatch/metric_alarm.go, expandPutMetricAlarmInput)
def metric_alarm(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    i = {k: v for k, v in r.inputs.items() if k not in ("dimensions", "region")}
    renames = {"PutMetricAlarmInput": {"name": "AlarmName"}}
    params = _shaped(r, "cloudwatch.PutMetricAlarm", i, renames, m)
    # The provider turns the dimensions map into [{Name, Value}].
    if isinstance(dims := r.inputs.get("dimensions"), Mapping):
        params["Dimensions"] = [{"Name": str(k), "Value": str(v)} for k, v in dims.items()]
    m.requests.append(_one(r, "cloudwatch.PutMetricAlarm", params))
    return m


# --- VPC (internal/service/ec2/vpc_*.go)
def _ec2_simple(
    operation: str, tag_type: str, drop: Sequence[str] = (), renames: Mapping[str, str] | None = None
) -> Builder:
    def build(r: Resource, g: Graph) -> Mapped:
        m = Mapped()
        i = {k: v for k, v in r.inputs.items() if k not in ("tags", "region", *drop)}
        shape_name = input_shape(operation).name
        params = _shaped(r, operation, i, {shape_name: dict(renames or {})}, m)
        if specs := _tag_specs(r.inputs.get("tags"), tag_type):
            params["TagSpecifications"] = specs
        m.requests.append(_one(r, operation, params))
        return m

    return build


def vpc(r: Resource, g: Graph) -> Mapped:
    m = _ec2_simple("ec2.CreateVpc", "vpc", drop=("enableDnsHostnames", "enableDnsSupport"))(r, g)
    # vpc.go: DNS attributes are set with ModifyVpcAttribute after create, one per call.
    for key, member in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        if key in r.inputs:
            body = {"VpcId": mock_id(r), member: {"Value": r.inputs[key]}}
            shaped = convert(body, input_shape("ec2.ModifyVpcAttribute"), "", m.unmapped, {})
            m.requests.append(_one(r, "ec2.ModifyVpcAttribute", shaped))
    return m


def subnet(r: Resource, g: Graph) -> Mapped:
    m = _ec2_simple("ec2.CreateSubnet", "subnet", drop=("mapPublicIpOnLaunch",))(r, g)
    if r.inputs.get("mapPublicIpOnLaunch") is True:
        body = {"SubnetId": mock_id(r), "MapPublicIpOnLaunch": {"Value": True}}
        m.requests.append(_one(r, "ec2.ModifySubnetAttribute", body))
    return m


def internet_gateway(r: Resource, g: Graph) -> Mapped:
    m = _ec2_simple("ec2.CreateInternetGateway", "internet-gateway", drop=("vpcId",))(r, g)
    if r.inputs.get("vpcId"):
        body = {"InternetGatewayId": mock_id(r), "VpcId": r.inputs["vpcId"]}
        m.requests.append(_one(r, "ec2.AttachInternetGateway", body))
    return m


def vpc_endpoint(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    i = {k: v for k, v in r.inputs.items() if k not in ("tags", "region")}
    if isinstance(i.get("policy"), str):
        i["policyDocument"] = i.pop("policy")
    params = _shaped(r, "ec2.CreateVpcEndpoint", i, {}, m)
    if specs := _tag_specs(r.inputs.get("tags"), "vpc-endpoint"):
        params["TagSpecifications"] = specs
    m.requests.append(_one(r, "ec2.CreateVpcEndpoint", params))
    return m


# --- S3: the node-files bucket and object (gpufleet.aws.nodefiles). Provider:
# internal/service/s3/bucket.go resourceBucketCreate (CreateBucket with a LocationConstraint
# outside us-east-1, then tags; the tagging call's name is UNVERIFIED in a stored copy, taken as
# PutBucketTagging, the only S3 bucket-tag write), bucket_public_access_block.go,
# object.go resourceObjectUpload (PutObject; content_base64 is decoded to the body).
S3_BUCKET = "aws:s3/bucket:Bucket"


def s3_bucket(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    name = str(r.inputs.get("bucket") or physical_name(r))
    params: dict[str, Any] = {"Bucket": name}
    region = r.inputs.get("region")
    if isinstance(region, str) and region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    known = {"bucket", "bucketPrefix", "forceDestroy", "region", "tags", "objectLockEnabled"}
    m.unmapped += sorted(k for k, v in r.inputs.items() if k not in known and v is not None)
    if r.inputs.get("objectLockEnabled") is not None:
        params["ObjectLockEnabledForBucket"] = r.inputs["objectLockEnabled"]
    m.requests.append(_one(r, "s3.CreateBucket", params))
    tags = r.inputs.get("tags")
    if isinstance(tags, Mapping) and tags:
        tagging = {"TagSet": [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]}
        m.requests.append(_one(r, "s3.PutBucketTagging", {"Bucket": name, "Tagging": tagging}))
    return m


def s3_public_access_block(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    i = {k: v for k, v in r.inputs.items() if k not in ("bucket", "region", "skipDestroy")}
    conf = convert(
        i, input_shape("s3.PutPublicAccessBlock").members["PublicAccessBlockConfiguration"],
        "PublicAccessBlockConfiguration", m.unmapped, {},
    )  # fmt: skip
    params = {"Bucket": r.inputs.get("bucket"), "PublicAccessBlockConfiguration": conf}
    m.requests.append(_one(r, "s3.PutPublicAccessBlock", params))
    return m


def s3_object(r: Resource, g: Graph) -> Mapped:
    m = Mapped()
    i = {k: v for k, v in r.inputs.items() if k not in ("region", "forceDestroy", "contentBase64", "content")}
    renames = {"PutObjectRequest": {"kmsKeyId": "SSEKMSKeyId", "sourceHash": "", "source": "", "etag": ""}}
    params = _shaped(r, "s3.PutObject", i, renames, m)
    if isinstance(r.inputs.get("contentBase64"), str):
        params["Body"] = base64.b64decode(r.inputs["contentBase64"])
    elif isinstance(r.inputs.get("content"), str):
        params["Body"] = r.inputs["content"].encode()
    m.requests.append(_one(r, "s3.PutObject", params))
    return m


BUILDERS: dict[str, Builder] = {
    LT: launch_template,
    ASG: autoscaling_group,
    "aws:autoscaling/policy:Policy": scaling_policy,
    "aws:autoscaling/schedule:Schedule": schedule,
    "aws:autoscaling/lifecycleHook:LifecycleHook": lifecycle_hook,
    "aws:ec2/placementGroup:PlacementGroup": placement_group,
    "aws:ec2/securityGroup:SecurityGroup": security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": sg_rule("Ingress"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": sg_rule("Egress"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:iam/role:Role": iam_role,
    "aws:iam/rolePolicy:RolePolicy": iam_role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": iam_attachment,
    "aws:iam/instanceProfile:InstanceProfile": instance_profile,
    "aws:ec2/vpc:Vpc": vpc,
    "aws:ec2/subnet:Subnet": subnet,
    "aws:ec2/internetGateway:InternetGateway": internet_gateway,
    "aws:ec2/eip:Eip": _ec2_simple("ec2.AllocateAddress", "elastic-ip"),
    "aws:ec2/natGateway:NatGateway": _ec2_simple("ec2.CreateNatGateway", "natgateway"),
    "aws:ec2/routeTable:RouteTable": _ec2_simple("ec2.CreateRouteTable", "route-table"),
    "aws:ec2/route:Route": _ec2_simple("ec2.CreateRoute", "route-table"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _ec2_simple("ec2.AssociateRouteTable", "route-table"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
    S3_BUCKET: s3_bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": s3_public_access_block,
    "aws:s3/bucketObjectv2:BucketObjectv2": s3_object,
}
"""pulumi-aws type token -> the requests its create sends."""


def policy_document(text: Any) -> Any:
    """A policy document as parsed JSON, or None if it is not valid JSON."""
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
