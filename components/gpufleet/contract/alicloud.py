"""Alibaba Cloud contract: each alicloud resource as the OpenAPI request(s) the provider sends on
create, checked against Alibaba's own Python SDK request models, plus the ESS rules no model
encodes.

The mapping follows how aliyun/terraform-provider-alicloud (which pulumi-alicloud 4.0.0 bridges)
builds each request (snapshot 81c43b6, 2026-08-21): ``resource_alicloud_ess_scaling_group.go``
``buildAlicloudEssScalingGroupArgs`` (``GetOk("desired_capacity")`` drops 0, so the group is
created without the expected-capacity feature), ``..._ess_scaling_configuration.go`` (spot price
limits formatted to 2 decimals, ``Ipv6AddressCount`` on every network interface),
``..._ess_scheduled_task.go`` (``GetOkExists`` keeps min/max/desired 0), ``..._ess_alarm.go``.
Parameters are named as the SDK models name them (``alibabacloud_ess20220222`` 1.13.3,
``alibabacloud_ecs20140526`` 7.11.8, ``alibabacloud_vpc20160428`` 7.2.2,
``alibabacloud_ram20150501`` 1.3.0); the provider calls ESS 2014-08-28, whose flat RPC names
(``SpotPriceLimit.N.PriceLimit``) carry the same values. No CMS resource is declared, so the CMS
SDK is not needed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from alibabacloud_ecs20140526 import models as ecs  # type: ignore[import-untyped, unused-ignore]
from alibabacloud_ess20220222 import models as ess  # type: ignore[import-untyped, unused-ignore]
from alibabacloud_ram20150501 import models as ram  # type: ignore[import-untyped, unused-ignore]
from alibabacloud_vpc20160428 import models as vpc  # type: ignore[import-untyped, unused-ignore]

from gpufleet.contract import alicloud_model
from gpufleet.contract.base import Finding, Request, Resource, dependency_order, rule

PREFIX = "alicloud:"
UNMAPPED = "alicloud.unmapped"
RULE_MODEL = "alicloud.model"
"""Rule id of every finding of the SDK model check."""

MODEL_PACKAGES = (
    "alibabacloud-ess20220222",
    "alibabacloud-ecs20140526",
    "alibabacloud-vpc20160428",
    "alibabacloud-ram20150501",
)
"""The distributions whose request models ``model_findings`` reads (the ``contract`` extra)."""


def model_version() -> str:
    """Which SDK model packages the Alibaba check used (for the plan's contract section)."""
    return ", ".join(f"{p} {metadata.version(p)}" for p in MODEL_PACKAGES)


GET, GETOK = "get", "getok"
"""``GET``: sent whenever set (``d.Get``/``GetOkExists``). ``GETOK``: the provider's ``GetOk``,
which drops zero values (0, "", false, empty lists)."""

Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    param: str
    """Dotted path of the parameter in the SDK request model (``SystemDisk.Category``)."""
    mode: str = GET
    convert: Convert | None = None


@dataclass(frozen=True)
class Call:
    operation: str
    model: type
    fields: dict[str, Field]
    """pulumi input (camelCase) -> request parameter."""
    region: bool = True
    """The provider adds ``RegionId`` from its client."""
    send_if: str | None = None
    """Only send this call when this input is set (a follow-up call after create)."""
    id_param: str | None = None
    """Parameter carrying the id of the resource just created (follow-up calls)."""


@dataclass(frozen=True)
class Mapping_:
    calls: tuple[Call, ...]
    elsewhere: frozenset[str] = field(default_factory=frozenset)
    """Inputs the provider sends through other APIs that are not checked here (tags via
    TagResources, enable/disable switches, delete-time flags)."""


def _tag_list(value: Any) -> Any:
    return [{"Key": k, "Value": v} for k, v in value.items()] if isinstance(value, Mapping) else value


def _price(value: Any) -> Any:
    """The provider sends ``strconv.FormatFloat(price, 'f', 2, 64)``."""
    return float(f"{value:.2f}") if isinstance(value, int | float) else value


def _spot_limits(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [{"InstanceType": v.get("instanceType"), "PriceLimit": _price(v.get("priceLimit"))} for v in value]


def _nics(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [
        {
            "InstanceType": v.get("instanceType"),
            "NetworkInterfaceTrafficMode": v.get("networkInterfaceTrafficMode"),
            "SecurityGroupIds": v.get("securityGroupIds"),
            # the provider sets Ipv6AddressCount on every entry (0 when unset)
            "Ipv6AddressCount": v.get("ipv6AddressCount", 0),
        }
        for v in value
    ]


def _charge_type(value: Any) -> Any:
    """``payment_type`` PayAsYouGo/Subscription -> API ``InstanceChargeType`` PostPaid/PrePaid."""
    return {"PayAsYouGo": "PostPaid", "Subscription": "PrePaid"}.get(value, value)


def _json_tags(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, Mapping) else value


def _f(**fields: str | tuple[str, str] | tuple[str, str, Convert]) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for k, v in fields.items():
        out[k] = Field(v) if isinstance(v, str) else Field(*v)
    return out


_SG = "alicloud:ecs/securityGroupRule:SecurityGroupRule"
_RULE_FIELDS = _f(
    securityGroupId="SecurityGroupId",
    ipProtocol="IpProtocol",
    portRange="PortRange",
    nicType=("NicType", GETOK),
    policy=("Policy", GETOK),
    priority=("Priority", GET, lambda v: str(int(v)) if isinstance(v, int | float) else v),
    description=("Description", GETOK),
    sourceSecurityGroupId=("SourceGroupId", GETOK),
    prefixListId=("SourcePrefixListId", GETOK),
)

MAPPINGS: dict[str, Mapping_] = {
    "alicloud:ess/scalingGroup:ScalingGroup": Mapping_(
        (
            Call(
                "Ess.CreateScalingGroup",
                ess.CreateScalingGroupRequest,
                _f(
                    minSize="MinSize",
                    maxSize="MaxSize",
                    defaultCooldown="DefaultCooldown",
                    multiAzPolicy="MultiAZPolicy",
                    scalingGroupName=("ScalingGroupName", GETOK),
                    vswitchIds=("VSwitchIds", GETOK),
                    healthCheckTypes=("HealthCheckTypes", GETOK),
                    desiredCapacity=("DesiredCapacity", GETOK),
                    onDemandBaseCapacity="OnDemandBaseCapacity",
                    onDemandPercentageAboveBaseCapacity="OnDemandPercentageAboveBaseCapacity",
                    spotInstancePools=("SpotInstancePools", GETOK),
                    spotInstanceRemedy=("SpotInstanceRemedy", GETOK),
                    compensateWithOnDemand="CompensateWithOnDemand",
                    groupDeletionProtection=("GroupDeletionProtection", GETOK),
                    healthCheckType=("HealthCheckType", GETOK),
                    scalingPolicy=("ScalingPolicy", GETOK),
                    allocationStrategy=("AllocationStrategy", GETOK),
                    spotAllocationStrategy=("SpotAllocationStrategy", GETOK),
                    launchTemplateId=("LaunchTemplateId", GETOK),
                    launchTemplateVersion=("LaunchTemplateVersion", GETOK),
                    maxInstanceLifetime=("MaxInstanceLifetime", GETOK),
                    stopInstanceTimeout=("StopInstanceTimeout", GETOK),
                    resourceGroupId=("ResourceGroupId", GETOK),
                ),
            ),
            # removal_policies go out in the ModifyScalingGroup the provider sends after create
            Call(
                "Ess.ModifyScalingGroup",
                ess.ModifyScalingGroupRequest,
                _f(removalPolicies="RemovalPolicies"),
                region=False,
                send_if="removalPolicies",
                id_param="ScalingGroupId",
            ),
        ),
        frozenset({"tags"}),
    ),
    "alicloud:ess/scalingConfiguration:ScalingConfiguration": Mapping_(
        (
            Call(
                "Ess.CreateScalingConfiguration",
                ess.CreateScalingConfigurationRequest,
                _f(
                    scalingGroupId="ScalingGroupId",
                    imageId="ImageId",
                    imageName=("ImageName", GETOK),
                    instanceType=("InstanceType", GETOK),
                    instanceTypes="InstanceTypes",
                    instanceName=("InstanceName", GETOK),
                    hostName=("HostName", GETOK),
                    scalingConfigurationName=("ScalingConfigurationName", GETOK),
                    securityGroupId=("SecurityGroupId", GETOK),
                    securityGroupIds=("SecurityGroupIds", GETOK),
                    internetChargeType=("InternetChargeType", GETOK),
                    internetMaxBandwidthIn=("InternetMaxBandwidthIn", GETOK),
                    internetMaxBandwidthOut="InternetMaxBandwidthOut",
                    systemDiskCategory=("SystemDisk.Category", GETOK),
                    systemDiskSize=("SystemDisk.Size", GETOK),
                    systemDiskEncrypted="SystemDisk.Encrypted",
                    systemDiskPerformanceLevel=("SystemDisk.PerformanceLevel", GETOK),
                    roleName=("RamRoleName", GETOK),
                    keyName=("KeyPairName", GETOK),
                    spotStrategy=("SpotStrategy", GETOK),
                    spotPriceLimits=("SpotPriceLimits", GETOK, _spot_limits),
                    httpEndpoint=("HttpEndpoint", GETOK),
                    userData=("UserData", GETOK),
                    tags=("Tags", GETOK, _json_tags),
                    networkInterfaces=("NetworkInterfaces", GETOK, _nics),
                    resourceGroupId=("ResourceGroupId", GETOK),
                ),
                region=False,  # CreateScalingConfiguration takes no RegionId (the group fixes it)
            ),
        ),
        # active/enable: ModifyScalingGroup + EnableScalingGroup; force_delete: a delete-time flag
        frozenset({"active", "enable", "forceDelete"}),
    ),
    "alicloud:ess/scalingRule:ScalingRule": Mapping_(
        (
            Call(
                "Ess.CreateScalingRule",
                ess.CreateScalingRuleRequest,
                _f(
                    scalingGroupId="ScalingGroupId",
                    scalingRuleName=("ScalingRuleName", GETOK),
                    scalingRuleType=("ScalingRuleType", GETOK),
                    adjustmentType=("AdjustmentType", GETOK),
                    adjustmentValue="AdjustmentValue",
                    cooldown=("Cooldown", GETOK),
                    minAdjustmentMagnitude=("MinAdjustmentMagnitude", GETOK),
                    metricName=("MetricName", GETOK),
                    targetValue=("TargetValue", GETOK),
                    disableScaleIn="DisableScaleIn",
                    estimatedInstanceWarmup=("EstimatedInstanceWarmup", GETOK),
                ),
            ),
        )
    ),
    "alicloud:ess/scheduledTask:ScheduledTask": Mapping_(
        (
            Call(
                "Ess.CreateScheduledTask",
                ess.CreateScheduledTaskRequest,
                _f(
                    scheduledAction=("ScheduledAction", GETOK),
                    launchTime=("LaunchTime", GETOK),
                    taskEnabled=("TaskEnabled", GETOK),
                    scheduledTaskName=("ScheduledTaskName", GETOK),
                    description=("Description", GETOK),
                    recurrenceType=("RecurrenceType", GETOK),
                    recurrenceValue=("RecurrenceValue", GETOK),
                    recurrenceEndTime=("RecurrenceEndTime", GETOK),
                    scalingGroupId=("ScalingGroupId", GETOK),
                    launchExpirationTime=("LaunchExpirationTime", GETOK),
                    minValue="MinValue",
                    maxValue="MaxValue",
                    desiredCapacity="DesiredCapacity",
                ),
            ),
        )
    ),
    "alicloud:ess/alarm:Alarm": Mapping_(
        (
            Call(
                "Ess.CreateAlarm",
                ess.CreateAlarmRequest,
                _f(
                    scalingGroupId="ScalingGroupId",
                    name=("Name", GETOK),
                    description=("Description", GETOK),
                    alarmActions=("AlarmActions", GETOK),
                    metricType=("MetricType", GETOK),
                    metricName=("MetricName", GETOK),
                    period=("Period", GETOK),
                    statistics=("Statistics", GETOK),
                    threshold=("Threshold", GET, lambda v: float(v) if isinstance(v, str) else v),
                    comparisonOperator=("ComparisonOperator", GETOK),
                    evaluationCount=("EvaluationCount", GETOK),
                    cloudMonitorGroupId=("GroupId", GETOK),
                    effective=("Effective", GETOK),
                ),
            ),
        ),
        frozenset({"enable"}),  # EnableAlarm / DisableAlarm after create
    ),
    # resource_alicloud_ess_notification.go: CreateNotificationConfiguration.
    "alicloud:ess/notification:Notification": Mapping_(
        (
            Call(
                "Ess.CreateNotificationConfiguration",
                ess.CreateNotificationConfigurationRequest,
                _f(
                    scalingGroupId="ScalingGroupId",
                    notificationArn="NotificationArn",
                    notificationTypes="NotificationTypes",
                    timeZone=("TimeZone", GETOK),
                    messageEncoding=("MessageEncoding", GETOK),
                ),
            ),
        ),
    ),
    "alicloud:ecs/securityGroup:SecurityGroup": Mapping_(
        (
            Call(
                "Ecs.CreateSecurityGroup",
                ecs.CreateSecurityGroupRequest,
                _f(
                    securityGroupName=("SecurityGroupName", GETOK),
                    description=("Description", GETOK),
                    vpcId=("VpcId", GETOK),
                    securityGroupType=("SecurityGroupType", GETOK),
                    resourceGroupId=("ResourceGroupId", GETOK),
                    tags=("Tag", GETOK, _tag_list),
                ),
            ),
            Call(
                "Ecs.ModifySecurityGroupPolicy",
                ecs.ModifySecurityGroupPolicyRequest,
                _f(innerAccessPolicy="InnerAccessPolicy"),
                send_if="innerAccessPolicy",
                id_param="SecurityGroupId",
            ),
        )
    ),
    "alicloud:ecs/eipAddress:EipAddress": Mapping_(
        (
            Call(
                "Vpc.AllocateEipAddress",
                vpc.AllocateEipAddressRequest,
                _f(
                    addressName=("Name", GETOK),
                    bandwidth=("Bandwidth", GETOK, lambda v: str(v)),
                    internetChargeType=("InternetChargeType", GETOK),
                    paymentType=("InstanceChargeType", GETOK, _charge_type),
                    isp=("ISP", GETOK),
                    description=("Description", GETOK),
                    resourceGroupId=("ResourceGroupId", GETOK),
                ),
            ),
        ),
        frozenset({"tags"}),
    ),
    "alicloud:ecs/eipAssociation:EipAssociation": Mapping_(
        (
            Call(
                "Vpc.AssociateEipAddress",
                vpc.AssociateEipAddressRequest,
                _f(
                    allocationId="AllocationId",
                    instanceId="InstanceId",
                    instanceType=("InstanceType", GETOK),
                    privateIpAddress=("PrivateIpAddress", GETOK),
                ),
            ),
        )
    ),
    "alicloud:vpc/network:Network": Mapping_(
        (
            Call(
                "Vpc.CreateVpc",
                vpc.CreateVpcRequest,
                _f(
                    vpcName=("VpcName", GETOK),
                    cidrBlock=("CidrBlock", GETOK),
                    description=("Description", GETOK),
                    resourceGroupId=("ResourceGroupId", GETOK),
                    tags=("Tag", GETOK, _tag_list),
                ),
            ),
        )
    ),
    "alicloud:vpc/switch:Switch": Mapping_(
        (
            Call(
                "Vpc.CreateVSwitch",
                vpc.CreateVSwitchRequest,
                _f(
                    vpcId="VpcId",
                    zoneId="ZoneId",
                    cidrBlock=("CidrBlock", GETOK),
                    vswitchName=("VSwitchName", GETOK),
                    description=("Description", GETOK),
                    tags=("Tag", GETOK, _tag_list),
                ),
            ),
        )
    ),
    "alicloud:vpc/natGateway:NatGateway": Mapping_(
        (
            Call(
                "Vpc.CreateNatGateway",
                vpc.CreateNatGatewayRequest,
                _f(
                    vpcId="VpcId",
                    vswitchId=("VSwitchId", GETOK),
                    natGatewayName=("Name", GETOK),
                    description=("Description", GETOK),
                    natType=("NatType", GETOK),
                    networkType=("NetworkType", GETOK),
                    internetChargeType=("InternetChargeType", GETOK),
                    paymentType=("InstanceChargeType", GETOK, _charge_type),
                    tags=("Tag", GETOK, _tag_list),
                ),
            ),
        )
    ),
    "alicloud:vpc/snatEntry:SnatEntry": Mapping_(
        (
            Call(
                "Vpc.CreateSnatEntry",
                vpc.CreateSnatEntryRequest,
                _f(
                    snatTableId="SnatTableId",
                    snatIp=("SnatIp", GETOK),
                    sourceVswitchId=("SourceVSwitchId", GETOK),
                    sourceCidr=("SourceCIDR", GETOK),
                    snatEntryName=("SnatEntryName", GETOK),
                ),
            ),
        )
    ),
    _SG: Mapping_(
        (
            Call("Ecs.AuthorizeSecurityGroup", ecs.AuthorizeSecurityGroupRequest, {**_RULE_FIELDS}),
            Call("Ecs.AuthorizeSecurityGroupEgress", ecs.AuthorizeSecurityGroupEgressRequest, {**_RULE_FIELDS}),
        ),
        frozenset({"type", "cidrIp", "ipv6CidrIp"}),  # choose the call and the CIDR parameter
    ),
    "alicloud:ram/role:Role": Mapping_(
        (
            Call(
                "Ram.CreateRole",
                ram.CreateRoleRequest,
                _f(
                    roleName=("RoleName", GETOK),
                    assumeRolePolicyDocument=("AssumeRolePolicyDocument", GETOK),
                    description=("Description", GETOK),
                    maxSessionDuration=("MaxSessionDuration", GETOK),
                ),
                region=False,
            ),
        ),
        frozenset({"tags"}),
    ),
    "alicloud:ram/policy:Policy": Mapping_(
        (
            Call(
                "Ram.CreatePolicy",
                ram.CreatePolicyRequest,
                _f(
                    policyName=("PolicyName", GETOK),
                    policyDocument=("PolicyDocument", GETOK),
                    description=("Description", GETOK),
                ),
                region=False,
            ),
        ),
        frozenset({"tags"}),
    ),
    "alicloud:ram/rolePolicyAttachment:RolePolicyAttachment": Mapping_(
        (
            Call(
                "Ram.AttachPolicyToRole",
                ram.AttachPolicyToRoleRequest,
                _f(policyName="PolicyName", policyType="PolicyType", roleName="RoleName"),
                region=False,
            ),
        )
    ),
    # Image Builder (gpufleet.imagebuild.alicloud): terraform-provider-alicloud
    # resource_alicloud_ecs_image_{component,pipeline,pipeline_execution}.go, Create functions.
    "alicloud:ecs/ecsImageComponent:EcsImageComponent": Mapping_(
        (
            Call(
                "Ecs.CreateImageComponent",
                ecs.CreateImageComponentRequest,
                _f(
                    resourceGroupId=("ResourceGroupId", GETOK),
                    systemType=("SystemType", GETOK),
                    description=("Description", GETOK),
                    componentType=("ComponentType", GETOK),
                    content="Content",
                    imageComponentName=("Name", GETOK),
                ),
            ),
        ),
        frozenset({"tags"}),  # set after create by SetResourceTags (TagResources)
    ),
    "alicloud:ecs/ecsImagePipeline:EcsImagePipeline": Mapping_(
        (
            Call(
                "Ecs.CreateImagePipeline",
                ecs.CreateImagePipelineRequest,
                _f(
                    addAccounts=("AddAccount", GETOK),
                    baseImage="BaseImage",
                    baseImageType="BaseImageType",
                    buildContent=("BuildContent", GETOK),
                    deleteInstanceOnFailure="DeleteInstanceOnFailure",  # GetOkExists: false is sent
                    description=("Description", GETOK),
                    imageName=("ImageName", GETOK),
                    instanceType=("InstanceType", GETOK),
                    internetMaxBandwidthOut=("InternetMaxBandwidthOut", GETOK),
                    name=("Name", GETOK),
                    systemDiskSize=("SystemDiskSize", GETOK),
                    resourceGroupId=("ResourceGroupId", GETOK),
                    tags=("Tag", GETOK, _tag_list),  # Tag.N.Key / Tag.N.Value
                    toRegionIds=("ToRegionId", GETOK),
                    vswitchId=("VSwitchId", GETOK),
                ),
            ),
        ),
    ),
    "alicloud:ecs/imagePipelineExecution:ImagePipelineExecution": Mapping_(
        (
            Call(
                "Ecs.StartImagePipelineExecution",
                ecs.StartImagePipelineExecutionRequest,
                _f(imagePipelineId="ImagePipelineId"),
            ),
        ),
        frozenset({"status"}),  # only CANCELLED, sent by CancelImagePipelineExecution on update
    ),
    # An invoke (data source), captured by the plan like a resource: the lookup of an Alibaba
    # baked image. The provider sends DescribeImages and filters names and picks the newest
    # itself (terraform-provider-alicloud data_source_alicloud_images.go).
    "alicloud:ecs/getImages:getImages": Mapping_(
        (
            Call(
                "Ecs.DescribeImages",
                ecs.DescribeImagesRequest,
                _f(
                    owners=("ImageOwnerAlias", GETOK),
                    status=("Status", GETOK),
                    imageId=("ImageId", GETOK),
                    imageName=("ImageName", GETOK),
                    imageFamily=("ImageFamily", GETOK),
                    instanceType=("InstanceType", GETOK),
                    architecture=("Architecture", GETOK),
                    osType=("OSType", GETOK),
                    actionType=("ActionType", GETOK),
                    usage=("Usage", GETOK),
                    snapshotId=("SnapshotId", GETOK),
                    resourceGroupId=("ResourceGroupId", GETOK),
                    tags=("Tag", GETOK, _tag_list),
                ),
            ),
        ),
        frozenset({"nameRegex", "mostRecent", "outputFile"}),  # applied by the provider, not sent
    ),
}


_INSTANCE = "alicloud:ecs/instance:Instance"
_DEPLOYMENT_SET = "alicloud:ecs/ecsDeploymentSet:EcsDeploymentSet"
_INSTANCE_NICS = frozenset(
    {"vswitchId", "securityGroups", "networkInterfaceTrafficMode", "networkCardIndex", "networkInterfaces"}
)
"""ecs.Instance inputs that become either top-level parameters or ``NetworkInterface`` entries
(:func:`_instance_interfaces`)."""

MAPPINGS[_DEPLOYMENT_SET] = Mapping_(
    (
        # resource_alicloud_ecs_deployment_set.go @81c43b6: every field through GetOk
        Call(
            "Ecs.CreateDeploymentSet",
            ecs.CreateDeploymentSetRequest,
            _f(
                strategy=("Strategy", GETOK),
                deploymentSetName=("DeploymentSetName", GETOK),
                description=("Description", GETOK),
                onUnableToRedeployFailedInstance=("OnUnableToRedeployFailedInstance", GETOK),
                domain=("Domain", GETOK),
                granularity=("Granularity", GETOK),
            ),
        ),
    )
)
MAPPINGS[_INSTANCE] = Mapping_(
    (
        # resource_alicloud_instance.go @81c43b6 resourceAliCloudInstanceCreate: RunInstances. The
        # RPC client sends every value as text, and the SDK model types SystemDisk.Size/Encrypted
        # as str, so those two are converted as the wire carries them.
        Call(
            "Ecs.RunInstances",
            ecs.RunInstancesRequest,
            _f(
                instanceType=("InstanceType", GETOK),
                imageId=("ImageId", GETOK),
                availabilityZone=("ZoneId", GETOK),
                systemDiskCategory=("SystemDisk.Category", GETOK),
                systemDiskPerformanceLevel=("SystemDisk.PerformanceLevel", GETOK),
                systemDiskSize=("SystemDisk.Size", GETOK, lambda v: str(v)),
                systemDiskEncrypted=("SystemDisk.Encrypted", GET, lambda v: str(v).lower()),
                instanceName=("InstanceName", GETOK),
                description=("Description", GETOK),
                resourceGroupId=("ResourceGroupId", GETOK),
                internetChargeType=("InternetChargeType", GETOK),
                internetMaxBandwidthOut=("InternetMaxBandwidthOut", GETOK),
                internetMaxBandwidthIn=("InternetMaxBandwidthIn", GETOK),
                hostName=("HostName", GETOK),
                instanceChargeType=("InstanceChargeType", GETOK),
                spotStrategy=("SpotStrategy", GETOK),
                spotPriceLimit=("SpotPriceLimit", GETOK),
                userData=("UserData", GETOK),
                roleName=("RamRoleName", GETOK),
                keyName=("KeyPairName", GETOK),
                deletionProtection=("DeletionProtection", GET),
                tags=("Tag", GETOK, _tag_list),
                enableJumboFrame=("NetworkOptions.EnableJumboFrame", GET),
                deploymentSetId=("DeploymentSetId", GETOK),
                httpTokens=("HttpTokens", GETOK),
                httpEndpoint=("HttpEndpoint", GETOK),
            ),
        ),
    ),
    _INSTANCE_NICS,
)


def _instance_interfaces(inputs: Mapping[str, Any], params: dict[str, Any]) -> None:
    """Where ecs.Instance's interface inputs go, as resource_alicloud_instance.go sends them: with a
    primary traffic mode or card index, the primary interface is ``NetworkInterface.1``
    (InstanceType Primary, VSwitchId, SecurityGroupIds); otherwise VSwitchId and SecurityGroupIds
    are top-level. Each ``network_interfaces`` block adds a Secondary entry; its NetworkCardIndex
    is sent only when DescribeInstanceTypes lists NetworkCards for the type (assumed here)."""
    nics: list[dict[str, Any]] = []
    primary = {k: inputs[k] for k in ("networkInterfaceTrafficMode", "networkCardIndex") if k in inputs}
    vswitch, groups = inputs.get("vswitchId"), inputs.get("securityGroups")
    if primary:
        entry: dict[str, Any] = {"InstanceType": "Primary"}
        if groups:
            entry["SecurityGroupIds"] = groups
        if vswitch:
            entry["VSwitchId"] = vswitch
        if primary.get("networkInterfaceTrafficMode"):
            entry["NetworkInterfaceTrafficMode"] = primary["networkInterfaceTrafficMode"]
        if "networkCardIndex" in primary:
            entry["NetworkCardIndex"] = primary["networkCardIndex"]
        nics.append(entry)
    else:
        if vswitch:
            params["VSwitchId"] = vswitch
        if groups:
            params["SecurityGroupIds"] = groups
    secondary = inputs.get("networkInterfaces")
    for block in secondary if isinstance(secondary, list) else [secondary] if secondary else []:
        if not isinstance(block, Mapping):
            nics.append(block)
            continue
        keys = {
            "vswitchId": "VSwitchId",
            "networkInterfaceTrafficMode": "NetworkInterfaceTrafficMode",
            "networkCardIndex": "NetworkCardIndex",
            "queuePairNumber": "QueuePairNumber",
            "sourceDestCheck": "SourceDestCheck",
            "securityGroupIds": "SecurityGroupIds",
            "networkInterfaceId": "NetworkInterfaceId",
        }
        nics.append({"InstanceType": "Secondary", **{keys.get(str(k), str(k)): v for k, v in block.items()}})
    if nics:
        params["NetworkInterface"] = nics


def _num(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _num(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_num(v) for v in value]
    return value


def _empty(value: Any) -> bool:
    return value is None or value is False or value == 0 or value == "" or value == [] or value == {}


def _put(params: dict[str, Any], path: str, value: Any) -> None:
    node = params
    parts = path.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def _region(r: Resource, resources: Sequence[Resource]) -> str:
    """The region of the resource's provider (explicit provider, else the only alicloud provider)."""
    providers = {p.urn: p for p in resources if p.type == "pulumi:providers:alicloud"}
    ref = str(getattr(r, "provider", "") or "").rsplit("::", 1)[0]
    p = providers.get(ref) or (next(iter(providers.values())) if len(providers) == 1 else None)
    region = p.inputs.get("region") if p is not None else None
    return str(region) if region else "(provider default region)"


def _group_of(r: Resource, groups: Mapping[str, Resource]) -> Resource | None:
    return next((groups[d] for d in r.dependencies if d in groups), None)


def requests(resources: Sequence[Resource]) -> list[Request]:
    """The OpenAPI request(s) of each alicloud resource, dependencies first."""
    mine = [r for r in resources if r.type.startswith(PREFIX)]
    groups = {r.urn: r for r in mine if r.type == "alicloud:ess/scalingGroup:ScalingGroup"}
    sets = {r.urn: r for r in mine if r.type == _DEPLOYMENT_SET}
    members: dict[str, list[Resource]] = {}
    for r in mine:
        if r.type == _INSTANCE:
            for d in r.dependencies:
                if d in sets:
                    members.setdefault(d, []).append(r)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    out: list[Request] = []
    for r in dependency_order(mine):
        inputs = _num(r.inputs)
        m = MAPPINGS.get(r.type)
        if m is None:
            out.append(Request("alicloud", UNMAPPED, inputs, r.name, r.type))
            continue
        calls = m.calls
        if r.type == _SG:
            calls = tuple(c for c in calls if c.operation.endswith("Egress") == (inputs.get("type") == "egress"))
        known = set(m.elsewhere).union(*(c.fields for c in m.calls))
        unknown = sorted(k for k in inputs if k not in known)
        context: dict[str, Any] = {"today": today}
        if r.type == "alicloud:ess/scheduledTask:ScheduledTask":
            g = _group_of(r, groups)
            if g is not None:
                context["groupDesiredCapacity"] = _num(g.inputs.get("desiredCapacity"))
                context["groupDesiredCapacitySent"] = not _empty(_num(g.inputs.get("desiredCapacity")))
        if r.type == _INSTANCE:
            ds = _group_of(r, sets)
            if ds is not None:
                context["deploymentSetStrategy"] = ds.inputs.get("strategy") or "Availability"
                context["deploymentSetMembers"] = len(members.get(ds.urn, []))
        if unknown:
            context["unmapped"] = unknown
        for c in calls:
            if c.send_if and c.send_if not in inputs:
                continue
            params: dict[str, Any] = {}
            if c.region:
                params["RegionId"] = _region(r, resources)
            if c.id_param:
                params[c.id_param] = f"(id of {r.name})"
            for key, f in c.fields.items():
                if key not in inputs:
                    continue
                value = inputs[key]
                if f.mode == GETOK and _empty(value):
                    continue  # the provider's GetOk drops zero values
                _put(params, f.param, f.convert(value) if f.convert else value)
            if r.type == _INSTANCE:
                _instance_interfaces(inputs, params)
            if r.type == _SG:
                cidr = inputs.get("cidrIp")
                if cidr:
                    _put(params, "DestCidrIp" if inputs.get("type") == "egress" else "SourceCidrIp", cidr)
            out.append(Request("alicloud", c.operation, params, r.name, r.type, context))
    return out


_MODELS = {c.operation: c.model for m in MAPPINGS.values() for c in m.calls}
_SOURCE = {
    "Ess": "alibabacloud_ess20220222 1.13.3 request models",
    "Ecs": "alibabacloud_ecs20140526 7.11.8 request models",
    "Vpc": "alibabacloud_vpc20160428 7.2.2 request models",
    "Ram": "alibabacloud_ram20150501 1.3.0 request models",
}


def model_findings(requests: Sequence[Request]) -> list[Finding]:
    """Check each request against its SDK model (rule ``alicloud.model``); an input or a resource
    type the mapping does not know is a finding (``alicloud.unmapped``), never a silent pass."""
    out: list[Finding] = []
    flagged: set[str] = set()
    for req in requests:
        if req.cloud != "alicloud":
            continue
        if req.operation == UNMAPPED:
            out.append(
                Finding(
                    req.resource,
                    req.resource_type,
                    "(type)",
                    UNMAPPED,
                    f"no contract mapping for {req.resource_type}; add one to gpufleet.contract.alicloud",
                    "gpufleet.contract.alicloud.MAPPINGS",
                )
            )
            continue
        if req.resource not in flagged:
            flagged.add(req.resource)
            for key in req.context.get("unmapped", ()):
                out.append(
                    Finding(
                        req.resource,
                        req.resource_type,
                        key,
                        UNMAPPED,
                        f"input {key!r} has no request mapping; add it to gpufleet.contract.alicloud",
                        "gpufleet.contract.alicloud.MAPPINGS",
                    )
                )
        model = _MODELS[req.operation]
        source = _SOURCE[req.operation.split(".", 1)[0]]
        out.extend(
            Finding(req.resource, req.resource_type, f, RULE_MODEL, msg, source)
            for f, msg in alicloud_model.check(model, req.params)
        )
    return out


# --- ESS rules that no model encodes -------------------------------------------------------------

_SCHED = "Ess.CreateScheduledTask"
_ESS_DOC = "help.aliyun.com/zh/auto-scaling/user-guide/overview-8 (定时任务概述, Cron表达式 section)"
_CRON_DOC = (
    f"{_ESS_DOC} and its copy jaq-doc.alibaba.com/docs/doc.htm?articleId=112301: 5 fields "
    "(分钟 小时 日 月 星期), UTC+0, '单个Cron定时任务一小时限制执行一次', '当日期或星期域其中之一被指定了值以后"
    "…需要将另一个域的值设为?'; read 2026-11-29"
)
_CRON_CHARS = re.compile(r"^[0-9A-Za-z*?,\-/#LW]+$")


def _cron(req: Request) -> list[str] | None:
    if req.params.get("RecurrenceType") != "Cron":
        return None
    return str(req.params.get("RecurrenceValue", "")).split()


@rule("alicloud.ess.cron-fields", "alicloud", [_SCHED], "an ESS cron has 5 fields", _CRON_DOC)
def _cron_fields(req: Request) -> Iterator[tuple[str, str]]:
    fields = _cron(req)
    if fields is None:
        return
    if len(fields) != 5 or not all(_CRON_CHARS.match(f) for f in fields):
        yield (
            "RecurrenceValue",
            (
                f"{req.params.get('RecurrenceValue')!r}: ESS takes 5 fields (minute hour day month week) "
                "of digits and , - * ? / L W #"
            ),
        )


@rule(
    "alicloud.ess.cron-question-mark",
    "alicloud",
    [_SCHED],
    "one of day-of-month and day-of-week must be '?'",
    _CRON_DOC,
)
def _cron_question(req: Request) -> Iterator[tuple[str, str]]:
    fields = _cron(req)
    if fields is None or len(fields) != 5:
        return
    dom, dow = fields[2], fields[4]
    if (dom == "?") == (dow == "?"):
        yield (
            "RecurrenceValue",
            (
                f"{req.params.get('RecurrenceValue')!r}: day-of-month {dom!r} and day-of-week {dow!r}; ESS wants "
                "'?' in exactly one of them (e.g. '0 1 ? * 1-5' or '0 4 * * ?')"
            ),
        )


@rule(
    "alicloud.ess.cron-once-per-hour",
    "alicloud",
    [_SCHED],
    "a cron task runs at most once an hour (one minute value)",
    _CRON_DOC,
)
def _cron_once_an_hour(req: Request) -> Iterator[tuple[str, str]]:
    fields = _cron(req)
    if fields is None or len(fields) != 5:
        return
    if not fields[0].isdigit():
        yield (
            "RecurrenceValue",
            (
                f"{req.params.get('RecurrenceValue')!r}: minute field {fields[0]!r} fires more than once an hour; "
                "ESS runs a cron task at most once an hour"
            ),
        )


_DESIRED_DOC = (
    f"{_ESS_DOC}: '如果创建伸缩组时开启了期望实例数功能，则设置最大实例数和最小实例数后，必须同时设置期望实例数，"
    "否则会导致伸缩活动被拒绝' / '如果创建伸缩组时未开启期望实例数功能，则只能设置伸缩组的最大实例数和最小实例数'; "
    "the provider's GetOk('desired_capacity') drops 0 (resource_alicloud_ess_scaling_group.go @81c43b6); "
    "read 2026-11-29"
)


@rule(
    "alicloud.ess.scheduled-task-sets-desired",
    "alicloud",
    [_SCHED],
    "on a group created with an expected (desired) capacity, a task that sets min/max must set it too",
    _DESIRED_DOC,
)
def _task_sets_desired(req: Request) -> Iterator[tuple[str, str]]:
    if not req.context.get("groupDesiredCapacitySent"):
        return
    p = req.params
    if (p.get("MinValue") is not None or p.get("MaxValue") is not None) and p.get("DesiredCapacity") is None:
        yield (
            "DesiredCapacity",
            (
                f"the group was created with DesiredCapacity {req.context.get('groupDesiredCapacity')}, so ESS rejects "
                "a scheduled task that sets MinValue/MaxValue without DesiredCapacity"
            ),
        )


@rule(
    "alicloud.ess.scheduled-task-desired-needs-group-feature",
    "alicloud",
    [_SCHED],
    "a task may set the expected capacity only on a group created with one",
    _DESIRED_DOC,
)
def _desired_needs_feature(req: Request) -> Iterator[tuple[str, str]]:
    if "groupDesiredCapacitySent" not in req.context or req.context["groupDesiredCapacitySent"]:
        return
    if req.params.get("DesiredCapacity") is not None:
        yield (
            "DesiredCapacity",
            (
                f"the group was created without an expected capacity (desired {req.context.get('groupDesiredCapacity')}"
                " is dropped by the provider), so a task may set only MinValue/MaxValue"
            ),
        )


def _minute_time(value: Any) -> dt.date | None:
    try:
        return dt.datetime.strptime(str(value), "%Y-%m-%dT%H:%MZ").date()
    except ValueError:
        return None


@rule(
    "alicloud.ess.launch-time-90-days",
    "alicloud",
    [_SCHED],
    "a scheduled task's LaunchTime is at most 90 days after it is created",
    f"{_ESS_DOC} ('请勿填写自创建或修改当天起90日后的时间'); alibabacloud_ess20220222 CreateScheduledTaskRequest."
    "launch_time ('You cannot trigger a scheduled task more than 90 days after its creation'); read 2026-11-29",
)
def _launch_90(req: Request) -> Iterator[tuple[str, str]]:
    value = req.params.get("LaunchTime")
    if value is None:
        return
    when = _minute_time(value)
    if when is None:
        yield "LaunchTime", f"{value!r} is not YYYY-MM-DDThh:mmZ (UTC)"
        return
    today = dt.date.fromisoformat(str(req.context.get("today") or dt.datetime.now(dt.UTC).date().isoformat()))
    if (when - today).days > 90:
        yield "LaunchTime", f"{value} is {(when - today).days} days after {today}; ESS allows at most 90"


# --- size and count rules (from the SDK models' own parameter documentation) ---------------------

MAX_TAGS = 20
_TAGGED = (
    "Ess.CreateScalingConfiguration",
    "Ecs.CreateSecurityGroup",
    "Ecs.RunInstances",
    "Vpc.CreateVpc",
    "Vpc.CreateVSwitch",
    "Vpc.CreateNatGateway",
)


@rule(
    "alicloud.tags.max-20",
    "alicloud",
    _TAGGED,
    "at most 20 tags per resource",
    "alibabacloud_ess20220222 1.13.3 CreateScalingConfigurationRequest.tags ('You can specify up to 20 tags') and "
    "alibabacloud_vpc20160428 7.2.2 CreateVpcRequestTag ('You can specify up to 20 tag keys'); read 2026-11-29",
)
def _max_tags(req: Request) -> Iterator[tuple[str, str]]:
    if "Tag" in req.params and isinstance(req.params["Tag"], list):
        count, where = len(req.params["Tag"]), "Tag"
    elif isinstance(req.params.get("Tags"), str):
        try:
            count, where = len(json.loads(req.params["Tags"])), "Tags"
        except ValueError:
            return
    else:
        return
    if count > MAX_TAGS:
        yield where, f"{count} tags; Alibaba Cloud allows at most {MAX_TAGS} per resource"


IMAGE_OWNER_ALIASES = ("system", "self", "others", "marketplace")
IMAGE_STATUSES = ("Creating", "Waiting", "Available", "UnAvailable", "CreateFailed", "Deprecated", "ALL")


@rule(
    "alicloud.ecs.describe-images-values",
    "alicloud",
    ["Ecs.DescribeImages"],
    "ImageOwnerAlias and Status take only the documented values",
    "alibabacloud_ecs20140526 7.11.8 DescribeImagesRequest.image_owner_alias ('Valid values: system, self, "
    "others, marketplace') and .status ('Creating, Waiting, Available, UnAvailable, CreateFailed, Deprecated, "
    "ALL', comma-separated, ALL alone); read 2026-11-30",
)
def _describe_images_values(req: Request) -> Iterator[tuple[str, str]]:
    owner = req.params.get("ImageOwnerAlias")
    if owner is not None and owner not in IMAGE_OWNER_ALIASES:
        yield "ImageOwnerAlias", f"{owner!r} is not one of {', '.join(IMAGE_OWNER_ALIASES)}"
    status = req.params.get("Status")
    if status is not None:
        values = str(status).split(",")
        bad = [v for v in values if v not in IMAGE_STATUSES]
        if bad:
            yield "Status", f"{', '.join(bad)} not among {', '.join(IMAGE_STATUSES)}"
        elif "ALL" in values and len(values) > 1:
            yield "Status", "ALL cannot be combined with other statuses"


MAX_USER_DATA = 32 * 1024


@rule(
    "alicloud.ess.user-data-32kb",
    "alicloud",
    ["Ess.CreateScalingConfiguration", "Ecs.RunInstances"],
    "user data is base64 of at most 32 KB raw",
    "alibabacloud_ess20220222 1.13.3 CreateScalingConfigurationRequest.user_data ('The data must be Base64 "
    "encoded. The raw data can be up to 32 KB in size'); alibabacloud_ecs20140526 7.11.8 "
    "RunInstancesRequest.user_data ('cannot exceed 32 KB before Base64 encoding'); read 2026-11-29",
)
def _user_data(req: Request) -> Iterator[tuple[str, str]]:
    value = req.params.get("UserData")
    if not isinstance(value, str):
        return
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        yield "UserData", "not base64 (the provider would base64 it again; ESS wants Base64 of the raw data)"
        return
    if len(raw) > MAX_USER_DATA:
        yield "UserData", f"{len(raw)} bytes raw; {req.operation.split('.')[0]} allows at most {MAX_USER_DATA}"


# --- deployment set rules (ECS "Deployment set" doc) --------------------------------------------

_DS_DOC = (
    "Alibaba ECS 'Deployment set', alibabacloud.com/help/zh/doc-detail/91258.htm, as quoted by the "
    "alicloud-fidelity review (read 2026-11-29): '部署集内不能创建抢占式实例' (no spot instances in a deployment "
    "set); LowLatency: '所有实例必须在同一可用区，同一可用区最多创建20台ECS实例'"
)


@rule(
    "alicloud.ecs.deployment-set-no-spot",
    "alicloud",
    ["Ecs.RunInstances"],
    "an instance in a deployment set is not a spot instance",
    _DS_DOC,
)
def _deployment_set_no_spot(req: Request) -> Iterator[tuple[str, str]]:
    strategy = req.params.get("SpotStrategy")
    if req.params.get("DeploymentSetId") and strategy not in (None, "NoSpot"):
        yield "SpotStrategy", f"{strategy!r} in a deployment set; deployment sets take no spot instances"


@rule(
    "alicloud.ecs.low-latency-max-20",
    "alicloud",
    ["Ecs.RunInstances"],
    "a LowLatency deployment set holds at most 20 instances (one zone)",
    _DS_DOC,
)
def _low_latency_max(req: Request) -> Iterator[tuple[str, str]]:
    if req.context.get("deploymentSetStrategy") != "LowLatency":
        return
    members = int(req.context.get("deploymentSetMembers") or 0)
    if members > 20:
        yield "DeploymentSetId", f"{members} instances in one LowLatency deployment set; at most 20"
